"""Demo problems and tickets at every step of their lifecycle, made through the real service.

Deputies report problems at their own sites over the patrol period; platforms accept most,
reject a few (re-routed by an analyst), feed back some late; deputies re-inspect with a photo
whose EXIF time and GPS prove the visit, and rate — now and then 不满意, which reopens the
ticket. A share stays open, some past their deadline, so worklists and figures have content.
Dates are the demo's own: each event carries its story time (the services take `at`).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Engine, text

from core import settings
from core.photos import jpeg_with_exif
from core.vocab import CHECKLIST_CATEGORY, checklist_for
from db.database import session_scope
from tickets.service import (
    Actor,
    NewProblem,
    Upload,
    get_ticket,
    move,
    platform_update,
    rate,
    reinspect,
    report_problem,
)

DESCRIPTIONS: dict[str, str] = {
    "floating_litter": "水面有较多塑料瓶和泡沫等漂浮垃圾",
    "sewage": "塘边发现一处排污口，有浑浊污水流入",
    "bank_litter": "岸边堆放生活垃圾，未及时清运",
    "dead_fish": "水面漂浮死鱼十余条，有异味",
    "illegal_farming": "发现有人向塘内投放肥料养鱼",
    "encroachment": "塘边新建简易棚房，疑似侵占水域",
    "sign_missing": "“一塘一场一代表”公示牌缺失",
    "manure": "养殖场粪污未经处理直排沟渠",
    "carcass": "养殖场附近丢弃病死猪两头",
    "prohibited_zone": "禁养区内仍有养殖活动",
    "unlicensed": "养殖场台账不全，证照未公示",
}
TICKETS_PER_MONTH = 12


@dataclass(frozen=True)
class TicketSummary:
    tickets: int
    closed: int
    open: int


def _rng(seed: int, *parts: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32("/".join(map(str, (seed, *parts))).encode()))


def _candidates(engine: Engine) -> list[tuple[int, int, float, float, str]]:
    """(site, its deputy, lon, lat, kind) of every assigned site, in a stable order."""
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT s.id, a.deputy_id, ST_X(ST_PointOnSurface(s.geom)), "
                    "ST_Y(ST_PointOnSurface(s.geom)), s.kind FROM site s "
                    "JOIN assignment a ON a.site_id = s.id AND a.valid_to IS NULL ORDER BY s.id"
                )
            )
        ]


def _at(day: date, hour: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour), tz)


def add_demo_tickets(engine: Engine, seed: int, start: date, until: date) -> TicketSummary:
    sites = _candidates(engine)
    tz = ZoneInfo(settings.text("timezone"))
    items = [i for i, c in CHECKLIST_CATEGORY.items() if c in DESCRIPTIONS]
    made = closed = 0
    day = start
    while day <= until:
        rng = _rng(seed, "tickets", day.isoformat())
        for k in range(TICKETS_PER_MONTH):
            report_day = day + timedelta(days=int(rng.integers(0, 28)))
            if report_day > until:
                continue
            site, deputy, lon, lat, kind = sites[int(rng.integers(len(sites)))]
            fitting = [i for i in items if i in checklist_for(kind)]
            category = CHECKLIST_CATEGORY[fitting[int(rng.integers(len(fitting)))]]
            lon += float(rng.normal(0, 0.0002))
            lat += float(rng.normal(0, 0.0002))
            reporter = Actor("reporter", deputy_id=deputy)
            photo = Upload(
                f"problem_{k}.jpg",
                jpeg_with_exif(lon, lat, datetime.combine(report_day, time(9), tz)),
            )
            with session_scope(engine) as s:
                ticket = report_problem(
                    s,
                    NewProblem(
                        category, DESCRIPTIONS[category], lon, lat, site_id=site, photos=[photo]
                    ),
                    reporter,
                    reporter_deputy_id=deputy,
                    at=_at(report_day, 9, tz),
                )
                number = ticket.number
            made += 1
            closed += _story(engine, number, reporter, kind, lon, lat, report_day, until, rng, tz)
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return TicketSummary(made, closed, made - closed)


def _story(
    engine: Engine,
    number: str,
    reporter: Actor,
    kind: str,
    lon: float,
    lat: float,
    reported: date,
    until: date,
    rng: np.random.Generator,
    tz: ZoneInfo,
) -> int:
    """Play a ticket forward by random steps; returns 1 when it ends closed."""
    with session_scope(engine) as s:
        platform = get_ticket(s, number).platform_code
    step = reported + timedelta(days=int(rng.integers(0, 3)))
    if step > until or rng.random() < 0.12:
        return 0  # still waiting for the platform
    if rng.random() < 0.08 and platform != "zhifa":
        with session_scope(engine) as s:
            platform_update(
                s,
                platform,
                number,
                f"{number}-r",
                "reject",
                comment="非本平台职责",
                at=_at(step, 10, tz),
            )
            move(
                s,
                get_ticket(s, number),
                "dispatch",
                Actor("analyst"),
                comment="改派综合执法平台",
                payload={"platform": "zhifa"},
                at=_at(step, 10, tz) + timedelta(minutes=30),
            )
        platform = "zhifa"
    with session_scope(engine) as s:
        platform_update(
            s, platform, number, f"{number}-a", "accept", comment="已受理", at=_at(step, 11, tz)
        )
    step += timedelta(days=int(rng.integers(1, 12)))
    if step > until or rng.random() < 0.15:
        return 0
    with session_scope(engine) as s:
        platform_update(
            s,
            platform,
            number,
            f"{number}-f",
            "feedback",
            comment="已现场处置完毕",
            at=_at(step, 15, tz),
        )
    step += timedelta(days=int(rng.integers(1, 6)))
    if step > until or rng.random() < 0.2:
        return 0
    checklist = {item: False for item in checklist_for(kind)}
    proof = Upload("reinspect.jpg", jpeg_with_exif(lon, lat, datetime.combine(step, time(16), tz)))
    with session_scope(engine) as s:
        reinspect(
            s,
            get_ticket(s, number),
            reporter,
            resolved=True,
            checklist=checklist,
            photos=[proof],
            at=_at(step, 16, tz) + timedelta(minutes=30),
        )
    rating = ("satisfied", "basically_satisfied", "dissatisfied")[
        int(rng.choice(3, p=[0.7, 0.2, 0.1]))
    ]
    with session_scope(engine) as s:
        rate(s, get_ticket(s, number), reporter, rating, at=_at(step, 17, tz))
    return int(rating != "dissatisfied")


__all__ = ["add_demo_tickets"]
