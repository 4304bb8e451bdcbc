"""Plausibility: each check fires on a crafted track and stays quiet on a normal walk."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import i18n
from tracks.plausibility import (
    DEFAULT_CHECKS,
    TrackFacts,
    check_time_order,
    fingerprint,
    run_checks,
    shape_signature,
)
from tracks.synth import walk

T0 = 1.78e9  # 2026-05-28 (UTC)
ROUTE = np.array([[0, 0], [400, 50], [700, 400], [600, 900], [1200, 1000]], dtype=float)


def lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return 118.5 + x / 97_400, 28.9 + y / 110_900


def facts(x: np.ndarray, y: np.ndarray, t: np.ndarray, **kw: object) -> TrackFacts:
    lon, lat = lonlat(x, y)
    now = kw.pop("now_s", float(np.nanmax(t)) + 3600 if np.isfinite(t).any() else T0)
    return TrackFacts(
        lon=lon, lat=lat, x=x, y=y, t_s=t, now_s=now, inside_share=1.0, tz="Asia/Shanghai", **kw
    )  # type: ignore[arg-type]


def normal(seed: int = 0, speed: float = 1.3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return walk(ROUTE, T0, speed_ms=speed, dwell_s_at={1: 300, 3: 240}, noise_m=4, rng=seed)


def codes(f: TrackFacts) -> list[str]:
    return [flag.code for flag in run_checks(f)]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("speed", [1.3, 4.0])
def test_normal_walk_is_quiet(seed: int, speed: float) -> None:
    x, y, t = normal(seed, speed)
    other = walk(ROUTE + [3000, 0], T0, noise_m=4, rng=seed + 100)
    f = facts(
        x,
        y,
        t,
        earlier_fingerprints=[(1, fingerprint(*lonlat(*other[:2])))],
        earlier_shapes=[(1, shape_signature(other[0], other[1]))],
    )
    assert run_checks(f) == []


def test_impossible_jump_with_figures() -> None:
    x, y, t = normal()
    i = 60
    x[i:] += 12_300
    t[i:] = t[i - 1] + 40 + (t[i:] - t[i])
    (flag,) = run_checks(facts(x, y, t))
    assert flag.code == "impossible_jump"
    assert "jump of 12.3 km in 40 s (1,10" in flag.message and "km/h) at " in flag.message
    # the same measurement in Chinese, for the Chinese page: no English words left
    chinese = i18n.details("flag_detail", flag.details, "zh")
    assert "12.3 km" in chinese and "秒内跳变" in chinese and "jump" not in chinese


def test_many_dropped_spikes_flagged() -> None:
    x, y, t = normal()
    assert codes(facts(x, y, t, n_dropped_spikes=25)) == ["impossible_jump"]
    assert codes(facts(x, y, t, n_dropped_spikes=3)) == []


def test_generated_track_regular_and_constant() -> None:
    n = 300
    x = np.arange(n) * 6.5
    y = np.arange(n) * 0.5
    t = T0 + np.arange(n) * 5.0
    found = codes(facts(x, y, t))
    assert found == ["regular_sampling", "constant_speed"]


def test_constant_speed_with_irregular_sampling() -> None:
    rng = np.random.default_rng(1)
    dt = rng.choice([3.0, 5.0, 8.0], 300)
    s = np.concatenate([[0.0], np.cumsum(dt * 1.3)])
    t = T0 + np.concatenate([[0.0], np.cumsum(dt)])
    f = facts(s * 0.6, s * 0.8, t)
    assert codes(f) == ["constant_speed"]
    assert "4.7 km/h" in run_checks(f)[0].message


def test_future_timestamps() -> None:
    x, y, t = normal()
    (flag,) = run_checks(facts(x, y, t, now_s=float(t[0]) - 86400))
    assert flag.code == "future_time" and "after the upload" in flag.message
    assert codes(facts(x, y, t, now_s=float(t[-1]) - 300)) == []  # within the 10 min slack


def test_far_past_timestamps() -> None:
    x, y, t = normal()
    (flag,) = run_checks(facts(x, y, t, now_s=float(t[-1]) + 400 * 86400))
    assert flag.code == "old_time" and "days before the upload" in flag.message


def test_mostly_outside_county() -> None:
    x, y, t = normal()
    f = dataclasses.replace(facts(x, y, t), inside_share=0.3)
    (flag,) = run_checks(f)
    assert flag.code == "outside_county" and "30%" in flag.message


def test_no_timestamps() -> None:
    x, y, t = normal()
    (flag,) = run_checks(facts(x, y, np.full_like(t, np.nan), now_s=T0))
    assert flag.code == "no_times" and "cannot prove a visit" in flag.message


def test_exact_duplicate_by_fingerprint_pairs_or_ids() -> None:
    x, y, t = normal()
    same = fingerprint(*lonlat(x, y))
    (flag,) = run_checks(facts(x, y, t, earlier_fingerprints=[(42, same), (43, "0" * 64)]))
    assert flag.code == "duplicate_upload" and "42" in flag.message and "43" not in flag.message
    assert codes(facts(x, y, t, earlier_fingerprints=[17])) == ["duplicate_upload"]


def test_copied_shape_found_even_resampled_and_reversed() -> None:
    x, y, t = normal(1)
    # the "earlier" upload: same path, other noise, other sampling, walked the other way
    ex, ey, _ = walk(ROUTE[::-1], T0 - 86400 * 3, sample_s=3, noise_m=4, rng=9)
    f = facts(
        x, y, t, earlier_shapes=[(5, shape_signature(ex, ey)), (6, shape_signature(ex + 800, ey))]
    )
    (flag,) = run_checks(f)
    assert flag.code == "copied_shape" and "patrol 5" in flag.message


def test_short_stays_at_one_pond_are_not_copies() -> None:
    x, y, t = walk([[0, 0], [30, 0]], T0, dwell_s_at={0: 600}, noise_m=4, rng=2)
    ex, ey, _ = walk([[0, 0], [30, 0]], T0 - 86400, dwell_s_at={0: 600}, noise_m=4, rng=3)
    assert codes(facts(x, y, t, earlier_shapes=[(8, shape_signature(ex, ey))])) == []


def test_shape_signature_is_resampled_by_length() -> None:
    sig = shape_signature(np.array([0.0, 10.0, 10.0]), np.array([0.0, 0.0, 10.0]), n=5)
    np.testing.assert_allclose(sig, [[0, 0], [5, 0], [10, 0], [10, 5], [10, 10]])
    assert shape_signature(np.array([3.0]), np.array([4.0]), n=4).tolist() == [[3.0, 4.0]] * 4


def test_every_code_has_a_label_in_both_languages() -> None:
    crafted = [
        facts(
            np.arange(300) * 6.5,
            np.zeros(300),
            T0 + np.arange(300) * 5.0,
            n_dropped_spikes=99,
            earlier_fingerprints=[1],
            earlier_shapes=[(2, shape_signature(np.arange(300) * 6.5, np.zeros(300)))],
        ),
        facts(np.zeros(3), np.zeros(3), np.full(3, np.nan), now_s=T0),
    ]
    seen = {flag.code for f in crafted for flag in run_checks(f)}
    assert len(DEFAULT_CHECKS) == 10
    assert all(i18n.has(f"flag.{code}") for code in seen)


def test_time_order_counts_backwards_and_repeated_steps() -> None:
    x = np.arange(100) * 5.0
    ordered = facts(x, np.zeros(100), T0 + np.arange(100) * 5.0)
    assert check_time_order(ordered) is None
    backwards = facts(x, np.zeros(100), T0 + np.arange(100)[::-1] * 5.0)
    flag = check_time_order(backwards)
    assert flag is not None and flag.code == "time_order"
    assert "backwards 99 time(s)" in flag.message
    repeated = facts(x, np.zeros(100), T0 + np.repeat(np.arange(50), 2) * 5.0)
    flag = check_time_order(repeated)
    assert flag is not None and "50 of 99 steps repeat" in flag.message
    one_hiccup = T0 + np.arange(100) * 5.0
    one_hiccup[50] = one_hiccup[49]
    assert check_time_order(facts(x, np.zeros(100), one_hiccup)) is None
    assert i18n.has("flag.time_order")
