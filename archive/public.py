"""Public patrol records (存档公示): what anyone may see of the patrols that count.

The public page is open without signing in, so this module is the privacy boundary. It returns
only patrols that count (`patrol_state.counts`: unflagged, or accepted by an analyst), and of
each only the deputy's name and level, a township, the local date (no time of day), duration,
distance and the sites visited. It never selects a deputy's contact, home, code or id.

Tracks are cut in PostGIS before they leave the database, in the deployment's metric CRS:
- each deputy's privacy zones are hidden: a disc around the registered home and one around each
  recurring start/end point, each with a radius and a centre offset drawn once at random and
  kept (`archive.privacy`; 800–1,200 m, the centre at least 450 m from the true point, which
  lies at least 350 m inside the edge). A fixed circle around the true start would put every
  cut end on a circle centred on the home, which a circle fit finds within metres;
- each part also loses its first and last `HIDDEN_M` metres along the line, and whatever lies
  within `HIDDEN_M` of the track's true start or end point (the rule for trips that start
  elsewhere than a known place);
- the line is simplified (to 5 m, then to `GRID_M`) and snapped to a `GRID_M` = 25 m grid
  before the cut, so the small shape near a zone is coarse, the cut's new ends lie on a zone's
  edge and no published vertex lies inside a zone;
- tracks shorter than `MIN_TRACK_M` are dropped whole, and times (M values) are stripped.

Nothing of the period is left out: the records and the tracks come in pages of one order
(newest first), so every counting patrol is on some page, and the page's map draws that page's
tracks (those with something left outside the zones).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import geopandas as gpd
import pandas as pd
from sqlalchemy import Engine, text

from archive import privacy
from core import settings
from db.query import read_geoframe
from geo import crs

HIDDEN_M = 200.0
MIN_TRACK_M = 2 * HIDDEN_M
# Simplified in metres before trimming, so simplification cannot pull a line back into the
# hidden zone; 5 m is below what a county-scale map can show.
SIMPLIFY_M = 5.0
# Then simplified again and snapped to this grid (metric CRS): coarse enough that the shape of
# the last metres before a zone (a turn into a lane) is gone, fine enough for a county map.
# Simplifying to the grid first leaves vertices tens of metres apart, so snapping them makes no
# spikes or self-touching loops (which the cut would split into stray ends). Both happen before
# the cut, so the cut's new ends lie exactly on a zone's edge, never inside.
GRID_M = 25.0
# Segments per quarter circle of a zone's polygon: at 1,200 m an edge is 15 m long and lies
# within 3 cm of the circle, so the cut ends sit on the drawn circle, not on a few chords.
ZONE_QUAD_SEGS = 128
# The hidden disc is a polygon; its radius gets this margin so its straight edges (quad_segs=32
# loses at most 0.06 m at 200 m) never let a point nearer than HIDDEN_M slip through.
DISC_MARGIN_M = 0.5
# Patrols per page of the records and of the map: a page's map stays under 1 MB at demo scale.
PAGE_SIZE = 50
# Days at the start of a month during which the page opens on the last complete month.
YOUNG_DAYS = 10
SITE_SEPARATOR = "、"

PATROL_COLUMNS = [
    "patrol_no",
    "date",
    "deputy_name",
    "deputy_level",
    "township",
    "duration_min",
    "distance_km",
    "site_count",
    "sites",
]


@dataclass(frozen=True)
class PublicFigures:
    """Counts for the period: patrols that count, their verified visits, distinct sites."""

    patrols: int
    visits: int
    sites: int


def _tz() -> str:
    return settings.text("timezone")


def _period_params(start: date, end: date, township_id: int | None) -> dict[str, object]:
    return {
        "tz": _tz(),
        "start": start,
        "end": end + timedelta(days=1),
        "township_id": township_id,
    }


def _page_params(page: int, page_size: int | None) -> dict[str, object]:
    """LIMIT/OFFSET of page ``page`` (1 = newest); page_size None: everything (LIMIT NULL)."""
    if page < 1 or (page_size is not None and page_size < 1):
        raise ValueError(f"page {page} of size {page_size}: both must be at least 1")
    return {"limit": page_size, "offset": 0 if page_size is None else (page - 1) * page_size}


def page_count(total: int, page_size: int = PAGE_SIZE) -> int:
    """Pages needed for ``total`` patrols (at least one, which may be empty)."""
    return max(1, math.ceil(total / page_size))


# One order for the records and the tracks, so page n of both holds the same patrols.
_PAGE = "ORDER BY c.started_at DESC, c.id DESC LIMIT CAST(:limit AS integer) OFFSET :offset"


# Patrols that count, started on local days start..end; a township selects its deputies'
# patrols and patrols that visited one of its sites (as on the patrols page).
_CHOSEN = """
    SELECT p.id, p.deputy_id, p.started_at, p.ended_at, p.distance_m, t.geom
    FROM patrol p
    LEFT JOIN patrol_track t ON t.patrol_id = p.id
    JOIN patrol_state ps ON ps.patrol_id = p.id
    JOIN deputy d ON d.id = p.deputy_id
    WHERE ps.counts
      AND p.started_at >= (CAST(:start AS timestamp) AT TIME ZONE :tz)
      AND p.started_at < (CAST(:end AS timestamp) AT TIME ZONE :tz)
      AND (CAST(:township_id AS integer) IS NULL
           OR d.township_id = :township_id
           OR EXISTS (SELECT 1 FROM visit v2 JOIN site s2 ON s2.id = v2.site_id
                      WHERE v2.patrol_id = p.id AND s2.township_id = :township_id))
"""


def public_patrols(
    engine: Engine,
    start: date,
    end: date,
    township_id: int | None = None,
    *,
    page: int = 1,
    page_size: int | None = None,
) -> pd.DataFrame:
    """The period's counting patrols, newest first, with only what may be published: page
    ``page`` of ``page_size`` rows, or all of them when page_size is None.

    Columns: patrol_no (the patrol's number, nothing of the deputy), date (local), deputy_name,
    deputy_level (code, see core.vocab.DEPUTY_LEVELS), township (the deputy's, else the first
    visited site's), duration_min, distance_km, site_count and sites (names joined by 、).
    """
    sql = f"""
        WITH chosen AS ({_CHOSEN})
        SELECT c.id AS patrol_no,
               (c.started_at AT TIME ZONE :tz)::date AS date,
               d.name AS deputy_name,
               d.level AS deputy_level,
               COALESCE(td.name, (
                   SELECT t.name FROM visit v JOIN site s ON s.id = v.site_id
                   JOIN township t ON t.id = s.township_id
                   WHERE v.patrol_id = c.id ORDER BY v.arrived LIMIT 1
               )) AS township,
               round(CAST(EXTRACT(EPOCH FROM (c.ended_at - c.started_at)) / 60.0 AS numeric))
                   AS duration_min,
               round(CAST(c.distance_m / 1000.0 AS numeric), 2) AS distance_km,
               COALESCE(vs.site_count, 0) AS site_count,
               COALESCE(vs.sites, '') AS sites
        FROM chosen c
        JOIN deputy d ON d.id = c.deputy_id
        LEFT JOIN township td ON td.id = d.township_id
        LEFT JOIN LATERAL (
            SELECT count(*) AS site_count,
                   string_agg(x.name, :sep ORDER BY x.first_arrived) AS sites
            FROM (SELECT s.name, min(v.arrived) AS first_arrived
                  FROM visit v JOIN site s ON s.id = v.site_id
                  WHERE v.patrol_id = c.id GROUP BY s.id, s.name) x
        ) vs ON true
        {_PAGE}
    """
    params = {
        **_period_params(start, end, township_id),
        **_page_params(page, page_size),
        "sep": SITE_SEPARATOR,
    }
    with engine.connect() as conn:
        rows = conn.execute(text(sql), params).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows], columns=PATROL_COLUMNS)
    for column in ("patrol_no", "site_count"):
        frame[column] = frame[column].astype(int)
    for column in ("duration_min", "distance_km"):
        frame[column] = frame[column].astype(float)
    return frame


def public_figures(
    engine: Engine, start: date, end: date, township_id: int | None = None
) -> PublicFigures:
    """Patrols that count in the period, their verified visits and distinct sites visited."""
    sql = f"""
        WITH chosen AS ({_CHOSEN})
        SELECT (SELECT count(*) FROM chosen) AS patrols,
               count(v.visit_id) AS visits,
               count(DISTINCT v.site_id) AS sites
        FROM verified_visit v JOIN chosen c ON c.id = v.patrol_id
    """
    with engine.connect() as conn:
        row = conn.execute(text(sql), _period_params(start, end, township_id)).one()
    return PublicFigures(int(row.patrols), int(row.visits), int(row.sites))


def _page_deputies(engine: Engine, params: dict[str, object]) -> list[int]:
    """Deputies of the page's patrols: their zones must exist before their tracks are cut."""
    sql = f"""
        WITH chosen AS ({_CHOSEN})
        SELECT DISTINCT c.deputy_id FROM (SELECT c.* FROM chosen c {_PAGE}) c
    """
    with engine.connect() as conn:
        return [int(i) for i in conn.scalars(text(sql), params)]


def public_tracks(
    engine: Engine,
    start: date,
    end: date,
    township_id: int | None = None,
    *,
    page: int = 1,
    page_size: int | None = None,
) -> gpd.GeoDataFrame:
    """The period's counting tracks with their ends and their deputies' privacy zones cut
    away, 2D, simplified and snapped to GRID_M, in EPSG:4326: those of the patrols on page
    ``page`` of `public_patrols` (same order and size), or all of them when page_size is None.

    Creates the page's deputies' zones first when they have none yet (a short transaction of
    its own; `archive.privacy.ensure_zones`), so the reader needs INSERT on privacy_zone and
    privacy_place. Columns: patrol_no, deputy_name, date (local, as text), geom
    (MultiLineString). A track shorter than MIN_TRACK_M, or with nothing left after the cut
    (wholly inside a zone), has no row.
    """
    params = {
        **_period_params(start, end, township_id),
        **_page_params(page, page_size),
        "epsg": crs.metric_epsg(),
        "min_len": MIN_TRACK_M,
        "hide": HIDDEN_M,
        "disc": HIDDEN_M + DISC_MARGIN_M,
        "margin": DISC_MARGIN_M,
        "tol": SIMPLIFY_M,
        "grid": GRID_M,
        "zone_segs": f"quad_segs={ZONE_QUAD_SEGS}",
    }
    privacy.ensure_zones(engine, _page_deputies(engine, params))
    sql = f"""
        WITH chosen AS ({_CHOSEN}),
        paged AS (SELECT c.* FROM chosen c {_PAGE}),
        recent AS (
            SELECT c.id, c.deputy_id, c.started_at,
                   ST_Transform(ST_Force2D(c.geom), :epsg) AS g
            FROM paged c WHERE c.geom IS NOT NULL AND NOT ST_IsEmpty(c.geom)
        ),
        zones AS (
            SELECT z.deputy_id,
                   ST_Union(ST_Buffer(z.centre, z.radius_m + :margin, :zone_segs)) AS g
            FROM ({privacy.zone_centres_sql()}) z
            WHERE z.deputy_id IN (SELECT r.deputy_id FROM recent r)
            GROUP BY z.deputy_id
        ),
        long_enough AS (
            SELECT r.id, r.deputy_id, r.started_at, r.g,
                   ST_Union(
                       ST_Union(
                           ST_Buffer(ST_StartPoint(ST_GeometryN(r.g, 1)), :disc, 'quad_segs=32'),
                           ST_Buffer(ST_EndPoint(ST_GeometryN(r.g, ST_NumGeometries(r.g))),
                                     :disc, 'quad_segs=32')
                       ),
                       COALESCE(z.g, ST_SetSRID('POLYGON EMPTY'::geometry, :epsg))
                   ) AS hidden
            FROM recent r LEFT JOIN zones z ON z.deputy_id = r.deputy_id
            WHERE ST_Length(r.g) >= :min_len
        ),
        parts AS (
            SELECT l.id, l.hidden, part.geom AS line, ST_Length(part.geom) AS len
            FROM long_enough l,
                 LATERAL ST_Dump(ST_LineMerge(ST_RemoveRepeatedPoints(ST_SnapToGrid(
                     ST_Simplify(ST_Simplify(l.g, :tol), :grid), :grid)))) AS part
            WHERE GeometryType(part.geom) = 'LINESTRING' AND ST_NPoints(part.geom) >= 2
        ),
        trimmed AS (
            SELECT p.id,
                   ST_Difference(
                       ST_LineSubstring(p.line, :hide / p.len, 1 - :hide / p.len), p.hidden
                   ) AS g
            FROM parts p WHERE p.len > 2 * :hide
        ),
        kept AS (
            SELECT t.id, ST_LineMerge(ST_CollectionExtract(ST_Collect(t.g), 2)) AS g
            FROM trimmed t WHERE NOT ST_IsEmpty(t.g) GROUP BY t.id
        )
        SELECT l.id AS patrol_no, d.name AS deputy_name,
               to_char(l.started_at AT TIME ZONE :tz, 'YYYY-MM-DD') AS date,
               ST_Multi(ST_Transform(k.g, 4326)) AS geom
        FROM kept k
        JOIN long_enough l ON l.id = k.id
        JOIN deputy d ON d.id = l.deputy_id
        WHERE NOT ST_IsEmpty(k.g)
        ORDER BY l.started_at DESC, l.id DESC
    """
    return read_geoframe(engine, sql, params)


def public_sites(
    engine: Engine, start: date, end: date, township_id: int | None = None
) -> gpd.GeoDataFrame:
    """Sites the period's counting patrols visited: name, kind, class and verified visits."""
    sql = f"""
        WITH chosen AS ({_CHOSEN})
        SELECT s.id AS site_id, s.name, s.kind, s.site_class, count(*) AS visits, s.geom
        FROM verified_visit v
        JOIN chosen c ON c.id = v.patrol_id
        JOIN site s ON s.id = v.site_id
        GROUP BY s.id ORDER BY s.code
    """
    return read_geoframe(engine, sql, _period_params(start, end, township_id))


def township_outlines(engine: Engine, tolerance: float = 0.0005) -> gpd.GeoDataFrame:
    """Township boundaries, simplified: context for a map that has no basemap offline."""
    sql = (
        "SELECT t.name, ST_SimplifyPreserveTopology(t.geom, :tol) AS geom "
        "FROM township t ORDER BY t.code"
    )
    return read_geoframe(engine, sql, {"tol": tolerance})


def opening_month(found: set[tuple[int, int]], today: date) -> tuple[int, int]:
    """The month the public page opens on. While the current month is young (its first 旬,
    days 1–10: not even a class-1 site's first window has closed) the newest *complete*
    month with a counting patrol, so a visitor meets a whole month's record, not a few days;
    later the newest month with one up to today; this month when there is none at all."""
    current = (today.year, today.month)
    if today.day <= YOUNG_DAYS:
        complete = [ym for ym in found if ym < current]
        if complete:
            return max(complete)
    return max((ym for ym in found if ym <= current), default=current)


def archive_months(engine: Engine, today: date) -> tuple[list[tuple[int, int]], tuple[int, int]]:
    """(year, month) of this month and every month with a counting patrol, newest first; and
    the month the page opens on (``opening_month``)."""
    sql = """
        SELECT DISTINCT
               CAST(EXTRACT(YEAR FROM p.started_at AT TIME ZONE :tz) AS integer) AS y,
               CAST(EXTRACT(MONTH FROM p.started_at AT TIME ZONE :tz) AS integer) AS m
        FROM patrol p JOIN patrol_state ps ON ps.patrol_id = p.id
        WHERE ps.counts AND p.started_at IS NOT NULL
    """
    with engine.connect() as conn:
        found = {(int(r.y), int(r.m)) for r in conn.execute(text(sql), {"tz": _tz()})}
    opening = opening_month(found, today)
    found.add((today.year, today.month))
    return sorted(found, reverse=True), opening


def month_period(year: int, month: int) -> tuple[date, date]:
    """First and last local day of a month."""
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return first, following - timedelta(days=1)


__all__ = [
    "GRID_M",
    "HIDDEN_M",
    "MIN_TRACK_M",
    "PAGE_SIZE",
    "PublicFigures",
    "archive_months",
    "month_period",
    "page_count",
    "public_figures",
    "public_patrols",
    "public_sites",
    "public_tracks",
    "township_outlines",
]
