"""Months of plausible patrols for the demo county, sent through the real ingestion path.

Each deputy gets a temperament: most are diligent (a trip early in every window their strictest
site needs), some are late (trips slip past the window end or are skipped), a few are lax or
stop patrolling altogether, and a handful fake: they upload a copy of a colleague's track or a
track that teleports. Trips start at home, visit every assigned site in nearest-neighbour
order (a dwell of 4–12 minutes at each), and return; long trips are cycled. A few deputies use
an Amap-based app and upload GCJ-02 files, declared as such. Same seed and dates, same files.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Engine, text

from core import settings
from geo import crs
from tracks.batch import iter_ingest_files
from tracks.ingest import GpxFile, IngestParams
from tracks.reading import parse_gpx
from tracks.synth import CYCLE_MS, WALK_MS, to_gpx_bytes, walk

TEMPERAMENTS = {"diligent": 0.55, "late": 0.22, "lax": 0.12, "stopped": 0.04, "faker": 0.07}
GCJ02_SHARE = 0.05
CYCLE_FROM_M = 2500.0  # longer trips are cycled
CLASS2_STEP_DAYS = (9, 13)


@dataclass(frozen=True)
class DemoDeputy:
    deputy_id: int
    code: str
    home: tuple[float, float]
    site_ids: tuple[int, ...]
    site_points: tuple[tuple[float, float], ...]
    strictest_class: int


@dataclass(frozen=True)
class DemoTrip:
    deputy_id: int
    code: str
    day: date
    filename: str
    data: bytes
    gcj02: bool
    kind: str  # "patrol", "copy" or "teleport": what the story says it is
    copied_from: str | None = None  # for a copy, the file name of the original


@dataclass(frozen=True)
class PatrolSummary:
    files: int
    points: int
    flagged: int
    visits: int


def tracks_start(until: date, months: int) -> date:
    """First day of the month `months - 1` months before `until`'s month."""
    index = until.year * 12 + until.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


def load_deputies(engine: Engine, limit: int | None = None) -> list[DemoDeputy]:
    epsg = crs.metric_epsg()
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT d.id, d.code,"
                " ST_X(ST_Transform(d.home, :e)), ST_Y(ST_Transform(d.home, :e)),"
                " array_agg(s.id ORDER BY s.id),"
                " array_agg(ST_X(ST_Transform(ST_PointOnSurface(s.geom), :e)) ORDER BY s.id),"
                " array_agg(ST_Y(ST_Transform(ST_PointOnSurface(s.geom), :e)) ORDER BY s.id),"
                " min(s.site_class)"
                " FROM deputy d JOIN assignment a ON a.deputy_id = d.id AND a.valid_to IS NULL"
                " JOIN site s ON s.id = a.site_id"
                " WHERE d.home IS NOT NULL GROUP BY d.id ORDER BY d.code"
            ),
            {"e": epsg},
        ).all()
    deputies = [
        DemoDeputy(r[0], r[1], (r[2], r[3]), tuple(r[4]), tuple(zip(r[5], r[6], strict=True)), r[7])
        for r in rows
    ]
    return deputies[:limit] if limit else deputies


def _rng(seed: int, *parts: object) -> np.random.Generator:
    key = "/".join(str(p) for p in (seed, *parts)).encode()
    return np.random.default_rng(zlib.crc32(key))


def _window_days(
    site_class: int, start: date, until: date, rng: np.random.Generator
) -> list[tuple[date, date]]:
    """The windows (first day, last day) a deputy's strictest site needs between the dates."""
    windows = []
    if site_class == 2:
        day = start + timedelta(days=int(rng.integers(0, 5)))
        while day <= until:
            windows.append((day, day))
            day += timedelta(days=int(rng.integers(*CLASS2_STEP_DAYS)))
        return windows
    day = start
    while day <= until:
        if site_class == 1:
            last = (
                day.replace(day=10)
                if day.day <= 10
                else (day.replace(day=20) if day.day <= 20 else _month_end(day))
            )
        else:
            last = _month_end(day)
        windows.append((day, last))
        day = last + timedelta(days=1)
    return windows


def _month_end(d: date) -> date:
    nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def _trip_days(
    dep: DemoDeputy, temperament: str, start: date, until: date, rng: np.random.Generator
) -> list[date]:
    days = []
    stop_after = start + (until - start) / 2
    for first, last in _window_days(dep.strictest_class, start, until, rng):
        span = (last - first).days
        day = first + timedelta(days=int(rng.integers(0, max(1, span - 1) + 1)))
        if temperament == "late":
            if rng.random() < 0.2:
                continue
            if rng.random() < 0.35:
                day = last + timedelta(days=int(rng.integers(1, 6)))
        elif (temperament == "lax" and rng.random() < 0.55) or (
            temperament == "stopped" and day > stop_after
        ):
            continue
        if day <= until:
            days.append(day)
    return days


def _route(dep: DemoDeputy) -> tuple[np.ndarray, list[int]]:
    """Home → sites in nearest-neighbour order → home, and the indices of the site stops."""
    remaining = list(range(len(dep.site_points)))
    here = np.array(dep.home)
    order = []
    while remaining:
        pts = np.array([dep.site_points[i] for i in remaining])
        nearest = int(np.argmin(np.hypot(*(pts - here).T)))
        order.append(remaining.pop(nearest))
        here = pts[nearest]
    waypoints = [dep.home, *(dep.site_points[i] for i in order), dep.home]
    return np.array(waypoints, dtype=float), list(range(1, len(order) + 1))


def _trip(dep: DemoDeputy, day: date, seed: int, tz: ZoneInfo, gcj02: bool) -> DemoTrip:
    rng = _rng(seed, dep.code, day.isoformat())
    waypoints, stops = _route(dep)
    length = float(np.hypot(*np.diff(waypoints, axis=0).T).sum())
    cycling = length > CYCLE_FROM_M
    start_local = datetime.combine(day, time(8, 0), tz) + timedelta(
        minutes=int(rng.integers(0, 8 * 60))
    )
    x, y, t = walk(
        waypoints,
        start_local.timestamp(),
        speed_ms=CYCLE_MS if cycling else WALK_MS,
        dwell_s_at={i: float(rng.uniform(240, 720)) for i in stops},
        sample_s=10.0 if cycling else 5.0,
        noise_m=4.0,
        rng=rng,
        record_on_move_only=bool(rng.random() < 0.15),
    )
    return _as_trip(dep, day, x, y, t, gcj02, "patrol")


def _as_trip(
    dep: DemoDeputy, day: date, x: np.ndarray, y: np.ndarray, t: np.ndarray, gcj02: bool, kind: str
) -> DemoTrip:
    lon, lat = crs.metric_to_lonlat(x, y)
    if gcj02:
        lon, lat = crs.wgs84_to_gcj02(lon, lat)
    name = f"{dep.code} 巡查 {day.isoformat()}"
    data = to_gpx_bytes(lon, lat, t, name=name, creator="六要素巡查 demo")
    filename = f"{dep.code.lower()}_{day:%Y%m%d}_{kind}.gpx"
    return DemoTrip(dep.deputy_id, dep.code, day, filename, data, gcj02, kind)


def demo_trips(
    deputies: list[DemoDeputy], seed: int, start: date, until: date
) -> Iterator[DemoTrip]:
    """Every deputy's trips, deputy by deputy in date order; then the fakers' fakes, which
    copy a colleague's real trip (yielded earlier) or teleport."""
    tz = ZoneInfo(settings.text("timezone"))
    kinds = list(TEMPERAMENTS)
    weights = np.array(list(TEMPERAMENTS.values()))
    trips_of: dict[str, list[DemoTrip]] = {}
    fakers = []
    for dep in deputies:
        rng = _rng(seed, dep.code, "temperament")
        temperament = kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]
        gcj02 = bool(rng.random() < GCJ02_SHARE)
        trips = trips_of.setdefault(dep.code, [])
        for day in _trip_days(dep, temperament, start, until, rng):
            trip = _trip(dep, day, seed, tz, gcj02)
            trips.append(trip)
            yield trip
        if temperament == "faker" and trips:
            fakers.append(dep)
    for dep in fakers:
        yield from _fakes(dep, trips_of, seed, until)


def _fakes(
    dep: DemoDeputy, trips_of: dict[str, list[DemoTrip]], seed: int, until: date
) -> Iterator[DemoTrip]:
    """A colleague's real track re-dated and uploaded as one's own, and a teleporting track."""
    rng = _rng(seed, dep.code, "fakes")
    own = trips_of[dep.code]
    others = sorted(c for c, trips in trips_of.items() if c != dep.code and trips)
    if others:
        victim = trips_of[others[int(rng.integers(len(others)))]][0]
        parsed = parse_gpx(victim.data)
        lon, lat = parsed.lon, parsed.lat
        if victim.gcj02:
            lon, lat = crs.gcj02_to_wgs84(lon, lat)
        day = min(until, victim.day + timedelta(days=int(rng.integers(1, 4))))
        x, y = crs.lonlat_to_metric(lon, lat)
        shift = (day - victim.day).days * 86400.0
        yield replace(
            _as_trip(dep, day, x, y, parsed.t_s + shift, False, "copy"),
            copied_from=victim.filename,
        )
    honest = parse_gpx(own[-1].data)
    lon, lat = honest.lon, honest.lat
    if own[-1].gcj02:
        lon, lat = crs.gcj02_to_wgs84(lon, lat)
    x, y = crs.lonlat_to_metric(lon, lat)
    x = x.copy()
    x[len(x) // 2 :] += 15_000.0  # 15 km east between two fixes
    day = min(until, own[-1].day + timedelta(days=2))
    shift = (day - own[-1].day).days * 86400.0
    yield _as_trip(dep, day, x, y, honest.t_s + shift, False, "teleport")


def add_demo_patrols(
    engine: Engine,
    seed: int,
    until: date,
    months: int = 4,
    limit: int | None = None,
    progress: object | None = None,
) -> PatrolSummary:
    """Generate and ingest the demo patrols through the uploads' batch path (a transaction per
    FILES_PER_TRANSACTION files, a savepoint each); a refused demo file is a bug, raised."""
    params = IngestParams.from_settings()
    start = tracks_start(until, months)
    deputies = load_deputies(engine, limit)
    now = datetime.combine(until + timedelta(days=1), time(0), UTC)
    files = points = flagged = visits = 0
    trips = (
        GpxFile(trip.data, trip.filename, trip.deputy_id, trip.gcj02)
        for trip in demo_trips(deputies, seed, start, until)
    )
    for verdict in iter_ingest_files(engine, trips, params=params, now=now):
        if verdict.result is None:
            raise RuntimeError(f"demo patrol {verdict.filename}: {verdict.message}")
        result = verdict.result
        files += 1
        points += result.n_points
        flagged += bool(result.flags)
        visits += len(result.visits)
        if callable(progress):
            progress(files)
    return PatrolSummary(files, points, flagged, visits)


__all__ = ["add_demo_patrols", "demo_trips", "load_deputies", "tracks_start"]
