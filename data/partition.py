"""Split a polygon into k compact, non-overlapping pieces that tile it exactly.

The demo grid needs nested tilings (county → townships → large → medium → small cells)
where every child lies inside its parent. A Voronoi diagram of seeds that lie inside the
parent, clipped to the parent, gives exactly that: cells never overlap, their union is the
parent, and each seed guarantees a non-empty child. Seeds come from k-means on dense
sample points, so children have similar areas. All work is in a metric CRS.
"""

from __future__ import annotations

import warnings

import numpy as np
import shapely
from scipy.cluster.vq import kmeans2
from scipy.spatial import cKDTree
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry


def as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    """Keep only the areal parts of a geometry and wrap them in one MultiPolygon.

    Intersections can return collections with stray lines or points; storage and the
    contract want a uniform MultiPolygon type.
    """
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and not p.is_empty]
    nested: list[Polygon] = []
    for p in parts:
        nested.extend(shapely.get_parts(p) if p.geom_type == "MultiPolygon" else [p])
    return MultiPolygon(nested)


def sample_points(geom: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw n uniform points strictly inside geom (rejection sampling in its bounding box)."""
    shapely.prepare(geom)
    minx, miny, maxx, maxy = geom.bounds
    fill = max(geom.area / max((maxx - minx) * (maxy - miny), 1e-9), 0.01)
    out: list[np.ndarray] = []
    have = 0
    while have < n:
        m = int((n - have) / fill * 1.3) + 16
        xy = np.column_stack([rng.uniform(minx, maxx, m), rng.uniform(miny, maxy, m)])
        inside = xy[shapely.contains_xy(geom, xy[:, 0], xy[:, 1])]
        out.append(inside)
        have += len(inside)
    return np.concatenate(out)[:n]


def allocate(weights: np.ndarray, total: int, minimum: int = 1) -> np.ndarray:
    """Split an integer total proportionally to weights (largest remainder, ≥ minimum each).

    Ties are broken by index so the result is deterministic.
    """
    w = np.asarray(weights, dtype=float)
    if total < minimum * len(w):
        raise ValueError(f"cannot give {len(w)} parts at least {minimum} out of {total}")
    quota = w / w.sum() * total
    base = np.maximum(np.floor(quota).astype(int), minimum)
    remainder = quota - np.floor(quota)
    diff = total - int(base.sum())
    order = np.lexsort((np.arange(len(w)), -remainder))  # largest remainder first
    if diff > 0:
        base[order[:diff]] += 1
    while diff < 0:  # the minimum pushed us over: take back from the smallest remainders
        for i in order[::-1]:
            if diff == 0:
                break
            if base[i] > minimum:
                base[i] -= 1
                diff += 1
    return base


def _reading_order(points: np.ndarray, row_height: float) -> np.ndarray:
    """Order points north-to-south in bands, west-to-east within a band (like reading a map)."""
    band = np.floor((points[:, 1].max() - points[:, 1]) / row_height)
    return np.lexsort((points[:, 0], band))


def pick_seeds(samples: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Return k distinct sample points nearest to k-means centroids of the samples."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an empty cluster is harmless: we snap to samples
        centroids, _ = kmeans2(samples, k, iter=15, minit="++", rng=rng)
    tree = cKDTree(samples)
    _, near = tree.query(centroids, k=min(k + 1, len(samples)))
    near = np.atleast_2d(near)
    used: set[int] = set()
    chosen: list[int] = []
    for row in near:
        idx = next((int(j) for j in row if int(j) not in used), None)
        if idx is None:  # all candidates taken: fall back to any unused sample
            idx = next(j for j in range(len(samples)) if j not in used)
        used.add(idx)
        chosen.append(idx)
    return samples[np.array(chosen)]


def _merge_fragments(pieces: list[BaseGeometry], seeds: np.ndarray) -> list[BaseGeometry]:
    """Give detached fragments of each clipped cell to the sibling they share most border with.

    Clipping a Voronoi cell to a non-convex parent can leave islands far from the seed;
    handing them to a neighbour keeps cells compact while the tiling stays exact.
    """
    kept: list[BaseGeometry] = []
    orphans: list[tuple[int, BaseGeometry]] = []
    for i, piece in enumerate(pieces):
        parts = list(shapely.get_parts(piece))
        if len(parts) <= 1:
            kept.append(piece)
            continue
        seed = shapely.points(seeds[i])
        home = next((j for j, p in enumerate(parts) if p.covers(seed)), None)
        if home is None:
            home = int(np.argmax([p.area for p in parts]))
        kept.append(parts[home])
        orphans.extend((i, p) for j, p in enumerate(parts) if j != home)
    if not orphans:
        return pieces
    pending = orphans
    while pending:
        progressed = False
        still: list[tuple[int, BaseGeometry]] = []
        for owner, frag in pending:
            ring = frag.boundary
            shared = np.array(
                [
                    0.0 if j == owner else shapely.intersection(ring, kept[j]).length
                    for j in range(len(kept))
                ]
            )
            best = int(np.argmax(shared))
            if shared[best] > 1e-6:
                kept[best] = shapely.union(kept[best], frag)
                progressed = True
            else:
                still.append((owner, frag))
        if not progressed:
            for owner, frag in still:
                kept[owner] = shapely.union(kept[owner], frag)
            break
        pending = still
    return kept


def partition(
    geom: BaseGeometry, k: int, rng: np.random.Generator, samples_per_part: int = 80
) -> list[MultiPolygon]:
    """Tile geom with k pieces of similar area; pieces come back in map-reading order."""
    if k < 1:
        raise ValueError("k must be at least 1")
    if k == 1:
        return [as_multipolygon(geom)]
    samples = sample_points(geom, max(samples_per_part * k, 600), rng)
    seeds = pick_seeds(samples, k, rng)
    minx, miny, maxx, maxy = geom.bounds
    pad = max(maxx - minx, maxy - miny)
    frame = shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad)
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=frame, ordered=True)
    clipped = shapely.intersection(np.array(shapely.get_parts(cells)), geom)
    pieces = [as_multipolygon(c) for c in clipped]
    pieces = [as_multipolygon(p) for p in _merge_fragments(pieces, seeds)]
    centres = shapely.get_coordinates(shapely.point_on_surface(pieces))
    row = np.sqrt(geom.area / k)
    return [pieces[i] for i in _reading_order(centres, row)]
