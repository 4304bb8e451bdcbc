"""Reproducible synthetic county for demos and tests (no real personal or site data needed).

``generate_demo(seed)`` builds, from one seeded ``numpy`` generator:

* an irregular county outline (~1,100 km² near 118.5°E, 28.9°N) or a caller's real outline;
* 14 townships (3 街道, 6 镇, 5 乡) that tile the county;
* a three-level grid of exactly 15 / 192 / 932 cells, each level tiling the county and
  nested in its parent;
* 422 water sites (ponds, small water bodies, reservoirs, river sections) and 115
  livestock farms;
* 382 people's deputies with homes, and a "就近就便" (nearest, convenient) assignment of
  every site to one deputy so that every deputy has at least one site;
* one people's congress office (乡镇人大办公室, 街道人大工委办公室) per township, with a contact
  person and a mobile number, where the reminders escalate overdue sites.

Geometry is built in the UTM zone of the outline's centroid so areas and distances are in
metres, and converted to EPSG:4326 at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist
from shapely import ops
from shapely.geometry import LineString, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from data import names as nm
from data.partition import allocate, as_multipolygon, partition, sample_points
from geo.crs import utm_epsg_for

DEFAULT_SEED = 2026
WGS84 = "EPSG:4326"

TARGET_AREA_M2 = 1.1e9
CENTRE_LONLAT = (118.5, 28.9)
N_SUBDISTRICTS, N_TOWNS, N_XIANG = 3, 6, 5
N_TOWNSHIPS = N_SUBDISTRICTS + N_TOWNS + N_XIANG
N_LARGE, N_MEDIUM, N_SMALL = 15, 192, 932
N_DEPUTIES = 382
N_FARMS = 115
N_RIVER_SECTIONS, N_RESERVOIRS, N_PONDS, N_SMALL_WATER = 20, 12, 330, 60
# Site classes by pollution risk (``_site_classes``): thresholds of the demo's stated basis.
LARGE_FARM_HEADS = 500.0  # pig-equivalents: a 规模养殖场
FARM_RISK_M = 500.0  # a water body this close to a farm takes its runoff
VILLAGE_RISK_M = 300.0  # ... this close to a village, its domestic sewage
# The 382 of the seed are county and township deputies ("县、乡两级代表"); the demo has no
# provincial or city deputies (they would come on top of the 382).
LEVEL_SHARES = {"county": 40, "township": 60}
VALID_FROM = date(2026, 1, 1)
TOWNSHIP_PENALTY_M = 20_000.0
SEGMENT_M = 200.0  # densify edges before leaving UTM (see _to_storage)
SITE_GAP_M = 40.0
FARM_WATER_CLEARANCE_M = 120.0  # the contract asks ≥ 100 m; the margin survives reprojection
KIND_ORDER = ("reservoir", "river_section", "pond", "small_water", "livestock_farm")
OFFICE_STREAM = 1  # second key of the offices' own generator (see _township_offices)
GRID_HEAD_STREAM = 4  # second key of the grid heads' own generator (see _grid_heads)
GRID_HEAD_CHANGES = 12  # small cells whose head changed once, so the demo shows history
GRID_HEAD_CHANGED_AFTER = timedelta(days=45)  # ... this long after the first head began


@dataclass(frozen=True)
class DemoCounty:
    """Everything the demo database needs, all GeoDataFrames in EPSG:4326."""

    seed: int
    county: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    deputies: gpd.GeoDataFrame
    assignments: pd.DataFrame
    offices: pd.DataFrame  # township (code), name, contact, phone
    # cell (code), name, phone, valid_from: a head for every small cell, a few changed later
    grid_heads: pd.DataFrame


def _to_storage(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Densify, then convert to EPSG:4326. A straight edge in UTM is slightly curved in degrees:
    without vertices every SEGMENT_M a child's vertex on its parent's long edge would land
    off that edge after conversion (~1,000 m² per cell), and nesting checks would fail."""
    out = gdf.copy()
    before = out.geometry.to_numpy()
    dense = shapely.segmentize(before, SEGMENT_M)
    # GEOS hands a one-part MultiPolygon back as a Polygon; keep the declared type.
    lost_multi = (shapely.get_type_id(before) == 6) & (shapely.get_type_id(dense) == 3)
    dense[lost_multi] = [as_multipolygon(g) for g in dense[lost_multi]]
    out["geometry"] = dense
    return out.to_crs(WGS84)


# --------------------------------------------------------------------------- outline


def _synthetic_outline(
    rng: np.random.Generator, centre: tuple[float, float] = CENTRE_LONLAT
) -> tuple[Polygon, int]:
    """A star-shaped, non-convex outline from a radial function with random harmonics.

    A positive radius sampled at increasing angles always gives a simple polygon, so the
    result is valid without repair; low harmonics make lobes and bays, high ones a ragged
    edge.
    """
    lon = centre[0] + rng.uniform(-0.03, 0.03)
    lat = centre[1] + rng.uniform(-0.03, 0.03)
    epsg = utm_epsg_for(lon, lat)
    cx, cy = Transformer.from_crs(WGS84, epsg, always_xy=True).transform(lon, lat)
    t = np.linspace(0.0, 2.0 * np.pi, 1024, endpoint=False)
    shape: Polygon | None = None
    for _ in range(100):
        r = np.ones_like(t)
        for k in range(2, 7):
            r += rng.uniform(0.03, 0.14) * np.cos(k * t + rng.uniform(0, 2 * np.pi))
        for k in range(7, 25):
            r += rng.uniform(0.0, 0.012) * np.cos(k * t + rng.uniform(0, 2 * np.pi))
        stretch = rng.uniform(0.85, 1.2)
        candidate = Polygon(np.column_stack([r * np.cos(t) * stretch, r * np.sin(t) / stretch]))
        if r.min() > 0.45 and candidate.convex_hull.area > 1.04 * candidate.area:
            shape = candidate
            break
    if shape is None:  # practically unreachable; keep the last draw rather than fail
        shape = candidate
    area = TARGET_AREA_M2 * rng.uniform(0.98, 1.02)
    scale = np.sqrt(area / shape.area)
    xy = shapely.get_coordinates(shape.exterior) * scale + np.array([cx, cy])
    return Polygon(xy), epsg


def _outline_from_boundary(boundary: gpd.GeoDataFrame) -> tuple[MultiPolygon, int]:
    """Union a real outline (any CRS) and project it to the UTM zone of its centroid."""
    if boundary.crs is None:
        raise ValueError("boundary has no CRS")
    geo = boundary.to_crs(WGS84)
    centre = geo.union_all().centroid
    epsg = utm_epsg_for(centre.x, centre.y)
    merged = shapely.make_valid(geo.to_crs(epsg).union_all())
    outline = as_multipolygon(merged)
    if outline.is_empty:
        raise ValueError("boundary has no polygon area")
    return outline, epsg


# --------------------------------------------------------------------------- helpers


def _reading_order(xy: np.ndarray, band: float) -> np.ndarray:
    """Indices sorting points north-to-south by band, then west-to-east (map reading order)."""
    rows = np.floor((xy[:, 1].max() - xy[:, 1]) / band)
    return np.lexsort((xy[:, 0], rows))


def _locate(xy: np.ndarray, polygons: list[BaseGeometry]) -> np.ndarray:
    """Index of the polygon containing each point (nearest polygon if on no polygon)."""
    tree = shapely.STRtree(polygons)
    pts = shapely.points(xy)
    hit = np.full(len(xy), -1, dtype=int)
    src, dst = tree.query(pts, predicate="intersects")
    order = np.lexsort((dst, src))
    src, dst = src[order], dst[order]
    first = np.unique(src, return_index=True)[1]
    hit[src[first]] = dst[first]
    missing = np.flatnonzero(hit < 0)
    if len(missing):
        s, d = tree.query_nearest(pts[missing], all_matches=False)
        hit[missing[s]] = d
    return hit


def _points_near(
    geom: BaseGeometry, centres: np.ndarray, sigma: float, n: int, rng: np.random.Generator
) -> np.ndarray:
    """n points inside geom, scattered normally around randomly chosen centres."""
    shapely.prepare(geom)
    out: list[np.ndarray] = []
    have = 0
    for _ in range(200):
        m = 2 * (n - have) + 8
        base = centres[rng.integers(len(centres), size=m)]
        xy = base + rng.normal(0.0, sigma, size=(m, 2))
        xy = xy[shapely.contains_xy(geom, xy[:, 0], xy[:, 1])]
        out.append(xy)
        have += len(xy)
        if have >= n:
            return np.concatenate(out)[:n]
    rest = sample_points(geom, n - have, rng)  # centres hug the edge: fall back to uniform
    return np.concatenate([*out, rest])[:n]


def _shuffled_quota(shares: tuple[float, ...], n: int, rng: np.random.Generator) -> np.ndarray:
    """Exactly-proportioned labels 0..len(shares)-1 in random order (deterministic per seed)."""
    counts = allocate(np.array(shares), n, minimum=0)
    return rng.permutation(np.repeat(np.arange(len(shares)), counts))


def _dedupe(labels: list[tuple[str, str]]) -> list[str]:
    """Join (stem, suffix) pairs, numbering repeats as 'stem2号suffix' so names stay unique."""
    seen: dict[tuple[str, str], int] = {}
    out: list[str] = []
    for stem, suffix in labels:
        seen[(stem, suffix)] = n = seen.get((stem, suffix), 0) + 1
        out.append(f"{stem}{suffix}" if n == 1 else f"{stem}{n}号{suffix}")
    return out


# --------------------------------------------------------------------------- townships


def _townships(
    county: BaseGeometry, county_code: str, rng: np.random.Generator
) -> tuple[list[MultiPolygon], list[str], list[str]]:
    """Cut the county into 14 townships; the 3 nearest the seat become 街道, the 5 farthest 乡.

    Codes follow the national pattern: 街道 001-, 镇 101-, 乡 201-.
    """
    pieces = partition(county, N_TOWNSHIPS, rng, samples_per_part=400)
    seat = county.centroid if county.contains(county.centroid) else county.point_on_surface()
    reps = shapely.point_on_surface(pieces)
    dist = shapely.distance(reps, seat)
    by_dist = np.lexsort((np.arange(len(pieces)), dist))
    subdistrict_names = rng.choice(nm.SUBDISTRICT_NAMES, N_SUBDISTRICTS, replace=False)
    town_names = rng.choice(nm.TOWN_NAMES, N_TOWNS, replace=False)
    xiang_names = rng.choice(nm.TOWNSHIP_NAMES, N_XIANG, replace=False)
    groups = [
        (by_dist[:N_SUBDISTRICTS], subdistrict_names, 0),
        (by_dist[N_SUBDISTRICTS : N_SUBDISTRICTS + N_TOWNS], town_names, 100),
        (by_dist[N_SUBDISTRICTS + N_TOWNS :], xiang_names, 200),
    ]
    geoms: list[MultiPolygon] = []
    codes: list[str] = []
    labels: list[str] = []
    for members, pool, base in groups:
        xy = shapely.get_coordinates(reps[members])
        for j, i in enumerate(members[_reading_order(xy, 8000.0)]):
            geoms.append(pieces[i])
            codes.append(f"{county_code}{base + j + 1:03d}")
            labels.append(str(pool[j]))
    return geoms, codes, labels


def _township_offices(
    seed: int, codes: list[str], names: list[str], taken: set[str]
) -> pd.DataFrame:
    """One office per township. Drawn from a generator of its own, so adding the offices
    changed nothing else the seed gives; phones never repeat a deputy's."""
    rng = np.random.default_rng([seed, OFFICE_STREAM])
    contacts = nm.person_names(len(codes), rng)
    phones = [p for p in nm.phone_numbers(len(codes) + len(taken), rng) if p not in taken]
    return pd.DataFrame(
        {
            "township": codes,
            "name": [
                f"{n}人大工委办公室" if n.endswith("街道") else f"{n}人大办公室" for n in names
            ],
            "contact": contacts,
            "phone": phones[: len(codes)],
        }
    )


def _grid_heads(seed: int, cells: list[str], first: date, taken: set[str]) -> pd.DataFrame:
    """A grid head (网格长) for every small cell from ``first``, and for a few cells a second
    head from later on (the first one's period then closes): two rows for those cells, in
    order. Drawn from a generator of their own, so nothing else the seed gives changes;
    phones never repeat a deputy's or an office's."""
    rng = np.random.default_rng([seed, GRID_HEAD_STREAM])
    n = len(cells) + GRID_HEAD_CHANGES
    names = nm.person_names(n, rng)
    phones = [p for p in nm.phone_numbers(n + len(taken), rng) if p not in taken][:n]
    changed = sorted(rng.choice(len(cells), size=min(GRID_HEAD_CHANGES, len(cells)), replace=False))
    later = first + GRID_HEAD_CHANGED_AFTER
    return pd.DataFrame(
        {
            "cell": cells + [cells[i] for i in changed],
            "name": names[:n],
            "phone": phones,
            "valid_from": [first.isoformat()] * len(cells) + [later.isoformat()] * len(changed),
        }
    )


# --------------------------------------------------------------------------- grid


def _grid(
    t_geoms: list[MultiPolygon], t_codes: list[str], t_names: list[str], rng: np.random.Generator
) -> pd.DataFrame:
    """Three nested cell levels: 15 large in townships, 192 medium, 932 small (by area)."""
    rows: list[dict[str, object]] = []
    t_area = np.array([g.area for g in t_geoms])
    n_large = np.ones(len(t_geoms), dtype=int)
    n_large[int(np.argmax(t_area))] += N_LARGE - len(t_geoms)
    large: list[tuple[str, int, MultiPolygon]] = []
    for ti, (geom, k) in enumerate(zip(t_geoms, n_large, strict=True)):
        for j, piece in enumerate(partition(geom, int(k), rng), start=1):
            code = f"{t_codes[ti]}{j:02d}"
            large.append((code, ti, piece))
            rows.append(
                dict(
                    code=code,
                    name=f"{t_names[ti]}第{j}大网格",
                    level=1,
                    parent_code=None,
                    township_code=t_codes[ti],
                    geometry=piece,
                )
            )
    per_township = np.zeros(len(t_geoms), dtype=int)
    parents = large
    for level, total, word in ((2, N_MEDIUM, "中"), (3, N_SMALL, "小")):
        counts = allocate(np.array([g.area for _, _, g in parents]), total)
        if counts.max() > 99:
            raise ValueError("too many children for a two-digit cell code")
        per_township[:] = 0
        children: list[tuple[str, int, MultiPolygon]] = []
        for (pcode, ti, pgeom), k in zip(parents, counts, strict=True):
            for j, piece in enumerate(partition(pgeom, int(k), rng), start=1):
                per_township[ti] += 1
                code = f"{pcode}{j:02d}"
                children.append((code, ti, piece))
                rows.append(
                    dict(
                        code=code,
                        name=f"{t_names[ti]}第{per_township[ti]}{word}网格",
                        level=level,
                        parent_code=pcode,
                        township_code=t_codes[ti],
                        geometry=piece,
                    )
                )
        parents = children
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- sites


def _blob(
    cx: float,
    cy: float,
    area: float,
    rng: np.random.Generator,
    aspect: tuple[float, float],
    wobble: float,
) -> Polygon:
    """A noisy ellipse of the given area: looks like a pond or reservoir, always valid."""
    t = np.linspace(0.0, 2.0 * np.pi, 48, endpoint=False)
    a = rng.uniform(*aspect)
    r = 1.0 / np.sqrt((np.cos(t) / a) ** 2 + np.sin(t) ** 2)
    noise = np.ones_like(t)
    for k in range(2, 7):
        noise += rng.uniform(0.0, wobble) / (k - 1) ** 0.5 * np.cos(k * t + rng.uniform(0, 6.3))
    r *= np.maximum(noise, 0.35)
    turn = rng.uniform(0.0, np.pi)
    xy = np.column_stack([r * np.cos(t + turn), r * np.sin(t + turn)])
    shape = Polygon(xy)
    xy = xy * np.sqrt(area / shape.area) + np.array([cx, cy])
    return Polygon(xy)


class _Placer:
    """Accepts candidate sites that lie inside the county and keep a gap to earlier sites."""

    def __init__(self, inner: BaseGeometry, gap: float) -> None:
        self.inner = inner
        shapely.prepare(inner)
        self.gap = gap
        self.geoms: list[BaseGeometry] = []
        self.centres: list[tuple[float, float]] = []
        self.radii: list[float] = []

    def try_add(self, geom: BaseGeometry) -> bool:
        """Add geom if it fits; a cheap centre-distance filter precedes the exact test."""
        if not self.inner.contains(geom):
            return False
        minx, miny, maxx, maxy = geom.bounds
        c = ((minx + maxx) / 2, (miny + maxy) / 2)
        rad = float(np.hypot(maxx - minx, maxy - miny) / 2)
        if self.geoms:
            centres = np.asarray(self.centres)
            near = np.hypot(centres[:, 0] - c[0], centres[:, 1] - c[1]) < (
                np.asarray(self.radii) + rad + self.gap
            )
            if near.any():
                others = np.asarray(self.geoms, dtype=object)[near]
                if shapely.dwithin(others, geom, self.gap).any():
                    return False
        self.geoms.append(geom)
        self.centres.append(c)
        self.radii.append(rad)
        return True


def _rivers(county: BaseGeometry, rng: np.random.Generator) -> list[tuple[str, LineString]]:
    """A meandering main river across the county and three tributaries joining it."""
    inner = county.buffer(-300.0)
    minx, miny, maxx, maxy = county.bounds
    span = float(np.hypot(maxx - minx, maxy - miny))
    seat = county.point_on_surface()
    river_names = rng.choice(nm.RIVER_NAMES, 4, replace=False)

    def meander(x0: float, y0: float, angle: float, length: float, amp: float) -> LineString:
        s = np.linspace(0.0, 1.0, 300)
        offset = np.zeros_like(s)
        for k in range(1, 5):
            offset += amp / k * np.sin(k * np.pi * s * rng.uniform(1.5, 3.0) + rng.uniform(0, 6.3))
        d = np.array([np.cos(angle), np.sin(angle)])
        n = np.array([-d[1], d[0]])
        xy = np.array([x0, y0]) + np.outer(s * length, d) + np.outer(offset, n)
        return LineString(xy)

    def longest(line: BaseGeometry) -> LineString | None:
        parts = [p for p in shapely.get_parts(line) if p.geom_type == "LineString"]
        return max(parts, key=lambda p: p.length) if parts else None

    angle = rng.uniform(0.0, np.pi)
    start = np.array([seat.x, seat.y]) - span * 0.6 * np.array([np.cos(angle), np.sin(angle)])
    main = longest(inner.intersection(meander(*start, angle, span * 1.2, 1500.0)))
    out: list[tuple[str, LineString]] = []
    if main is None:
        return out
    out.append((str(river_names[0]), main))
    for name in river_names[1:]:
        p = main.interpolate(rng.uniform(0.15, 0.85), normalized=True)
        side = 1.0 if rng.random() < 0.5 else -1.0
        branch = angle + side * rng.uniform(0.9, 1.4) + (np.pi if rng.random() < 0.5 else 0.0)
        length = rng.uniform(9000.0, 18000.0)
        tail = np.array([p.x, p.y]) + length * np.array([np.cos(branch), np.sin(branch)])
        line = meander(*tail, branch + np.pi, length, 600.0)  # flows towards the main river
        trib = longest(inner.intersection(line))
        if trib is not None and trib.length > 2500.0:
            out.append((str(name), trib))
    return out


def _water_sites(
    county: BaseGeometry, village_xy: np.ndarray, rng: np.random.Generator
) -> tuple[list[str], list[BaseGeometry], list[str]]:
    """Place river sections, reservoirs, ponds and small water bodies without overlap.

    Returns kinds, metric geometries and, for river sections, the river name ('' otherwise).
    """
    placer = _Placer(county.buffer(-60.0), SITE_GAP_M)
    kinds: list[str] = []
    rivers_of: list[str] = []

    def fill(kind: str, n: int, propose: Callable[[], BaseGeometry | None]) -> None:
        for _ in range(n * 200):
            if sum(k == kind for k in kinds) >= n:
                return
            geom = propose()
            if geom is not None and placer.try_add(geom):
                kinds.append(kind)
                rivers_of.append("")
        raise RuntimeError(f"could not place {n} sites of kind {kind}")

    rivers = _rivers(county, rng)
    lengths = np.array([line.length for _, line in rivers])
    picked: list[str] = []

    def river_section() -> BaseGeometry | None:
        i = int(rng.choice(len(rivers), p=lengths / lengths.sum()))
        name, line = rivers[i]
        span = rng.uniform(500.0, 2000.0)
        if line.length < span + 10.0:
            return None
        s0 = rng.uniform(0.0, line.length - span)
        picked.append(name)
        seg = ops.substring(line, s0, s0 + span)
        return seg.buffer(rng.uniform(15.0, 30.0) / 2.0, cap_style="flat", join_style="round")

    if rivers:
        before = len(kinds)
        for _ in range(N_RIVER_SECTIONS * 200):
            if len(kinds) - before >= N_RIVER_SECTIONS:
                break
            geom = river_section()
            if geom is not None and placer.try_add(geom):
                kinds.append("river_section")
                rivers_of.append(picked[-1])
    if kinds.count("river_section") < N_RIVER_SECTIONS:
        raise RuntimeError("could not place the river sections")

    uniform_pool = sample_points(county.buffer(-500.0), 4000, rng)

    def anywhere(
        area: tuple[float, float], aspect: tuple[float, float], wobble: float
    ) -> Callable[[], BaseGeometry]:
        def make() -> BaseGeometry:
            x, y = uniform_pool[rng.integers(len(uniform_pool))]
            return _blob(x, y, rng.uniform(*area), rng, aspect, wobble)

        return make

    def near_village(
        sigma: float, area: Callable[[], float], wobble: float
    ) -> Callable[[], BaseGeometry]:
        def make() -> BaseGeometry:
            x, y = village_xy[rng.integers(len(village_xy))] + rng.normal(0.0, sigma, 2)
            return _blob(x, y, area(), rng, (1.0, 2.0), wobble)

        return make

    fill("reservoir", N_RESERVOIRS, anywhere((11e4, 48e4), (1.2, 2.6), 0.35))
    village_pond = near_village(
        700.0, lambda: float(np.exp(rng.uniform(np.log(2.3e3), np.log(4.8e4)))), 0.2
    )
    hill_pond = anywhere((2.3e3, 4.8e4), (1.0, 2.0), 0.2)
    fill("pond", N_PONDS, lambda: village_pond() if rng.random() < 0.75 else hill_pond())
    fill("small_water", N_SMALL_WATER, near_village(350.0, lambda: rng.uniform(2.2e3, 9.5e3), 0.15))
    return kinds, placer.geoms, rivers_of


def _farms(
    county: BaseGeometry,
    water: list[BaseGeometry],
    village_xy: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """115 farm points in the countryside, clear of water bodies and 300 m from each other."""
    inner = county.buffer(-100.0)
    tree = shapely.STRtree(water)
    chosen = np.empty((0, 2))
    for _ in range(50):
        cand = _points_near(inner, village_xy, 1500.0, 2000, rng)
        bad = tree.query(
            shapely.points(cand), predicate="dwithin", distance=FARM_WATER_CLEARANCE_M
        )[0]
        cand = np.delete(cand, np.unique(bad), axis=0)
        for xy in cand:
            if len(chosen) and np.hypot(*(chosen - xy).T).min() < 300.0:
                continue
            chosen = np.vstack([chosen, xy])
            if len(chosen) == N_FARMS:
                return chosen
    raise RuntimeError("could not place the livestock farms")


def _site_classes(
    kinds: np.ndarray,
    geoms: np.ndarray,
    farm_xy: np.ndarray,
    village_xy: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Each site's class from its pollution risk, with the basis as a code (CLASS_BASES):
    a farm of ≥ LARGE_FARM_HEADS pig-equivalents is class 1, a smaller farm class 2; a water
    body within FARM_RISK_M of a farm is class 1 (manure runoff), within VILLAGE_RISK_M of a
    village or a reservoir class 2 (domestic sewage; a large body), any other class 3. Herd
    sizes come from their own random stream, so the rest of the county stays as it was."""
    heads = rng.lognormal(np.log(300.0), 0.9, size=len(farm_xy))
    farm_tree = shapely.STRtree(shapely.points(farm_xy))
    village_tree = shapely.STRtree(shapely.points(village_xy))
    near_farm = np.zeros(len(geoms), dtype=bool)
    near_farm[np.unique(farm_tree.query(geoms, "dwithin", FARM_RISK_M)[0])] = True
    near_village = np.zeros(len(geoms), dtype=bool)
    near_village[np.unique(village_tree.query(geoms, "dwithin", VILLAGE_RISK_M)[0])] = True
    farm = kinds == "livestock_farm"
    big = np.zeros(len(geoms), dtype=bool)
    big[np.flatnonzero(farm)] = heads >= LARGE_FARM_HEADS
    basis = np.select(
        [
            farm & big,
            farm,
            near_farm,
            near_village,
            kinds == "reservoir",
        ],
        ["large_farm", "farm", "farm_nearby", "village_nearby", "reservoir"],
        default="low_risk",
    ).astype(object)
    site_class = np.select(
        [
            np.isin(basis, ("large_farm", "farm_nearby")),
            np.isin(basis, ("farm", "village_nearby", "reservoir")),
        ],
        [1, 2],
        default=3,
    ).astype(int)
    return site_class, basis


# --------------------------------------------------------------------------- main


def generate_demo(
    seed: int = DEFAULT_SEED,
    boundary: gpd.GeoDataFrame | None = None,
    county_code: str = "330822",
    county_name: str = "示范县",
    assignments_from: date = VALID_FROM,
    code_prefix: str = "",
    centre: tuple[float, float] = CENTRE_LONLAT,
) -> DemoCounty:
    """Build the whole demo county from one seed; same seed, same output, bit for bit.

    ``code_prefix`` starts every site and deputy code (and so a deputy's user name) of a
    county that joins another in one city (codes are unique across the city); ``centre``
    places a synthetic outline (a neighbour sits beside the first county, not on it)."""
    rng = np.random.default_rng(seed)
    if boundary is None:
        outline, epsg = _synthetic_outline(rng, centre)
    else:
        outline, epsg = _outline_from_boundary(boundary)
    county_geom = as_multipolygon(outline)
    shapely.prepare(county_geom)

    t_geoms, t_codes, t_names = _townships(county_geom, county_code, rng)
    cells = _grid(t_geoms, t_codes, t_names, rng)

    # Villages anchor ponds, farms and homes so they cluster like real settlements.
    t_area = np.array([g.area for g in t_geoms])
    n_vill = allocate(t_area, 9 * N_TOWNSHIPS, minimum=4)
    village_xy = np.concatenate(
        [
            sample_points(g.buffer(-200.0) if g.buffer(-200.0).area > 0 else g, int(k), rng)
            for g, k in zip(t_geoms, n_vill, strict=True)
        ]
    )
    village_t = np.repeat(np.arange(N_TOWNSHIPS), n_vill)
    village_name = nm.village_names(len(village_xy), rng)

    kinds, water, rivers_of = _water_sites(county_geom, village_xy, rng)
    farm_xy = _farms(county_geom, water, village_xy, rng)
    kinds += ["livestock_farm"] * len(farm_xy)
    rivers_of += [""] * len(farm_xy)
    farm_kind = [nm.FARM_KINDS[i] for i in rng.integers(len(nm.FARM_KINDS), size=len(farm_xy))]
    site_geoms = np.concatenate([np.asarray(water, dtype=object), shapely.points(farm_xy)])
    rep_xy = shapely.get_coordinates(shapely.point_on_surface(site_geoms))
    site_t = _locate(rep_xy, t_geoms)

    # Name each site after the nearest village of its own township.
    d = cdist(rep_xy, village_xy)
    d += np.where(site_t[:, None] == village_t[None, :], 0.0, 1e9)
    vill = np.argmin(d, axis=1)
    kind_rank = np.array([KIND_ORDER.index(k) for k in kinds])
    rows = np.floor((rep_xy[:, 1].max() - rep_xy[:, 1]) / 3000.0)
    order = np.lexsort((rep_xy[:, 0], rows, kind_rank, site_t))
    farm_idx = {i: j for j, i in enumerate(range(len(water), len(kinds)))}
    labels: list[tuple[str, str]] = []
    for i in order:
        v, t = village_name[vill[i]], t_names[site_t[i]]
        stem, suffix = {
            "pond": (f"{v}村", "山塘"),
            "small_water": (f"{v}村", "小微水体"),
            "reservoir": (v, "水库"),
            "river_section": (f"{rivers_of[i]}{v}", "段"),
        }.get(kinds[i], (f"{v}村", farm_kind[farm_idx.get(i, 0)]))
        labels.append((f"{t}·{stem}", suffix))
    site_class, class_basis = _site_classes(
        np.array(kinds), site_geoms, farm_xy, village_xy, np.random.default_rng([seed, 3])
    )
    sites = gpd.GeoDataFrame(
        {
            "code": [f"{code_prefix}S{j:04d}" for j in range(1, len(order) + 1)],
            "name": _dedupe(labels),
            "kind": [kinds[i] for i in order],
            "site_class": site_class[order],
            "class_basis": class_basis[order],
            "class_from": [assignments_from] * len(order),
        },
        geometry=list(site_geoms[order]),
        crs=epsg,
    )
    site_xy, site_tw = rep_xy[order], site_t[order]

    # Deputies live near villages (60 %) or anywhere in their township (40 %).
    n_dep = allocate(t_area, N_DEPUTIES)
    homes: list[np.ndarray] = []
    for ti, (geom, k) in enumerate(zip(t_geoms, n_dep, strict=True)):
        n_v = int(round(k * 0.6))
        homes.append(_points_near(geom, village_xy[village_t == ti], 300.0, n_v, rng))
        homes.append(sample_points(geom, int(k) - n_v, rng))
    home_xy = np.concatenate(homes)
    home_t = _locate(home_xy, t_geoms)
    rows_d = np.floor((home_xy[:, 1].max() - home_xy[:, 1]) / 3000.0)
    d_order = np.lexsort((home_xy[:, 0], rows_d, home_t))
    home_xy, home_t = home_xy[d_order], home_t[d_order]
    level_keys = list(LEVEL_SHARES)
    levels = _shuffled_quota(tuple(float(v) for v in LEVEL_SHARES.values()), N_DEPUTIES, rng)
    deputies = gpd.GeoDataFrame(
        {
            "code": [f"{code_prefix}D{j:04d}" for j in range(1, N_DEPUTIES + 1)],
            "name": nm.person_names(N_DEPUTIES, rng),
            "level": [level_keys[i] for i in levels],
            "township_code": [t_codes[i] for i in home_t],
            "contact": nm.phone_numbers(N_DEPUTIES, rng),
        },
        geometry=shapely.points(home_xy),
        crs=epsg,
    )

    # 就近就便: one distinct site per deputy by optimal matching, the rest to the nearest.
    cost = cdist(home_xy, site_xy)
    cost += np.where(home_t[:, None] == site_tw[None, :], 0.0, TOWNSHIP_PENALTY_M)
    owner = np.argmin(cost, axis=0)
    dep_idx, site_idx = linear_sum_assignment(cost)
    owner[site_idx] = dep_idx
    assignments = pd.DataFrame(
        {
            "deputy_code": deputies["code"].to_numpy()[owner],
            "site_code": sites["code"].to_numpy(),
            "valid_from": [assignments_from] * len(sites),
        }
    )

    county = gpd.GeoDataFrame(
        {"code": [county_code], "name": [county_name]}, geometry=[county_geom], crs=epsg
    )
    offices = _township_offices(seed, t_codes, t_names, set(deputies["contact"]))
    townships = gpd.GeoDataFrame({"code": t_codes, "name": t_names}, geometry=t_geoms, crs=epsg)
    cells_gdf = gpd.GeoDataFrame(cells, geometry="geometry", crs=epsg)
    cells_gdf["level"] = cells_gdf["level"].astype(int)
    # pandas 3 would turn the missing level-1 parents into NaN strings; the contract says None.
    cells_gdf["parent_code"] = pd.Series(
        [p if isinstance(p, str) else None for p in cells["parent_code"]], dtype=object
    )
    return DemoCounty(
        seed=seed,
        county=_to_storage(county),
        townships=_to_storage(townships),
        cells=_to_storage(cells_gdf),
        sites=_to_storage(sites),
        deputies=deputies.to_crs(WGS84),
        assignments=assignments,
        offices=offices,
        grid_heads=_grid_heads(
            seed,
            [str(c) for c in cells_gdf.loc[cells_gdf["level"] == 3, "code"]],
            assignments_from,
            set(deputies["contact"]) | set(offices["phone"]),
        ),
    )
