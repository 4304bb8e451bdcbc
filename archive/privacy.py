"""Privacy zones of the public archive: where a deputy's tracks are never drawn.

Cutting a fixed circle around each track's true start and end (the old rule) puts the cut ends
on a circle whose centre *is* the home: a circle fit through a deputy's cut ends found it within
10 m. Here the hidden area is a disc whose centre is moved away from the true point by a random
offset, with a random radius, both drawn once per deputy (and per recurring place) with the
operating system's randomness and stored. The cut ends then lie on a circle around a point at
least `OFFSET_MIN_M` from the home, and because the draw never changes, averaging months of
tracks only finds that circle more precisely, never the home.

The ranges, and why:
- radius `RADIUS_M` = 800–1,200 m: large enough to hold the true point `INNER_MARGIN_M` inside
  the edge *and* `OFFSET_MIN_M` off centre (so at least 800 m), and varying by ±200 m so the
  radius itself says nothing; larger would hide most short patrols near home entirely.
- offset length `OFFSET_MIN_M` = 450 m up to radius − `INNER_MARGIN_M`, in a uniform direction:
  the zone's centre (what a circle fit recovers) is at least 450 m from the true point, 150 m
  above the 300 m an adversary must miss by, for the fit's noise and the grid coarsening.
- `INNER_MARGIN_M` = 350 m: every point of the zone's edge, so every cut end, is at least 350 m
  from the true point; the 200 m per-track disc around a true start or end lies wholly inside.
What an adversary still learns: the home lies somewhere in a disc of 800–1,200 m radius. What
no zone can stop: a route that leaves home in a straight line points back at it, and a trip
that leaves and returns on opposite sides has its two cut ends on a line through the home, their
midpoint at offset × |cos α| from it (tests/test_privacy_adversary.py measures how often).

Recurring places: the true first and last points of all of a deputy's tracks are clustered
(`ST_ClusterDBSCAN`, `CLUSTER_EPS_M` = 150 m, `CLUSTER_MIN` = 3 points, so two trips from the
same place); a cluster whose centre no zone of the deputy already holds (at least
`COVERED_MARGIN_M` inside it) becomes a `privacy_place` with its own draw and its anchor fixed
there and then. Storing the anchor, rather than deriving it from the data on every read, keeps
the zone from moving as tracks accrue: a moving centre could be averaged or differenced.

Zones are created when first needed (before publishing), in their own short transaction: the
home draw with INSERT … ON CONFLICT DO NOTHING, places under a transaction advisory lock, so two
page runs at once agree on one draw. Nothing here redraws a zone.
"""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from geo import crs

RADIUS_M = (800.0, 1200.0)
OFFSET_MIN_M = 450.0
INNER_MARGIN_M = 350.0
CLUSTER_EPS_M = 150.0
CLUSTER_MIN = 3
# A cluster whose centre lies this far inside an existing zone is that zone's: the 200 m
# per-track disc around its points fits inside with room for the cluster's spread.
COVERED_MARGIN_M = 200.0
# Serialises the creation of places across sessions (pg_advisory_xact_lock key).
_PLACE_LOCK = 0x5A_0010
_RANDOM: random.Random = secrets.SystemRandom()


@dataclass(frozen=True)
class Draw:
    """A zone's radius and the offset of its centre from the true point, in metres."""

    radius_m: float
    offset_east_m: float
    offset_north_m: float


def draw_zone(rng: random.Random | None = None) -> Draw:
    """A fresh draw (from the OS's randomness unless a test passes its own generator)."""
    source = rng or _RANDOM
    radius = source.uniform(*RADIUS_M)
    length = source.uniform(OFFSET_MIN_M, radius - INNER_MARGIN_M)
    angle = source.uniform(0.0, 2.0 * math.pi)
    return Draw(radius, length * math.cos(angle), length * math.sin(angle))


def zone_centres_sql() -> str:
    """SELECT deputy_id, centre (metric CRS, :epsg), radius_m of every stored zone: the home
    zone of deputies with a registered home, and every recurring place."""
    return """
        SELECT z.deputy_id,
               ST_Translate(ST_Transform(d.home, :epsg), z.offset_east_m, z.offset_north_m)
                   AS centre,
               z.radius_m
        FROM privacy_zone z JOIN deputy d ON d.id = z.deputy_id
        WHERE d.home IS NOT NULL
        UNION ALL
        SELECT pp.deputy_id,
               ST_Translate(ST_Transform(pp.anchor, :epsg), pp.offset_east_m, pp.offset_north_m),
               pp.radius_m
        FROM privacy_place pp
    """


def _insert_home_draws(conn: Connection, deputy_ids: Sequence[int]) -> None:
    missing = conn.scalars(
        text(
            "SELECT d.id FROM deputy d WHERE d.id = ANY(:ids) "
            "AND NOT EXISTS (SELECT 1 FROM privacy_zone z WHERE z.deputy_id = d.id)"
        ),
        {"ids": list(deputy_ids)},
    ).all()
    rows = [{"d": int(i), **_params(draw_zone())} for i in missing]
    if rows:
        conn.execute(
            text(
                "INSERT INTO privacy_zone (deputy_id, radius_m, offset_east_m, offset_north_m) "
                "VALUES (:d, :r, :e, :n) ON CONFLICT (deputy_id) DO NOTHING"
            ),
            rows,
        )


def _params(draw: Draw) -> dict[str, float]:
    return {"r": draw.radius_m, "e": draw.offset_east_m, "n": draw.offset_north_m}


# Clusters of the true track ends that no zone of the deputy holds yet; metric CRS.
_NEW_PLACES = f"""
    WITH ends AS (
        SELECT r.deputy_id,
               ST_Transform(ST_Force2D(ST_StartPoint(ST_GeometryN(p.geom, 1))), :epsg) AS pt
        FROM patrol_track p JOIN patrol r ON r.id = p.patrol_id
        WHERE r.deputy_id = ANY(:ids) AND NOT ST_IsEmpty(p.geom)
        UNION ALL
        SELECT r.deputy_id,
               ST_Transform(ST_Force2D(ST_EndPoint(ST_GeometryN(p.geom, ST_NumGeometries(p.geom)))),
                            :epsg)
        FROM patrol_track p JOIN patrol r ON r.id = p.patrol_id
        WHERE r.deputy_id = ANY(:ids) AND NOT ST_IsEmpty(p.geom)
    ),
    clustered AS (
        SELECT e.deputy_id, e.pt,
               ST_ClusterDBSCAN(e.pt, eps := :eps, minpoints := :min_points)
                   OVER (PARTITION BY e.deputy_id) AS cid
        FROM ends e
    ),
    centres AS (
        SELECT c.deputy_id, ST_Centroid(ST_Collect(c.pt)) AS centre
        FROM clustered c WHERE c.cid IS NOT NULL GROUP BY c.deputy_id, c.cid
    ),
    zones AS ({zone_centres_sql()})
    SELECT c.deputy_id, ST_AsText(ST_Transform(c.centre, 4326)) AS anchor
    FROM centres c
    WHERE NOT EXISTS (
        SELECT 1 FROM zones z
        WHERE z.deputy_id = c.deputy_id
          AND ST_DWithin(z.centre, c.centre, z.radius_m - :covered)
    )
    ORDER BY c.deputy_id, anchor
"""


def _insert_places(conn: Connection, deputy_ids: Sequence[int]) -> None:
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PLACE_LOCK})
    found = conn.execute(
        text(_NEW_PLACES),
        {
            "ids": list(deputy_ids),
            "epsg": crs.metric_epsg(),
            "eps": CLUSTER_EPS_M,
            "min_points": CLUSTER_MIN,
            "covered": COVERED_MARGIN_M,
        },
    ).all()
    rows = [{"d": int(r.deputy_id), "a": r.anchor, **_params(draw_zone())} for r in found]
    if rows:
        conn.execute(
            text(
                "INSERT INTO privacy_place "
                "(deputy_id, anchor, radius_m, offset_east_m, offset_north_m) "
                "VALUES (:d, ST_GeomFromText(:a, 4326), :r, :e, :n)"
            ),
            rows,
        )


def ensure_zones(engine: Engine, deputy_ids: Sequence[int]) -> None:
    """Give these deputies their home draw and a place for every new recurring start/end
    point, in one short transaction of its own; existing draws are never touched."""
    if not deputy_ids:
        return
    with engine.begin() as conn:
        _insert_home_draws(conn, deputy_ids)
        _insert_places(conn, deputy_ids)


__all__ = [
    "CLUSTER_EPS_M",
    "CLUSTER_MIN",
    "INNER_MARGIN_M",
    "OFFSET_MIN_M",
    "RADIUS_M",
    "Draw",
    "draw_zone",
    "ensure_zones",
    "zone_centres_sql",
]
