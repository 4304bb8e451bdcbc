"""Plausibility checks: reasons a track should not count until an analyst has looked at it.

Each check is a small function ``(TrackFacts) -> Flag | None``; :func:`run_checks` runs a list
of them. The facts are plain arrays and numbers, so the checks never touch the database: the
database layer fills in the county share and the earlier uploads to compare with.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

import i18n
from core import settings

Detail = tuple[str, dict[str, str]]


@dataclass(frozen=True)
class Flag:
    """A doubt about a track: ``code`` (labelled ``flag.<code>`` in the catalogue) and what
    was measured, as ``details``: (code, params) pairs worded by the catalogue
    (``flag_detail.<code>``) in the reader's language. ``message`` is the English wording,
    for the log and the command line."""

    code: str
    details: tuple[Detail, ...]

    @property
    def message(self) -> str:
        return i18n.details("flag_detail", self.details, "en")


def _flag(code: str, *details: Detail) -> Flag:
    return Flag(code, tuple(details))


@dataclass(frozen=True)
class Limits:
    """Thresholds of the checks (defaults chosen for phones carried on foot or bicycle)."""

    jump_speed_kmh: float = 300.0
    jump_min_m: float = 200.0  # shorter jumps are GPS noise at 1 s sampling, not teleports
    max_spikes: int = 10
    regular_min_steps: int = 20
    regular_dt_tol_s: float = 0.001
    regular_dist_cv: float = 0.02
    constant_speed_cv: float = 0.03
    constant_min_steps: int = 20
    max_repeated_share: float = 0.01  # a logger may repeat a second now and then, not often:
    max_repeated_min: int = 2  # ... up to 1 % of the steps, and 2 in any track
    future_tol_s: float = 600.0
    max_age_s: float = 365.0 * 86400.0
    min_inside_share: float = 0.5
    shape_mean_m: float = 20.0
    shape_min_extent_m: float = 200.0  # two stays at one pond look alike; that is no copy
    shape_points: int = 100


@dataclass(frozen=True, eq=False)
class TrackFacts:
    """What the checks look at. ``x``/``y`` are metres in the metric CRS, ``t_s`` epoch
    seconds (NaN where missing), ``now_s`` the upload time.

    ``earlier_fingerprints``: patrol ids whose fingerprint the database already found equal
    to this track's, or ``(patrol_id, fingerprint)`` pairs to compare here.
    ``earlier_shapes``: ``(patrol_id, signature)`` candidates (signatures from
    :func:`shape_signature`, pre-filtered by bounding-box overlap).
    """

    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    t_s: np.ndarray
    now_s: float
    inside_share: float | None = None
    n_dropped_spikes: int = 0
    earlier_fingerprints: Sequence[Any] = ()
    earlier_shapes: Sequence[tuple[Any, np.ndarray]] = ()
    fingerprint: str | None = None
    tz: str = field(default_factory=lambda: settings.text("timezone"))
    limits: Limits = field(default_factory=Limits)

    @property
    def timed(self) -> np.ndarray:
        """Indices of points with a time."""
        return np.flatnonzero(np.isfinite(self.t_s))


Check = Callable[[TrackFacts], "Flag | None"]


# --- signatures -------------------------------------------------------------------------


def fingerprint(lon: np.ndarray, lat: np.ndarray, decimals: int = 5) -> str:
    """SHA-256 of the points rounded to ``decimals`` (5 ≈ 1 m): the same track uploaded
    again, even re-serialised by another app, has the same fingerprint."""
    scale = 10.0**decimals
    q = np.stack(
        [
            np.round(np.asarray(lon, dtype=np.float64) * scale),
            np.round(np.asarray(lat, dtype=np.float64) * scale),
        ],
        axis=1,
    )
    q = q[np.isfinite(q).all(axis=1)].astype(np.int64)
    return hashlib.sha256(q.tobytes()).hexdigest()


def shape_signature(x: np.ndarray, y: np.ndarray, n: int = 100) -> np.ndarray:
    """The polyline resampled to ``n`` points equally spaced along its length, shape (n, 2).

    Two uploads of one path give nearly the same signature whatever their sampling rate."""
    xy = np.stack([np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)], axis=1)
    xy = xy[np.isfinite(xy).all(axis=1)]
    if xy.shape[0] == 0:
        return np.full((n, 2), np.nan)
    step = np.hypot(*np.diff(xy, axis=0).T) if xy.shape[0] > 1 else np.zeros(0)
    s = np.concatenate([[0.0], np.cumsum(step)])
    if s[-1] <= 0:
        return np.repeat(xy[:1], n, axis=0)
    target = np.linspace(0.0, s[-1], n)
    return np.stack([np.interp(target, s, xy[:, 0]), np.interp(target, s, xy[:, 1])], axis=1)


def signature_distance(a: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Distance (m) between signature ``a`` (n, 2) and each of ``candidates`` (k, m, 2).

    The symmetric mean distance from the points of one polyline to the other polyline (the
    larger of the two means). Unlike point-by-point comparison it does not depend on where
    the resampled points fall along the path (a stop's GPS jitter adds path length and
    shifts them) nor on the direction walked; taking the larger mean means a short track
    lying on a long one is not its copy.
    """
    a = np.asarray(a, dtype=np.float64)
    c = np.asarray(candidates, dtype=np.float64)
    if c.ndim == 2:
        c = c[None]
    a_to_c = _points_to_polylines(np.broadcast_to(a, (c.shape[0], *a.shape)), c).mean(axis=1)
    c_to_a = _points_to_polylines(c, np.broadcast_to(a, (c.shape[0], *a.shape))).mean(axis=1)
    return np.maximum(a_to_c, c_to_a)


def _points_to_polylines(p: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Distance from each point p[k, i] to polyline line[k] (vectorised over k, i, segments)."""
    s0 = line[:, :-1][:, None]  # (k, 1, m-1, 2)
    seg = (line[:, 1:] - line[:, :-1])[:, None]
    rel = p[:, :, None] - s0  # (k, n, m-1, 2)
    den = np.maximum((seg**2).sum(-1), 1e-12)
    f = np.clip((rel * seg).sum(-1) / den, 0.0, 1.0)
    d = np.hypot(*np.moveaxis(rel - f[..., None] * seg, -1, 0))
    return d.min(axis=2)


# --- checks -----------------------------------------------------------------------------


def _timed_steps(f: TrackFacts) -> tuple[np.ndarray, np.ndarray]:
    """Seconds and metres between consecutive timed points: what several checks judge."""
    i = f.timed
    return np.diff(f.t_s[i]), np.hypot(np.diff(f.x[i]), np.diff(f.y[i]))


def check_no_times(f: TrackFacts) -> Flag | None:
    if f.timed.size >= 2:
        return None
    if f.timed.size == 1:
        return _flag("no_times", ("one_timed_point", {}))
    return _flag("no_times", ("no_timestamps", {}))


def check_time_order(f: TrackFacts) -> Flag | None:
    """Times that run backwards, or repeat often: the points were not recorded in this order
    (shuffled, concatenated or edited), so no dwell computed from them means anything."""
    i = f.timed
    if i.size < 2:
        return None
    dt = np.diff(f.t_s[i])
    backwards = int((dt < 0).sum())
    repeated = int((dt == 0).sum())
    allowed = max(f.limits.max_repeated_min, f.limits.max_repeated_share * dt.size)
    if backwards == 0 and repeated <= allowed:
        return None
    parts: list[Detail] = []
    if backwards:
        first = int(np.flatnonzero(dt < 0)[0])
        at = _stamp(f.t_s[i[first]], f.tz)
        parts.append(("time_backwards", {"count": f"{backwards:,}", "at": at}))
    if repeated > allowed:
        parts.append(("time_repeated", {"count": f"{repeated:,}", "steps": f"{dt.size:,}"}))
    return _flag("time_order", *parts, ("time_order_meaning", {}))


def check_jumps(f: TrackFacts) -> Flag | None:
    """Raw speed between consecutive timed points above the limit, or many spikes dropped."""
    lim = f.limits
    i = f.timed
    msg: list[Detail] = []
    if i.size >= 2:
        dt, d = _timed_steps(f)
        dt = np.maximum(np.abs(dt), 1.0)
        kmh = d / dt * 3.6
        bad = (kmh > lim.jump_speed_kmh) & (d >= lim.jump_min_m)
        if bad.any():
            w = int(np.argmax(np.where(bad, kmh, -1.0)))
            jump = {
                "distance": _km(d[w]),
                "seconds": f"{dt[w]:,.0f}",
                "kmh": f"{kmh[w]:,.0f}",
                "at": _clock(f.t_s[i[w + 1]], f.tz),
            }
            msg.append(("jump", jump))
            if bad.sum() > 1:
                msg.append(("jumps_more", {"count": str(int(bad.sum()))}))
    if f.n_dropped_spikes > lim.max_spikes:
        spikes = {"count": str(f.n_dropped_spikes), "limit": str(lim.max_spikes)}
        msg.append(("spikes_dropped", spikes))
    return _flag("impossible_jump", *msg) if msg else None


def check_regular_sampling(f: TrackFacts) -> Flag | None:
    """Every time step identical to the millisecond and every step length nearly identical:
    a generated track. Real phones drift in time or, at least, GPS noise varies the steps."""
    lim = f.limits
    i = f.timed
    if i.size < lim.regular_min_steps + 1:
        return None
    dt, d = _timed_steps(f)
    if np.ptp(dt) > lim.regular_dt_tol_s or d.mean() <= 0:
        return None
    cv = d.std() / d.mean()
    if cv >= lim.regular_dist_cv:
        return None
    regular = {
        "steps": f"{dt.size:,}",
        "step_s": f"{dt[0]:g}",
        "spread": f"{cv:.1%}",
        "mean_m": f"{d.mean():.1f}",
    }
    return _flag("regular_sampling", ("regular", regular))


def check_constant_speed(f: TrackFacts) -> Flag | None:
    """Speed that never varies, stops included: people slow down, stop, and GPS jitters."""
    lim = f.limits
    i = f.timed
    if i.size < lim.constant_min_steps + 1:
        return None
    dt, d = _timed_steps(f)
    ok = dt > 0
    if ok.sum() < lim.constant_min_steps:
        return None
    v = d[ok] / dt[ok]
    if v.mean() <= 0.2:  # standing still is not "constant speed"
        return None
    cv = v.std() / v.mean()
    if cv >= lim.constant_speed_cv:
        return None
    speed = {"kmh": f"{v.mean() * 3.6:.1f}", "spread": f"{cv:.1%}", "steps": f"{v.size:,}"}
    return _flag("constant_speed", ("constant", speed))


def check_future(f: TrackFacts) -> Flag | None:
    i = f.timed
    if i.size == 0:
        return None
    last = float(np.max(f.t_s[i]))
    if last <= f.now_s + f.limits.future_tol_s:
        return None
    future = {"at": _stamp(last, f.tz), "after": _duration(last - f.now_s)}
    return _flag("future_time", ("future", future))


def check_old(f: TrackFacts) -> Flag | None:
    i = f.timed
    if i.size == 0:
        return None
    first = float(np.min(f.t_s[i]))
    if first >= f.now_s - f.limits.max_age_s:
        return None
    old = {"at": _stamp(first, f.tz), "days": f"{(f.now_s - first) / 86400:,.0f}"}
    return _flag("old_time", ("old", old))


def check_outside_county(f: TrackFacts) -> Flag | None:
    share = f.inside_share
    if share is None or share >= f.limits.min_inside_share:
        return None
    inside = {"share": f"{share:.0%}", "expected": f"{f.limits.min_inside_share:.0%}"}
    return _flag("outside_county", ("outside", inside))


def check_duplicate(f: TrackFacts) -> Flag | None:
    """The same points as an earlier upload (anyone's), to ~1 m."""
    if not f.earlier_fingerprints:
        return None
    own = f.fingerprint
    matches: list[Any] = []
    for item in f.earlier_fingerprints:  # loop over earlier uploads, not points
        if isinstance(item, tuple):
            own = own or fingerprint(f.lon, f.lat)
            if item[1] == own:
                matches.append(item[0])
        else:
            matches.append(item)
    if not matches:
        return None
    return _flag("duplicate_upload", ("duplicate", {"patrols": _ids(matches)}))


def check_copied_shape(f: TrackFacts) -> Flag | None:
    """Nearly the same path as an earlier upload: mean distance between the two resampled
    polylines (see :func:`signature_distance`) below the limit. Tracks spanning less than a
    few hundred metres are skipped: two genuine stays at one pond would look alike."""
    lim = f.limits
    if not f.earlier_shapes:
        return None
    ok = np.isfinite(f.x) & np.isfinite(f.y)
    if ok.sum() < 2:
        return None
    x, y = f.x[ok], f.y[ok]
    if np.hypot(np.ptp(x), np.ptp(y)) < lim.shape_min_extent_m:
        return None
    own = shape_signature(x, y, lim.shape_points)
    # candidates of another length are resampled to ours (a loop over candidates)
    usable = [
        (pid, np.asarray(sig, dtype=np.float64).reshape(-1, 2))
        for pid, sig in f.earlier_shapes
        if np.size(sig) >= 4 and np.size(sig) % 2 == 0
    ]
    ids = [pid for pid, _ in usable]
    sigs = [
        sig if sig.shape == own.shape else shape_signature(sig[:, 0], sig[:, 1], own.shape[0])
        for _, sig in usable
    ]
    if not sigs:
        return None
    dist = signature_distance(own, np.asarray(sigs, dtype=np.float64))
    dist = np.where(np.isfinite(dist), dist, np.inf)
    best = int(np.argmin(dist))
    if dist[best] >= lim.shape_mean_m:
        return None
    copied = {
        "patrol": str(ids[best]),
        "mean_m": f"{dist[best]:.1f}",
        "points": str(lim.shape_points),
    }
    return _flag("copied_shape", ("copied", copied))


DEFAULT_CHECKS: tuple[Check, ...] = (
    check_no_times,
    check_time_order,
    check_jumps,
    check_regular_sampling,
    check_constant_speed,
    check_future,
    check_old,
    check_outside_county,
    check_duplicate,
    check_copied_shape,
)


def run_checks(facts: TrackFacts, checks: Sequence[Check] = DEFAULT_CHECKS) -> list[Flag]:
    """Every flag the checks raise, in check order."""
    return [flag for check in checks if (flag := check(facts)) is not None]


# --- formatting -------------------------------------------------------------------------


def _km(m: float) -> str:
    return f"{m / 1000:,.1f} km" if m >= 1000 else f"{m:,.0f} m"


def _clock(t: float, tz: str) -> str:
    return pd.Timestamp(t, unit="s", tz="UTC").tz_convert(tz).strftime("%H:%M:%S")


def _stamp(t: float, tz: str) -> str:
    return pd.Timestamp(t, unit="s", tz="UTC").tz_convert(tz).strftime("%Y-%m-%d %H:%M")


def _duration(s: float) -> str:
    if s >= 3600:
        return f"{s / 3600:,.1f} h"
    return f"{s / 60:,.0f} min"


def _ids(ids: Sequence[Any]) -> str:
    shown = ", ".join(str(i) for i in list(ids)[:5])
    return shown + (f" (+{len(ids) - 5})" if len(ids) > 5 else "")
