"""Map data of the coverage-gap page: cells of one level scored for a month, sites, tracks.

The scoring is `duty.coverage` (share of sites on time recomputed per level from site rows,
dead corners with their reasons); this module joins it to geometry and to what a popup needs
(a site's deputy, last verified visit and next deadline from `duty.due`), and computes the
figures above the map from the same site rows, so figures and map never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from accounts.auth import SignedIn
from accounts.scope import narrow
from core import clock
from core.vocab import GRID_LEVELS
from db.query import county_clause, read_geoframe, where_equal
from duty.coverage import cell_coverage, load_cells, month_bounds, site_period_status
from duty.due import due_list
from duty.grid_heads import current_heads
from duty.today import site_today_status
from tracks import patrol_queries

DISPLAY_TOLERANCE = 0.00001


@dataclass(frozen=True)
class CoverageFigures:
    """County (or township) figures of the period, all from the same site rows."""

    sites: int
    sites_on_time: int
    dead_corners: dict[int, int]

    @property
    def share(self) -> float:
        return self.sites_on_time / self.sites if self.sites else float("nan")


@dataclass(frozen=True)
class CoverageMap:
    """What the coverage page draws and lists for one month, level and township."""

    period: tuple[date, date]
    as_of: date
    level: int
    cells: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    tracks: gpd.GeoDataFrame
    figures: CoverageFigures
    bounds: tuple[tuple[float, float], tuple[float, float]] | None

    @property
    def dead_corners(self) -> pd.DataFrame:
        """The dead-corner cells of the level with their reasons, by code."""
        dead = self.cells[self.cells["dead_corner"]]
        columns = [
            "code",
            "township",
            "sites",
            "sites_on_time",
            "share",
            "sites_missed",
            "sites_unassigned",
        ]
        return pd.DataFrame(dead[columns]).reset_index(drop=True)


def coverage_map(
    session: Session,
    year: int,
    month: int,
    level: int,
    township_id: int | None = None,
    as_of: date | None = None,
    with_tracks: bool = True,
    track_limit: int = patrol_queries.TRACK_LIMIT,
    viewer: SignedIn | None = None,
) -> CoverageMap:
    """Cells of `level` with share and dead corners, sites with popups, tracks of the month;
    a township account (``viewer``) gets its own township's (``accounts.scope.narrow``).
    Small cells name their grid head; the viewer's role decides whether the head's phone
    comes too (``read_grid_head_contact``)."""
    township_id = narrow(viewer, township_id, "coverage")
    if level not in GRID_LEVELS:
        raise ValueError(f"grid level must be 1, 2 or 3, not {level!r}")
    start, end = month_bounds(year, month)
    as_of = as_of or clock.today()
    status = site_period_status(session, start, end, as_of, township_id)
    return _assemble(
        session,
        status,
        (start, end),
        as_of,
        level,
        township_id,
        with_tracks,
        track_limit,
        _role(viewer),
    )


def today_coverage_map(
    session: Session,
    level: int,
    township_id: int | None = None,
    as_of: date | None = None,
    with_tracks: bool = True,
    track_limit: int = patrol_queries.TRACK_LIMIT,
    viewer: SignedIn | None = None,
) -> CoverageMap:
    """The same map "as of today": the current windows, not a month. A site counts as on
    time while it is held and not overdue (`duty.today`); an overdue site is a gap, so the
    dead corners are the cells with a site overdue now or without a deputy. The tracks and
    the 协查 visits are those of the month so far. ``period`` is (first of the month, today).
    A township account (``viewer``) gets its own township's."""
    township_id = narrow(viewer, township_id, "coverage")
    if level not in GRID_LEVELS:
        raise ValueError(f"grid level must be 1, 2 or 3, not {level!r}")
    as_of = as_of or clock.today()
    start, end = month_bounds(as_of.year, as_of.month)
    month = site_period_status(session, start, end, as_of, township_id)
    status = site_today_status(session, as_of, township_id).merge(
        month[["site_id", "assist_visits"]], on="site_id", how="left"
    )
    status["assist_visits"] = status["assist_visits"].fillna(0).astype(np.int64)
    return _assemble(
        session,
        status,
        (start, as_of),
        as_of,
        level,
        township_id,
        with_tracks,
        track_limit,
        _role(viewer),
    )


def _role(viewer: SignedIn | None) -> str | None:
    return viewer.role if viewer is not None else None


def _assemble(
    session: Session,
    status: pd.DataFrame,
    period: tuple[date, date],
    as_of: date,
    level: int,
    township_id: int | None,
    with_tracks: bool,
    track_limit: int,
    role: str | None = None,
) -> CoverageMap:
    """Cells scored from the site rows ``status`` (on_time, missed, assigned per site), their
    geometry and grid heads (on the reference day; the phone only for ``role`` that may read
    contacts), the sites with popups, the period's tracks and the figures above the map."""
    start, end = period
    ref = min(end, as_of)
    cells_df = load_cells(session)
    per_level = {lv: cell_coverage(status, cells_df, lv) for lv in GRID_LEVELS}
    scored = per_level[level]

    c_where, c_params = where_equal({"c.level": level})
    geoms = read_geoframe(
        session,
        "SELECT c.id AS cell_id, c.township_id, coalesce(t.name, '') AS township, "
        "ST_SimplifyPreserveTopology(c.geom, :tol) AS geom FROM grid_cell c "
        "LEFT JOIN township t ON t.id = c.township_id AND t.county_id = c.county_id "
        f"WHERE {county_clause('c')} AND {c_where}",
        c_params | {"tol": DISPLAY_TOLERANCE},
    )
    cells = geoms.merge(scored, on="cell_id", how="inner")
    heads = current_heads(session, ref, role).rename(columns={"grid_cell_id": "cell_id"})
    heads = heads.astype({"cell_id": "int64"})
    cells = cells.merge(heads, on="cell_id", how="left")
    if township_id is not None:
        keep = (cells["township_id"] == township_id) | (cells["sites"] > 0)
        cells = cells[keep]
    cells = gpd.GeoDataFrame(cells.sort_values("code").reset_index(drop=True), geometry="geom")

    sites = _sites(session, status, ref, township_id)
    tracks = (
        patrol_queries.period_tracks(session, start, end, township_id, limit=track_limit)
        if with_tracks
        else gpd.GeoDataFrame({"patrol_id": []}, geometry=gpd.GeoSeries([], crs=4326))
    )
    figures = CoverageFigures(
        sites=len(status),
        sites_on_time=int(status["on_time"].sum()),
        dead_corners={lv: int(frame["dead_corner"].sum()) for lv, frame in per_level.items()},
    )
    return CoverageMap(period, as_of, level, cells, sites, tracks, figures, _bounds(cells))


def _sites(
    session: Session, status: pd.DataFrame, ref: date, township_id: int | None
) -> gpd.GeoDataFrame:
    """Sites with class, current deputy, last duty visit, 协查 visits of the period and next
    deadline on `ref`."""
    s_where, s_params = where_equal({"s.township_id": township_id})
    geo = read_geoframe(
        session,
        "SELECT s.id AS site_id, s.code, s.name, s.kind, s.site_class, "
        "coalesce(g.code, '') AS cell, "
        "ST_SimplifyPreserveTopology(s.geom, :tol) AS geom FROM site s "
        "LEFT JOIN grid_cell g ON g.id = s.grid_cell_id AND g.county_id = s.county_id "
        f"WHERE {county_clause('s')} AND {s_where} ORDER BY s.code",
        s_params | {"tol": DISPLAY_TOLERANCE},
    )
    due = due_list(session, ref, township_id=township_id)
    due = due.drop_duplicates("site_id")[["site_id", "deputy_name", "deadline", "status"]]
    merged = geo.merge(
        status[["site_id", "on_time", "missed", "assigned", "last_visit", "assist_visits"]],
        on="site_id",
        how="left",
    ).merge(due, on="site_id", how="left")
    merged["assist_visits"] = merged["assist_visits"].fillna(0).astype(np.int64)
    merged["deputy_name"] = merged["deputy_name"].fillna("")
    merged["on_time"] = merged["on_time"].fillna(False).astype(bool)
    merged["missed"] = merged["missed"].fillna(0).astype(np.int64)
    return gpd.GeoDataFrame(merged, geometry="geom", crs=geo.crs)


def _bounds(frame: gpd.GeoDataFrame) -> tuple[tuple[float, float], tuple[float, float]] | None:
    if frame.empty:
        return None
    west, south, east, north = (float(v) for v in frame.total_bounds)
    return (south, west), (north, east)


__all__ = ["CoverageFigures", "CoverageMap", "coverage_map", "today_coverage_map"]
