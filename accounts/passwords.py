"""Changing a password ends every session of the account: whoever knew the old password (or
holds a cookie from before) is signed out at their next action."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts import sessions
from accounts.auth import hash_password, verify_password
from core.errors import AuthenticationFailed, ShuijianError
from db.models import User

MIN_LENGTH = 8


class PasswordRefused(ShuijianError):
    """A new password that does not meet the rule."""

    code = "password_too_short"


def check_new(new: str) -> None:
    """Refuse a new password that breaks the rule (PasswordRefused)."""
    if len(new) < MIN_LENGTH:
        raise PasswordRefused(
            f"a password needs at least {MIN_LENGTH} characters",
            code="password_too_short",
            minimum=MIN_LENGTH,
        )


def change_password(session: Session, user_id: int, current: str, new: str) -> int:
    """The user's own change: the current password first. Returns the sessions ended."""
    user = session.get(User, user_id)
    if user is None or not user.is_active or not verify_password(user.password_hash, current):
        raise AuthenticationFailed("the current password is wrong", code="password_wrong")
    check_new(new)
    if new == current:
        raise PasswordRefused("the new password is the current one", code="password_unchanged")
    user.password_hash = hash_password(new)
    return sessions.end_all(session, user.id, "password")


def set_password(session: Session, username: str, new: str) -> int:
    """An administrator's reset (``shuijian user password``). Returns the sessions ended."""
    user = session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None:
        raise ShuijianError(f"no account named {username!r}", code="no_such_account", name=username)
    check_new(new)
    user.password_hash = hash_password(new)
    return sessions.end_all(session, user.id, "password")


__all__ = ["MIN_LENGTH", "PasswordRefused", "change_password", "check_new", "set_password"]
