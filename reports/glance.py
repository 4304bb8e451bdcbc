"""A leader's today: the figures of the landing page, each computed by the function that
defines it elsewhere, so every figure here equals the page it links to.

- Overdue sites now, never patrolled, unassigned, each site's state today: `duty.today` (the
  due list's rules and count — one row per assigned site, one deputy a site a day), with the
  oldest deadline missed and every overdue site's deadline and days overdue; the names shown
  are read for the overdue sites only (at a province's scale the due list's names and sort for
  every site cost more than the status itself).
- This month's on-time share so far beside last month's: `duty.coverage.site_period_status`,
  as the coverage page's month view counts it (as of today).
- Open and overdue tickets, 处置率 and satisfaction: `tickets.figures` over the tickets of the
  last 365 days (the issues map's default range, so its headline shows the same rate).
- The township ranking: `reports.evaluation.township_ranking` of the last closed month (the
  evaluation page's opening month). That is what the monthly bulletin (通报, section 二)
  ranks — townships by their deputies' mean score, the on-time share recomputed from site
  counts — and what leaders have been shown; the current month is a few days old and would
  reorder daily. Coverage per township alone would rank on one component of the score and
  disagree with the bulletin.
- The 12-month trend: per month the on-time share (as above) and the 处置率 of the tickets
  created in the month counted from the events by the month's end — the figure that month's
  bulletin states — the current month so far.

Services return numbers, dates and codes; the page words them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from accounts.auth import SignedIn
from accounts.scope import confined_to, narrow
from core import clock
from db.query import county_clause, query_frame, read_geoframe, township_label, where_equal
from duty.coverage import month_bounds, site_period_status
from duty.today import site_today_status
from reports.evaluation import evaluate_month, opening_month, previous_months, township_ranking
from tickets.figures import county_rates, overdue_tickets
from tickets.lifecycle import OPEN_STATUSES
from tickets.public_reports import public_report_counts

TICKET_DAYS = 365
"""Tickets of this many days back count in the headline rates (the issues map's default)."""
TREND_MONTHS = 12
OVERDUE_COLUMNS: tuple[str, ...] = (
    "site_id",
    "site_code",
    "site_name",
    "township",
    "deputy_name",
    "site_class",
    "last_visit",
    "deadline",
    "days_overdue",
)
TREND_COLUMNS: tuple[str, ...] = (
    "month",
    "sites",
    "sites_on_time",
    "on_time_share",
    "dispatched",
    "handled",
    "handling_rate",
)


@dataclass(frozen=True)
class MonthShare:
    """A month's sites and those patrolled within their windows, as known on ``as_of``."""

    year: int
    month: int
    sites: int
    sites_on_time: int

    @property
    def share(self) -> float:
        return self.sites_on_time / self.sites if self.sites else math.nan


@dataclass(frozen=True)
class TicketFigures:
    """Tickets now (open, overdue) and the rates of those created in [start, end)."""

    open: int
    overdue: int
    start: date
    end: date
    dispatched: int
    handled: int
    rated: int
    satisfied: int
    handling_rate: float
    satisfaction: float
    # 有奖举报 received in [start, end) by status and in all: the public's reports, counted
    # apart from the deputies' (their tickets have no reporting deputy).
    public_reports: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Glance:
    """The landing page's figures for the county or one township, on one day."""

    on: date
    township_id: int | None
    sites: int
    overdue: int
    due_soon: int
    never_patrolled: int
    unassigned: int
    overdue_sites: pd.DataFrame  # OVERDUE_COLUMNS, longest overdue first
    sites_today: pd.DataFrame  # duty.today's TODAY_COLUMNS, one row per site
    this_month: MonthShare
    last_month: MonthShare
    tickets: TicketFigures

    @property
    def oldest_deadline(self) -> date | None:
        """The oldest deadline missed by a site still overdue (None: nothing overdue)."""
        if self.overdue_sites.empty:
            return None
        return pd.Timestamp(self.overdue_sites["deadline"].min()).date()

    @property
    def longest_overdue_days(self) -> int:
        return int(self.overdue_sites["days_overdue"].max()) if len(self.overdue_sites) else 0


@dataclass(frozen=True)
class Ranking:
    """The bulletin's township ranking of one month (``township_ranking``'s columns)."""

    year: int
    month: int
    as_of: date
    townships: pd.DataFrame


def township_name(session: Session, township_id: int | None) -> str | None:
    if township_id is None:
        return None
    return session.scalar(
        text(f"SELECT name FROM township WHERE id = :id AND {county_clause()}"), {"id": township_id}
    )


def month_share(
    session: Session, year: int, month: int, on: date, township_id: int | None = None
) -> MonthShare:
    """On-time share of a month as the coverage page counts it (as known on ``on``)."""
    status = site_period_status(session, *month_bounds(year, month), on, township_id)
    return MonthShare(year, month, len(status), int(status["on_time"].sum()))


def overdue_frame(session: Session, today: pd.DataFrame) -> pd.DataFrame:
    """The overdue sites of ``today`` (`duty.today`'s frame), longest overdue first, with
    their days overdue and the code, name and township shown, read for these sites only."""
    rows = today[today["status"] == "overdue"]
    if rows.empty:
        return pd.DataFrame(columns=list(OVERDUE_COLUMNS))
    names = query_frame(
        session,
        f"SELECT s.id AS site_id, s.code AS site_code, s.name AS site_name, "
        f"{township_label('t')} AS township FROM site s "
        "LEFT JOIN township t ON t.id = s.township_id AND t.county_id = s.county_id "
        f"WHERE {county_clause('s')} AND s.id = ANY(:ids)",
        {"ids": [int(i) for i in rows["site_id"]]},
    )
    out = rows.merge(names, on="site_id", how="left", validate="one_to_one")
    out = out.assign(days_overdue=-out["days_left"].astype("int64"))
    out = out.sort_values(["deadline", "site_code"], kind="stable").reset_index(drop=True)
    return out[list(OVERDUE_COLUMNS)]


def ticket_figures(session: Session, on: date, township_id: int | None = None) -> TicketFigures:
    """Open and overdue tickets on ``on``; 处置率 and satisfaction of the tickets created in
    the last TICKET_DAYS days (`tickets.figures` defines each)."""
    start, end = on - timedelta(days=TICKET_DAYS), on + timedelta(days=1)
    name = township_name(session, township_id)
    where, params = where_equal({"t.township_id": township_id})
    open_count = session.scalar(
        text(
            "SELECT count(*) FROM ticket t "
            "JOIN ticket_state s ON s.ticket_id = t.id AND s.county_id = t.county_id "
            f"WHERE {county_clause('t')} AND s.status = ANY(:open) AND {where}"
        ),
        {**params, "open": list(OPEN_STATUSES)},
    )
    overdue = overdue_tickets(session, on)
    if name is not None:
        overdue = overdue[overdue["township"] == name]
    rates = county_rates(session, start, end, township_id=township_id)
    return TicketFigures(
        open=int(open_count or 0),
        overdue=len(overdue),
        start=start,
        end=end,
        dispatched=int(rates["dispatched"]),
        handled=int(rates["handled"]),
        rated=int(rates["rated"]),
        satisfied=int(rates["satisfied"]),
        handling_rate=float(rates["handling_rate"]),
        satisfaction=float(rates["satisfaction"]),
        public_reports=public_report_counts(
            session, clock.local_midnight(start), clock.local_midnight(end), township_id
        ),
    )


def glance(
    session: Session, on: date, township_id: int | None = None, viewer: SignedIn | None = None
) -> Glance:
    """Today's figures for the county (``township_id`` None) or one township; a township
    account (``viewer``) gets its own township's (``accounts.scope.narrow``)."""
    township_id = narrow(viewer, township_id)
    today = site_today_status(session, on, township_id)
    codes = today["today"].value_counts()
    last_year, last_month = previous_months(on.year, on.month, 2)[0]
    return Glance(
        on=on,
        township_id=township_id,
        sites=len(today),
        overdue=int((today["status"] == "overdue").sum()),
        due_soon=int((today["status"] == "due_soon").sum()),
        never_patrolled=int((~today["ever_patrolled"]).sum()),
        unassigned=int(codes.get("unassigned", 0)),
        overdue_sites=overdue_frame(session, today),
        sites_today=today,
        this_month=month_share(session, on.year, on.month, on, township_id),
        last_month=month_share(session, last_year, last_month, on, township_id),
        tickets=ticket_figures(session, on, township_id),
    )


def township_standing(session: Session, on: date) -> Ranking:
    """The bulletin's township ranking of the month the evaluation page opens on — the last
    closed month, the one the latest bulletin is written for (this month only while no
    assignment had begun by the last one's end) — see the module's choice."""
    year, month = opening_month(session, on)
    as_of = min(month_bounds(year, month)[1] + timedelta(days=1), on)
    evaluation = evaluate_month(session, year, month, as_of=as_of)
    return Ranking(year, month, as_of, township_ranking(evaluation))


def standing_for(standing: Ranking, user: SignedIn | None, township: str | None) -> Ranking:
    """The ranking ``user`` may see: the county's for a county role; a township account's own
    row only, with the place it holds among all townships (``accounts.scope``)."""
    if confined_to(user) is None:
        return standing
    rows = standing.townships[standing.townships["township"] == township]
    return replace(standing, townships=rows.reset_index(drop=True))


def monthly_trend(
    session: Session,
    on: date,
    township_id: int | None = None,
    months: int = TREND_MONTHS,
    viewer: SignedIn | None = None,
) -> pd.DataFrame:
    """One row per month of the ``months`` ending with ``on``'s (TREND_COLUMNS; ``month`` is
    its first day): on-time share and 处置率, NaN where a month had no duty or no ticket
    dispatched. Months before the first assignment are left out: nobody owed anything. A
    township account (``viewer``) gets its own township's."""
    township_id = narrow(viewer, township_id)
    first = session.scalar(text(f"SELECT min(valid_from) FROM assignment WHERE {county_clause()}"))
    rows = []
    for year, month in previous_months(on.year, on.month, months):
        start, end = month_bounds(year, month)
        if first is None or end < first:
            continue
        status = site_period_status(session, start, end, on, township_id)
        # The coverage page's share (all sites of the scope); NaN while nobody owed anything.
        owed = bool(status["tracking_start"].notna().any())
        sites, on_time = len(status), int(status["on_time"].sum())
        after = end + timedelta(days=1)
        as_of = min(after, on + timedelta(days=1))
        rates = county_rates(session, start, after, as_of, township_id=township_id)
        rows.append(
            {
                "month": start,
                "sites": sites,
                "sites_on_time": on_time,
                "on_time_share": on_time / sites if owed and sites else math.nan,
                "dispatched": int(rates["dispatched"]),
                "handled": int(rates["handled"]),
                "handling_rate": float(rates["handling_rate"]),
            }
        )
    return pd.DataFrame(rows, columns=list(TREND_COLUMNS))


def site_shapes(
    session: Session, township_id: int | None = None, viewer: SignedIn | None = None
) -> gpd.GeoDataFrame:
    """Every site's code, name, kind, township and a point on it: what the map needs besides
    the state, and changes only when sites do. A point, not the outline: at county zoom a
    0.2 ha pond's polygon is a speck, and the map is about each site's colour. A township
    account (``viewer``) gets its own township's."""
    township_id = narrow(viewer, township_id)
    where, params = where_equal({"s.township_id": township_id})
    return read_geoframe(
        session,
        "SELECT s.id AS site_id, s.code, s.name, s.kind, coalesce(t.name, '') AS township, "
        "ST_PointOnSurface(s.geom) AS geom FROM site s "
        "LEFT JOIN township t ON t.id = s.township_id AND t.county_id = s.county_id "
        f"WHERE {county_clause('s')} AND {where} ORDER BY s.code",
        params,
    )


MAP_COLUMNS: tuple[str, ...] = (
    "site_id",
    "site_class",
    "deputy_name",
    "last_visit",
    "deadline",
    "days_left",
    "ever_patrolled",
    "today",
)


def map_sites(shapes: gpd.GeoDataFrame, today: pd.DataFrame) -> gpd.GeoDataFrame:
    """The sites of ``shapes`` with their state today (``Glance.sites_today``): class,
    deputy, last visit, deadline, days left, ever patrolled and the ``today`` code."""
    merged = shapes.merge(today[list(MAP_COLUMNS)], on="site_id", how="inner")
    merged["deputy_name"] = merged["deputy_name"].fillna("")
    merged["days_left"] = pd.to_numeric(merged["days_left"]).astype("float64")
    merged["ever_patrolled"] = merged["ever_patrolled"].astype(np.bool_)
    return gpd.GeoDataFrame(merged, geometry="geom", crs=shapes.crs)


def today_sites(session: Session, on: date, township_id: int | None = None) -> gpd.GeoDataFrame:
    """Every site with its geometry and state on ``on`` (`duty.today`), for the map."""
    return map_sites(site_shapes(session, township_id), site_today_status(session, on, township_id))


__all__ = [
    "MAP_COLUMNS",
    "OVERDUE_COLUMNS",
    "TICKET_DAYS",
    "TREND_COLUMNS",
    "TREND_MONTHS",
    "Glance",
    "MonthShare",
    "Ranking",
    "TicketFigures",
    "glance",
    "map_sites",
    "month_share",
    "monthly_trend",
    "overdue_frame",
    "site_shapes",
    "ticket_figures",
    "today_sites",
    "township_name",
    "township_standing",
]
