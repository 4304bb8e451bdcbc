"""GPX text values to numbers: coordinates and ISO 8601 times to numpy arrays, vectorised,
with the sane range of times (2000–2199) checked before anything becomes nanoseconds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tracks.gpx_input import GpxRefused

# No phone or logger recorded a patrol before 2000; after 2200 a date is a broken clock, and
# datetime64[ns] cannot hold years past 2262 at all (it would wrap silently).
TIME_MIN = np.datetime64("2000-01-01T00:00:00", "s")
TIME_MAX = np.datetime64("2200-01-01T00:00:00", "s")
_YEAR_RE = r"^\s*([+-]?\d+)-"


_AWARE_RE = r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$"


def datetime_to_seconds(time: np.ndarray) -> np.ndarray:
    """datetime64 → float64 epoch seconds with NaN for NaT."""
    ns = time.astype("datetime64[ns]")
    out = ns.astype(np.int64).astype(np.float64) / 1e9
    out[np.isnat(ns)] = np.nan
    return out


def bad_position(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    return ~np.isfinite(lat) | ~np.isfinite(lon) | (np.abs(lat) > 90) | (np.abs(lon) > 180)


def floats(values: list[str | None]) -> np.ndarray:
    """Strings → float64, NaN for missing or non-numeric (checked by the caller if needed)."""
    if not values:
        return np.empty(0, dtype=np.float64)
    try:  # fast path: numpy parses a list of clean numeric strings in C
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )


def parse_times(
    values: list[str | None], naive_tz: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ISO 8601 strings → (datetime64[ns] UTC, unreadable mask, out-of-range mask); naive ones
    read in ``naive_tz``; NaT where absent, unreadable or outside ``TIME_MIN``–``TIME_MAX``.

    Fast path: one ``to_datetime`` over all strings, which succeeds when they are all aware
    (one offset) or all naive, and whose min and max are then checked against the range (a
    year 9999 would otherwise wrap in nanoseconds). Batches mixing the two, with unreadable
    or out-of-range times, take the slow path that classifies each string.
    """
    n = len(values)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    no_bad = np.zeros(n, dtype=bool)
    if n == 0:
        return out, no_bad, no_bad
    if None in values:
        present = np.fromiter((v is not None for v in values), dtype=bool, count=n)
        given = [v for v in values if v is not None]
        if not given:
            return out, no_bad, no_bad
    else:
        present, given = np.ones(n, dtype=bool), values
    far = np.zeros(len(given), dtype=bool)
    try:
        parsed = pd.to_datetime(given, format="ISO8601")
        if not _within_range(parsed):
            raise ValueError("a time outside the accepted range")
        if parsed.tz is not None:
            utc = parsed.tz_convert("UTC")
        else:
            utc = parsed.tz_localize(naive_tz, ambiguous="NaT", nonexistent="NaT")
            utc = utc.tz_convert("UTC")
        bad = np.asarray(utc.isna())
        if bad.any():
            raise ValueError("an unreadable time")
    except (ValueError, TypeError, OverflowError):
        utc, bad, far = _times_mixed(given, naive_tz)
    out[present] = utc.tz_localize(None).as_unit("ns").to_numpy(dtype="datetime64[ns]")
    if not bad.any() and not far.any():
        return out, no_bad, no_bad
    full_bad, full_far = no_bad.copy(), no_bad.copy()
    full_bad[present] = bad
    full_far[present] = far
    return out, full_bad, full_far


def _within_range(parsed: pd.DatetimeIndex) -> bool:
    """All parsed times between TIME_MIN and TIME_MAX (compared in seconds, which hold any
    year; the comparison happens before anything is cast to nanoseconds)."""
    if len(parsed) == 0:
        return True
    lo, hi = parsed.min(), parsed.max()
    if pd.isna(lo) or pd.isna(hi):
        return True  # unreadable ones go down the slow path anyway
    # Aware times compare in UTC; naive ones in their wall time (a day's slack either way is
    # far below what the range is for).
    lo_s = np.datetime64(lo.tz_convert("UTC").tz_localize(None) if lo.tz else lo, "s")
    hi_s = np.datetime64(hi.tz_convert("UTC").tz_localize(None) if hi.tz else hi, "s")
    return bool(lo_s >= TIME_MIN and hi_s < TIME_MAX)


def _times_mixed(
    values: list[str | None], naive_tz: str
) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
    """Slow path: set aside times whose year is outside the range, classify the rest as aware
    or naive and parse each group."""
    sp = pd.Series(values, dtype=object).astype(str).str.strip()
    year = pd.to_numeric(sp.str.extract(_YEAR_RE)[0], errors="coerce")
    lo, hi = TIME_MIN.astype(object).year, TIME_MAX.astype(object).year
    # A year one off the range may still fall inside it once its offset is applied; the exact
    # bounds are checked on the parsed values below.
    far = np.array(((year < lo - 1) | (year > hi)).fillna(False), dtype=bool)
    sp = sp.where(~far, "")
    aware = sp.str.contains(_AWARE_RE, regex=True, na=False)
    parsed = pd.Series(pd.NaT, index=sp.index, dtype="datetime64[ns, UTC]")
    if aware.any():
        a = pd.to_datetime(
            sp[aware].str.replace("z", "Z"), format="ISO8601", utc=True, errors="coerce"
        )
        parsed[aware] = a.astype("datetime64[ns, UTC]")
    naive = ~aware & ~far
    if naive.any():
        b = pd.to_datetime(sp[naive], format="ISO8601", errors="coerce")
        local = b.dt.tz_localize(naive_tz, ambiguous="NaT", nonexistent="NaT")
        parsed[naive] = local.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    secs = parsed.dt.tz_localize(None).to_numpy(dtype="datetime64[s]")
    outside = ~np.isnat(secs) & ((secs < TIME_MIN) | (secs >= TIME_MAX))
    far |= outside
    parsed[outside] = pd.NaT
    bad = np.array(parsed.isna(), dtype=bool) & ~far
    return pd.DatetimeIndex(parsed), bad, far


def bad_time_refusal(line: int, raw: str | None, count: int) -> GpxRefused:
    return GpxRefused(
        "bad_time",
        f"the point at line {line} has an unreadable time {raw!r} ({count} such point(s))",
        line=line,
        value=raw,
        count=count,
    )


def time_range_refusal(line: int, raw: str | None, count: int) -> GpxRefused:
    lo, hi = TIME_MIN.astype(object).year, TIME_MAX.astype(object).year
    return GpxRefused(
        "time_range",
        f"the point at line {line} has the time {raw!r}, outside the years {lo}–{hi - 1} "
        f"({count} such point(s)); check the device's clock",
        line=line,
        value=raw,
        count=count,
    )
