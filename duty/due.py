"""The due list: every current assignment with its site's last visit, deadline and status.

The database gives the rows and each site's last verified visit (one aggregate in SQL); the
rules of `duty.windows` then run vectorised over the whole frame, so a province of 54,000 sites
costs one query and a few array operations.

Visits are read through ``visits_sql``: any SELECT returning ``(site_id, visit_date)`` of
verified visits, where visit_date is the visit's local day (Asia/Shanghai). The default reads
the ``verified_visit`` relation (site_id, deputy_id, visit_date, arrived); callers (and tests,
before that table exists) may pass their own, e.g. over a TEMP TABLE or a VALUES list. A visit
counts for the site whoever made it; the deadline rules treat visits before the assignment
began as in `duty.windows` (they may only extend the first deadline).

With the default relation the last visit is looked up per assignment in ``counted_visit``
(migration 0027: the visits ``verified_visit`` shows, one narrow row each, kept by triggers on
visits, flags and reviews): one index-only probe on (site_id, deputy_id, arrived), backwards
from the day asked about, instead of aggregating every visit ever made or checking each
candidate visit's patrol: the cost follows the number of sites, not the length of the
history. Any other ``visits_sql`` takes the straightforward aggregate
(``REFERENCE_VISITS_SQL`` forces it over ``verified_visit``: the reference the fast path and
the summary are tested against). When the scope is one county (`db.scope`), the
queries name it (``county_id = <id>``, ``county_filter``) on every table they read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from accounts.auth import SignedIn
from accounts.permissions import may
from accounts.scope import narrow
from core import settings
from core.errors import PermissionDenied
from db import scope
from db.query import county_clause, query_frame, without_jit
from duty.windows import site_status_frame

DEFAULT_VISITS_SQL = "SELECT site_id, deputy_id, visit_date FROM verified_visit"
"""Verified visits, one row per visit: (site_id int, deputy_id int, visit_date date)."""

REFERENCE_VISITS_SQL = "SELECT site_id, deputy_id, visit_date FROM verified_visit AS reference"
"""The same visits, read the straightforward way (every visit, then filtered): what the fast
path over ``verified_visit`` must agree with (tests, the coverage benchmark)."""

LOCAL_TZ_SQL = "COALESCE(NULLIF(current_setting('shuijian.timezone', true), ''), 'Asia/Shanghai')"
"""The zone ``verified_visit.visit_date`` is computed in (migration 0002), as SQL."""


def local_midnight_sql(day_sql: str) -> str:
    """SQL for the instant the local day ``day_sql`` (a date expression) begins: the bound on
    ``arrived`` equivalent to ``visit_date >= day`` (in a zone whose midnight is never
    repeated by a DST change; Asia/Shanghai has had no DST since 1991). An index can use it;
    the ``visit_date`` expression (it reads a setting) can have neither index nor statistics."""
    return f"(CAST({day_sql} AS date)::timestamp AT TIME ZONE {LOCAL_TZ_SQL})"


def county_filter(*aliases: str) -> tuple[str, dict[str, Any]]:
    """``AND a.county_id = <id> ...`` for every alias when the scope is one county (each
    ``db.query.county_clause``, the one way a query names its county), empty otherwise. The
    parameters are empty: the county is written inline, as county_clause does."""
    if scope.current_county() is None:
        return "", {}
    return "".join(f" AND {county_clause(a)}" for a in aliases), {}


DUE_COLUMNS: tuple[str, ...] = (
    "deputy_id",
    "deputy_code",
    "deputy_name",
    "township",
    "site_id",
    "site_code",
    "site_name",
    "kind",
    "site_class",
    "last_visit",
    "deadline",
    "status",
    "days_left",
)

# Current assignment on :on (valid_to is exclusive, as everywhere in the project), with the
# last visit that discharges its duty: by the assigned deputy (定人定点; or anyone when the
# setting ``duty_visits`` is "any"), on or after the assignment began. The reference form
# (any ``visits_sql``): one aggregate over every visit up to :on.
_DUE_SQL = """
WITH visits AS ({visits_sql}),
last_visit AS (
    SELECT v.site_id, CASE WHEN :any_deputy THEN NULL ELSE v.deputy_id END AS deputy_id,
           max(v.visit_date) AS last_visit
    FROM visits v
    WHERE v.visit_date <= :on
    GROUP BY 1, 2
)
SELECT a.deputy_id, d.code AS deputy_code, d.name AS deputy_name, t.name AS township,
       s.id AS site_id, s.code AS site_code, s.name AS site_name, s.kind, s.site_class,
       CASE WHEN lv.last_visit >= a.valid_from THEN lv.last_visit END AS last_visit,
       a.valid_from AS tracking_start
FROM assignment a
JOIN deputy d ON d.id = a.deputy_id AND d.county_id = a.county_id
JOIN site s ON s.id = a.site_id AND s.county_id = a.county_id
LEFT JOIN township t ON t.id = s.township_id AND t.county_id = s.county_id
LEFT JOIN last_visit lv ON lv.site_id = s.id
 AND (lv.deputy_id IS NULL OR lv.deputy_id = a.deputy_id)
WHERE a.valid_from <= :on AND (a.valid_to IS NULL OR a.valid_to > :on)
  AND {county} AND {where}
"""

# The fast form over the ``counted_visit`` summary (migration 0027: the visits ``verified_visit``
# shows, kept by triggers): per assignment, the latest counted visit in [valid_from, :on] by its
# deputy, one index-only probe walking (site_id, deputy_id, arrived) backwards. The arrival
# bounds let the index stop; the local-day tests keep the answer exact.
_DUE_FAST_SQL = """
SELECT a.deputy_id, d.code AS deputy_code, d.name AS deputy_name, t.name AS township,
       s.id AS site_id, s.code AS site_code, s.name AS site_name, s.kind, s.site_class,
       lv.visit_date AS last_visit, a.valid_from AS tracking_start
FROM assignment a
JOIN deputy d ON d.id = a.deputy_id AND d.county_id = a.county_id
JOIN site s ON s.id = a.site_id AND s.county_id = a.county_id
LEFT JOIN township t ON t.id = s.township_id AND t.county_id = s.county_id
LEFT JOIN LATERAL (
    SELECT {visit_day} AS visit_date FROM counted_visit c
    WHERE c.site_id = a.site_id{deputy_test}
      AND c.arrived >= {from_bound} - interval '1 day'
      AND c.arrived < {on_bound} + interval '2 days'
      AND {visit_day} >= a.valid_from AND {visit_day} <= :on{visit_county}
    ORDER BY c.arrived DESC
    LIMIT 1
) lv ON true
WHERE a.valid_from <= :on AND (a.valid_to IS NULL OR a.valid_to > :on)
  AND {where}
"""


def local_day_sql(instant_sql: str) -> str:
    """SQL for the local day of an instant, as ``verified_visit.visit_date`` computes it."""
    return f"(({instant_sql}) AT TIME ZONE {LOCAL_TZ_SQL})::date"


def counted_deputy_test(alias: str, deputy_sql: str, any_deputy: bool) -> str:
    """`` AND c.deputy_id = <the duty's deputy>`` unless any deputy's visit discharges a duty
    (setting ``duty_visits``): written into the SQL, not bound, so the planner sees the index
    prefix (site_id, deputy_id) it can probe."""
    return "" if any_deputy else f" AND {alias}.deputy_id = {deputy_sql}"


def due_query(
    on: date,
    deputy_id: int | None = None,
    township_id: int | None = None,
    visits_sql: str = DEFAULT_VISITS_SQL,
    visits_params: Mapping[str, Any] | None = None,
) -> tuple[str, dict[str, Any]]:
    """The SQL and parameters of ``due_list``'s query (the benchmark EXPLAINs it)."""
    conditions = ["TRUE"]
    params: dict[str, Any] = {
        "on": on,
        "any_deputy": settings.text("duty_visits") == "any",
        **(visits_params or {}),
    }
    if deputy_id is not None:
        conditions.append("a.deputy_id = :deputy_id")
        params["deputy_id"] = deputy_id
    if township_id is not None:
        conditions.append("s.township_id = :township_id")
        params["township_id"] = township_id
    county_sql, county_params = county_filter("a", "s")
    params.update(county_params)
    where = " AND ".join(conditions) + county_sql
    if visits_sql == DEFAULT_VISITS_SQL:
        visit_county, _ = county_filter("c")
        sql = _DUE_FAST_SQL.format(
            where=where,
            from_bound=local_midnight_sql("a.valid_from"),
            on_bound=local_midnight_sql(":on"),
            visit_day=local_day_sql("c.arrived"),
            deputy_test=counted_deputy_test("c", "a.deputy_id", params["any_deputy"]),
            visit_county=visit_county,
        )
    else:
        sql = _DUE_SQL.format(visits_sql=visits_sql, county="TRUE", where=where)
    return sql, params


def due_list(
    session: Session,
    on: date,
    deputy_id: int | None = None,
    township_id: int | None = None,
    visits_sql: str = DEFAULT_VISITS_SQL,
    visits_params: Mapping[str, Any] | None = None,
    due_soon_days: int | None = None,
) -> pd.DataFrame:
    """Current assignments on day ``on`` with last visit, deadline, status and days left.

    Optionally one deputy's or one township's (the site's township). Sorted by deadline, most
    urgent first. ``last_visit`` and ``deadline`` are datetime64 columns (midnight, local
    dates; ``.dt.date`` gives date objects); ``last_visit`` is NaT for a site never visited.
    ``visits_params`` are bound into ``visits_sql`` (names must not clash with on, deputy_id,
    township_id). The tracking start of each row is its assignment's valid_from.
    """
    sql, params = due_query(on, deputy_id, township_id, visits_sql, visits_params)
    with without_jit(session):
        rows = query_frame(session, sql, params)
    return _with_status(rows, on, due_soon_days)


def due_list_for(
    session: Session,
    user: SignedIn,
    on: date,
    deputy_id: int | None = None,
    township_id: int | None = None,
) -> pd.DataFrame:
    """The due list a signed-in user may read: any deputy's or township's with
    ``read_any_due_list``, else only their own sites, whatever they asked for. A township
    account reads its own township's sites only (another township asked for is refused)."""
    if not may(user.role, "read_any_due_list"):
        if user.deputy_id is None:
            raise PermissionDenied("this account is linked to no deputy", code="no_deputy_linked")
        deputy_id, township_id = user.deputy_id, None
    township_id = narrow(user, township_id, "due list")
    return due_list(session, on, deputy_id=deputy_id, township_id=township_id)


def _with_status(rows: pd.DataFrame, on: date, due_soon_days: int | None) -> pd.DataFrame:
    """Add deadline, status and days_left to the query rows, vectorised, and sort."""
    status = site_status_frame(
        rows["site_class"].to_numpy(dtype="int64"),
        rows["last_visit"],
        rows["tracking_start"],
        on,
        due_soon_days,
    )
    frame = rows.drop(columns="tracking_start").reset_index(drop=True)
    frame["last_visit"] = pd.to_datetime(frame["last_visit"]).astype("datetime64[s]")
    frame["site_class"] = frame["site_class"].astype("int64")
    frame = pd.concat([frame, status], axis=1)
    frame = frame.sort_values(["deadline", "deputy_code", "site_code"], kind="stable")
    return frame.reset_index(drop=True)[list(DUE_COLUMNS)]


__all__ = [
    "DEFAULT_VISITS_SQL",
    "DUE_COLUMNS",
    "LOCAL_TZ_SQL",
    "REFERENCE_VISITS_SQL",
    "counted_deputy_test",
    "county_filter",
    "due_list",
    "due_list_for",
    "due_query",
    "local_day_sql",
    "local_midnight_sql",
]
