"""Period coverage: was each site patrolled within its windows, and how do the grid cells fare.

``site_period_status`` gives one row per site for a period (a month, say): how many patrol
deadlines it missed (`duty.windows.missed_counts`), whether it is on time, whether it has a
deputy. ``cell_coverage`` rolls those rows up to one grid level.

Choices, stated once:
- A site's duty for the period is tracked from its *first* assignment (min valid_from, on or
  before the reference day r = min(period_end, as_of)): the site owes its windows across a
  change of deputy, and a site that lost its deputy keeps owing them. A site never assigned by r
  has no deadline (missed = 0) but is not on time either: nobody patrols it.
- ``assigned`` means a current assignment on r (valid_to exclusive).
- ``on_time`` = tracked and missed == 0.
- Roll-up: a cell of any level is scored from the *site rows* of all small cells beneath it —
  share = distinct sites on time / distinct sites — never by summing or averaging the shares of
  its children (1/1 and 0/3 make 25 %, not 50 %). A cell with no sites has share NaN.
- Dead corner (死角, DESIGN.md): a small cell holding a site with no current deputy, or a site
  that missed a patrol deadline in the period; a medium or large cell containing such a small
  cell. Because both conditions are properties of sites, "contains a dead-corner small cell" is
  "holds such a site", counted from the same site rows. ``reasons`` counts the sites per cause,
  e.g. "2 处未按期巡查; 1 处无代表" (a site may be counted under both).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from db.query import query_frame
from duty.due import DEFAULT_VISITS_SQL
from duty.windows import as_days, missed_counts

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

_SITES_SQL = """
SELECT s.id AS site_id, s.grid_cell_id, s.township_id, s.site_class,
       f.tracking_start, (c.site_id IS NOT NULL) AS assigned
FROM site s
LEFT JOIN (
    SELECT site_id, min(valid_from) AS tracking_start
    FROM assignment WHERE valid_from <= :ref GROUP BY site_id
) f ON f.site_id = s.id
LEFT JOIN (
    SELECT DISTINCT site_id FROM assignment
    WHERE valid_from <= :ref AND (valid_to IS NULL OR valid_to > :ref)
) c ON c.site_id = s.id
WHERE {where}
"""

# The visits inside the period (up to the reference day) and, per site, the last one before
# it: together they decide every deadline of the period (see duty.windows.missed_counts).
_VISITS_SQL = """
WITH visits AS ({visits_sql}),
scoped AS (SELECT v.site_id, v.visit_date FROM visits v WHERE {where})
SELECT site_id, visit_date FROM scoped WHERE visit_date BETWEEN :period_start AND :ref
UNION ALL
SELECT site_id, max(visit_date) FROM scoped WHERE visit_date < :period_start GROUP BY site_id
"""


def site_period_status(
    session: Session,
    period_start: date,
    period_end: date,
    as_of: date,
    township_id: int | None = None,
    visits_sql: str = DEFAULT_VISITS_SQL,
    visits_params: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """One row per site: missed deadlines in [period_start, period_end] as known on ``as_of``.

    Deadlines count once passed (deadline < as_of); for a closed month pass as_of after its
    last day. ``last_visit`` is the latest visit up to min(period_end, as_of).
    """
    if period_end < period_start:
        raise ValueError(f"period ends ({period_end}) before it starts ({period_start})")
    ref = min(period_end, as_of)
    params: dict[str, Any] = {"ref": ref, "period_start": period_start, **(visits_params or {})}
    site_where = visit_where = "TRUE"
    if township_id is not None:
        site_where = "s.township_id = :township_id"
        visit_where = "v.site_id IN (SELECT id FROM site WHERE township_id = :township_id)"
        params["township_id"] = township_id
    sites = query_frame(session, _SITES_SQL.format(where=site_where), params)
    visits = query_frame(
        session, _VISITS_SQL.format(visits_sql=visits_sql, where=visit_where), params
    )
    return period_status_frame(sites, visits, period_start, period_end, as_of)


def period_status_frame(
    sites: pd.DataFrame,
    visits: pd.DataFrame,
    period_start: date,
    period_end: date,
    as_of: date,
) -> pd.DataFrame:
    """The computing half of ``site_period_status``, on frames (no database).

    ``sites``: site_id, grid_cell_id, township_id, site_class, tracking_start (NaT: never
    assigned), assigned (bool). ``visits``: site_id, visit_date.
    """
    frame = sites.reset_index(drop=True).copy()
    frame["tracking_start"] = as_days(frame["tracking_start"]).astype("M8[s]")
    frame["site_class"] = frame["site_class"].astype("int64")
    frame["assigned"] = frame["assigned"].astype(bool)
    frame["missed"] = missed_counts(frame, visits, period_start, period_end, as_of).to_numpy()
    frame["on_time"] = frame["tracking_start"].notna().to_numpy() & (frame["missed"] == 0)
    seen = pd.DataFrame(
        {"site_id": visits["site_id"].to_numpy(), "v": as_days(visits["visit_date"])}
    )
    last_day = np.datetime64(min(period_end, as_of), "D")
    seen = seen[seen["v"].to_numpy() <= last_day]
    latest = seen.groupby("site_id")["v"].max()
    frame["last_visit"] = as_days(latest.reindex(frame["site_id"].to_numpy())).astype("M8[s]")
    return frame[list(SITE_PERIOD_COLUMNS)]


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


def load_cells(session: Session) -> pd.DataFrame:
    """The grid hierarchy as ``cell_coverage`` wants it."""
    return query_frame(session, CELLS_SQL)


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """First and last day of a calendar month, the usual reporting period."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following - timedelta(days=1)


__all__ = [
    "CELLS_SQL",
    "CELL_COLUMNS",
    "SITE_PERIOD_COLUMNS",
    "cell_coverage",
    "load_cells",
    "month_bounds",
    "period_status_frame",
    "site_period_status",
]
