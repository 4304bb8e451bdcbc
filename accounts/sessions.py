"""Server-side sign-in sessions: a random token in the browser, only its hash in the database.

The browser carries the token in an HttpOnly, SameSite=Strict cookie set by the web gate
(ui/gate.py), so no script on the page can read it. Each page run resumes the user from it;
a session ends when it has been idle for SHUIJIAN_SESSION_IDLE_HOURS, when it is
SHUIJIAN_SESSION_MAX_DAYS old, at sign-out (in any tab: the row is revoked, not the tab's
state), at a password change and when the account is deactivated. Only SHA-256 of the token
is stored: a copy of the database cannot be turned back into a cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accounts.auth import SignedIn, signed_in
from core import clock, settings
from db.models import SignInSession, User

COOKIE = "shuijian_session"
# 32 random bytes: the token is a bearer credential for up to a week.
TOKEN_BYTES = 32
# last_seen_at is written at most this often, not on every rerun of a page.
TOUCH_EVERY = timedelta(minutes=1)
LANGUAGES = ("zh", "en")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def idle_timeout() -> timedelta:
    return timedelta(hours=settings.number("session_idle_hours"))


def absolute_timeout() -> timedelta:
    return timedelta(days=settings.number("session_max_days"))


def begin(session: Session, user: SignedIn, client: str | None, language: str = "zh") -> str:
    """A new session for a user who just proved their password; returns the token for the
    cookie (never stored)."""
    now = clock.now()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        SignInSession(
            token_hash=token_hash(token),
            user_id=user.user_id,
            client=(client or "unknown")[:120],
            language=language if language in LANGUAGES else "zh",
            created_at=now,
            last_seen_at=now,
            expires_at=now + absolute_timeout(),
        )
    )
    session.flush()
    return token


def resume(session: Session, token: str | None) -> tuple[SignedIn, str] | None:
    """The user and language of a live session, or None (no token, unknown, revoked, idle
    too long, past its absolute expiry, or its account deactivated). Touches the idle clock."""
    if not token or len(token) > 200:
        return None
    row = session.scalar(select(SignInSession).where(SignInSession.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None:
        return None
    now = clock.now()
    if now >= row.expires_at or now >= row.last_seen_at + idle_timeout():
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return signed_in(user), row.language


def set_language(session: Session, token: str | None, language: str) -> None:
    """Keep the language the user switched to, so a reload or a new tab speaks it too."""
    if token and language in LANGUAGES:
        session.execute(
            update(SignInSession)
            .where(SignInSession.token_hash == token_hash(token))
            .values(language=language)
        )


def end(session: Session, token: str | None) -> bool:
    """Sign-out: revoke this session (every tab sharing the cookie is signed out at its next
    action). False when there was no live session to end."""
    if not token:
        return False
    result = session.execute(
        update(SignInSession)
        .where(SignInSession.token_hash == token_hash(token), SignInSession.revoked_at.is_(None))
        .values(revoked_at=clock.now(), revoked_why="sign_out")
    )
    return bool(result.rowcount)


def end_all(session: Session, user_id: int, why: str) -> int:
    """Revoke every live session of a user (``why``: 'password' or 'inactive')."""
    result = session.execute(
        update(SignInSession)
        .where(SignInSession.user_id == user_id, SignInSession.revoked_at.is_(None))
        .values(revoked_at=clock.now(), revoked_why=why)
    )
    return int(result.rowcount or 0)


__all__ = [
    "COOKIE",
    "absolute_timeout",
    "begin",
    "end",
    "end_all",
    "idle_timeout",
    "resume",
    "set_language",
]
