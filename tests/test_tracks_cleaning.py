"""Cleaning: (0,0) fixes, points far outside the county, speed spikes, gap splits vs stays."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from tracks.cleaning import clean_track, split_segments, zero_island_mask
from tracks.synth import walk

LIMITS = {
    "max_speed_ms": 150 / 3.6,
    "margin_m": 5000.0,
    "gap_split_s": 600.0,
    "stay_radius_m": 30.0,
}
COUNTY = shapely.box(0, 0, 10_000, 10_000)


def straight(n: int = 60, step_m: float = 6.5, dt: float = 5.0) -> tuple[np.ndarray, ...]:
    x = 1000.0 + np.arange(n) * step_m
    y = np.full(n, 5000.0)
    t = 1.78e9 + np.arange(n) * dt
    return x, y, t


def test_zero_island_mask() -> None:
    lon = np.array([118.5, 0.0, 1e-9, np.nan, 0.0])
    lat = np.array([28.9, 0.0, -1e-9, 28.9, 28.9])
    assert zero_island_mask(lon, lat).tolist() == [False, True, True, True, False]


def test_zero_island_points_dropped_and_counted() -> None:
    x, y, t = straight(10)
    zero = np.zeros(10, dtype=bool)
    zero[[3, 7]] = True
    res = clean_track(x, y, t, None, outline_metric=COUNTY, zero_island=zero, **LIMITS)
    assert res.dropped["zero_island"] == 2 and not res.kept[[3, 7]].any()
    assert res.n_kept == 8 and res.segment.size == 8


def test_points_far_outside_county_dropped() -> None:
    x, y, t = straight(10)
    x[2] = -3000.0  # 3 km outside: inside the 5 km margin
    x[5] = -8000.0  # 8 km outside
    t[5] = t[4] + 10_000  # keep the speed step out of this test
    t[6:] += 20_000
    res = clean_track(x, y, t, None, outline_metric=COUNTY, **{**LIMITS, "max_speed_ms": 1e9})
    assert res.dropped["outside_county"] == 1 and not res.kept[5] and res.kept[2]


def test_single_spike_dropped() -> None:
    x, y, t = straight()
    x[20] += 1500.0  # 1.5 km out and back within 10 s
    res = clean_track(x, y, t, None, outline_metric=COUNTY, **LIMITS)
    assert res.dropped["speed"] == 1 and not res.kept[20] and res.kept.sum() == x.size - 1


def test_several_spikes_at_once() -> None:
    x, y, t = straight(200)
    spikes = [10, 50, 51, 120, 199]
    y[spikes] += 3000.0
    res = clean_track(x, y, t, None, outline_metric=COUNTY, **LIMITS)
    assert sorted(np.flatnonzero(~res.kept).tolist()) == spikes
    assert res.dropped["speed"] == len(spikes)


def test_bad_first_fix_dropped_not_the_rest() -> None:
    x, y, t = straight()
    x[0] += 4000.0
    res = clean_track(x, y, t, None, outline_metric=COUNTY, **LIMITS)
    assert np.flatnonzero(~res.kept).tolist() == [0]


def test_excursion_of_several_points_dropped() -> None:
    x, y, t = straight(100)
    y[40:45] += 5000.0  # a burst of five fixes 5 km away, 20 s long
    res = clean_track(x, y, t, None, outline_metric=COUNTY, **LIMITS)
    assert np.flatnonzero(~res.kept).tolist() == list(range(40, 45))


def test_teleport_drops_until_reachable() -> None:
    # a 20 km jump within one segment: points are dropped until the elapsed time makes the
    # new place reachable at the speed limit (the rule is against the last kept point)
    x, y, t = straight(400, dt=5.0)
    x[100:] += 20_000.0
    res = clean_track(x, y, t, None, outline_metric=None, **LIMITS)
    dropped = np.flatnonzero(~res.kept)
    # k steps after the last kept point: 20 km + 6.5 k m in 5 k s must be within the limit
    k_first = int(np.ceil(20_000 / (5 * LIMITS["max_speed_ms"] - 6.5)))
    assert dropped.tolist() == list(range(100, 99 + k_first))
    assert res.kept[-1]


def test_points_without_time_not_judged_by_speed() -> None:
    x, y, t = straight(10)
    t[:] = np.nan
    x[4] += 5000.0
    res = clean_track(x, y, t, None, outline_metric=None, **LIMITS)
    assert res.dropped["speed"] == 0


def test_gap_splits_but_stay_does_not() -> None:
    x, y, t = straight(30)
    t[10:] += 1200  # 20 min gap, ends 6.5 m apart: a stay at one place
    t[20:] += 1200  # second gap, and a 500 m move: a break
    x[20:] += 500
    res = clean_track(x, y, t, None, outline_metric=None, **{**LIMITS, "max_speed_ms": 1e9})
    assert res.splits == 1
    assert np.bincount(res.segment).tolist() == [20, 10]
    assert res.counts["gap_split"] == 1


def test_original_segments_kept_apart_and_renumbered() -> None:
    x, y, t = straight(9)
    seg = np.array([4, 4, 4, 9, 9, 9, 12, 12, 12])
    res = clean_track(x, y, t, seg, outline_metric=None, **LIMITS)
    assert res.segment.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]


def test_split_segments_directly() -> None:
    seg, splits = split_segments(
        np.array([0.0, 1.0, 1000.0]),
        np.zeros(3),
        np.array([0.0, 5.0, 5000.0]),
        np.zeros(3, dtype=int),
        gap_split_s=600,
        stay_radius_m=30,
    )
    assert seg.tolist() == [0, 0, 1] and splits == 1


@pytest.mark.parametrize("seed", range(5))
def test_normal_walk_loses_nothing(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pts = rng.uniform(1000, 9000, (6, 2))
    x, y, t = walk(pts, 1.78e9, dwell_s_at={2: 300, 4: 240}, rng=rng, noise_m=5)
    res = clean_track(x, y, t, None, outline_metric=COUNTY, **LIMITS)
    assert res.kept.all() and res.splits == 0


def test_cycling_with_stays_recorded_as_gaps_is_one_segment() -> None:
    pts = [[1000, 1000], [3000, 1000], [3000, 4000]]
    x, y, t = walk(
        pts, 1.78e9, speed_ms=4.0, dwell_s_at={1: 900}, record_on_move_only=True, rng=1, noise_m=3
    )
    assert np.diff(t).max() > 600
    res = clean_track(x, y, t, None, outline_metric=COUNTY, **LIMITS)
    assert res.kept.all() and res.splits == 0
