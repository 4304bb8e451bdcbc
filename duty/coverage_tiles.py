"""The coverage map as Mapbox vector tiles, made in the database (``ST_AsMVT``).

Why: at city and province scale a GeoJSON layer of every cell is tens of megabytes that the
browser must parse and draw at once (93,000 cells: ~28 MB, ~3 s; one object per feature:
84 s). A vector tile holds only the cells of one 512-px square of the screen, clipped and
snapped to that square's 4096 × 4096 grid, so what is sent and drawn follows what is on the
screen.

How it holds together with the page:

- **Status is the page's.** ``cell_status`` runs the same computation as the coverage page
  (``duty.coverage.site_period_status`` / ``duty.today.site_today_status`` rolled up by
  ``cell_coverage`` at every level), once per scope, month and day; ``coverage_tile`` passes the
  rows of the cells in one tile to the tile query as arrays (``unnest``), so the database joins
  status to geometry and the figures, the table and the map never disagree.
- **Geometry stays in the database.** Cells are found by the GiST index on ``grid_cell.geom``
  (the tile's envelope, ``ST_TileEnvelope`` in Web Mercator taken back to WGS84), simplified
  to the tile's pixel (``ST_Simplify``), clipped and encoded by ``ST_AsMVTGeom``/``ST_AsMVT``.
- **Only the level that fits the zoom.** Level 1 cells at any zoom, level 2 from
  ``MIN_ZOOM[2]``, level 3 from ``MIN_ZOOM[3]``; a tile asked for a finer level than its zoom
  fits gets the coarsest fitting one (``level_at``), so a province at zoom 7 is a thousand
  large cells, not ninety thousand slivers of a pixel.
- **Scope.** Row-level security (``db.scope``) binds every query; the tile query also names
  the county in scope when it is one, so a database role RLS does not bind (a superuser in
  development) still draws one county. A township (``township_id``) keeps its own cells and
  those holding its sites, as the page does.

Empty areas give ``b""`` (the route answers 204).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from accounts.auth import SignedIn
from accounts.permissions import require
from accounts.scope import narrow
from core.vocab import GRID_LEVELS
from db import scope
from duty.coverage import cell_coverage, load_cells, month_bounds, site_period_status
from duty.today import site_today_status

LAYER = "cells"
# Tiles are 512 px on the screen (Leaflet: tileSize 512, zoomOffset -1): a quarter of the
# requests of 256-px tiles for the same view — each request resumes the session and runs
# two queries, which dominated the province's first paint (bench/bench_tiles.py). A tile of
# zoom z is drawn at screen zoom z + ZOOM_OFFSET.
TILE_PX = 512
ZOOM_OFFSET = 1
EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 22
# The zoom from which each level's cells are drawn (a real county's small cell, ~1 km, is
# ~15 px at zoom 11; its medium cell, ~3 km, ~10 px at zoom 9).
MIN_ZOOM: dict[int, int] = {1: 0, 2: 9, 3: 11}
VIEWS = ("month", "today")
# Web Mercator's half-width in metres: a screen pixel of a tile of zoom z is
# 2 * HALF / 2**z / TILE_PX.
HALF_WORLD_M = 20037508.342789244


class TileRequestError(ValueError):
    """A tile asked for with numbers or choices that name none (the route answers 400)."""


@dataclass(frozen=True)
class TileAddress:
    z: int
    x: int
    y: int


def tile_address(z: object, x: object, y: object) -> TileAddress:
    """z/x/y as whole numbers in range (``7``, ``"7"``; ``"7.pbf"`` for y), else
    ``TileRequestError`` saying what is wrong."""

    def whole(name: str, value: object) -> int:
        raw = str(value)
        if name == "y" and raw.endswith((".pbf", ".mvt")):
            raw = raw[:-4]
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 8):
            raise TileRequestError(f"tile {name} must be a whole number ≥ 0, not {value!r}")
        return int(raw)

    zz, xx, yy = whole("z", z), whole("x", x), whole("y", y)
    if zz > MAX_ZOOM:
        raise TileRequestError(f"tile zoom {zz} is above {MAX_ZOOM}")
    if xx >= 2**zz or yy >= 2**zz:
        raise TileRequestError(f"tile {zz}/{xx}/{yy} does not exist: x and y run below {2**zz}")
    return TileAddress(zz, xx, yy)


def tile_viewer(viewer: SignedIn | None, township_id: int | None) -> int | None:
    """Who may have the coverage map's tiles — the roles of the coverage page
    (``view_coverage``, else ``PermissionDenied``) — and the township they get: a township
    account its own (``accounts.scope.narrow``), a county role what it chose."""
    require(viewer, "view_coverage")
    return narrow(viewer, township_id, "coverage")


def level_at(level: int, z: int) -> int:
    """The level drawn at zoom ``z`` when ``level`` was chosen: that one once the zoom fits
    it, else the finest coarser one that fits."""
    if level not in GRID_LEVELS:
        raise TileRequestError(f"grid level must be 1, 2 or 3, not {level!r}")
    return max(lv for lv in GRID_LEVELS if lv <= level and z >= MIN_ZOOM[lv])


def cell_status(
    session: Session,
    view: str,
    year: int,
    month: int,
    as_of: date,
    township_id: int | None = None,
) -> dict[int, pd.DataFrame]:
    """Per level, ``cell_coverage``'s frame of the view (the month, or "as of today" on
    ``as_of``), from the same site rows as the coverage page; indexed by cell id."""
    if view not in VIEWS:
        raise TileRequestError(f"view must be month or today, not {view!r}")
    if view == "today":
        status = site_today_status(session, as_of, township_id)
    else:
        start, end = month_bounds(year, month)
        status = site_period_status(session, start, end, as_of, township_id)
    cells = load_cells(session)
    return {
        lv: cell_coverage(status, cells, lv).set_index("cell_id", drop=False) for lv in GRID_LEVELS
    }


_CANDIDATES_SQL = """
SELECT c.id, c.township_id FROM grid_cell c
WHERE c.level = :level
  AND c.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y), 4326)
  AND {county}
"""

_TILE_SQL = """
WITH status AS (
    SELECT * FROM unnest(
        CAST(:ids AS bigint[]), CAST(:sites AS integer[]), CAST(:on_time AS integer[]),
        CAST(:share AS double precision[]), CAST(:dead AS boolean[]),
        CAST(:missed AS integer[]), CAST(:unassigned AS integer[])
    ) AS s(id, sites, on_time, share, dead, missed, unassigned)
),
shaped AS (
    SELECT c.id, c.code, c.level, s.sites, s.on_time, s.share, s.dead, s.missed, s.unassigned,
           ST_AsMVTGeom(
               ST_Simplify(ST_Transform(c.geom, 3857), :tolerance, true),
               ST_TileEnvelope(:z, :x, :y), :extent, :buffer, true
           ) AS geom
    FROM status s JOIN grid_cell c ON c.id = s.id
)
SELECT ST_AsMVT(shaped, :layer, :extent, 'geom', 'id') FROM shaped WHERE geom IS NOT NULL
"""


def _county_clause() -> tuple[str, dict[str, Any]]:
    county = scope.current_county()
    if county is None:
        return "TRUE", {}
    return "c.county_id = :county", {"county": county}


def coverage_tile(
    session: Session,
    status: dict[int, pd.DataFrame],
    level: int,
    address: TileAddress,
    township_id: int | None = None,
) -> bytes:
    """One tile of the coverage map: the cells of the level fitting the zoom (``level_at``)
    with their status (code, level, sites, on_time, share — absent without sites —, dead,
    missed, unassigned) in the layer ``cells``; ``b""`` when the tile holds none."""
    drawn = level_at(level, address.z + ZOOM_OFFSET)
    frame = status[drawn]
    county, county_params = _county_clause()
    found = session.execute(
        text(_CANDIDATES_SQL.format(county=county)),
        {"level": drawn, "z": address.z, "x": address.x, "y": address.y, **county_params},
    ).all()
    if not found:
        return b""
    ids = np.array([r[0] for r in found], dtype=np.int64)
    towns = np.array([-1 if r[1] is None else r[1] for r in found], dtype=np.int64)
    pos = pd.Index(frame.index.to_numpy(dtype=np.int64)).get_indexer(ids)
    keep = pos >= 0
    if township_id is not None:
        sites_here = np.where(keep, frame["sites"].to_numpy()[np.maximum(pos, 0)], 0)
        keep &= (towns == township_id) | (sites_here > 0)
    if not keep.any():
        return b""
    rows = frame.iloc[pos[keep]]
    share = rows["share"].to_numpy(dtype=float)
    params = {
        "ids": ids[keep].tolist(),
        "sites": rows["sites"].astype(int).tolist(),
        "on_time": rows["sites_on_time"].astype(int).tolist(),
        "share": [None if np.isnan(v) else round(float(v), 4) for v in share],
        "dead": rows["dead_corner"].astype(bool).tolist(),
        "missed": rows["sites_missed"].astype(int).tolist(),
        "unassigned": rows["sites_unassigned"].astype(int).tolist(),
        "z": address.z,
        "x": address.x,
        "y": address.y,
        "tolerance": 2 * HALF_WORLD_M / 2**address.z / TILE_PX,  # one screen pixel
        "extent": EXTENT,
        "buffer": BUFFER,
        "layer": LAYER,
    }
    data = session.execute(text(_TILE_SQL), params).scalar()
    return bytes(data) if data else b""


__all__ = [
    "LAYER",
    "TILE_PX",
    "ZOOM_OFFSET",
    "MIN_ZOOM",
    "VIEWS",
    "TileAddress",
    "TileRequestError",
    "cell_status",
    "coverage_tile",
    "level_at",
    "tile_address",
    "tile_viewer",
]
