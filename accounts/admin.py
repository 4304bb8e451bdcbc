"""Managing accounts: add one, reset its password, lock and unlock it, change its role.

One function per action, called by both the command line (``shuijian user …``, as the shell's
operator) and the administration page (as a signed-in admin: ``manage_users`` in the
permission table). Each validates, acts and appends its audit event in the caller's
transaction; a refusal is an ``AccountRefused`` with a code and changes nothing.

Locking is deactivation (``app_user.is_active``): the account cannot sign in and every session
of it ends at once. Unlocking reactivates it and lifts the sign-in throttle of its name (the
wait and the lock after too many failed sign-ins, ``accounts.throttle``); for a name without
an account only the throttle is lifted, as the throttle counts names as typed. Nobody locks
or demotes their own account from the app, and the last active administrator is never
locked or demoted, so the system always keeps someone who can administer it.
"""

from __future__ import annotations

import re

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts import sessions, throttle
from accounts.audit import Actor, authorize, record
from accounts.auth import SignedIn, create_user, hash_password
from accounts.passwords import check_new, set_password
from core.errors import ShuijianError
from core.vocab import ROLES
from db.models import Deputy, Township, User
from db.query import county_clause, query_frame

USERNAME_MAX = 60
DISPLAY_NAME_MAX = 80
# Letters (any script), digits and . _ - @ : what people type as a sign-in name.
_USERNAME = re.compile(r"[\w.@-]+")


class AccountRefused(ShuijianError):
    """An account action was refused; nothing was changed."""


def find_user(session: Session, username: str) -> User:
    """The account of this name, in any case (AccountRefused ``no_such_account`` if none)."""
    name = (username or "").strip()
    user = session.scalar(select(User).where(func.lower(User.username) == name.lower()))
    if user is None:
        raise AccountRefused(f"no account named {name!r}", code="no_such_account", name=name)
    return user


def find_deputy(session: Session, code: str) -> Deputy:
    """The deputy of this code, in any case (AccountRefused ``no_such_deputy`` if none)."""
    key = (code or "").strip().upper()
    deputy = session.scalar(select(Deputy).where(func.upper(Deputy.code) == key).limit(1))
    if deputy is None:
        raise AccountRefused(f"no deputy with code {code!r}", code="no_such_deputy", deputy=code)
    return deputy


def find_township(session: Session, code: str) -> Township:
    """The township of this code, in any case (AccountRefused ``no_such_township`` if none)."""
    key = (code or "").strip().upper()
    township = session.scalar(select(Township).where(func.upper(Township.code) == key))
    if township is None:
        raise AccountRefused(
            f"no township with code {code!r}", code="no_such_township", township=code
        )
    return township


def township_choices(session: Session) -> list[tuple[str, str]]:
    """(code, name) of every township, for the page's picker of a township account."""
    rows = session.execute(select(Township.code, Township.name).order_by(Township.code))
    return [(r.code, r.name) for r in rows]


def _township_for(session: Session, role: str, township_code: str | None) -> Township | None:
    """The township a ``role`` account is confined to: required for township staff, refused
    for every other role (a county role confined by accident would silently see less)."""
    code = (township_code or "").strip()
    if role != "township":
        if code:
            raise AccountRefused(
                f"only a township account belongs to a township, not a {role}",
                code="township_only_for_township_role",
                role=role,
            )
        return None
    if not code:
        raise AccountRefused(
            "a township account needs its township's code", code="township_code_needed"
        )
    return find_township(session, code)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountRefused(
            f"unknown role {role!r}; roles are {', '.join(ROLES)}",
            code="unknown_role",
            role=role,
            known=", ".join(ROLES),
        )


def _deputy_for(
    session: Session, role: str, deputy_code: str | None, user_id: int | None
) -> Deputy | None:
    """The deputy a ``role`` account is linked to: required for a deputy, refused otherwise;
    a deputy has at most one account."""
    code = (deputy_code or "").strip()
    if role != "deputy":
        if code:
            raise AccountRefused(
                f"only a deputy account is linked to a deputy, not a {role}",
                code="deputy_only_for_deputy_role",
                role=role,
            )
        return None
    if not code:
        raise AccountRefused("a deputy account needs the deputy's code", code="deputy_code_needed")
    deputy = find_deputy(session, code)
    holder = session.scalar(
        select(User.username).where(User.deputy_id == deputy.id, User.id != (user_id or -1))
    )
    if holder is not None:
        raise AccountRefused(
            f"deputy {deputy.code} already has the account {holder!r}",
            code="deputy_has_account",
            deputy=deputy.code,
            name=holder,
        )
    return deputy


def _keep_an_admin(session: Session, user: User) -> None:
    """Refuse to lock or demote the last active administrator."""
    if user.role != "admin" or not user.is_active:
        return
    others = session.scalar(
        select(func.count()).where(User.role == "admin", User.is_active, User.id != user.id)
    )
    if not others:
        raise AccountRefused(
            f"{user.username!r} is the last active administrator",
            code="last_admin",
            name=user.username,
        )


def _not_self(actor: Actor, user: User, what: str) -> None:
    if isinstance(actor, SignedIn) and actor.user_id == user.id:
        raise AccountRefused(f"nobody may {what} their own account", code="not_own_account")


def add_user(
    session: Session,
    actor: Actor,
    username: str,
    role: str,
    password: str,
    deputy_code: str | None = None,
    display_name: str | None = None,
    township_code: str | None = None,
) -> User:
    """A new account (``shuijian user add``): a free name, a known role, a deputy's code
    for a deputy (one account per deputy) and none otherwise, a township's code for township
    staff and none otherwise, a password of at least ``passwords.MIN_LENGTH`` characters,
    stored as an Argon2id hash."""
    authorize(actor, "manage_users")
    name = (username or "").strip()
    if not name or len(name) > USERNAME_MAX or not _USERNAME.fullmatch(name):
        raise AccountRefused(
            f"{name!r} is no valid user name", code="bad_username", name=name, limit=USERNAME_MAX
        )
    _check_role(role)
    if session.scalar(select(User.id).where(func.lower(User.username) == name.lower())):
        raise AccountRefused(f"an account named {name!r} exists", code="account_exists", name=name)
    deputy = _deputy_for(session, role, deputy_code, None)
    township = _township_for(session, role, township_code)
    check_new(password)
    shown = (display_name or "").strip() or (deputy.name if deputy else None)
    if shown and len(shown) > DISPLAY_NAME_MAX:
        raise AccountRefused(
            "the display name is too long", code="display_name_too_long", limit=DISPLAY_NAME_MAX
        )
    user = create_user(
        session,
        name,
        hash_password(password),
        role,
        deputy.id if deputy else None,
        shown,
        township.id if township else None,
    )
    record(
        session,
        actor,
        "user_add",
        name,
        {"role": role, "deputy": deputy.code if deputy else None}
        | ({"township": township.code} if township else {}),
    )
    return user


def reset_password(session: Session, actor: Actor, username: str, password: str) -> int:
    """Set an account's password (``shuijian user password``); every session of the account
    ends. Returns how many ended."""
    authorize(actor, "manage_users")
    user = find_user(session, username)
    ended = set_password(session, user.username, password)
    record(session, actor, "user_password", user.username, {"sessions_ended": ended})
    return ended


def lock_user(session: Session, actor: Actor, username: str) -> int:
    """Deactivate an account (``shuijian user lock``): no sign-in, and every session of it
    ends now. Returns how many ended."""
    authorize(actor, "manage_users")
    user = find_user(session, username)
    if not user.is_active:
        raise AccountRefused(
            f"{user.username!r} is locked already",
            code="account_locked_already",
            name=user.username,
        )
    _not_self(actor, user, "lock")
    _keep_an_admin(session, user)
    user.is_active = False
    ended = sessions.end_all(session, user.id, "inactive")
    record(session, actor, "user_lock", user.username, {"sessions_ended": ended})
    return ended


def unlock_user(session: Session, actor: Actor, username: str) -> bool:
    """Reactivate a locked account and lift the sign-in throttle of its name (``shuijian
    user unlock``); for a name without an account only the throttle. Returns whether an
    account was reactivated."""
    authorize(actor, "manage_users")
    name = (username or "").strip()
    if not name:
        raise AccountRefused(
            "no user name given", code="bad_username", name=name, limit=USERNAME_MAX
        )
    user = session.scalar(select(User).where(func.lower(User.username) == name.lower()))
    reactivated = user is not None and not user.is_active
    if user is not None:
        user.is_active = True
        name = user.username
    throttle.unlock(session, name)
    record(
        session,
        actor,
        "user_unlock",
        name,
        {"reactivated": reactivated, "account": user is not None},
    )
    return reactivated


def change_role(
    session: Session,
    actor: Actor,
    username: str,
    role: str,
    deputy_code: str | None = None,
    township_code: str | None = None,
) -> None:
    """Give an account another role (``shuijian user role``); a deputy account names its
    deputy, a township account its township. Takes effect at the account's next action (each
    page run reads the row)."""
    authorize(actor, "manage_users")
    user = find_user(session, username)
    _check_role(role)
    deputy = _deputy_for(session, role, deputy_code, user.id)
    township = _township_for(session, role, township_code)
    new_deputy = deputy.id if deputy else None
    new_township = township.id if township else None
    if user.role == role and user.deputy_id == new_deputy and user.township_id == new_township:
        raise AccountRefused(
            f"{user.username!r} is a {role} already", code="role_unchanged", name=user.username
        )
    if role != "admin":
        _not_self(actor, user, "demote")
        _keep_an_admin(session, user)
    old_deputy = (
        session.scalar(select(Deputy.code).where(Deputy.id == user.deputy_id))
        if user.deputy_id
        else None
    )
    old_township = (
        session.scalar(select(Township.code).where(Township.id == user.township_id))
        if user.township_id
        else None
    )
    before = user.role
    user.role, user.deputy_id, user.township_id = role, new_deputy, new_township
    session.flush()
    record(
        session,
        actor,
        "user_role",
        user.username,
        {
            "role_from": before,
            "role_to": role,
            "deputy_from": old_deputy,
            "deputy_to": deputy.code if deputy else None,
        }
        | (
            {"township_from": old_township, "township_to": township.code if township else None}
            if old_township or township
            else {}
        ),
    )


def list_users(session: Session, actor: Actor) -> pd.DataFrame:
    """Every account: username, display_name, role, deputy (code), township (code), active,
    last_sign_in (the
    latest successful sign-in), wait_s (seconds its name must wait to sign in; 0: free)."""
    authorize(actor, "manage_users")
    frame = query_frame(
        session,
        "SELECT u.username, u.display_name, u.role, d.code AS deputy, tw.code AS township, "
        "u.is_active AS active, "
        "(SELECT max(a.at) FROM login_attempt a WHERE a.username = u.username "
        "AND a.outcome = 'success') AS last_sign_in "
        "FROM app_user u "
        "LEFT JOIN deputy d ON d.id = u.deputy_id AND d.county_id = u.county_id "
        "LEFT JOIN township tw ON tw.id = u.township_id AND tw.county_id = u.county_id "
        f"WHERE {county_clause('u')} ORDER BY u.role, u.username",
    )
    waits = throttle.waits(session)
    frame["wait_s"] = [round(waits.get(name, 0.0)) for name in frame["username"]]
    return frame


__all__ = [
    "AccountRefused",
    "add_user",
    "change_role",
    "find_deputy",
    "find_township",
    "find_user",
    "list_users",
    "township_choices",
    "lock_user",
    "reset_password",
    "unlock_user",
]
