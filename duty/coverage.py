"""Period coverage: was each site patrolled within its windows, and how do the grid cells fare.

``duty_period_status`` gives one row per *duty* — an assignment period of a deputy at a site —
overlapping a period (a month, say): the patrol deadlines of that duty the period holds and
how many were missed (`duty.windows.missed_count_array`). ``site_period_status`` rolls the duties up
to one row per site (missed, on time, has a deputy); ``cell_coverage`` rolls sites up to one
grid level. The evaluation credits and charges deputies from the same duty rows.

Choices, stated once:
- 定人定点: a duty runs from the assignment's valid_from to the day before its valid_to. The
  deputy answers only for the deadlines inside it; the window in which it starts is owed only
  under the handover grace (`duty.windows`, setting ``duty_grace_days``), the window still
  open when it ends is not theirs. Only the assigned deputy's verified visits inside the duty
  discharge it (setting ``duty_visits`` = "any" relaxes this); another deputy's visit is
  *协查* (assist): counted for the visitor, shown on the site, never discharging the duty.
- A site's missed deadlines are the sum over its duties in the period; a site with no duty by
  the reference day r = min(period_end, as_of) has no deadline (missed = 0) but is not on time
  either: nobody patrols it. A gap between two deputies is nobody's duty; it shows as the
  site having no current deputy while it lasts.
- ``assigned`` means a current assignment on r (valid_to exclusive).
- ``on_time`` = tracked and missed == 0.
- Roll-up: a cell of any level is scored from the *site rows* of all small cells beneath it —
  share = distinct sites on time / distinct sites — never by summing or averaging the shares of
  its children (1/1 and 0/3 make 25 %, not 50 %). A cell with no sites has share NaN.
- Dead corner (死角, DESIGN.md): a small cell holding a site with no current deputy, or a site
  that missed a patrol deadline in the period; a medium or large cell containing such a small
  cell. Because both conditions are properties of sites, "contains a dead-corner small cell" is
  "holds such a site", counted from the same site rows. ``sites_missed`` and
  ``sites_unassigned`` count the sites per cause (a site may be counted under both).
- Reading the visits (``verified_visit``, the default): from its maintained summary
  ``counted_visit`` (migration 0027: one narrow row per visit that counts, with the patrol's
  deputy, kept true by the owner's triggers on visits, flags, reviews and patrols). The
  period's visits as one range of ``arrived`` (index ``ix_counted_visit_arrived``, or
  ``ix_counted_visit_county_arrived`` for one county), read once for both the duties' visits
  and the 协查 counts (matched in numpy), and per duty whose row it can change (class 2, a
  window straddling the period start, no visit in the period) one index-only probe for the
  last counted visit before the period inside the duty (``ix_counted_visit_site_deputy``,
  walked backwards): it alone decides the first deadline inside the period, the 14-day chain
  of class 2 included, so the status is exact without reading a year of history. Any other
  ``visits_sql`` (tests' TEMP TABLEs, ``duty.due.REFERENCE_VISITS_SQL``) takes the
  straightforward form over ``verified_visit``: every visit, then filtered — the reference the
  summary is tested against. When the scope is one county (`db.scope`), every table read is
  filtered by ``county_id = <id>`` in the SQL itself (``county_filter``).
- Sites, duties and visits are read as int64 arrays (`db.query.query_arrays`: ids and days
  since 1970-01-01, packed by the server into one bytea) and computed on arrays
  (`duty.windows.missed_count_array`, sums and maxima by position): at province scale pandas'
  row conversion, merges and groupbys cost more than the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from core import settings
from db import scope
from db.query import query_arrays, query_frame, without_jit
from duty.due import (
    DEFAULT_VISITS_SQL,
    counted_deputy_test,
    county_filter,
    local_day_sql,
    local_midnight_sql,
)
from duty.windows import as_days, missed_count_array, window_of

SITE_PERIOD_COLUMNS: tuple[str, ...] = (
    "site_id",
    "grid_cell_id",
    "township_id",
    "site_class",
    "tracking_start",
    "assigned",
    "missed",
    "on_time",
    "last_visit",
    "assist_visits",
)
DUTY_PERIOD_COLUMNS: tuple[str, ...] = (
    "duty_id",
    "site_id",
    "deputy_id",
    "site_class",
    "tracking_start",
    "tracking_end",
    "missed",
    "on_time",
    "last_visit",
)
CELL_COLUMNS: tuple[str, ...] = (
    "cell_id",
    "code",
    "level",
    "sites",
    "sites_on_time",
    "share",
    "dead_corner",
    "sites_missed",
    "sites_unassigned",
)
CELLS_SQL = "SELECT id, code, level, parent_id FROM grid_cell"

_NAT = np.datetime64("NaT", "D")

# Every column a bigint for ``db.query.query_arrays``: days since 1970-01-01, an open end as
# NaT's integer (the smallest bigint), so the days read straight into datetime64[D].
NAT_BIGINT_SQL = "(-9223372036854775807 - 1)"

# Every column a bigint for ``db.query.query_arrays`` (a missing cell or township as -1,
# ``nullable_ids``; a site never assigned has NaT's integer as its tracking start).
_SITES_SQL = """
SELECT s.id::bigint AS site_id, COALESCE(s.grid_cell_id, -1)::bigint AS grid_cell_id,
       COALESCE(s.township_id, -1)::bigint AS township_id, s.site_class::bigint,
       COALESCE(f.tracking_start - DATE '1970-01-01', {nat})::bigint AS tracking_start,
       (c.site_id IS NOT NULL)::int::bigint AS assigned
FROM site s
LEFT JOIN (
    SELECT site_id, min(valid_from) AS tracking_start
    FROM assignment a WHERE valid_from <= :ref{a_county} GROUP BY site_id
) f ON f.site_id = s.id
LEFT JOIN (
    SELECT DISTINCT site_id FROM assignment a
    WHERE valid_from <= :ref AND (valid_to IS NULL OR valid_to > :ref){a_county}
) c ON c.site_id = s.id
WHERE {where}
"""
_SITE_COLUMNS = (
    "site_id",
    "grid_cell_id",
    "township_id",
    "site_class",
    "tracking_start",
    "assigned",
)


def nullable_ids(ids: np.ndarray) -> np.ndarray:
    """-1 (none) back to a missing value, as pandas reads a column with NULLs: None in an
    object column when all are missing, float64 NaN when some are, int64 when none is (the
    frames keep the types they had)."""
    missing = ids == -1
    if not missing.any():
        return ids
    if missing.all():
        return np.full(len(ids), None, dtype=object)
    return np.where(missing, np.nan, ids.astype(np.float64))


def _read_sites(
    session: Session, where: str, a_county: str, params: Mapping[str, Any]
) -> pd.DataFrame:
    """Every site in scope with its first tracking start and whether it is held on :ref."""
    rows = query_arrays(
        session,
        _SITES_SQL.format(where=where, a_county=a_county, nat=NAT_BIGINT_SQL),
        params,
        _SITE_COLUMNS,
    )
    return pd.DataFrame(
        {
            "site_id": rows["site_id"],
            "grid_cell_id": nullable_ids(rows["grid_cell_id"]),
            "township_id": nullable_ids(rows["township_id"]),
            "site_class": rows["site_class"],
            "tracking_start": rows["tracking_start"].astype("M8[D]"),
            "assigned": rows["assigned"].astype(bool),
        }
    )


# Every duty (assignment period) that overlaps [period_start, ref].
_DUTIES_SQL = f"""
SELECT a.id::bigint AS duty_id, a.site_id::bigint, a.deputy_id::bigint,
       s.site_class::bigint, (a.valid_from - DATE '1970-01-01')::bigint AS tracking_start,
       COALESCE(a.valid_to - 1 - DATE '1970-01-01', {NAT_BIGINT_SQL})::bigint AS tracking_end
FROM assignment a JOIN site s ON s.id = a.site_id
WHERE a.valid_from <= :ref AND (a.valid_to IS NULL OR a.valid_to > :period_start) AND {{where}}
"""
_DUTY_COLUMNS = ("duty_id", "site_id", "deputy_id", "site_class", "tracking_start", "tracking_end")

# The visits that discharge each duty: inside its period, by its deputy (or anyone, when the
# setting allows), up to the reference day, and only the last one before the period (it
# alone decides the first deadline inside it; see duty.windows.missed_count_array).
_DUTY_VISITS_SQL = """
WITH visits AS ({visits_sql}),
duty AS (
    SELECT a.id AS duty_id, a.site_id, a.deputy_id, a.valid_from, a.valid_to
    FROM assignment a JOIN site s ON s.id = a.site_id
    WHERE a.valid_from <= :ref AND (a.valid_to IS NULL OR a.valid_to > :period_start)
      AND {where}
),
scoped AS (
    SELECT d.duty_id, v.visit_date
    FROM visits v JOIN duty d ON d.site_id = v.site_id
     AND v.visit_date >= d.valid_from AND (d.valid_to IS NULL OR v.visit_date < d.valid_to)
     AND (:any_deputy OR v.deputy_id = d.deputy_id)
    WHERE v.visit_date <= :ref
)
SELECT duty_id, visit_date FROM scoped WHERE visit_date >= :period_start
UNION ALL
SELECT duty_id, max(visit_date) FROM scoped WHERE visit_date < :period_start GROUP BY duty_id
"""

# The same rows without reading all history, from the ``counted_visit`` summary (migration
# 0027: the visits ``verified_visit`` shows, with the patrol's deputy, kept by triggers), in two
# reads. First the period's counted visits of the sites in scope (site_id, deputy_id, day: days
# since 1970-01-01, no date objects to build and parse) as a range of ``arrived`` (from the
# local midnight starting the period to the one ending the reference day: the same visits as
# the visit_date test, and a range the planner can count), matched to duties and told apart
# from 协查 in numpy (`_split_period_visits`).
_DUTY_VISITS_FAST_SQL = """
SELECT c.site_id::bigint, c.deputy_id::bigint, ({visit_day} - DATE '1970-01-01')::bigint AS day
FROM counted_visit c JOIN site s ON s.id = c.site_id
WHERE c.arrived >= {start_bound} AND c.arrived < {ref_bound} + interval '1 day'{visit_county}
  AND {where}
"""

# Then, for the duties listed in :need (`_duties_needing_before`), the one latest counted
# visit before the period inside the duty: one index-only probe walking (site_id, deputy_id,
# arrived) backwards (the exact local-day tests stay, as a LIMIT 1 needs no estimate).
_DUTY_BEFORE_SQL = """
SELECT d.id::bigint AS duty_id, b.day::bigint
FROM unnest(CAST(CAST(:need AS text) AS bigint[])) AS n(id)
JOIN assignment d ON d.id = n.id
CROSS JOIN LATERAL (
    SELECT {visit_day} - DATE '1970-01-01' AS day FROM counted_visit c
    WHERE c.site_id = d.site_id{deputy_test}
      AND c.arrived >= {from_bound} - interval '1 day'
      AND c.arrived < {start_bound} + interval '1 day'
      AND {visit_day} >= d.valid_from AND (d.valid_to IS NULL OR {visit_day} < d.valid_to)
      AND {visit_day} < :period_start AND {visit_day} <= :ref{visit_county}
    ORDER BY c.arrived DESC
    LIMIT 1
) b
WHERE TRUE{duty_county}
"""

# 协查: visits in the period by a deputy who did not hold the site that day.
_ASSISTS_SQL = """
WITH visits AS ({visits_sql})
SELECT v.site_id, v.deputy_id, count(*) AS assist_visits
FROM visits v JOIN site s ON s.id = v.site_id
WHERE {period_test} AND {where}
  AND NOT EXISTS (
    SELECT 1 FROM assignment a
    WHERE a.site_id = v.site_id AND a.deputy_id = v.deputy_id
      AND a.valid_from <= v.visit_date AND (a.valid_to IS NULL OR a.valid_to > v.visit_date)
      {a_county})
GROUP BY v.site_id, v.deputy_id
"""


def _params(
    period_start: date,
    period_end: date,
    as_of: date,
    township_id: int | None,
    visits_params: Mapping[str, Any] | None,
) -> tuple[dict[str, Any], str]:
    if period_end < period_start:
        raise ValueError(f"period ends ({period_end}) before it starts ({period_start})")
    params: dict[str, Any] = {
        "ref": min(period_end, as_of),
        "period_start": period_start,
        "any_deputy": settings.text("duty_visits") == "any",
        **(visits_params or {}),
    }
    where = "TRUE"
    if township_id is not None:
        where = "s.township_id = :township_id"
        params["township_id"] = township_id
    county_sql, county_params = county_filter("s")
    params.update(county_params)
    return params, where + county_sql


def _fast(visits_sql: str) -> bool:
    """Whether the visits are ``verified_visit`` itself, so the indexed form may read them."""
    return visits_sql == DEFAULT_VISITS_SQL


def _duty_visits_sql(visits_sql: str, where: str) -> str:
    if not _fast(visits_sql):
        return _DUTY_VISITS_SQL.format(visits_sql=visits_sql, where=where)
    visit_county, _ = county_filter("c")
    return _DUTY_VISITS_FAST_SQL.format(
        where=where,
        start_bound=local_midnight_sql(":period_start"),
        ref_bound=local_midnight_sql(":ref"),
        visit_day=local_day_sql("c.arrived"),
        visit_county=visit_county,
    )


def duty_before_sql(any_deputy: bool = False) -> str:
    """The indexed form's second read: each listed duty's last visit before the period."""
    visit_county, _ = county_filter("c")
    duty_county, _ = county_filter("d")
    return _DUTY_BEFORE_SQL.format(
        start_bound=local_midnight_sql(":period_start"),
        from_bound=local_midnight_sql("d.valid_from"),
        visit_day=local_day_sql("c.arrived"),
        deputy_test=counted_deputy_test("c", "d.deputy_id", any_deputy),
        visit_county=visit_county,
        duty_county=duty_county,
    )


def _id_array(ids: np.ndarray) -> str:
    """Ids as one array literal (psycopg's list dumper costs ~1.5 µs an element)."""
    return "{" + ",".join(map(str, ids.tolist())) + "}"


def duty_before_query(
    session: Session, period_start: date, period_end: date, as_of: date
) -> tuple[str, dict[str, Any]]:
    """The indexed form's second read with its parameters, the duties it needs computed from
    the first two reads as ``site_period_status`` does (the benchmark EXPLAINs it)."""
    params, where = _params(period_start, period_end, as_of, None, None)
    county, _ = county_filter("a")
    with without_jit(session):
        duties = _read_duties(session, where + county, params)
        visits = query_arrays(
            session, _duty_visits_sql(DEFAULT_VISITS_SQL, where), params, _PERIOD_COLUMNS
        )
    in_period, _ = _split_period_visits(duties, visits, bool(params["any_deputy"]))
    need = _duties_needing_before(duties, in_period, period_start)
    return duty_before_sql(bool(params["any_deputy"])), params | {"need": _id_array(need)}


def _duties_needing_before(
    duties: pd.DataFrame, in_period: pd.DataFrame, period_start: date
) -> np.ndarray:
    """The duties whose last visit before the period can change their row: class 2 (its
    14-day chain runs on from it), a calendar class whose window does not start on
    period_start (the visit may fall in the window straddling it), and any duty with no visit
    in the period (it is then the row's last_visit). For a calendar class in a period starting
    a window, the first deadline inside is the end of that window whatever came before
    (`duty.windows`: a visit in the window before, or a missed deadline, both lead there)."""
    cls = duties["site_class"].to_numpy(dtype=np.int64)
    ids = duties["duty_id"].to_numpy(dtype=np.int64)
    aligned = np.zeros(len(cls), dtype=bool)
    for c in (1, 3):
        if window_of(c, period_start)[0] == period_start:
            aligned |= cls == c
    visited = np.isin(ids, in_period["duty_id"].to_numpy(dtype=np.int64))
    return ids[~(aligned & visited)]


def duty_period_status(
    session: Session,
    period_start: date,
    period_end: date,
    as_of: date,
    township_id: int | None = None,
    visits_sql: str = DEFAULT_VISITS_SQL,
    visits_params: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """One row per duty (assignment period) overlapping the period: its missed deadlines as
    known on ``as_of``, whether it is on time, its deputy's last visit inside it."""
    with without_jit(session):
        duties, visits, _ = _duty_rows(
            session, period_start, period_end, as_of, township_id, visits_sql, visits_params
        )
    return duty_status_frame(duties, visits, period_start, period_end, as_of)


def _duty_rows(
    session: Session,
    period_start: date,
    period_end: date,
    as_of: date,
    township_id: int | None,
    visits_sql: str,
    visits_params: Mapping[str, Any] | None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """The duties, their visits (duty_id, visit_date) and, on the indexed form, the period's
    协查 counts (site_id, deputy_id, assist_visits) from the same read; None otherwise."""
    params, where = _params(period_start, period_end, as_of, township_id, visits_params)
    county, _ = county_filter("a")
    duties = _read_duties(session, where + county, params)
    if not _fast(visits_sql):
        visits = query_frame(session, _duty_visits_sql(visits_sql, where), params)
        return duties, visits, None
    rows = query_arrays(session, _duty_visits_sql(visits_sql, where), params, _PERIOD_COLUMNS)
    in_period, assists = _split_period_visits(duties, rows, bool(params["any_deputy"]))
    need = _duties_needing_before(duties, in_period, period_start)
    before = query_arrays(
        session,
        duty_before_sql(bool(params["any_deputy"])),
        params | {"need": _id_array(need)},
        ("duty_id", "day"),
    )
    before_days = pd.DataFrame(
        {"duty_id": before["duty_id"], "visit_date": before["day"].astype("M8[D]")}
    )
    return duties, pd.concat([in_period, before_days], ignore_index=True), assists


_PERIOD_COLUMNS = ("site_id", "deputy_id", "day")


def _read_duties(session: Session, where: str, params: Mapping[str, Any]) -> pd.DataFrame:
    """The duties overlapping the period (``_DUTIES_SQL``), days as datetime64[D]."""
    rows = query_arrays(session, _DUTIES_SQL.format(where=where), params, _DUTY_COLUMNS)
    for column in ("tracking_start", "tracking_end"):
        rows[column] = rows[column].astype("M8[D]")
    return pd.DataFrame(rows, columns=list(_DUTY_COLUMNS))


def _split_period_visits(
    duties: pd.DataFrame, rows: Mapping[str, np.ndarray], any_deputy: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The indexed form's period visits (site_id, deputy_id, day: days since 1970-01-01) as
    duty visits (duty_id, visit_date) and 协查 counts. Each visit is matched here to every
    duty of its site whose days hold it (by its deputy, or anyone's under ``any_deputy``) as
    the reference form's join does. A visit
    no duty of its own deputy holds that day is 协查 (the reference's NOT EXISTS: every
    assignment holding a day of the period is one of the duties)."""
    v_site = rows["site_id"]
    v_deputy = rows["deputy_id"]
    v_day = rows["day"].astype("M8[D]")
    d_site = duties["site_id"].to_numpy(dtype=np.int64)
    d_start = as_days(duties["tracking_start"])
    d_end = as_days(duties["tracking_end"])
    # Every (visit, duty of its site) pair: duties sorted by site, each visit's run of them
    # found by a hash of the sites (two binary searches per visit cost twice as much).
    order = np.argsort(d_site, kind="stable")
    sites, run_start, run_size = np.unique(d_site[order], return_index=True, return_counts=True)
    slot = pd.Index(sites).get_indexer(v_site)
    found = slot >= 0
    lo = np.where(found, run_start[slot], 0)
    n = np.where(found, run_size[slot], 0)
    visit_of = np.repeat(np.arange(len(v_site)), n)
    offsets = np.arange(len(visit_of)) - np.repeat(np.cumsum(n) - n, n)
    duty_of = order[np.repeat(lo, n) + offsets]
    day = v_day[visit_of]
    end = d_end[duty_of]
    inside = (day >= d_start[duty_of]) & (np.isnat(end) | (day <= end))
    own = v_deputy[visit_of] == duties["deputy_id"].to_numpy(dtype=np.int64)[duty_of]
    counts = inside & (own | any_deputy)
    in_period = pd.DataFrame(
        {
            "duty_id": duties["duty_id"].to_numpy(dtype=np.int64)[duty_of[counts]],
            "visit_date": day[counts],
        }
    )
    held = np.zeros(len(v_site), dtype=bool)
    held[visit_of[inside & own]] = True
    helped = pd.DataFrame({"site_id": v_site[~held], "deputy_id": v_deputy[~held]})
    assists = helped.groupby(["site_id", "deputy_id"]).size().rename("assist_visits").reset_index()
    return in_period, assists


def duty_visits_query(
    period_start: date,
    period_end: date,
    as_of: date,
    township_id: int | None = None,
    visits_sql: str = DEFAULT_VISITS_SQL,
    visits_params: Mapping[str, Any] | None = None,
) -> tuple[str, dict[str, Any]]:
    """The SQL and parameters of the duty visits query (the benchmark EXPLAINs it)."""
    params, where = _params(period_start, period_end, as_of, township_id, visits_params)
    return _duty_visits_sql(visits_sql, where), params


def duty_status_frame(
    duties: pd.DataFrame,
    visits: pd.DataFrame,
    period_start: date,
    period_end: date,
    as_of: date,
) -> pd.DataFrame:
    """The computing half of ``duty_period_status``, on frames (no database): ``duties`` has
    duty_id, site_id, deputy_id, site_class, tracking_start, tracking_end (NaT: open);
    ``visits`` has duty_id, visit_date. Arrays throughout (`duty.windows.missed_count_array`):
    a province has ~150,000 duties and pandas' grouping and merging cost more than the rules."""
    duty_ids = duties["duty_id"].to_numpy(dtype=np.int64)
    start = as_days(duties["tracking_start"])
    end = as_days(duties["tracking_end"])
    site_class = duties["site_class"].to_numpy(dtype=np.int64)
    visit_of = pd.Index(duty_ids).get_indexer(visits["duty_id"].to_numpy(dtype=np.int64))
    visit_day = as_days(visits["visit_date"])
    missed = missed_count_array(
        site_class, start, end, visit_of, visit_day, period_start, period_end, as_of
    )
    ref = np.datetime64(min(period_end, as_of), "D")
    return pd.DataFrame(
        {
            "duty_id": duties["duty_id"].to_numpy(),
            "site_id": duties["site_id"].to_numpy(),
            "deputy_id": duties["deputy_id"].to_numpy(),
            "site_class": site_class,
            "tracking_start": start.astype("M8[s]"),
            "tracking_end": end.astype("M8[s]"),
            "missed": missed,
            "on_time": missed == 0,
            "last_visit": latest_day(visit_of, visit_day, len(duty_ids), ref).astype("M8[s]"),
        },
        columns=list(DUTY_PERIOD_COLUMNS),
    )


def latest_day(owner: np.ndarray, day: np.ndarray, n: int, until: np.datetime64) -> np.ndarray:
    """Per owner 0..n-1, the latest ``day`` up to ``until`` (NaT: none); ``owner`` -1 is
    nobody's. NaT is the smallest datetime64 as an integer, so a maximum over the integers
    leaves it only where no day came."""
    latest = np.full(n, _NAT).view(np.int64)
    day = np.asarray(day).astype("M8[D]")
    keep = (owner >= 0) & ~np.isnat(day) & (day <= until)
    np.maximum.at(latest, owner[keep], day[keep].view(np.int64))
    return latest.view("M8[D]")


def site_period_status(
    session: Session,
    period_start: date,
    period_end: date,
    as_of: date,
    township_id: int | None = None,
    visits_sql: str = DEFAULT_VISITS_SQL,
    visits_params: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """One row per site: missed deadlines in [period_start, period_end] as known on ``as_of``,
    summed over the site's duties (see the module's choices).

    Deadlines count once passed (deadline < as_of); for a closed month pass as_of after its
    last day. ``last_visit`` is the latest duty visit up to min(period_end, as_of);
    ``assist_visits`` the 协查 visits of the period.
    """
    params, where = _params(period_start, period_end, as_of, township_id, visits_params)
    a_county, _ = county_filter("a")
    # One JIT switch for every read (each switch is two round trips).
    with without_jit(session):
        sites = _read_sites(session, where, a_county, params)
        duty_rows, duty_visits, assists = _duty_rows(
            session, period_start, period_end, as_of, township_id, visits_sql, visits_params
        )
        if assists is None:
            assists_sql = _ASSISTS_SQL.format(
                visits_sql=visits_sql,
                where=where,
                period_test="v.visit_date BETWEEN :period_start AND :ref",
                a_county=a_county,
            )
            assists = query_frame(session, assists_sql, params)
    duties = duty_status_frame(duty_rows, duty_visits, period_start, period_end, as_of)
    return period_status_frame(sites, duties, assists)


def period_status_frame(
    sites: pd.DataFrame, duties: pd.DataFrame, assists: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Sites (site_id, grid_cell_id, township_id, site_class, tracking_start (NaT: never
    assigned), assigned) with their duties' rows from ``duty_status_frame`` summed up (sums
    and maxima by array position, not pandas' groupby: see ``duty_status_frame``)."""
    ids = sites["site_id"].to_numpy()
    n = len(ids)
    key = pd.Index(ids)
    duty_site = key.get_indexer(duties["site_id"].to_numpy())
    mine = duty_site >= 0
    missed = np.bincount(
        duty_site[mine], weights=duties["missed"].to_numpy(dtype=np.int64)[mine], minlength=n
    ).astype(np.int64)
    last = latest_day(duty_site, as_days(duties["last_visit"]), n, np.datetime64("9999-12-31", "D"))
    start = as_days(sites["tracking_start"])
    helped = np.zeros(n, dtype=np.int64)
    if assists is not None and len(assists):
        assist_site = key.get_indexer(assists["site_id"].to_numpy())
        counted = assist_site >= 0
        helped = np.bincount(
            assist_site[counted],
            weights=assists["assist_visits"].to_numpy(dtype=np.int64)[counted],
            minlength=n,
        ).astype(np.int64)
    return pd.DataFrame(
        {
            "site_id": ids,
            "grid_cell_id": sites["grid_cell_id"].to_numpy(),
            "township_id": sites["township_id"].to_numpy(),
            "site_class": sites["site_class"].to_numpy(dtype=np.int64),
            "tracking_start": start.astype("M8[s]"),
            "assigned": sites["assigned"].to_numpy(dtype=bool),
            "missed": missed,
            "on_time": ~np.isnat(start) & (missed == 0),
            "last_visit": last.astype("M8[s]"),
            "assist_visits": helped,
        },
        columns=list(SITE_PERIOD_COLUMNS),
    )


def _ancestor_at(cells: pd.DataFrame, level: int) -> np.ndarray:
    """For every row of ``cells``, the id of its ancestor (or itself) at ``level``; -1 if none.

    Walks parent links with array lookups, at most once per level of the hierarchy.
    """
    ids = cells["id"].to_numpy(dtype=np.int64)
    levels = cells["level"].to_numpy(dtype=np.int64)
    parents = pd.to_numeric(cells["parent_id"]).fillna(-1).to_numpy(dtype=np.int64)
    parent_pos = pd.Index(ids).get_indexer(parents)
    pos = np.arange(len(ids))
    for _ in range(3):
        deeper = (pos >= 0) & (levels[np.maximum(pos, 0)] > level)
        if not deeper.any():
            break
        pos = np.where(deeper, parent_pos[np.maximum(pos, 0)], pos)
    found = (pos >= 0) & (levels[np.maximum(pos, 0)] == level)
    return np.where(found, ids[np.maximum(pos, 0)], -1)


def cell_coverage(
    site_status_df: pd.DataFrame,
    cells_df: pd.DataFrame,
    level: int,
) -> pd.DataFrame:
    """Coverage of every cell of one grid level (1 large, 2 medium, 3 small), sorted by code.

    ``site_status_df`` is ``site_period_status``'s frame (site_id, grid_cell_id, on_time,
    missed, assigned); ``cells_df`` has id, code, level, parent_id (``CELLS_SQL``). Sites
    without a cell, or in a cell missing from ``cells_df``, are left out.
    """
    if level not in (1, 2, 3):
        raise ValueError(f"grid level must be 1, 2 or 3, not {level!r}")
    sites = site_status_df.drop_duplicates("site_id")
    cell_ids = pd.to_numeric(sites["grid_cell_id"]).fillna(-1).to_numpy(dtype=np.int64)
    cell_pos = pd.Index(cells_df["id"].to_numpy(dtype=np.int64)).get_indexer(cell_ids)
    ancestor = np.full(len(cell_pos), -1, dtype=np.int64)
    known = cell_pos >= 0
    ancestor[known] = _ancestor_at(cells_df, level)[cell_pos[known]]

    out = cells_df.loc[cells_df["level"] == level, ["id", "code", "level"]]
    out = out.rename(columns={"id": "cell_id"}).sort_values("code", kind="stable")
    out = out.reset_index(drop=True)
    slot = pd.Index(out["cell_id"].to_numpy(dtype=np.int64)).get_indexer(ancestor)
    inside = slot >= 0
    slot = slot[inside]

    def per_cell(flags: np.ndarray) -> np.ndarray:
        return np.bincount(slot, weights=flags[inside], minlength=len(out)).astype(np.int64)

    n_sites = len(sites)
    out["sites"] = per_cell(np.ones(n_sites))
    out["sites_on_time"] = per_cell(sites["on_time"].to_numpy(dtype=bool).astype(float))
    missed = per_cell((sites["missed"].to_numpy(dtype=np.int64) > 0).astype(float))
    unassigned = per_cell((~sites["assigned"].to_numpy(dtype=bool)).astype(float))
    counted = out["sites"].to_numpy()
    out["share"] = np.where(
        counted > 0, out["sites_on_time"].to_numpy() / np.maximum(counted, 1), np.nan
    )
    out["dead_corner"] = (missed > 0) | (unassigned > 0)
    out["sites_missed"] = missed
    out["sites_unassigned"] = unassigned
    return out[list(CELL_COLUMNS)]


# What the cell list is, read in the same snapshot as the rows would be: the database, the
# role (row-level security), how many cells, the highest id, and the newest row version
# (every insert or update writes a newer xmin; a delete lowers the count). Reading it costs a
# scan of the ids where reading the cells costs a tenth of a second in a province.
_CELLS_STAMP_SQL = (
    "SELECT current_database(), current_user, count(*), max(id), max(xmin::text::bigint) "
    "FROM grid_cell"
)
_CELLS_CACHE: dict[tuple[object, ...], pd.DataFrame] = {}
_CELLS_CACHE_SIZE = 16


def load_cells(session: Session) -> pd.DataFrame:
    """The grid hierarchy as ``cell_coverage`` wants it (one county's when the scope is one:
    the query names it). Kept per process under the stamp of the cells it read
    (``_CELLS_STAMP_SQL``): cells change rarely, so a page reads the stamp, not 93,000 rows;
    any change to a cell changes the stamp."""
    county, params = county_filter("grid_cell")
    where = f" WHERE TRUE{county}" if county else ""
    stamp = (
        scope.current_county(),
        *session.execute(text(_CELLS_STAMP_SQL + where), params).one(),
    )
    cells = _CELLS_CACHE.get(stamp)
    if cells is None:
        cells = query_frame(session, CELLS_SQL + where, params)
        if len(_CELLS_CACHE) >= _CELLS_CACHE_SIZE:
            _CELLS_CACHE.clear()
        _CELLS_CACHE[stamp] = cells
    return cells.copy()


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """First and last day of a calendar month, the usual reporting period."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following - timedelta(days=1)


__all__ = [
    "CELLS_SQL",
    "CELL_COLUMNS",
    "DUTY_PERIOD_COLUMNS",
    "NAT_BIGINT_SQL",
    "SITE_PERIOD_COLUMNS",
    "cell_coverage",
    "duty_period_status",
    "duty_before_query",
    "duty_before_sql",
    "duty_status_frame",
    "duty_visits_query",
    "latest_day",
    "load_cells",
    "month_bounds",
    "nullable_ids",
    "period_status_frame",
    "site_period_status",
]
