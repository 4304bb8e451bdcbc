"""The open interface's clients and their keys: issuing, revoking, listing, checking.

Like the platforms' keys (`tickets.platforms`): 256 random bits shown once, stored only as
SHA-256 (fast, and as safe as Argon2 for a random key of that length), checked in constant
time against every stored hash. Issuing and revoking are administrative actions
(`manage_platforms`, audited without the key); checking is the API's, on every call.
"""

from __future__ import annotations

import hmac
import re
import secrets
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from accounts.audit import Actor, authorize, record
from core.errors import ShuijianError
from db.models import OgcClient
from tickets.platforms import KEY_PREFIX, hash_key

CODE = re.compile(r"[a-z0-9_]{2,16}")
NAME_MAX = 80
# What the call log's caller column says for an OGC client (platforms are logged bare).
CALLER_PREFIX = "ogc:"


class ClientUnknown(ShuijianError):
    """No OGC client with that code (and no name given to create it)."""

    code = "ogc_client_unknown"


def _check_code(code: str) -> str:
    code = (code or "").strip()
    if not CODE.fullmatch(code):
        raise ShuijianError(
            f"client code {code!r}: 2–16 lower-case letters, digits or _",
            code="ogc_client_code_invalid",
            client=code,
        )
    return code


def issue_client_key(session: Session, actor: Actor, code: str, name: str | None = None) -> str:
    """A new key for a client, replacing its old one; a client not yet known is created,
    which needs its name. Returns the key, to be shown once."""
    authorize(actor, "manage_platforms")
    code = _check_code(code)
    name = (name or "").strip() or None
    if name is not None and (len(name) > NAME_MAX or "\x00" in name):
        raise ShuijianError(
            f"client name: at most {NAME_MAX} characters", code="ogc_client_name_invalid"
        )
    client = session.get(OgcClient, code)
    if client is None:
        if name is None:
            raise ClientUnknown(f"no OGC client {code!r}; give --name to create it", client=code)
        client = OgcClient(code=code, name=name)
        session.add(client)
    elif name is not None:
        client.name = name
    replaced = client.api_key_hash is not None
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    client.api_key_hash = hash_key(key)
    session.flush()
    record(session, actor, "ogc_client_key", code, {"replaced": replaced, "name": client.name})
    return key


def revoke_client(session: Session, actor: Actor, code: str) -> None:
    """The client's key stops working at once; the client's row stays (the log names it)."""
    authorize(actor, "manage_platforms")
    client = session.get(OgcClient, _check_code(code))
    if client is None:
        raise ClientUnknown(f"no OGC client {code!r}", client=code)
    client.api_key_hash = None
    session.flush()
    record(session, actor, "ogc_client_revoke", client.code)


def list_clients(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """code, name, has_key, created_at, calls in the call log."""
    authorize(actor, "manage_platforms")
    rows = session.execute(
        text(
            "SELECT c.code, c.name, c.api_key_hash IS NOT NULL AS has_key, c.created_at, "
            "(SELECT count(*) FROM api_call_log l WHERE l.platform_code = :prefix || c.code) "
            "AS calls FROM ogc_client c ORDER BY c.code"
        ),
        {"prefix": CALLER_PREFIX},
    ).mappings()
    return [dict(r) for r in rows]


def verify_client(session: Session, key: str | None) -> str | None:
    """The code of the client holding this key, or None (no key, wrong key, revoked)."""
    if not key:
        return None
    digest = hash_key(key)
    found = None
    rows = session.execute(
        select(OgcClient.code, OgcClient.api_key_hash).where(OgcClient.api_key_hash.is_not(None))
    ).all()
    for code, stored in rows:
        if hmac.compare_digest(digest, stored or ""):  # every row: timing tells nothing
            found = code
    return found


def recent_calls(session: Session, code: str, seconds: float = 60.0) -> int:
    """Answered calls of the client in the last `seconds` (database time, like the log's);
    calls refused by the throttle itself do not count, so waiting is enough to recover."""
    return int(
        session.scalar(
            text(
                "SELECT count(*) FROM api_call_log WHERE platform_code = :caller "
                "AND status <> 429 AND at > now() - make_interval(secs => :s)"
            ),
            {"caller": CALLER_PREFIX + code, "s": seconds},
        )
        or 0
    )
