"""Synthetic patrol tracks for the demo county and the tests.

A believable track is more than a polyline with noise: speed varies along the way, GPS error is
correlated from fix to fix (an AR(1) process, not white noise), a deputy standing at a pond
drifts a few metres, phones stamp whole seconds, and some phones record only while moving
(leaving a time gap during a stop). Points are generated with numpy; loops run over legs only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import gpxpy.gpx
import numpy as np
import pandas as pd
from scipy.signal import lfilter

WALK_MS = 1.3
CYCLE_MS = 4.0


def walk(
    waypoints_xy: np.ndarray | Sequence[Sequence[float]],
    start_s: float,
    *,
    speed_ms: float = WALK_MS,
    dwell_s_at: Mapping[int, float] | Sequence[float] | None = None,
    sample_s: float = 5.0,
    noise_m: float = 4.0,
    rng: np.random.Generator | int | None = None,
    speed_jitter: float = 0.15,
    record_on_move_only: bool = False,
    noise_corr: float = 0.8,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A patrol along ``waypoints_xy`` (metres) starting at ``start_s`` (epoch seconds).

    ``dwell_s_at`` maps waypoint index → seconds spent there (or lists one value per
    waypoint). ``noise_m`` is the standard deviation of the GPS error per axis; the error is
    correlated between fixes (``noise_corr``). With ``record_on_move_only`` only the first and
    last fix of each dwell are kept, as phones that log on movement do.
    Returns ``(x, y, t_s)``; times are whole seconds.
    """
    gen = np.random.default_rng(rng)
    pts = np.asarray(waypoints_xy, dtype=np.float64).reshape(-1, 2)
    dwell = _dwell_array(dwell_s_at, len(pts))

    # Knots of a piecewise-linear (time → position) path. Each leg is cut into ~50 m pieces
    # walked at a randomly varied speed, so the speed is not suspiciously constant.
    knot_t = [np.array([0.0])]
    knot_xy = [pts[:1]]
    dwell_windows: list[tuple[float, float]] = []
    t = 0.0
    if dwell[0] > 0:
        knot_t.append(np.array([dwell[0]]))
        knot_xy.append(pts[:1])
        dwell_windows.append((0.0, dwell[0]))
        t = dwell[0]
    for i in range(1, len(pts)):
        a, b = pts[i - 1], pts[i]
        length = float(np.hypot(*(b - a)))
        n_pieces = max(1, int(np.ceil(length / 50.0)))
        frac = np.linspace(0.0, 1.0, n_pieces + 1)[1:]
        factors = np.clip(gen.normal(1.0, speed_jitter, n_pieces), 0.4, 1.8)
        piece_t = (length / n_pieces) / (speed_ms * factors)
        knot_t.append(t + np.cumsum(piece_t))
        knot_xy.append(a + frac[:, None] * (b - a))
        t = float(knot_t[-1][-1])
        if dwell[i] > 0:
            knot_t.append(np.array([t + dwell[i]]))
            knot_xy.append(pts[i : i + 1])
            dwell_windows.append((t, t + dwell[i]))
            t += dwell[i]
    kt = np.concatenate(knot_t)
    kxy = np.concatenate(knot_xy)

    rel = np.arange(0.0, t + 1e-9, sample_s)
    if rel.size == 0 or rel[-1] < t:
        rel = np.append(rel, t)
    x = np.interp(rel, kt, kxy[:, 0])
    y = np.interp(rel, kt, kxy[:, 1])

    # Standing at a site: a slow wander of a few metres around the spot.
    in_dwell = np.zeros(rel.size, dtype=bool)
    for lo, hi in dwell_windows:
        in_dwell |= (rel > lo) & (rel < hi)
    if in_dwell.any():
        wander = lfilter([0.1], [1.0, -0.9], gen.normal(0.0, 1.5, (2, rel.size)), axis=1)
        x = x + np.where(in_dwell, wander[0], 0.0)
        y = y + np.where(in_dwell, wander[1], 0.0)

    if noise_m > 0:
        scale = noise_m * np.sqrt(1.0 - noise_corr**2)
        err = lfilter([1.0], [1.0, -noise_corr], gen.normal(0.0, scale, (2, rel.size)), axis=1)
        x = x + err[0]
        y = y + err[1]

    t_s = np.round(float(start_s) + rel)
    if record_on_move_only and in_dwell.any():
        keep = ~in_dwell
        # keep the first and the last fix of each dwell: the phone logs the stop as the deputy
        # arrives (before it went quiet) and logs again when they move off. Without the first,
        # a fast sampler's last fix before the stop can lie beyond the stay radius.
        stops_moving = np.flatnonzero(~in_dwell[:-1] & in_dwell[1:]) + 1
        starts_moving = np.flatnonzero(in_dwell[:-1] & ~in_dwell[1:])
        keep[stops_moving] = True
        keep[starts_moving] = True
        x, y, t_s = x[keep], y[keep], t_s[keep]
    return x, y, t_s


def _dwell_array(dwell_s_at: Mapping[int, float] | Sequence[float] | None, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=np.float64)
    if dwell_s_at is None:
        return out
    if isinstance(dwell_s_at, Mapping):
        for i, s in dwell_s_at.items():
            out[int(i)] = float(s)
        return out
    values = np.asarray(dwell_s_at, dtype=np.float64)
    out[: values.size] = values[:n]
    return out


def to_gpx_bytes(
    lon: np.ndarray,
    lat: np.ndarray,
    t_s: np.ndarray | None,
    *,
    name: str | None = None,
    creator: str | None = "Shuijian synth",
    version: str = "1.1",
    naive: bool = False,
    encoding: str = "UTF-8",
    ele: np.ndarray | None = None,
    naive_tz: str = "Asia/Shanghai",
) -> bytes:
    """Serialise one track as GPX with gpxpy (writing is where its object model pays off).

    ``naive=True`` writes local wall-clock times without an offset (in ``naive_tz``), as some
    Chinese apps do; ``encoding`` is declared in the XML declaration and used for the bytes
    (e.g. "GBK"). ``t_s`` None or NaN entries write points without ``<time>``.
    """
    gpx = gpxpy.gpx.GPX()
    gpx.creator = creator
    gpx.name = name
    track = gpxpy.gpx.GPXTrack(name=name)
    gpx.tracks.append(track)
    segment = gpxpy.gpx.GPXTrackSegment()
    track.segments.append(segment)
    times = _datetimes(t_s, len(lon), naive=naive, naive_tz=naive_tz)
    elev = [None] * len(lon) if ele is None else [float(e) for e in ele]
    segment.points.extend(
        gpxpy.gpx.GPXTrackPoint(
            latitude=round(float(la), 7), longitude=round(float(lo), 7), elevation=e, time=tm
        )
        for lo, la, e, tm in zip(lon, lat, elev, times, strict=True)
    )
    xml = gpx.to_xml(version=version)
    xml = re.sub(r'encoding="[^"]*"', f'encoding="{encoding}"', xml, count=1)
    return xml.encode(encoding)


def _datetimes(
    t_s: np.ndarray | None, n: int, *, naive: bool, naive_tz: str
) -> list[datetime | None]:
    if t_s is None:
        return [None] * n
    t = np.asarray(t_s, dtype=np.float64)
    stamps = pd.to_datetime(pd.Series(t), unit="s", utc=True)
    if naive:
        stamps = stamps.dt.tz_convert(naive_tz).dt.tz_localize(None)
    out: list[datetime | None] = [None if pd.isna(s) else s.to_pydatetime() for s in stamps]
    if not naive:
        out = [None if d is None else d.astimezone(UTC) for d in out]
    return out
