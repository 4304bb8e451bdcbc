"""API keys of the platforms: issued once, shown once, stored only as a hash.

A key is 256 random bits, so a fast SHA-256 hash is as safe to store as an Argon2 one (there
is no dictionary to try) and costs microseconds per call, where Argon2 would cost tens of
milliseconds on every request and hand any caller a cheap way to load the server.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlparse

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import ShuijianError
from db.models import Platform

KEY_PREFIX = "sjk_"
HASH_PREFIX = "sha256:"


class PlatformUnknown(ShuijianError):
    """No platform with that code; the message lists the known ones."""

    code = "platform_unknown"


def hash_key(key: str) -> str:
    """The stored form of a key (self-describing, so another scheme could follow)."""
    return HASH_PREFIX + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _platform(session: Session, code: str) -> Platform:
    platform = session.get(Platform, code)
    if platform is None:
        known = ", ".join(session.scalars(select(Platform.code).order_by(Platform.code)))
        raise PlatformUnknown(f"no platform {code!r}; known: {known}", platform=code, known=known)
    return platform


def issue_key(session: Session, code: str) -> str:
    """A new key for a platform, replacing its old one; the caller shows it once."""
    platform = _platform(session, code)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    platform.api_key_hash = hash_key(key)
    session.flush()
    return key


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


def set_endpoint(session: Session, code: str, url: str) -> None:
    """Where the platform receives its dispatched tickets (http or https only)."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ShuijianError(
            f"endpoint {url!r} is not an http(s) URL with a host", code="endpoint_not_http", url=url
        )
    _platform(session, code).endpoint_url = url
    session.flush()
