"""A site's deputy from a day on (一塘一场一代表): the handover closes the current assignment the
day before and opens the new one, nothing rewritten, so the site's history of deputies — and
with it whose duty each past window was — stays as it was.

One function for the command line (``shuijian assignment set``, as the shell's operator) and
the administration page (``manage_assignments``), audited. The refusals, each with a code:
no such site or deputy; a deputy whose account is locked; the site's deputy on that day
already; a first day not after the current assignment's first day (its period would be
empty or rewritten) or before the end of the last, closed one.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.admin import find_deputy
from accounts.audit import Actor, authorize, record
from core import clock
from core.errors import ShuijianError
from db.models import Assignment, Deputy, Site, User
from db.query import query_frame


class AssignmentRefused(ShuijianError):
    """The assignment was not changed."""


def find_site(session: Session, code: str) -> Site:
    key = (code or "").strip()
    site = session.scalar(select(Site).where(func.upper(Site.code) == key.upper()).limit(1))
    if site is None:
        raise AssignmentRefused(f"no site {code!r}", code="no_such_site", site=key)
    return site


def assign_deputy(
    session: Session, actor: Actor, site_code: str, deputy_code: str, valid_from: date
) -> Assignment:
    """Make ``deputy_code`` the deputy of ``site_code`` from ``valid_from`` on; the current
    deputy's assignment ends that day (its ``valid_to``, exclusive)."""
    authorize(actor, "manage_assignments")
    site = find_site(session, site_code)
    try:
        deputy = find_deputy(session, deputy_code)
    except ShuijianError:
        raise AssignmentRefused(
            f"no deputy with code {deputy_code!r}", code="no_such_deputy", deputy=deputy_code
        ) from None
    locked = session.scalar(
        select(User.username).where(User.deputy_id == deputy.id, User.is_active.is_(False))
    )
    if locked is not None:
        raise AssignmentRefused(
            f"deputy {deputy.code}'s account {locked!r} is locked",
            code="deputy_inactive",
            deputy=deputy.code,
        )
    last = session.scalar(
        select(Assignment)
        .where(Assignment.site_id == site.id)
        .order_by(Assignment.valid_from.desc())
        .limit(1)
        .with_for_update()
    )
    previous = None
    if last is not None:
        previous = session.scalar(select(Deputy.code).where(Deputy.id == last.deputy_id))
        current = last.valid_to is None or last.valid_to > valid_from
        if current and last.deputy_id == deputy.id:
            raise AssignmentRefused(
                f"{deputy.code} is the deputy of {site.code} already",
                code="assignment_unchanged",
                site=site.code,
                deputy=deputy.code,
            )
        if valid_from <= last.valid_from:
            raise AssignmentRefused(
                f"{site.code}: a new deputy from {valid_from} is not after the current "
                f"assignment's first day ({last.valid_from})",
                code="assignment_too_early",
                site=site.code,
                valid_from=valid_from,
                last=last.valid_from,
            )
        if last.valid_to is not None and last.valid_to > valid_from:
            raise AssignmentRefused(
                f"{site.code}: the last assignment runs to {last.valid_to}",
                code="assignment_overlaps",
                site=site.code,
                valid_from=valid_from,
                last=last.valid_to,
            )
        if last.valid_to is None:
            last.valid_to = valid_from  # the handover: the old period ends the day before
    made = Assignment(deputy_id=deputy.id, site_id=site.id, valid_from=valid_from)
    session.add(made)
    session.flush()
    record(
        session,
        actor,
        "assignment_set",
        site.code,
        {"deputy": deputy.code, "valid_from": valid_from.isoformat(), "previous": previous},
    )
    return made


def site_history(session: Session, site_code: str) -> pd.DataFrame:
    """Every deputy the site has had, newest first: valid_from, valid_to (exclusive; empty
    while current), deputy (code), name."""
    site = find_site(session, site_code)
    return query_frame(
        session,
        "SELECT a.valid_from, a.valid_to, d.code AS deputy, d.name FROM assignment a "
        "JOIN deputy d ON d.id = a.deputy_id WHERE a.site_id = :site "
        "ORDER BY a.valid_from DESC",
        {"site": site.id},
    )


def sites_with_deputies(session: Session) -> pd.DataFrame:
    """Every site with its deputy today, if any: code, name, deputy (code), deputy_name,
    since (the assignment's first day)."""
    return query_frame(
        session,
        "SELECT s.code, s.name, d.code AS deputy, d.name AS deputy_name, a.valid_from AS since "
        "FROM site s LEFT JOIN assignment a ON a.site_id = s.id AND a.valid_from <= :today "
        "AND (a.valid_to IS NULL OR a.valid_to > :today) "
        "LEFT JOIN deputy d ON d.id = a.deputy_id ORDER BY s.code",
        {"today": clock.today()},
    )


def deputies(session: Session) -> pd.DataFrame:
    """Every deputy: code, name, locked (their account is locked)."""
    return query_frame(
        session,
        "SELECT d.code, d.name, COALESCE(bool_or(NOT u.is_active), false) AS locked "
        "FROM deputy d LEFT JOIN app_user u ON u.deputy_id = d.id "
        "GROUP BY d.id ORDER BY d.code",
    )


__all__ = [
    "AssignmentRefused",
    "assign_deputy",
    "deputies",
    "find_site",
    "site_history",
    "sites_with_deputies",
]
