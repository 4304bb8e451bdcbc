"""The demo's supervision groups and volunteer teams, sent through the real services.

Three 督查组, each led by a Standing Committee leader, share the townships; every month each
group checks in twice (with findings) and records one visit by GPX track. Two volunteer teams
— 骑行河长 (cycling) and 老骥常青 (walking) — ride or walk a loop past three water sites of
their township on each duty day (the lunar 15th and the month's end); a few members miss a
day, so the volunteers' page has both. Same seed and dates, same records.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from sqlalchemy import Engine, text

from accounts.audit import Operator
from core import clock
from data.names import person_names, phone_numbers
from db.database import session_scope
from duty import supervision, volunteers
from duty.volunteer_dates import duty_days_between
from geo import crs
from tracks.ingest import IngestParams
from tracks.synth import CYCLE_MS, WALK_MS, to_gpx_bytes, walk

DEMO = Operator("demo")
GROUPS = (
    ("G1", "第一督查组", "常委会主任"),
    ("G2", "第二督查组", "常委会副主任"),
    ("G3", "第三督查组", "常委会副主任"),
)
FINDINGS = (
    "河面有少量漂浮物，已要求村里当日清理",
    "排污口仍有污水直排，已交乡镇限期整改",
    "公示牌缺失，河长信息未更新",
    "岸边堆放生活垃圾，已督促清运",
    "水色正常，巡查台账齐全",
    "养殖场粪污处理设施未运行，已约谈业主",
)
PLACES = ("村口排污口", "水库大坝", "中心河埠头", "养殖场排放口", "小微水体公示牌", "镇区河段")
TEAMS = (("QX", "骑行河长队", "cycling", 6), ("LJ", "老骥常青队", "veteran", 5))
MISS_SHARE = 0.2


@dataclass(frozen=True)
class SupervisionSummary:
    groups: int
    visits: int
    members: int
    volunteer_tracks: int


def _rng(seed: int, *parts: object) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32("/".join(map(str, parts)).encode())])


def _water_sites(engine: Engine, township_id: int) -> np.ndarray:
    """(x, y) in metres of the township's water sites' representative points."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointOnSurface(geom), :e) "
                "AS p FROM site WHERE township_id = :t AND kind <> 'livestock_farm' "
                "ORDER BY code) q"
            ),
            {"e": crs.metric_epsg(), "t": township_id},
        ).all()
    return np.asarray(rows, dtype=float).reshape(-1, 2)


def _track(points: np.ndarray, start: datetime, speed: float, seed: int) -> bytes:
    x, y, t = walk(
        points,
        start.timestamp(),
        speed_ms=speed,
        dwell_s_at={i: 300.0 for i in range(1, len(points) - 1)},
        sample_s=10.0,
        noise_m=3.0,
        rng=seed,
    )
    lon, lat = crs.metric_to_lonlat(x, y)
    return to_gpx_bytes(lon, lat, t)


def _loop(sites: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    chosen = sites[rng.choice(len(sites), size=min(3, len(sites)), replace=False)]
    chosen = chosen[np.argsort(chosen[:, 0])]
    start = chosen[0] + np.array([-600.0, rng.uniform(-200, 200)])
    return np.vstack([start, chosen, start])


def add_demo_supervision(engine: Engine, seed: int, start: date, until: date) -> SupervisionSummary:
    """Groups, their visits, teams, members and their duty-day tracks from ``start`` to
    ``until``, through the same services as the pages and the command line."""
    params = IngestParams.from_settings()
    with engine.connect() as conn:
        towns = conn.execute(text("SELECT id, name FROM township ORDER BY code")).all()
    leaders = person_names(len(GROUPS) * 3, _rng(seed, "leaders"))
    with session_scope(engine) as s:
        for i, (code, name, title) in enumerate(GROUPS):
            supervision.add_group(s, DEMO, code, name, leaders[3 * i], title, start)
            for k in (1, 2):
                supervision.add_member(s, DEMO, code, leaders[3 * i + k], "常委会委员", start)
            for _, town in towns[i :: len(GROUPS)]:
                supervision.assign_township(s, DEMO, code, town, start)
    visits = 0
    month = date(start.year, start.month, 1)
    zone = clock.zone()
    while month <= until:
        for i, (code, _, _) in enumerate(GROUPS):
            rng = _rng(seed, "visits", code, month)
            mine = towns[i :: len(GROUPS)]
            for n in range(3):
                day = month + timedelta(days=int(rng.integers(0, 27)))
                if day > until:
                    continue
                town_id, town = mine[int(rng.integers(len(mine)))]
                at = datetime.combine(day, time(9 + n * 2, int(rng.integers(0, 59))), zone)
                findings = [
                    supervision.NewFinding(FINDINGS[int(j)])
                    for j in rng.choice(len(FINDINGS), size=int(rng.integers(1, 3)), replace=False)
                ]
                with session_scope(engine) as s:
                    if n < 2:
                        place = PLACES[int(rng.integers(len(PLACES)))]
                        supervision.record_checkin(s, DEMO, code, town, place, at, findings)
                    else:
                        sites = _water_sites(engine, town_id)
                        if len(sites) == 0:
                            continue
                        data = _track(_loop(sites, rng), at, WALK_MS, int(rng.integers(1 << 30)))
                        supervision.record_gpx_visit(
                            s, DEMO, code, town, data, f"{code}-{day}.gpx", findings, params=params
                        )
                visits += 1
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)

    teams_csv = "code,name,kind,township\n" + "".join(
        f"{code},{name},{kind},{towns[i][1]}\n" for i, (code, name, kind, _) in enumerate(TEAMS)
    )
    size = sum(n for *_, n in TEAMS)
    names = person_names(size, _rng(seed, "volunteers"))
    phones = phone_numbers(size, _rng(seed, "volunteer phones"))
    rows, k = [], 0
    for code, _, _, n in TEAMS:
        for j in range(n):
            rows.append(f"{code}{j + 1:02d},{names[k]},{code},{start},{phones[k]}\n")
            k += 1
    members_csv = "code,name,team,joined_on,contact\n" + "".join(rows)
    with session_scope(engine) as s:
        volunteers.import_teams(s, DEMO, teams_csv.encode(), "demo-teams.csv")
        volunteers.import_members(s, DEMO, members_csv.encode(), "demo-members.csv")
    tracks = 0
    now = datetime.combine(until + timedelta(days=1), time(0), UTC)
    for i, (code, _, kind, n) in enumerate(TEAMS):
        sites = _water_sites(engine, towns[i][0])
        if len(sites) == 0:
            continue
        speed = CYCLE_MS if kind == "cycling" else WALK_MS
        for duty in duty_days_between(start, until):
            for j in range(n):
                member = f"{code}{j + 1:02d}"
                rng = _rng(seed, "duty", member, duty.day)
                if rng.random() < MISS_SHARE:
                    continue
                at = datetime.combine(duty.day, time(7, int(rng.integers(0, 59))), zone)
                data = _track(_loop(sites, rng), at, speed, int(rng.integers(1 << 30)))
                with session_scope(engine) as s:
                    volunteers.ingest_volunteer_gpx(
                        s,
                        data,
                        f"{member}-{duty.day}.gpx",
                        member_id=volunteers.member_id_by_code(s, member),
                        uploader=DEMO,
                        params=params,
                        now=now,
                    )
                tracks += 1
    return SupervisionSummary(len(GROUPS), visits, size, tracks)


__all__ = ["SupervisionSummary", "add_demo_supervision"]
