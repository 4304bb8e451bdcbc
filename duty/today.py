"""Each site's state today: one code per site, for the leader's glance and the coverage page's
"as of today" view.

The month view of the coverage page answers "were this month's windows met so far?"; early in
a month it says 99 % while the due list counts dozens of sites overdue. This module answers
"where do we stand today?" from the due list's rows (`duty.due.due_list`: a caller holding
one, as the glance, passes it in), so the overdue count here is the due list's, and from
whether anyone ever patrolled a site. Without a due list the lean form computes the same rows
(the tests and the benchmark check it, dtypes included) without the due list's names and sort:
the last 31 days' counted visits as one range, an index probe for each current assignment with
none in it (`duty.coverage.duty_before_sql`), "ever patrolled" probed only for the sites no
visit showed: at province scale the due list's 51,000 probes and string sort cost more than
the answer.

Each site gets the first code that holds (``TODAY_STATUSES`` in that order):

- ``unassigned``: no deputy holds it today, so it has no deadline (a dead corner's cause);
- ``overdue`` / ``due_soon``: the due list's status (deadline passed / within
  ``due_soon_days``);
- ``never``: nobody has ever made a verified visit to it (any deputy, any time up to today)
  and it is not yet due — a new site or a new assignment still in its first window;
- ``done``: the visit its current window asks for is made by its deputy (class 1: in this
  旬, class 3: this month, class 2: within the last 14 days);
- ``pending``: its window is open, the visit not yet made, the deadline not yet near.

For `duty.coverage.cell_coverage` the frame carries ``on_time`` (held and not overdue) and
``missed`` (1 when overdue): as of today a dead corner is a small cell holding a site overdue
now or without a deputy (DESIGN.md), and the cells above it.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from core import settings
from db.query import query_arrays, without_jit
from duty.coverage import (
    _id_array,
    _split_period_visits,
    duty_before_sql,
    duty_visits_query,
    latest_day,
    nullable_ids,
)
from duty.due import county_filter, local_day_sql, local_midnight_sql
from duty.windows import CLASS2_MAX_GAP_DAYS, as_days, site_status_frame, window_of

TODAY_STATUSES: tuple[str, ...] = ("overdue", "due_soon", "never", "pending", "done", "unassigned")
"""A site's state today, most urgent first (labels in the catalogue, ``today_status.<code>``)."""

TODAY_COLUMNS: tuple[str, ...] = (
    "site_id",
    "grid_cell_id",
    "township_id",
    "site_class",
    "assigned",
    "deputy_id",
    "deputy_name",
    "last_visit",
    "deadline",
    "status",
    "days_left",
    "ever_patrolled",
    "today",
    "on_time",
    "missed",
)

# Every site in scope, bigints only for ``query_arrays`` (a missing cell or township as -1).
_ALL_SITES_SQL = """
SELECT s.id::bigint, COALESCE(s.grid_cell_id, -1)::bigint, COALESCE(s.township_id, -1)::bigint,
       s.site_class::bigint
FROM site s WHERE {where}
"""
_ALL_SITES_COLUMNS = ("site_id", "grid_cell_id", "township_id", "site_class")


# The lean form (no due list given): the same rows without the due list's names and sort.
RECENT_DAYS = 31
"""The recent visits read as one range: most sites' last visit is among them (a class 3 site
is visited about monthly); the rest are looked up one index probe each, as the month status
looks up its last visit before the period (`duty.coverage.duty_before_sql`)."""

# Every site in scope with its current assignment, if any (one a site a day: the exclusion
# constraint ``assignment_one_deputy_per_day``), bigints only for ``query_arrays``: a missing
# cell, township or assignment as -1, days since 1970-01-01.
_SITES_HELD_SQL = """
SELECT s.id::bigint, COALESCE(s.grid_cell_id, -1)::bigint, COALESCE(s.township_id, -1)::bigint,
       s.site_class::bigint, COALESCE(a.id, -1)::bigint, COALESCE(a.deputy_id, -1)::bigint,
       COALESCE(a.valid_from - DATE '1970-01-01', -1)::bigint
FROM site s
LEFT JOIN assignment a ON a.site_id = s.id AND a.county_id = s.county_id
 AND a.valid_from <= :on AND (a.valid_to IS NULL OR a.valid_to > :on){a_county}
WHERE {where}
"""
_SITES_HELD_COLUMNS = (
    "site_id",
    "grid_cell_id",
    "township_id",
    "site_class",
    "duty_id",
    "deputy_id",
    "tracking_start",
)

# The sites in :unknown that some counted visit reached by :on (one index probe each).
_EVER_SQL = """
SELECT n.id::bigint
FROM unnest(CAST(CAST(:unknown AS text) AS bigint[])) AS n(id)
CROSS JOIN LATERAL (
    SELECT 1 FROM counted_visit c
    WHERE c.site_id = n.id AND {visit_day} <= :on
      AND c.arrived < {on_bound} + interval '2 days'{visit_county}
    LIMIT 1
) e
"""

# Deputies by id: their names, shown beside the site.
# As two arrays in one row: psycopg reads a text[] in C, where 28,000 rows of a frame cost
# pandas' inference per column.
_DEPUTY_NAMES_SQL = """
SELECT array_agg(d.id), array_agg(d.name)
FROM deputy d WHERE d.id IN (
    SELECT a.deputy_id FROM assignment a JOIN site s ON s.id = a.site_id
    WHERE a.valid_from <= :on AND (a.valid_to IS NULL OR a.valid_to > :on) AND {where}
){county}
"""


def _lean_today(session: Session, on: date, township_id: int | None) -> pd.DataFrame:
    """``site_today_status`` without a due list: the current duties' last visits from the
    recent range and probes (no names, no sort over strings), names for the sites' deputies
    only. Equal to the form over `duty.due.due_list` (the tests and the benchmark check)."""
    where, params = "TRUE", {"on": on}
    if township_id is not None:
        where, params["township_id"] = "s.township_id = :township_id", township_id
    a_county, _ = county_filter("a")
    site_county, _ = county_filter("s")
    recent = on - timedelta(days=RECENT_DAYS)
    any_deputy = settings.text("duty_visits") == "any"
    with without_jit(session):
        rows = query_arrays(
            session,
            _SITES_HELD_SQL.format(where=where + site_county, a_county=a_county),
            params,
            _SITES_HELD_COLUMNS,
        )
        by_site = np.argsort(rows["site_id"], kind="stable")
        site_rows = {name: values[by_site] for name, values in rows.items()}
        held = site_rows["duty_id"] >= 0
        current = {name: site_rows[name][held] for name in ("duty_id", "site_id", "deputy_id")}
        duties = pd.DataFrame(
            {
                **current,
                "site_class": site_rows["site_class"][held],
                "tracking_start": site_rows["tracking_start"][held].astype("M8[D]"),
                "tracking_end": np.full(int(held.sum()), np.datetime64("NaT", "D")),
            }
        )
        sql, visit_params = duty_visits_query(recent, on, on, township_id)
        visits = query_arrays(session, sql, visit_params, ("site_id", "deputy_id", "day"))
        own, _ = _split_period_visits(duties, visits, any_deputy)
        n = len(duties)
        duty_ids = current["duty_id"]
        last = latest_day(
            pd.Index(duty_ids).get_indexer(own["duty_id"].to_numpy()),
            own["visit_date"].to_numpy(),
            n,
            np.datetime64(on, "D"),
        )
        # Only a duty begun before the recent range and with no visit in it can have one.
        begun = site_rows["tracking_start"][held].astype("M8[D]")
        need = duty_ids[np.isnat(last) & (begun < np.datetime64(recent, "D"))]
        if len(need):
            before = query_arrays(
                session,
                duty_before_sql(any_deputy),
                visit_params | {"period_start": recent, "need": _id_array(need)},
                ("duty_id", "day"),
            )
            slot = pd.Index(duty_ids).get_indexer(before["duty_id"])
            last[slot] = before["day"].astype("M8[D]")
        site_ids = site_rows["site_id"]
        seen = np.isin(site_ids, visits["site_id"]) | np.isin(
            site_ids, current["site_id"][~np.isnat(last)]
        )
        ever = _ever_patrolled(session, on, site_ids, seen)
        deputy_county, _ = county_filter("d")
        named_ids, named = session.execute(
            text(
                _DEPUTY_NAMES_SQL.format(where=where + site_county + a_county, county=deputy_county)
            ),
            params,
        ).one()
    names = pd.Series(named or [], index=pd.Index(named_ids or [], dtype=np.int64), dtype=object)
    return today_status_frame(_site_frame(site_rows, ever), _held(duties, last, names, on), on)


def _ever_patrolled(
    session: Session, on: date, site_ids: np.ndarray, seen: np.ndarray
) -> np.ndarray:
    """Whether a counted visit reached each site by ``on``: the ``seen`` ones are known to
    (a visit of theirs was read); the others are probed, one index lookup each."""
    unknown = site_ids[~seen]
    if not len(unknown):
        return seen
    ever_sql = _EVER_SQL.format(
        on_bound=local_midnight_sql(":on"),
        visit_day=local_day_sql("c.arrived"),
        visit_county=county_filter("c")[0],
    )
    reached = query_arrays(
        session, ever_sql, {"on": on, "unknown": _id_array(unknown)}, ("site_id",)
    )["site_id"]
    return seen | np.isin(site_ids, reached)


def _site_frame(rows: dict[str, np.ndarray], ever: np.ndarray) -> pd.DataFrame:
    """The sites ``today_status_frame`` takes, from their arrays (sorted by id)."""
    return pd.DataFrame(
        {
            "site_id": rows["site_id"],
            "grid_cell_id": nullable_ids(rows["grid_cell_id"]),
            "township_id": nullable_ids(rows["township_id"]),
            "site_class": rows["site_class"],
            "ever_patrolled": ever,
        }
    )


def _held(duties: pd.DataFrame, last: np.ndarray, names: pd.Series, on: date) -> pd.DataFrame:
    """The due list's columns that ``today_status_frame`` reads, one row per current duty
    (one a site: the exclusion constraint ``assignment_one_deputy_per_day`` holds one deputy
    a site a day, so the due list's order has no tie to break)."""
    status = site_status_frame(
        duties["site_class"].to_numpy(), last, duties["tracking_start"].to_numpy(), on
    )
    deputy_ids = duties["deputy_id"].to_numpy()
    return pd.DataFrame(
        {
            "site_id": duties["site_id"].to_numpy(),
            "deputy_id": deputy_ids,
            "deputy_name": names.reindex(deputy_ids).to_numpy(),
            "last_visit": last.astype("M8[s]"),
            "deadline": status["deadline"].to_numpy(),
            "status": status["status"].to_numpy(),
            "days_left": status["days_left"].to_numpy(),
        }
    )


def window_starts(on: date) -> dict[int, date]:
    """First day of the window holding ``on`` per class; class 2 (a gap rule, no calendar
    window): the earliest visit that still keeps it within 14 days."""
    return {
        1: window_of(1, on)[0],
        2: on - timedelta(days=CLASS2_MAX_GAP_DAYS),
        3: window_of(3, on)[0],
    }


def site_today_status(
    session: Session, on: date, township_id: int | None = None, due: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per site (of one township, or all) with its state on ``on`` (TODAY_COLUMNS).
    ``due``: the due list of the same day and scope, when the caller has it already (over
    ``verified_visit``: a row's last_visit is taken as proof the site was ever patrolled);
    without it the lean form reads the same rows without the due list's names and sort."""
    if due is None:
        return _lean_today(session, on, township_id)
    where, params = "TRUE", {"on": on}
    if township_id is not None:
        where, params["township_id"] = "s.township_id = :township_id", township_id
    site_county, _ = county_filter("s")
    with without_jit(session):
        rows = query_arrays(
            session, _ALL_SITES_SQL.format(where=where + site_county), params, _ALL_SITES_COLUMNS
        )
        by_site = np.argsort(rows["site_id"], kind="stable")
        rows = {name: values[by_site] for name, values in rows.items()}
        # a due-list row showing a visit (its deputy's, on or before ``on``) proves one
        known = due.loc[due["last_visit"].notna(), "site_id"].to_numpy()
        ever = _ever_patrolled(session, on, rows["site_id"], np.isin(rows["site_id"], known))
    return today_status_frame(_site_frame(rows, ever), due, on)


def today_status_frame(sites: pd.DataFrame, due: pd.DataFrame, on: date) -> pd.DataFrame:
    """The computing half of ``site_today_status``, on frames (no database): ``sites`` has
    site_id, grid_cell_id, township_id, site_class, ever_patrolled; ``due`` is
    `duty.due.due_list`'s frame for the same day and scope."""
    held = due.drop_duplicates("site_id").set_index("site_id")
    frame = sites.reset_index(drop=True).copy()
    ids = frame["site_id"].to_numpy()
    frame["site_class"] = frame["site_class"].astype("int64")
    frame["ever_patrolled"] = frame["ever_patrolled"].astype(bool)
    frame["assigned"] = pd.Index(held.index).get_indexer(ids) >= 0
    # one reindex for every column (each one's own costs as much as all of them)
    shown = held[["deputy_id", "deputy_name", "status", "days_left", "last_visit", "deadline"]]
    shown = shown.reindex(ids)
    for column in ("deputy_id", "deputy_name", "status", "days_left"):
        frame[column] = shown[column].to_numpy()
    for column in ("last_visit", "deadline"):
        frame[column] = as_days(shown[column]).astype("M8[s]")

    starts = window_starts(on)
    cls = frame["site_class"].to_numpy(dtype=np.int64)
    start = np.select(
        [cls == 1, cls == 2, cls == 3],
        [np.datetime64(starts[c], "D") for c in (1, 2, 3)],
        default=np.datetime64("NaT", "D"),
    ).astype("M8[D]")
    last = as_days(frame["last_visit"])
    done = ~np.isnat(last) & (last >= start)
    status = frame["status"].to_numpy(dtype=object)
    assigned = frame["assigned"].to_numpy(dtype=bool)
    never = ~frame["ever_patrolled"].to_numpy(dtype=bool)
    frame["today"] = np.select(
        [~assigned, status == "overdue", status == "due_soon", never, done],
        ["unassigned", "overdue", "due_soon", "never", "done"],
        default="pending",
    ).astype(object)
    overdue = status == "overdue"
    frame["on_time"] = assigned & ~overdue
    frame["missed"] = overdue.astype(np.int64)
    return frame[list(TODAY_COLUMNS)]


__all__ = [
    "TODAY_COLUMNS",
    "TODAY_STATUSES",
    "site_today_status",
    "today_status_frame",
    "window_starts",
]
