"""Accounts: Argon2id password hashes, sign-in, and which role may open which page."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import null, select
from sqlalchemy.orm import Session

from core.errors import AuthenticationFailed
from core.vocab import CITY_ROLES, ROLES
from db.models import User

_hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters
# Verified against when the user name is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


@dataclass(frozen=True)
class SignedIn:
    """What a page needs to know about the user; no ORM object leaks into session state."""

    user_id: int
    username: str
    role: str
    deputy_id: int | None
    display_name: str
    # The one township a township account (乡镇工作人员) is confined to; None: the county.
    township_id: int | None = None
    # The county an account belongs to (db.scope); None: the city's (city_leader/analyst).
    county_id: int | None = None


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise ValueError("a password needs at least 8 characters")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, username: str, password: str) -> SignedIn:
    user = session.scalar(select(User).where(User.username == username.strip()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise AuthenticationFailed("wrong user name or password") from None
    if user is None or not user.is_active:
        raise AuthenticationFailed("wrong user name or password")
    return signed_in(user)


def signed_in(user: User) -> SignedIn:
    """The page's view of an account row."""
    return SignedIn(
        user_id=user.id,
        username=user.username,
        role=user.role,
        deputy_id=user.deputy_id,
        display_name=user.display_name or user.username,
        township_id=user.township_id,
        county_id=user.county_id,
    )


def sign_in(session: Session, username: str, password: str, client: str | None) -> SignedIn:
    """``authenticate`` behind the throttle (accounts.throttle): a name or client that must
    wait is refused before the password is even checked; every attempt is recorded."""
    from accounts import throttle

    throttle.check(session, username, client)
    try:
        user = authenticate(session, username, password)
    except AuthenticationFailed:
        throttle.record(session, username, client, "failure")
        raise
    throttle.record(session, username, client, "success")
    return user


def create_user(
    session: Session,
    username: str,
    password_hash: str,
    role: str,
    deputy_id: int | None = None,
    display_name: str | None = None,
    township_id: int | None = None,
    county_id: int | None = None,
) -> User:
    """A new account. Its county: ``county_id``, else its deputy's or township's, else the
    one in scope (the database fills it, migration 0020); a city role has none."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    user = User(
        username=username,
        password_hash=password_hash,
        role=role,
        deputy_id=deputy_id,
        display_name=display_name,
        township_id=township_id,
    )
    if role in CITY_ROLES:
        user.county_id = null()  # said: the column's default is the county in scope
    elif county_id is not None:
        user.county_id = county_id
    session.add(user)
    session.flush()
    return user
