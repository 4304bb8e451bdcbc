"""Demo 有奖举报: a handful of public reports in every state, made through the services.

Each comes as a reporter's would — a code by "SMS" (caught here, nothing is sent), a photo
with or without GPS, a place near a demo site — and some are then moderated: accepted into
a ticket with its reward, or rejected with a reason. Phones are invented (139 0000 00xx).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine, func, select, text

from accounts.audit import Operator
from core import clock
from core.photos import jpeg_with_exif
from data.demo import DEFAULT_SEED
from db.database import session_scope
from db.models import PublicReport
from tickets import public_reports as pr
from tickets.service import Upload

# (category, description, outcome, reason when rejected)
REPORTS: tuple[tuple[str, str, str, str | None], ...] = (
    ("sewage", "塘边有一根管子往水里排黑水，气味很重。", "accepted", None),
    ("floating_litter", "水面漂着很多塑料瓶和泡沫，已经好几天了。", "accepted", None),
    ("dead_fish", "早上看到岸边有几十条死鱼。", "pending", None),
    ("bank_litter", "岸边堆了一堆建筑垃圾。", "pending", None),
    (
        "illegal_fishing",
        "晚上有人拿电瓶电鱼。",
        "rejected",
        "现场核查未见电鱼痕迹，照片与所报位置不符。",
    ),
    ("manure", "养殖场的粪水顺着沟流进河里。", "pending", None),
)
MODERATOR = Operator("demo")


@dataclass(frozen=True)
class PublicSummary:
    reports: int
    accepted: int
    rejected: int


def add_demo_public_reports(engine: Engine, seed: int) -> PublicSummary:
    """The demo's public reports (once: a database that has some keeps them)."""
    with session_scope(engine) as s:
        if s.scalar(select(func.count()).select_from(PublicReport)):
            return PublicSummary(0, 0, 0)
        places = s.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM site "
                "WHERE kind <> 'livestock_farm' ORDER BY code) s"
            )
        ).all()
    rng = np.random.default_rng([seed, 12])
    chosen = rng.choice(len(places), size=len(REPORTS), replace=False)
    sent: list[str] = []
    accepted = rejected = 0
    for k, ((category, description, outcome, reason), index) in enumerate(
        zip(REPORTS, chosen, strict=True)
    ):
        lon, lat = places[int(index)]
        # each county of the demo city its own phones and clients (the limits are per phone)
        other = (seed - DEFAULT_SEED) % 100
        phone = f"139{other:02d}0000{k + 10:02d}"
        client = f"demo-{k}" + (f"-{seed}" if other else "")
        with_gps = k % 2 == 0  # half give the place by the photo's GPS, half by a click
        photo = jpeg_with_exif(lon if with_gps else None, lat if with_gps else None, clock.now())
        with session_scope(engine) as s:
            pr.request_code(s, phone, client, lambda _p, body: sent.append(body) or True)
        code = re.search(r"\d{6}", sent[-1]).group(0)
        submission = pr.Submission(
            phone=phone,
            code=code,
            category_code=category,
            description=description,
            photo=Upload(f"举报-{k + 1}.jpg", photo),
            lon=None if with_gps else lon,
            lat=None if with_gps else lat,
        )
        with session_scope(engine) as s:
            pr.submit_report(s, submission, client)
            report_id = s.scalar(select(func.max(PublicReport.id)))
        with session_scope(engine) as s:
            if outcome == "accepted":
                pr.accept(s, MODERATOR, int(report_id))
                accepted += 1
            elif outcome == "rejected":
                pr.reject(s, MODERATOR, int(report_id), reason or "")
                rejected += 1
    return PublicSummary(len(REPORTS), accepted, rejected)
