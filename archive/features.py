"""The open interface's collections (OGC API – Features): what other platforms may read.

Each collection is one entry of `COLLECTIONS`: an id, titles, and its *published view* — one
SELECT naming exactly the columns that leave the database. The API (`api/ogc.py`) never reads
a table directly, only these views, wrapped as a subquery and filtered there by bbox, time
and paging in PostGIS. Adding a collection is one more entry here (the early warnings came
so); the routes, the metadata, the OpenAPI and the tests' generic checks
pick it up.

A view's columns, by name:
- `fid` (text): the feature id in the URL (`/items/{fid}`), unique in the collection;
- `ord`: a stable order for paging (ascending);
- `geom`: the geometry in EPSG:4326 (lon/lat, i.e. CRS84 order), or NULL for none;
- `t0`, `t1` (timestamptz, only when `temporal`): the feature's time as an interval (equal
  for an instant; `t1` NULL for one that runs on, like an open warning), against which
  `datetime` is matched;
- every other column is a property, in the order written.

Privacy: patrols are published as summaries only — deputy code, date, times, length and the
codes of the sites visited — with *no* geometry: neither the raw track nor anything of it can
fall inside a deputy's privacy zone (see `archive.privacy`). Tickets carry their public fields
(what GeoReport's public reads already show), never who reported them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text

from core import settings


@dataclass(frozen=True)
class Collection:
    """One published collection: its id in URLs, its titles and its view's SELECT."""

    id: str
    title: str
    description: str
    view: str
    temporal: bool = False


COLLECTIONS: tuple[Collection, ...] = (
    Collection(
        "grid_cells",
        "网格 Grid cells",
        "The grid hierarchy: level 1 large (大网格), 2 medium (中网格), 3 small (小网格) cells.",
        """
        SELECT g.code AS fid, g.id AS ord, g.geom,
               g.code, g.name, g.level, p.code AS parent_code, t.name AS township
        FROM grid_cell g
        LEFT JOIN grid_cell p ON p.id = g.parent_id
        LEFT JOIN township t ON t.id = g.township_id
        """,
    ),
    Collection(
        "sites",
        "监督点位 Sites",
        "Supervised sites: ponds, reservoirs, small water bodies, river sections, farms.",
        """
        SELECT s.code AS fid, s.id AS ord, s.geom,
               s.code, s.name, s.kind, s.site_class, t.name AS township,
               g.code AS grid_cell
        FROM site s
        LEFT JOIN township t ON t.id = s.township_id
        LEFT JOIN grid_cell g ON g.id = s.grid_cell_id
        """,
    ),
    Collection(
        "patrols",
        "巡查摘要 Patrol summaries",
        "Patrols that count (unflagged or accepted on review): deputy code, local date, "
        "times, length and the sites visited. No geometry: tracks are never published here.",
        """
        SELECT p.id::text AS fid, p.id AS ord, NULL::geometry AS geom,
               p.started_at AS t0, COALESCE(p.ended_at, p.started_at) AS t1,
               p.id AS patrol_no, d.code AS deputy_code,
               (p.started_at AT TIME ZONE :tz)::date AS date,
               p.started_at, p.ended_at,
               round(CAST(p.distance_m / 1000.0 AS numeric), 2) AS length_km,
               COALESCE((SELECT array_agg(s.code ORDER BY s.code) FROM site s
                         WHERE s.id IN (SELECT v.site_id FROM visit v
                                        WHERE v.patrol_id = p.id)),
                        ARRAY[]::text[]) AS visited_sites
        FROM patrol p
        JOIN patrol_state ps ON ps.patrol_id = p.id AND ps.counts
        JOIN deputy d ON d.id = p.deputy_id
        WHERE p.started_at IS NOT NULL
        """,
        temporal=True,
    ),
    Collection(
        "tickets",
        "交办单 Tickets",
        "Dispatch tickets: number, category, platform, township, site, status, deadline "
        "and the problem's location; never the reporter.",
        """
        SELECT t.number AS fid, t.id AS ord, t.geom,
               t.created_at AS t0, t.created_at AS t1,
               t.number, t.category_code AS category, c.name_zh AS category_zh,
               t.platform_code AS platform, tw.name AS township, s.code AS site,
               st.status, st.status_at, t.source, t.description, t.deadline, t.created_at
        FROM ticket t
        JOIN problem_category c ON c.code = t.category_code
        LEFT JOIN township tw ON tw.id = t.township_id
        LEFT JOIN site s ON s.id = t.site_id
        LEFT JOIN ticket_state st ON st.ticket_id = t.id
        """,
        temporal=True,
    ),
    Collection(
        "warnings",
        "预警 Early warnings",
        "Early warnings (预警管理): rule, state, site, township, when raised, acknowledged "
        "and closed; an open warning's interval runs on. Never the deputy, the notes or who "
        "acted: those stay with the county's staff.",
        """
        SELECT w.id::text AS fid, w.id AS ord, s.geom,
               w.raised_at AS t0, w.closed_at AS t1,
               w.id AS warning_no, w.rule,
               CASE WHEN w.closed_at IS NOT NULL THEN 'closed'
                    WHEN w.acknowledged_at IS NOT NULL THEN 'acknowledged'
                    ELSE 'open' END AS state,
               s.code AS site, tw.name AS township, w.raised_on,
               w.acknowledged_at, w.closed_at
        FROM early_warning w
        LEFT JOIN site s ON s.id = w.site_id
        LEFT JOIN township tw ON tw.id = w.township_id
        """,
        temporal=True,
    ),
)
BY_ID = {c.id: c for c in COLLECTIONS}
# Columns of a view that are not properties.
_INTERNAL = ("fid", "ord", "geom", "t0", "t1")

BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class Interval:
    """A closed time interval; None on a side means open (`..`)."""

    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class Page:
    features: list[dict[str, Any]]
    matched: int


def _params() -> dict[str, Any]:
    return {"tz": settings.text("timezone")}


def _filters(collection: Collection, bbox: BBox | None, interval: Interval | None) -> tuple:
    """WHERE clauses and their parameters. A bbox whose west edge lies east of its east edge
    crosses the antimeridian (OGC's rule) and is two envelopes."""
    where: list[str] = []
    params: dict[str, Any] = {}
    if bbox is not None:
        west, south, east, north = bbox
        boxes = [(west, east)] if west <= east else [(west, 180.0), (-180.0, east)]
        parts = []
        for i, (w, e) in enumerate(boxes):
            parts.append(f"ST_Intersects(f.geom, ST_MakeEnvelope(:w{i}, :s, :e{i}, :n, 4326))")
            params |= {f"w{i}": w, f"e{i}": e}
        params |= {"s": south, "n": north}
        where.append("f.geom IS NOT NULL AND (" + " OR ".join(parts) + ")")
    if interval is not None and collection.temporal:
        if interval.start is not None:
            where.append("(f.t1 IS NULL OR f.t1 >= :t_start)")
            params["t_start"] = interval.start
        if interval.end is not None:
            where.append("f.t0 <= :t_end")
            params["t_end"] = interval.end
    return (" WHERE " + " AND ".join(where)) if where else "", params


def _feature(row: Any) -> dict[str, Any]:
    properties = {k: v for k, v in dict(row.properties).items() if k not in _INTERNAL}
    return {
        "type": "Feature",
        "id": row.fid,
        "geometry": json.loads(row.geometry) if row.geometry else None,
        "properties": properties,
    }


def _select(collection: Collection) -> str:
    # to_json renders dates, times (with offset) and numerics as JSON the way PostgreSQL
    # writes them; the internal columns are dropped in _feature.
    return (
        "SELECT f.fid, ST_AsGeoJSON(f.geom, 7) AS geometry, to_json(f) AS properties "
        f"FROM ({collection.view}) f"
    )


def features(
    engine: Engine,
    collection: Collection,
    *,
    bbox: BBox | None = None,
    interval: Interval | None = None,
    limit: int = 10,
    offset: int = 0,
) -> Page:
    """One page of a collection's features, in its stable order, and how many match."""
    where, params = _filters(collection, bbox, interval)
    params |= _params() | {"limit": limit, "offset": offset}
    with engine.connect() as conn:
        matched = conn.scalar(text(f"SELECT count(*) FROM ({collection.view}) f{where}"), params)
        rows = conn.execute(
            text(f"{_select(collection)}{where} ORDER BY f.ord LIMIT :limit OFFSET :offset"),
            params,
        ).all()
    return Page([_feature(r) for r in rows], int(matched or 0))


def feature(engine: Engine, collection: Collection, fid: str) -> dict[str, Any] | None:
    """One feature by its id, or None."""
    with engine.connect() as conn:
        row = conn.execute(
            text(f"{_select(collection)} WHERE f.fid = :fid"), _params() | {"fid": fid}
        ).first()
    return None if row is None else _feature(row)


def extent(engine: Engine, collection: Collection) -> dict[str, Any]:
    """The collection's extent: its features' bounding box (the county's when they have no
    geometry) in CRS84, and for temporal ones the first and last time (None when empty; the
    end None too while a feature's interval runs on: unbounded, as OGC writes it)."""
    spatial = (
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
        f"(SELECT COALESCE(ST_Extent(f.geom)::geometry, "
        f"(SELECT ST_Extent(geom)::geometry FROM county)) AS e FROM ({collection.view}) f) x"
    )
    out: dict[str, Any] = {}
    with engine.connect() as conn:
        box = conn.execute(text(spatial), _params()).one()
        if all(v is not None for v in box):
            out["spatial"] = {
                "bbox": [[round(float(v), 7) for v in box]],
                "crs": CRS84,
            }
        if collection.temporal:
            first, last = conn.execute(
                text(
                    "SELECT min(f.t0), CASE WHEN bool_or(f.t1 IS NULL) THEN NULL "
                    f"ELSE max(f.t1) END FROM ({collection.view}) f"
                ),
                _params(),
            ).one()
            out["temporal"] = {
                "interval": [[_rfc3339(first), _rfc3339(last)]],
                "trs": GREGORIAN,
            }
    return out


def _rfc3339(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
