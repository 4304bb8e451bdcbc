"""Cleaning a parsed track before it is asked to prove anything.

Works on projected metres (x, y) and float epoch seconds (NaN where missing). Each step is a
small function that marks points to drop, run in order over the points still kept, so the
counts per reason say exactly what was removed and why. Segment splitting comes last: it
drops nothing, it only decides where a track breaks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from core import settings


@dataclass(frozen=True)
class CleanParams:
    """Limits used by the steps (explicit, so tests and batch runs pass their own)."""

    outline_metric: BaseGeometry | None
    max_speed_ms: float
    margin_m: float
    gap_split_s: float
    stay_radius_m: float
    max_spike_passes: int = 200


@dataclass(frozen=True, eq=False)
class CleanResult:
    """``kept`` is a mask over the input points; ``segment`` holds the new segment ids of the
    kept points only (length ``kept.sum()``, numbered 0..k-1); ``dropped`` counts dropped
    points per reason; ``splits`` counts segments broken at time gaps."""

    kept: np.ndarray
    segment: np.ndarray
    dropped: dict[str, int] = field(default_factory=dict)
    splits: int = 0

    @property
    def n_kept(self) -> int:
        return int(self.kept.sum())

    @property
    def counts(self) -> dict[str, int]:
        """Dropped points per reason, plus ``gap_split`` (segments broken at a time gap)."""
        return {**self.dropped, "gap_split": self.splits}


# A step sees all points and the current kept mask, and returns the points it drops.
Step = Callable[
    [np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, CleanParams], np.ndarray
]


def zero_island_mask(lon: np.ndarray, lat: np.ndarray, tol_deg: float = 1e-6) -> np.ndarray:
    """True for points at (0, 0) or with non-finite coordinates: what phones write when they
    have no fix. Run on lon/lat before projecting (0, 0 projects to a huge but finite value
    in a Chinese UTM zone and would otherwise look like a real, far point)."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    return (
        ~np.isfinite(lon) | ~np.isfinite(lat) | ((np.abs(lon) < tol_deg) & (np.abs(lat) < tol_deg))
    )


def drop_not_finite(
    x: np.ndarray,
    y: np.ndarray,
    t_s: np.ndarray,
    segment: np.ndarray,
    keep: np.ndarray,
    params: CleanParams,
) -> np.ndarray:
    """Points without a usable projected position (NaN/inf from the projection)."""
    return keep & ~(np.isfinite(x) & np.isfinite(y))


def drop_outside_county(
    x: np.ndarray,
    y: np.ndarray,
    t_s: np.ndarray,
    segment: np.ndarray,
    keep: np.ndarray,
    params: CleanParams,
) -> np.ndarray:
    """Points farther than ``margin_m`` outside the county outline (vectorised, prepared
    geometry; the cheap containment test first, the distance only for points outside)."""
    outline = params.outline_metric
    drop = np.zeros_like(keep)
    if outline is None or not keep.any():
        return drop
    shapely.prepare(outline)
    idx = np.flatnonzero(keep)
    inside = shapely.contains_xy(outline, x[idx], y[idx])
    out_idx = idx[~inside]
    if out_idx.size:
        near = shapely.dwithin(outline, shapely.points(x[out_idx], y[out_idx]), params.margin_m)
        drop[out_idx[~near]] = True
    return drop


def drop_speed_spikes(
    x: np.ndarray,
    y: np.ndarray,
    t_s: np.ndarray,
    segment: np.ndarray,
    keep: np.ndarray,
    params: CleanParams,
) -> np.ndarray:
    """Points reached from the previous kept point faster than ``max_speed_ms``.

    The rule is sequential (compare with the previous *kept* point), emulated by vectorised
    passes until stable:
    1. every out-and-back spike at once: a point whose arrival and departure are both too
       fast while skipping it is not (also a first/last point that disagrees with a
       consistent neighbour pair);
    2. if none is left of that kind, the first too-fast arrival in each segment (longer
       excursions: one point per segment per pass).
    Time steps shorter than 1 s count as 1 s (phones stamp whole seconds). Points without a
    time are left alone: their speed is unknown (the plausibility checks flag such tracks).
    """
    limit = params.max_speed_ms
    cur = keep & np.isfinite(t_s)
    start = cur.copy()
    for _ in range(params.max_spike_passes):
        idx = np.flatnonzero(cur)
        if idx.size < 2:
            break
        v_in = np.full(idx.size, np.nan)
        same = segment[idx[1:]] == segment[idx[:-1]]
        v = _speed(x, y, t_s, idx[:-1], idx[1:])
        v_in[1:] = np.where(same, v, np.nan)
        fast_in = v_in > limit
        if not fast_in.any():
            break
        v_out = np.full(idx.size, np.nan)
        v_out[:-1] = v_in[1:]
        fast_out = v_out > limit
        # speed from the previous to the next point, skipping this one
        v_skip = np.full(idx.size, np.nan)
        same2 = segment[idx[2:]] == segment[idx[:-2]]
        v_skip[1:-1] = np.where(same2, _speed(x, y, t_s, idx[:-2], idx[2:]), np.nan)
        has_prev = ~np.isnan(v_in)
        has_next = ~np.isnan(v_out)
        spike = fast_in & fast_out & (v_skip <= limit)
        # a segment's first point that disagrees with its two consistent successors
        nxt_ok = np.zeros(idx.size, dtype=bool)
        nxt_ok[:-1] = has_next[1:] & ~fast_out[1:]
        first_bad = ~has_prev & fast_out & nxt_ok
        prv_ok = np.zeros(idx.size, dtype=bool)
        prv_ok[1:] = has_prev[:-1] & ~fast_in[:-1]
        last_bad = ~has_next & fast_in & prv_ok
        drop = spike | first_bad | last_bad
        if not drop.any():
            # first too-fast arrival per segment: certain under the sequential rule
            seg = segment[idx]
            cand = np.flatnonzero(fast_in)
            _, first = np.unique(seg[cand], return_index=True)
            drop = np.zeros(idx.size, dtype=bool)
            drop[cand[first]] = True
        cur[idx[drop]] = False
    else:
        # pathological tracks (hundreds of separate excursions in one segment): stop
        # emulating and drop every point still arriving too fast
        idx = np.flatnonzero(cur)
        same = segment[idx[1:]] == segment[idx[:-1]]
        fast = same & (_speed(x, y, t_s, idx[:-1], idx[1:]) > limit)
        cur[idx[1:][fast]] = False
    return start & ~cur


def _speed(
    x: np.ndarray, y: np.ndarray, t_s: np.ndarray, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    dist = np.hypot(x[b] - x[a], y[b] - y[a])
    dt = np.maximum(np.abs(t_s[b] - t_s[a]), 1.0)
    return dist / dt


DEFAULT_STEPS: tuple[tuple[str, Step], ...] = (
    ("not_finite", drop_not_finite),
    ("outside_county", drop_outside_county),
    ("speed", drop_speed_spikes),
)


def split_segments(
    x: np.ndarray,
    y: np.ndarray,
    t_s: np.ndarray,
    segment: np.ndarray,
    *,
    gap_split_s: float,
    stay_radius_m: float,
) -> tuple[np.ndarray, int]:
    """New segment ids (0..k-1) for already-kept points, and how many gap splits were made.

    A time gap longer than ``gap_split_s`` breaks the segment unless its two ends lie within
    ``stay_radius_m``: phones that record only on movement leave such gaps while the deputy
    stands at a pond, and that time must still count as being there.
    """
    n = x.size
    if n == 0:
        return np.zeros(0, dtype=np.int32), 0
    new = np.zeros(n, dtype=bool)
    if n > 1:
        seg_change = segment[1:] != segment[:-1]
        dt = t_s[1:] - t_s[:-1]
        dist = np.hypot(x[1:] - x[:-1], y[1:] - y[:-1])
        gap = (dt > gap_split_s) & (dist > stay_radius_m) & ~seg_change
        new[1:] = seg_change | gap
        splits = int(gap.sum())
    else:
        splits = 0
    return np.cumsum(new).astype(np.int32), splits


def clean_track(
    x: np.ndarray,
    y: np.ndarray,
    t_s: np.ndarray,
    segment: np.ndarray | None = None,
    *,
    outline_metric: BaseGeometry | None = None,
    max_speed_ms: float | None = None,
    margin_m: float | None = None,
    gap_split_s: float | None = None,
    stay_radius_m: float | None = None,
    zero_island: np.ndarray | None = None,
    steps: Sequence[tuple[str, Step]] = DEFAULT_STEPS,
) -> CleanResult:
    """Run the cleaning steps, then split segments at time gaps.

    Limits default to the settings (max_speed_kmh, county_margin_m, gap_split_min,
    stay_radius_m). ``zero_island`` is an optional mask from :func:`zero_island_mask` (computed
    on lon/lat before projecting); its points are counted as ``zero_island`` and dropped.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    t_s = np.asarray(t_s, dtype=np.float64)
    n = x.size
    segment = (
        np.zeros(n, dtype=np.int32) if segment is None else np.asarray(segment, dtype=np.int64)
    )
    params = CleanParams(
        outline_metric=outline_metric,
        max_speed_ms=_default(max_speed_ms, settings.number("max_speed_kmh") / 3.6),
        margin_m=_default(margin_m, settings.number("county_margin_m")),
        gap_split_s=_default(gap_split_s, settings.number("gap_split_min") * 60.0),
        stay_radius_m=_default(stay_radius_m, settings.number("stay_radius_m")),
    )
    keep = np.ones(n, dtype=bool)
    dropped: dict[str, int] = {}
    if zero_island is not None:
        zero = np.asarray(zero_island, dtype=bool)
        dropped["zero_island"] = int(zero.sum())
        keep &= ~zero
    for name, step in steps:
        drop = step(x, y, t_s, segment, keep, params) & keep
        dropped[name] = dropped.get(name, 0) + int(drop.sum())
        keep &= ~drop
    new_segment, splits = split_segments(
        x[keep],
        y[keep],
        t_s[keep],
        segment[keep],
        gap_split_s=params.gap_split_s,
        stay_radius_m=params.stay_radius_m,
    )
    return CleanResult(kept=keep, segment=new_segment, dropped=dropped, splits=splits)


def _default(value: float | None, fallback: float) -> float:
    return fallback if value is None else float(value)
