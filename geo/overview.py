"""The overview service: key figures and map layers of the county, optionally of one township.

Plain functions (engine in, dataclasses and GeoDataFrames out) so that pages stay thin and the
numbers can be tested without Streamlit. Every filter is SQL with named parameters, built by
`db.query.where_equal`, never by pasting values into the text; each names the county in
scope for every county-owned table it reads (`db.query.county_clause`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import geopandas as gpd
from sqlalchemy import Engine, text

from core import clock
from core.vocab import GRID_LEVELS, SITE_CLASSES, SITE_KINDS
from db.query import county_clause, read_geoframe, township_label, where_equal

# Tolerance (degrees, ~1 m) for display-only simplification; the stored geometry is untouched.
DISPLAY_TOLERANCE = 0.00001
WGS84 = "EPSG:4326"

# A site is assigned today when an assignment row covers today (valid_to is exclusive).
_CURRENT = "a.valid_from <= :today AND (a.valid_to IS NULL OR a.valid_to > :today)"


@dataclass(frozen=True)
class KeyFigures:
    """What the overview's metric row shows, for the county or for one township."""

    townships: int
    cells: dict[int, int]
    sites_by_kind: dict[str, int]
    sites_by_class: dict[int, int]
    sites: int
    deputies: int
    assigned_sites: int

    @property
    def share_assigned(self) -> float:
        """Share (0..1) of sites with a current deputy; 0 when there are no sites."""
        return self.assigned_sites / self.sites if self.sites else 0.0


@dataclass(frozen=True)
class MapLayers:
    """Everything the overview map draws, in EPSG:4326, plus the extent to zoom to."""

    county: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    cells: dict[int, gpd.GeoDataFrame]
    sites: gpd.GeoDataFrame
    bounds: tuple[tuple[float, float], tuple[float, float]] | None
    township_id: int | None = None


def county_options(engine: Engine) -> list[tuple[int, str]]:
    """(id, name) of every county in scope, by code (a city account's county picker)."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, name FROM county ORDER BY code"))
        return [(int(r.id), str(r.name)) for r in rows]


def township_options(engine: Engine) -> list[tuple[int, str]]:
    """(id, name) of every township, by code, for the township selectbox."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                f"SELECT t.id, {township_label('t')} AS name FROM township t "
                f"WHERE {county_clause('t')} ORDER BY t.code"
            )
        )
        return [(int(r.id), str(r.name)) for r in rows]


def key_figures(
    engine: Engine, township_id: int | None = None, today: date | None = None
) -> KeyFigures:
    """Counts of townships, cells, sites, deputies and the share of sites assigned today."""
    today = today or clock.today()
    t_where, t_params = where_equal({"t.id": township_id})
    c_where, c_params = where_equal({"c.township_id": township_id})
    s_where, s_params = where_equal({"s.township_id": township_id})
    t_where += f" AND {county_clause('t')}"
    c_where += f" AND {county_clause('c')}"
    s_where += f" AND {county_clause('s')}"
    with engine.connect() as conn:
        townships = conn.scalar(text(f"SELECT count(*) FROM township t WHERE {t_where}"), t_params)
        cell_rows = conn.execute(
            text(
                f"SELECT c.level, count(*) AS n FROM grid_cell c WHERE {c_where} GROUP BY c.level"
            ),
            c_params,
        )
        cells = {level: 0 for level in GRID_LEVELS} | {int(r.level): int(r.n) for r in cell_rows}
        kind_rows = conn.execute(
            text(f"SELECT s.kind, count(*) AS n FROM site s WHERE {s_where} GROUP BY s.kind"),
            s_params,
        )
        by_kind = {kind: 0 for kind in SITE_KINDS} | {str(r.kind): int(r.n) for r in kind_rows}
        class_rows = conn.execute(
            text(
                f"SELECT s.site_class, count(*) AS n FROM site s WHERE {s_where} "
                "GROUP BY s.site_class"
            ),
            s_params,
        )
        by_class = {c: 0 for c in SITE_CLASSES} | {int(r.site_class): int(r.n) for r in class_rows}
        assigned = conn.scalar(
            text(
                f"SELECT count(*) FROM site s WHERE {s_where} AND EXISTS "
                "(SELECT 1 FROM assignment a WHERE a.site_id = s.id "
                f"AND a.county_id = s.county_id AND {_CURRENT})"
            ),
            s_params | {"today": today},
        )
        deputies = conn.scalar(text(_deputy_count_sql(township_id)), s_params | {"today": today})
    return KeyFigures(
        townships=int(townships or 0),
        cells=cells,
        sites_by_kind=by_kind,
        sites_by_class=by_class,
        sites=sum(by_kind.values()),
        deputies=int(deputies or 0),
        assigned_sites=int(assigned or 0),
    )


def _deputy_count_sql(township_id: int | None) -> str:
    """Deputies of the county, or of a township: those living there or holding a site there."""
    if township_id is None:
        return f"SELECT count(*) FROM deputy d WHERE {county_clause('d')}"
    return (
        f"SELECT count(*) FROM deputy d WHERE {county_clause('d')} AND "
        "(d.township_id = :township_id OR EXISTS ("
        "SELECT 1 FROM assignment a JOIN site s ON s.id = a.site_id AND s.county_id = a.county_id "
        "WHERE a.deputy_id = d.id AND a.county_id = d.county_id "
        f"AND s.township_id = :township_id AND {_CURRENT}))"
    )


def _simplified(column: str) -> str:
    return f"ST_SimplifyPreserveTopology({column}, :tolerance) AS geom"


def map_layers(
    engine: Engine, township_id: int | None = None, today: date | None = None
) -> MapLayers:
    """County outline, townships, cells per level and sites, filtered to one township if given.

    Township outlines stay complete (they give the context); cells and sites are those of the
    township. `bounds` is ((south, west), (north, east)) of the township, else of the county.
    """
    today = today or clock.today()
    tol = {"tolerance": DISPLAY_TOLERANCE}
    c_where, c_params = where_equal({"c.township_id": township_id})
    s_where, s_params = where_equal({"s.township_id": township_id})
    c_where += f" AND {county_clause('c')}"
    s_where += f" AND {county_clause('s')}"
    county = read_geoframe(
        engine, f"SELECT c.code, c.name, {_simplified('c.geom')} FROM county c", tol
    )
    townships = read_geoframe(
        engine,
        f"SELECT t.id, t.code, t.name, {_simplified('t.geom')} FROM township t "
        f"WHERE {county_clause('t')} ORDER BY t.code",
        tol,
    )
    all_cells = read_geoframe(
        engine,
        "SELECT c.id, c.code, coalesce(c.name, c.code) AS name, c.level, "
        "coalesce(t.name, '') AS township, "
        "(SELECT count(*) FROM site s WHERE s.grid_cell_id = c.id "
        "AND s.county_id = c.county_id) AS site_count, "
        f"{_simplified('c.geom')} FROM grid_cell c "
        "LEFT JOIN township t ON t.id = c.township_id AND t.county_id = c.county_id "
        f"WHERE {c_where} ORDER BY c.level, c.code",
        tol | c_params,
    )
    cells = {
        level: all_cells[all_cells["level"] == level].reset_index(drop=True)
        for level in GRID_LEVELS
    }
    sites = read_geoframe(
        engine,
        "SELECT s.id, s.code, s.name, s.kind, s.site_class, coalesce(t.name, '') AS township, "
        "coalesce(g.code, '') AS cell, coalesce(d.name, '') AS deputy, "
        f"{_simplified('s.geom')} FROM site s "
        "LEFT JOIN township t ON t.id = s.township_id AND t.county_id = s.county_id "
        "LEFT JOIN grid_cell g ON g.id = s.grid_cell_id AND g.county_id = s.county_id "
        f"LEFT JOIN assignment a ON a.site_id = s.id AND a.county_id = s.county_id AND {_CURRENT} "
        "LEFT JOIN deputy d ON d.id = a.deputy_id AND d.county_id = a.county_id "
        f"WHERE {s_where} ORDER BY s.kind, s.code",
        tol | s_params | {"today": today},
    )
    focus = townships[townships["id"] == township_id] if township_id is not None else county
    return MapLayers(
        county=county,
        townships=townships,
        cells=cells,
        sites=sites,
        bounds=_bounds(focus),
        township_id=township_id,
    )


def _bounds(frame: gpd.GeoDataFrame) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """((south, west), (north, east)) as Leaflet's fitBounds wants it; None when empty."""
    if frame.empty:
        return None
    west, south, east, north = (float(v) for v in frame.total_bounds)
    return (south, west), (north, east)
