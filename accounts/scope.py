"""Where a user may look: the whole county, or one township (township staff, 乡镇工作人员).

The one place that knows a township account is confined. Services call it — never a page
alone — in two ways:

- ``narrow(user, chosen)``: the township a query runs for. A county role gets what it chose
  (None: the county); a township account gets its own, whether it chose it or nothing, and a
  ``PermissionDenied`` (code ``outside_township``) if it asked for another.
- ``check_township(user, row_township_id, what)``: a row a user is about to read or act on;
  one outside a township account's township is refused with the same code.

``sql_clause(user, column)`` is ``narrow`` for a hand-written WHERE clause. Later services
(public reports' moderation, warnings) confine township staff with these same three.
"""

from __future__ import annotations

from typing import Any

from accounts.auth import SignedIn
from accounts.permissions import TOWNSHIP
from core.errors import PermissionDenied
from core.vocab import CITY_ROLES
from db.scope import ALL, Scope


def confined_to(user: SignedIn | None) -> int | None:
    """The township a user is confined to; None for the county roles (and nobody signed in,
    whom ``permissions.require`` refuses anyway). A township account without a township
    (the database's CHECK forbids one; a hand-made ``SignedIn`` could) is refused rather
    than let through to the county."""
    if user is None:
        return None
    if user.role == TOWNSHIP and user.township_id is None:
        raise PermissionDenied(
            f"township account {user.username!r} names no township", code="no_township_linked"
        )
    return user.township_id


def outside_township(
    user: SignedIn | None, what: str, township_id: int | None = None
) -> PermissionDenied:
    """The refusal of a row outside the user's township (code ``outside_township``), for a
    service that decides by a rule of its own (a patrol is a township's by its deputy or
    its visits, ``tracks.records.patrol_in_township``)."""
    whose = f"{user.username!r}'s township {user.township_id}" if user else "the township"
    return PermissionDenied(
        f"{what} (township {township_id}) lies outside {whose}",
        code="outside_township",
        what=what,
    )


def narrow(user: SignedIn | None, chosen: int | None = None, what: str = "township") -> int | None:
    """The township a query must run for: ``chosen`` for a county role; the user's own for a
    township account (another one chosen → PermissionDenied ``outside_township``)."""
    own = confined_to(user)
    if own is None:
        return chosen
    if chosen is not None and chosen != own:
        raise outside_township(user, what, chosen)
    return own


def check_township(user: SignedIn | None, row_township_id: int | None, what: str) -> None:
    """Refuse a row outside a township account's township (a row with no township — a
    ticket outside every township — is the county's, not theirs)."""
    own = confined_to(user)
    if own is not None and row_township_id != own:
        raise outside_township(user, what, row_township_id)


def sql_clause(
    user: SignedIn | None, column: str, chosen: int | None = None
) -> tuple[str, dict[str, Any]]:
    """``narrow`` as a WHERE fragment over ``column`` (a trusted column name, never input) and
    its parameter: ("TRUE", {}) when the county is in view."""
    township_id = narrow(user, chosen)
    if township_id is None:
        return "TRUE", {}
    return f"{column} = :scope_township_id", {"scope_township_id": township_id}


def county_scope(user: SignedIn | None, chosen: int | None = None) -> Scope:
    """The county scope (``db.scope``) a user's work runs in: a county's account, its own
    county (another one chosen → PermissionDenied ``outside_county``); a city account, the
    county it chose or the whole city (``ALL``). Nobody signed in: the city's open pages."""
    if user is None:
        return ALL
    if user.role in CITY_ROLES:
        return chosen if chosen is not None else ALL
    if user.county_id is None:
        # Cannot come from the database (a CHECK ties county roles to a county); a hand-made
        # account gets the empty scope: nothing, or the one county of a one-county database.
        return None
    if chosen is not None and chosen != user.county_id:
        raise PermissionDenied(
            f"county {chosen} lies outside {user.username!r}'s county {user.county_id}",
            code="outside_county",
        )
    return user.county_id


__all__ = [
    "check_township",
    "confined_to",
    "county_scope",
    "narrow",
    "outside_township",
    "sql_clause",
]
