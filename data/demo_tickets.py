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
from tickets.calendar import add_working_days
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
    # Not from a checklist: what residents told the deputy (综治 and 市场监管 platforms).
    "water_dispute": "村民反映上游养殖户抢占灌溉水源，双方发生纠纷",
    "petition": "群众来信反映塘边排污问题多次未解决",
    "illegal_sales": "群众反映有商户在塘边违规销售电鱼器具",
}
HEARD = ("water_dispute", "petition", "illegal_sales")
TICKETS_PER_MONTH = 12
HEARD_PER_MONTH = 3  # problems a deputy heard of from residents (HEARD)
RECORD_GAP_EVERY = 10  # one duty visit in ten is left without its checklist (an incomplete record)


def check_calendar(engine: Engine, until: date) -> None:
    """Refuse up front (HolidaysUnknown) when the deadline of a ticket reported on ``until``
    would fall in a year the holiday calendar does not know, so a demo is never half loaded."""
    with engine.connect() as conn:
        longest = conn.scalar(text("SELECT max(deadline_workdays) FROM problem_category"))
    add_working_days(until, int(longest or 0))


@dataclass(frozen=True)
class TicketSummary:
    tickets: int
    closed: int
    open: int


def _rng(seed: int, *parts: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32("/".join(map(str, (seed, *parts))).encode()))


def add_demo_records(engine: Engine) -> int:
    """Every duty visit's checklist answered "no" — the patrol's record — except one visit in
    ``RECORD_GAP_EVERY``, left without one (the evaluation sees incomplete records); the
    yeses are set where the demo tickets come from (``add_demo_tickets``)."""
    items = [("farm", i) for i in checklist_for("livestock_farm")]
    items += [("water", i) for i in checklist_for("pond")]
    values = ", ".join(f"('{group}', '{item}')" for group, item in items)
    with session_scope(engine) as s:
        return s.execute(
            text(
                "INSERT INTO checklist_answer (patrol_id, site_id, item, answer) "
                "SELECT DISTINCT v.patrol_id, v.site_id, i.item, false FROM visit v "
                "JOIN site s ON s.id = v.site_id "
                f"JOIN (VALUES {values}) AS i(grp, item) ON i.grp = CASE WHEN "
                "s.kind = 'livestock_farm' THEN 'farm' ELSE 'water' END "
                "WHERE v.is_assigned AND (v.patrol_id * 7 + v.site_id) % :gap <> 0 "
                "ON CONFLICT DO NOTHING"
            ),
            {"gap": RECORD_GAP_EVERY},
        ).rowcount


def _records(
    engine: Engine, start: date, end: date, tz: ZoneInfo
) -> list[tuple[int, int, int, date, float, float, str]]:
    """(patrol, site, deputy, local day, lon, lat, kind) of every complete record in
    [start, end], in a stable order: the places a demo problem can be seen."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT DISTINCT ON (v.patrol_id, v.site_id) v.patrol_id, v.site_id, "
                "p.deputy_id, (v.arrived AT TIME ZONE :tz)::date AS day, "
                "ST_X(ST_PointOnSurface(s.geom)), ST_Y(ST_PointOnSurface(s.geom)), s.kind "
                "FROM visit v JOIN patrol p ON p.id = v.patrol_id JOIN site s ON s.id = v.site_id "
                "WHERE v.is_assigned AND (v.arrived AT TIME ZONE :tz)::date BETWEEN :a AND :b "
                "AND EXISTS (SELECT 1 FROM checklist_answer c WHERE c.patrol_id = v.patrol_id "
                "AND c.site_id = v.site_id) ORDER BY v.patrol_id, v.site_id, v.arrived"
            ),
            {"tz": str(tz), "a": start, "b": end},
        )
        return [tuple(r) for r in rows]


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
    """Each month: problems seen on patrol — a checklist "yes" at a visited site, reported
    from that patrol and site — and a few heard from residents (综治: disputes, petitions);
    each played forward through the lifecycle."""
    add_demo_records(engine)
    sites = _candidates(engine)
    tz = ZoneInfo(settings.text("timezone"))
    items = [i for i, c in CHECKLIST_CATEGORY.items() if c in DESCRIPTIONS]
    made = closed = 0
    day = start
    while day <= until:
        rng = _rng(seed, "tickets", day.isoformat())
        month_end = min(
            until, (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        )
        seen = _records(engine, day, month_end, tz)
        for k in range(TICKETS_PER_MONTH + HEARD_PER_MONTH):
            heard = k >= TICKETS_PER_MONTH
            if heard or not seen:
                # Heard from residents, or (a county without patrols yet) seen in passing.
                report_day = day + timedelta(days=int(rng.integers(0, 28)))
                if report_day > until:
                    continue
                site, deputy, lon, lat, kind = sites[int(rng.integers(len(sites)))]
                fitting = [i for i in items if i in checklist_for(kind)]
                category = (
                    HEARD[int(rng.integers(len(HEARD)))]
                    if heard
                    else CHECKLIST_CATEGORY[fitting[int(rng.integers(len(fitting)))]]
                )
                patrol = None
            else:
                patrol, site, deputy, report_day, lon, lat, kind = seen[
                    int(rng.integers(len(seen)))
                ]
                fitting = [i for i in items if i in checklist_for(kind)]
                item = fitting[int(rng.integers(len(fitting)))]
                category = CHECKLIST_CATEGORY[item]
                with session_scope(engine) as s:
                    s.execute(
                        text(
                            "UPDATE checklist_answer SET answer = true WHERE patrol_id = :p "
                            "AND site_id = :s AND item = :i"
                        ),
                        {"p": patrol, "s": site, "i": item},
                    )
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
                        category,
                        DESCRIPTIONS[category],
                        lon,
                        lat,
                        site_id=site,
                        patrol_id=patrol,
                        photos=[photo],
                    ),
                    reporter,
                    reporter_deputy_id=deputy,
                    at=_at(report_day, 9, tz),
                )
                number = ticket.number
            made += 1
            closed += _story(engine, number, reporter, kind, lon, lat, report_day, until, rng, tz)
        day = month_end + timedelta(days=1)
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


__all__ = ["add_demo_records", "add_demo_tickets", "check_calendar"]
