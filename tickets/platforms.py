"""The platforms' keys and endpoints: rotating a platform's API key and setting the URL its
dispatched tickets are delivered to.

One function per action, called by the command line (``shuijian platform key|endpoint``, as
the shell's operator) and the administration page (``manage_platforms``); each appends its
audit event — without the key, and with the endpoint's URL stripped of any user, password,
query or fragment, which could carry a token.

A key is 256 random bits, so a fast SHA-256 hash is as safe to store as an Argon2 one (there
is no dictionary to try) and costs microseconds per call, where Argon2 would cost tens of
milliseconds on every request and hand any caller a cheap way to load the server.
"""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.audit import Actor, authorize, record
from core.errors import ShuijianError
from db.models import Platform
from db.query import query_frame

KEY_PREFIX = "sjk_"
HASH_PREFIX = "sha256:"
URL_MAX = 2000


class PlatformUnknown(ShuijianError):
    """No platform with that code; the message lists the known ones."""

    code = "platform_unknown"


def hash_key(key: str) -> str:
    """The stored form of a key (self-describing, so another scheme could follow)."""
    return HASH_PREFIX + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def find_platform(session: Session, code: str) -> Platform:
    platform = session.get(Platform, (code or "").strip())
    if platform is None:
        known = ", ".join(session.scalars(select(Platform.code).order_by(Platform.code)))
        raise PlatformUnknown(f"no platform {code!r}; known: {known}", platform=code, known=known)
    return platform


def check_endpoint(url: str) -> str:
    """The URL, trimmed, if it is an http(s) URL with a host (ShuijianError otherwise)."""
    url = (url or "").strip()
    try:
        parsed = urlsplit(url)
        host = parsed.hostname
        parsed.port  # noqa: B018 - raises on a port that is no number or out of range
    except ValueError:
        host = None
    if (
        parsed.scheme not in ("http", "https")
        or not host
        or len(url) > URL_MAX
        or any(c.isspace() for c in url)
    ):
        raise ShuijianError(
            f"endpoint {url!r} is not an http(s) URL with a host", code="endpoint_not_http", url=url
        )
    return url


def shown_url(url: str | None) -> str | None:
    """The URL as the audit log keeps it: scheme, host, port and path only."""
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def set_endpoint(session: Session, actor: Actor, code: str, url: str) -> None:
    """Where the platform receives its dispatched tickets (http or https only)."""
    authorize(actor, "manage_platforms")
    url = check_endpoint(url)
    platform = find_platform(session, code)
    before = platform.endpoint_url
    platform.endpoint_url = url
    session.flush()
    record(
        session,
        actor,
        "platform_endpoint",
        platform.code,
        {"url_from": shown_url(before), "url_to": shown_url(url)},
    )


def issue_key(session: Session, actor: Actor, code: str) -> str:
    """A new key for a platform, replacing its old one (which stops working at once); the
    caller shows it once, only its hash is stored."""
    authorize(actor, "manage_platforms")
    platform = find_platform(session, code)
    replaced = platform.api_key_hash is not None
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    platform.api_key_hash = hash_key(key)
    session.flush()
    record(session, actor, "platform_key", platform.code, {"replaced": replaced})
    return key


def list_platforms(session: Session, actor: Actor) -> pd.DataFrame:
    """code, name_zh, name_en, endpoint_url, has_key, and when the key was last issued."""
    authorize(actor, "manage_platforms")
    return query_frame(
        session,
        "SELECT p.code, p.name_zh, p.name_en, p.endpoint_url, p.api_key_hash IS NOT NULL "
        "AS has_key, (SELECT max(e.at) FROM audit_event e WHERE e.action = 'platform_key' "
        "AND e.target = p.code) AS key_issued_at FROM platform p ORDER BY p.code",
    )


__all__ = [
    "KEY_PREFIX",
    "PlatformUnknown",
    "check_endpoint",
    "find_platform",
    "hash_key",
    "issue_key",
    "list_platforms",
    "set_endpoint",
    "shown_url",
]
