"""API keys of the platforms: a caller's key checked against the stored hashes.

Issuing a key and setting an endpoint are the platform service's (``tickets.platforms``,
audited); ``issue_key`` and ``set_endpoint`` here take them as the system, for the demo and
the tests that set a platform up.
"""

from __future__ import annotations

import hmac

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.audit import Operator
from db.models import Platform
from tickets import platforms
from tickets.platforms import HASH_PREFIX, KEY_PREFIX, PlatformUnknown, hash_key

SYSTEM = Operator("system")


def issue_key(session: Session, code: str) -> str:
    """A new key for a platform, recorded in the audit log as the system's."""
    return platforms.issue_key(session, SYSTEM, code)


def set_endpoint(session: Session, code: str, url: str) -> None:
    """Set a platform's endpoint, recorded in the audit log as the system's."""
    platforms.set_endpoint(session, SYSTEM, code, url)


def verify_key(session: Session, key: str | None) -> str | None:
    """The code of the platform holding this key, or None (no key, wrong key, revoked)."""
    if not key:
        return None
    digest = hash_key(key)
    found = None
    rows = session.execute(
        select(Platform.code, Platform.api_key_hash).where(Platform.api_key_hash.is_not(None))
    ).all()
    for code, stored in rows:
        # Compare against every row in constant time: timing tells nothing about near misses.
        if hmac.compare_digest(digest, stored or ""):
            found = code
    return found


__all__ = [
    "HASH_PREFIX",
    "KEY_PREFIX",
    "PlatformUnknown",
    "hash_key",
    "issue_key",
    "set_endpoint",
    "verify_key",
]
