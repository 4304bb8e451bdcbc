"""挂号销号, the problem register: a site with a confirmed problem is registered until K
consecutive clean patrols or re-inspections cancel it.

The rule (the README's seed-rules table says the same):
- *Confirmed* is the platform's acceptance of a ticket at the site (its first ``accept``
  event, 承办): a report may still be rejected or withdrawn before that, so a report alone
  registers nothing. The registration opens at that moment.
- A *clean observation* is a verified visit to the site (a counted patrol, any deputy; one per
  patrol however often the track passes) whose checklist for the site answers no item "yes",
  or a passed re-inspection (``reinspect``) of a ticket at the site. A visit whose checklist
  has a "yes" or a failed re-inspection (``reinspect_fail``) is *dirty* and restarts the
  count, and so does another problem confirmed while the site is registered (its ticket joins
  the registration).
- K (``SHUIJIAN_REGISTER_CLEAN_STREAK``) consecutive clean observations after the latest
  confirmation cancel the registration (销号) at the K-th one. A later confirmation opens a
  new period: the register keeps every period.

``periods`` is the rule as a plain function over an event table; ``sync_register`` writes its
result to ``site_registration`` (new periods appended, open ones closed or their count
updated; a cancelled period is never reopened, even when K is later raised).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from accounts.auth import SignedIn
from accounts.permissions import require
from accounts.scope import narrow
from core import clock, settings
from core.errors import ConfigurationError
from db.models import SiteRegistration
from db.query import county_clause, query_frame

STATES: tuple[str, ...] = ("open", "cancelled")
"""A registration's state; labelled ``register_state.<code>`` in the catalogue."""

# One row per event at a site, in time order: confirmations (the first acceptance of a ticket
# at the site), verified visits (one per patrol and site, dirty when a checklist item is
# "yes"), and re-inspections (passed or failed).
EVENTS_SQL = """
SELECT t.site_id, min(e.at) AS at, 'confirm' AS kind, t.id AS ticket_id
FROM ticket t JOIN ticket_event e ON e.ticket_id = t.id
WHERE t.site_id IS NOT NULL AND e.action = 'accept'
GROUP BY t.site_id, t.id
UNION ALL
SELECT v.site_id, min(v.arrived) AS at,
       CASE WHEN bool_or(EXISTS (
           SELECT 1 FROM checklist_answer c
           WHERE c.patrol_id = v.patrol_id AND c.site_id = v.site_id AND c.answer))
       THEN 'dirty' ELSE 'clean' END AS kind,
       NULL::int AS ticket_id
FROM verified_visit v
GROUP BY v.site_id, v.patrol_id
UNION ALL
SELECT t.site_id, e.at, CASE e.action WHEN 'reinspect' THEN 'clean' ELSE 'dirty' END,
       NULL::int
FROM ticket t JOIN ticket_event e ON e.ticket_id = t.id
WHERE t.site_id IS NOT NULL AND e.action IN ('reinspect', 'reinspect_fail')
"""
# Confirmations sort before observations at the same instant, and only observations strictly
# after the latest confirmation count: a visit cannot clear a problem it is simultaneous with.
_KIND_ORDER = {"confirm": 0, "dirty": 1, "clean": 2}


@dataclass
class Period:
    """One registration as the rule computes it."""

    site_id: int
    opened_at: datetime
    ticket_id: int
    closed_at: datetime | None = None
    clean_streak: int = 0
    tickets: list[int] = field(default_factory=list)


def clean_needed(value: int | None = None) -> int:
    """K, the clean observations that cancel a registration (the setting when None)."""
    k = settings.integer("register_clean_streak") if value is None else value
    if k < 1:
        raise ConfigurationError(
            f"SHUIJIAN_REGISTER_CLEAN_STREAK must be at least 1, not {k}",
            code="register_streak_invalid",
            value=k,
        )
    return k


def periods(events: pd.DataFrame, k: int, until: datetime | None = None) -> list[Period]:
    """The registrations the events imply: ``events`` has site_id, at, kind ('confirm',
    'clean', 'dirty') and ticket_id (for confirmations); events after ``until`` are ignored."""
    if events.empty:
        return []
    frame = events.assign(order=events["kind"].map(_KIND_ORDER))
    if until is not None:
        frame = frame[pd.to_datetime(frame["at"], utc=True) <= pd.Timestamp(until)]
    frame = frame.sort_values(["site_id", "at", "order"], kind="stable")
    found: list[Period] = []
    current: dict[int, Period] = {}
    confirmed: dict[int, datetime] = {}  # each open period's latest confirmation
    for site_id, at, kind, ticket_id in frame[["site_id", "at", "kind", "ticket_id"]].itertuples(
        index=False
    ):
        site = int(site_id)
        period = current.get(site)
        when = pd.Timestamp(at).to_pydatetime()
        if kind == "confirm":
            if period is None:
                period = Period(site, when, int(ticket_id))
                current[site] = period
                found.append(period)
            period.tickets.append(int(ticket_id))
            period.clean_streak = 0
            confirmed[site] = when
        elif period is not None and when > confirmed[site]:
            period.clean_streak = period.clean_streak + 1 if kind == "clean" else 0
            if period.clean_streak >= k:
                period.closed_at = when
                del current[site]
    return found


@dataclass(frozen=True)
class SyncReport:
    opened: int
    cancelled: int
    open_now: int


def sync_register(session: Session, k: int | None = None) -> SyncReport:
    """Bring ``site_registration`` up to date with the events up to now (the one clock):
    append new periods, close the open ones whose K clean observations came, refresh the
    counts of the others. Idempotent; the caller commits."""
    k = clean_needed(k)
    now = clock.now()
    computed = periods(query_frame(session, EVENTS_SQL), k, until=now)
    stored = {(r.site_id, r.opened_at): r for r in session.scalars(select(SiteRegistration)).all()}
    opened = cancelled = 0
    for period in computed:
        row = stored.get((period.site_id, period.opened_at))
        if row is None:
            row = SiteRegistration(
                site_id=period.site_id,
                opened_ticket_id=period.ticket_id,
                opened_at=period.opened_at,
                opened_on=clock.local_date(period.opened_at),
                clean_needed=k,
                updated_at=now,
            )
            session.add(row)
            opened += 1
        elif row.closed_at is not None:
            continue  # a cancellation stands
        row.clean_streak = period.clean_streak
        if period.closed_at is not None:
            row.closed_at = period.closed_at
            row.closed_on = clock.local_date(period.closed_at)
            cancelled += 1
        row.updated_at = now
    session.flush()
    still_open = session.scalar(
        text("SELECT count(*) FROM site_registration WHERE closed_at IS NULL")
    )
    return SyncReport(opened, cancelled, int(still_open or 0))


_REGISTER_SQL = """
SELECT r.id, r.site_id, s.code AS site_code, s.name AS site_name, s.kind,
       s.township_id, tw.name AS township, r.opened_on, r.closed_on,
       CASE WHEN r.closed_at IS NULL THEN 'open' ELSE 'cancelled' END AS state,
       r.clean_streak, r.clean_needed,
       (SELECT string_agg(t.number, ', ' ORDER BY t.number)
          FROM ticket t
         WHERE t.site_id = r.site_id AND t.county_id = r.county_id
           AND EXISTS (SELECT 1 FROM ticket_event e
                        WHERE e.ticket_id = t.id AND e.county_id = t.county_id
                        AND e.action = 'accept' AND e.at >= r.opened_at
                        AND (r.closed_at IS NULL OR e.at <= r.closed_at))) AS tickets
FROM site_registration r
JOIN site s ON s.id = r.site_id AND s.county_id = r.county_id
LEFT JOIN township tw ON tw.id = s.township_id AND tw.county_id = s.county_id
WHERE {county} AND {where}
ORDER BY r.closed_at IS NOT NULL, r.opened_at DESC, s.code
"""

REGISTER_COLUMNS: tuple[str, ...] = (
    "id",
    "site_id",
    "site_code",
    "site_name",
    "kind",
    "township_id",
    "township",
    "opened_on",
    "closed_on",
    "state",
    "clean_streak",
    "clean_needed",
    "tickets",
)


def register_frame(
    session: Session,
    township_id: int | None = None,
    state: str | None = None,
    opened_by: date | None = None,
) -> pd.DataFrame:
    """The register: one row per period (open first, newest first), with its tickets (those
    confirmed inside the period). Filters: a township, a state, periods opened by a day."""
    where, params = ["TRUE"], {}
    if township_id is not None:
        where.append("s.township_id = :township_id")
        params["township_id"] = township_id
    if state is not None:
        if state not in STATES:
            raise ValueError(f"unknown register state {state!r}")
        where.append("r.closed_at IS NULL" if state == "open" else "r.closed_at IS NOT NULL")
    if opened_by is not None:
        where.append("r.opened_on <= :opened_by")
        params["opened_by"] = opened_by
    frame = query_frame(
        session, _REGISTER_SQL.format(county=county_clause("r"), where=" AND ".join(where)), params
    )
    return frame[list(REGISTER_COLUMNS)]


def register_for(
    session: Session,
    user: SignedIn,
    township_id: int | None = None,
    state: str | None = None,
) -> pd.DataFrame:
    """The register as a signed-in user may read it (``read_register``)."""
    require(user, "read_register")
    return register_frame(session, narrow(user, township_id, "register"), state)


def registered_site_ids(session: Session) -> set[int]:
    """The sites registered now (an open period): the maps draw them apart."""
    rows = session.scalars(
        select(SiteRegistration.site_id).where(SiteRegistration.closed_at.is_(None))
    )
    return {int(i) for i in rows}


def registered_site_codes(session: Session) -> set[str]:
    """The codes of the sites registered now, for the maps (their frames are keyed by code)."""
    rows = session.execute(
        text(
            "SELECT s.code FROM site_registration r "
            "JOIN site s ON s.id = r.site_id AND s.county_id = r.county_id "
            f"WHERE r.closed_at IS NULL AND {county_clause('r')}"
        )
    )
    return {str(c) for (c,) in rows}
