"""Visit detection: known dwell found, near misses not, stays recorded as gaps count,
entry and exit interpolated on the crossing step."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tracks.cleaning import clean_track
from tracks.synth import walk
from tracks.visits import COLUMNS, detect_visits

D = 50.0
T0 = 1.78e9


def through(theta: float, offset: float, *, half: float = 1500.0, dwell: float = 0.0) -> np.ndarray:
    """Waypoints of a straight pass along direction ``theta``, ``offset`` metres from the
    origin (the site), with a stop at the point of closest approach."""
    d = np.array([np.cos(theta), np.sin(theta)])
    n = np.array([-d[1], d[0]]) * offset
    return np.array([n - half * d, n, n + half * d])


def sites(kind: str, r: float) -> np.ndarray:
    centre = shapely.Point(0, 0)
    return np.array([centre if kind == "point" else centre.buffer(r, quad_segs=32)])


@settings(max_examples=40, deadline=None, database=None)
@given(
    kind=st.sampled_from(["point", "pond"]),
    r=st.floats(10, 200),
    dwell=st.floats(0, 1800),
    speed=st.floats(1.0, 5.0),
    theta=st.floats(0, 2 * np.pi),
    noise=st.floats(0, 3),
    seed=st.integers(0, 2**16),
)
def test_known_dwell_found(
    kind: str, r: float, dwell: float, speed: float, theta: float, noise: float, seed: int
) -> None:
    reach = D + (0.0 if kind == "point" else r)
    x, y, t = walk(
        through(theta, 0.0),
        T0,
        speed_ms=speed,
        dwell_s_at={1: dwell},
        sample_s=5,
        noise_m=noise,
        rng=seed,
        speed_jitter=0.0,
    )
    truth = dwell + 2 * reach / speed
    df = detect_visits(x, y, t, None, sites(kind, r), np.array([11]), distance_m=D, min_dwell_s=0.0)
    assert len(df) == 1, df
    tol = 2.0 + 2 * 3 * noise / speed  # whole-second stamps, noise shifts each crossing
    assert df.dwell_s[0] == pytest.approx(truth, abs=tol)
    assert df.site_id[0] == 11


@settings(max_examples=40, deadline=None, database=None)
@given(
    kind=st.sampled_from(["point", "pond"]),
    r=st.floats(10, 200),
    dwell=st.floats(0, 1800),
    speed=st.floats(1.0, 5.0),
    theta=st.floats(0, 2 * np.pi),
)
def test_pass_at_distance_plus_10_not_found(
    kind: str, r: float, dwell: float, speed: float, theta: float
) -> None:
    reach = D + (0.0 if kind == "point" else r)
    x, y, t = walk(
        through(theta, reach + 10),
        T0,
        speed_ms=speed,
        dwell_s_at={1: dwell},
        noise_m=0,
        rng=0,
    )
    df = detect_visits(x, y, t, None, sites(kind, r), np.array([1]), distance_m=D, min_dwell_s=0.0)
    assert df.empty


@settings(max_examples=40, deadline=None, database=None)
@given(
    speed=st.floats(0.8, 6.0),
    theta=st.floats(0, 2 * np.pi),
    sample=st.sampled_from([1.0, 2.0, 5.0, 10.0, 30.0]),
    kind=st.sampled_from(["point", "pond"]),
)
def test_entry_and_exit_interpolated_within_1s(
    speed: float, theta: float, sample: float, kind: str
) -> None:
    r = 80.0
    half = 1500.0
    reach = D + (0.0 if kind == "point" else r)
    assume(sample * speed < reach)  # at least one fix inside the ring; else nothing to see
    d = np.array([np.cos(theta), np.sin(theta)])
    n = int(2 * half / speed / sample) + 1
    s = np.arange(n) * sample * speed  # distance along the line, exact constant speed
    x, y = -half * d[0] + s * d[0], -half * d[1] + s * d[1]
    t = T0 + np.arange(n) * sample
    df = detect_visits(x, y, t, None, sites(kind, r), np.array([3]), distance_m=D, min_dwell_s=0.0)
    assert len(df) == 1
    assert df.arrived_s[0] == pytest.approx(T0 + (half - reach) / speed, abs=1.0)
    assert df.left_s[0] == pytest.approx(T0 + (half + reach) / speed, abs=1.0)


def test_stop_recorded_as_a_gap_counts() -> None:
    # approach, two fixes at the pond 10 minutes apart with nothing between, then leave
    x = np.array([-300.0, -200, -100, 0, 2, 100, 200, 300])
    y = np.zeros_like(x)
    t = T0 + np.array([0.0, 75, 150, 230, 830, 905, 980, 1055])
    pond = np.array([shapely.Point(0, 0).buffer(20)])
    cleaned = clean_track(
        x,
        y,
        t,
        None,
        outline_metric=None,
        max_speed_ms=150 / 3.6,
        margin_m=5000,
        gap_split_s=600,
        stay_radius_m=30,
    )
    assert cleaned.kept.all() and cleaned.splits == 0
    df = detect_visits(x, y, t, cleaned.segment, pond, np.array([9]), distance_m=D, min_dwell_s=180)
    assert len(df) == 1 and df.dwell_s[0] > 600
    # the same gap across a segment break (a real break) would not count
    broken = detect_visits(
        x,
        y,
        t,
        np.array([0, 0, 0, 0, 1, 1, 1, 1]),
        pond,
        np.array([9]),
        distance_m=D,
        min_dwell_s=180,
    )
    assert broken.empty


def test_record_on_move_only_walk_counts() -> None:
    x, y, t = walk(
        through(0.3, 0.0), T0, dwell_s_at={1: 600}, record_on_move_only=True, rng=5, noise_m=3
    )
    assert np.diff(t).max() >= 550
    cleaned = clean_track(
        x,
        y,
        t,
        None,
        outline_metric=None,
        max_speed_ms=150 / 3.6,
        margin_m=5000,
        gap_split_s=600,
        stay_radius_m=30,
    )
    k = cleaned.kept
    df = detect_visits(
        x[k],
        y[k],
        t[k],
        cleaned.segment,
        sites("pond", 30),
        np.array([4]),
        distance_m=D,
        min_dwell_s=180,
    )
    assert len(df) == 1 and df.dwell_s[0] > 600


def test_short_pass_below_min_dwell_not_a_visit() -> None:
    x, y, t = walk(through(1.0, 0.0), T0, speed_ms=4.0, noise_m=0, rng=0)  # ~25 s inside
    df = detect_visits(
        x, y, t, None, sites("point", 0), np.array([1]), distance_m=D, min_dwell_s=180
    )
    assert df.empty and list(df.columns) == list(COLUMNS)


def test_excursions_at_ring_edge_merge_into_one_visit() -> None:
    # inside, briefly out (60 m), inside again: one visit, dwell excludes the time outside
    x = np.array([-200.0, 0, 10, 60, 10, 0, 200])
    y = np.zeros_like(x)
    t = T0 + np.array([0.0, 100, 200, 260, 320, 420, 520])
    df = detect_visits(x, y, t, None, sites("point", 0), np.array([2]), distance_m=D, min_dwell_s=0)
    assert len(df) == 1 and df.n_points[0] == 4
    outside = 2 * 10 / 50 * 60  # 10 of the 50 m to the 60 m point, both ways, 60 s steps
    assert df.dwell_s[0] == pytest.approx(df.left_s[0] - df.arrived_s[0] - outside, abs=0.5)


def test_returns_later_are_separate_visits() -> None:
    leg = walk(through(0.0, 0.0), T0, dwell_s_at={1: 300}, noise_m=0, rng=0)
    later = walk(through(0.0, 0.0), T0 + 7200, dwell_s_at={1: 300}, noise_m=0, rng=0)
    x, y, t = (np.concatenate([a, b]) for a, b in zip(leg, later, strict=True))
    df = detect_visits(
        x, y, t, None, sites("point", 0), np.array([5]), distance_m=D, min_dwell_s=180
    )
    assert len(df) == 2 and (df.dwell_s > 300).all()


def test_several_sites_and_ids() -> None:
    geoms = np.array([shapely.Point(0, 0), shapely.box(990, -10, 1010, 10), shapely.Point(5e4, 0)])
    ids = np.array(["farm-1", "pond-2", "far-3"])
    x, y, t = walk(
        [[-500, 0], [0, 0], [1000, 0], [1500, 0]], T0, dwell_s_at={1: 300, 2: 400}, noise_m=2, rng=4
    )
    df = detect_visits(x, y, t, None, geoms, ids, distance_m=D, min_dwell_s=180)
    assert df.site_id.tolist() == ["farm-1", "pond-2"]
    assert (df.arrived_s.diff().dropna() > 0).all()


def test_points_without_time_ignored_and_empty_inputs() -> None:
    x, y, t = walk(through(0.0, 0.0), T0, dwell_s_at={1: 300}, noise_m=0, rng=0)
    t_nan = np.full_like(t, np.nan)
    assert detect_visits(
        x, y, t_nan, None, sites("point", 0), np.array([1]), distance_m=D, min_dwell_s=0
    ).empty
    assert detect_visits(
        x[:0], y[:0], t[:0], None, sites("point", 0), np.array([1]), distance_m=D, min_dwell_s=0
    ).empty
    assert detect_visits(
        x, y, t, None, np.array([], dtype=object), np.array([]), distance_m=D, min_dwell_s=0
    ).empty
