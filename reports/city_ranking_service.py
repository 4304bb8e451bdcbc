"""一月一排名、一月一通报: gathering each county's figures, the draft ranking, publishing a month
(frozen for the public) and reading what was published. The scoring itself is pure
(``reports.city_ranking``).

How a county's figures are gathered: the counties are listed in the city's scope
(``db.scope.ALL``); then, for each, a transaction of its own runs inside
``scope.within(county.id)`` and calls the county services the county's own pages use — the
coverage's ``site_period_status``, ``tickets.figures.ticket_rates``, the supervision summary —
so row-level security (migration 0020) lets each see only that county's rows. A deployment
holding several counties also filters those services' rows explicitly to the county's
townships (``county_townships``, by ``county_id``) — the same answer, and one that holds for
a superuser, whom row-level security does not bind. A deployment of one county takes every
row as its own, so its line equals the county's own figures (the glance, the bulletin).

A publication freezes the scored lines (values, counts, points, score, rank, the rules and
their version) in ``city_ranking_publication`` and ``city_ranking``; a month already
published is refused unless the new one explicitly supersedes it with a reason, which is
audited. Only a month that has ended may be published.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from accounts.audit import Actor, actor_label, authorize, record
from accounts.auth import SignedIn
from core import clock
from core.errors import ShuijianError
from db import scope
from db.database import session_scope
from db.models import CityRanking, CityRankingPublication
from db.query import query_frame
from duty.coverage import month_bounds, site_period_status
from duty.supervision import township_summary
from reports.city_ranking import (
    INDICATORS,
    CountyFigures,
    CountyScore,
    IndicatorRule,
    IndicatorScore,
    RankingRules,
    load_rules,
    score_counties,
)
from reports.evaluation import month_after, previous_months
from tickets.figures import ticket_rates

REASON_MAX = 500


class CityRankingRefused(ShuijianError):
    """A publication was refused; nothing of it was stored."""


@dataclass(frozen=True)
class Publication:
    """Who published a month's ranking, when, by which rules; a correction names the one it
    supersedes and why; ``superseded_at`` is set once a later correction replaced it."""

    id: int
    month: date
    as_of: date
    weights_version: str
    published_at: datetime
    published_by: str
    supersedes_id: int | None
    reason: str | None
    superseded_at: datetime | None = None


@dataclass(frozen=True)
class Ranking:
    """A month's ranking: drafted now, or as published (``publication`` set)."""

    year: int
    month: int
    as_of: date
    rules: RankingRules
    lines: list[CountyScore]
    publication: Publication | None = None

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)


# ------------------------------------------------------------------ gathering


_COUNTIES_SQL = "SELECT id, code, name FROM county ORDER BY code, id"

# A township belongs to the county its representative point lies in. When every county-owned
# row carries its county_id (row-level security), this becomes ``WHERE county_id = :county``.
_TOWNSHIPS_SQL = "SELECT id, name FROM township WHERE county_id = :county ORDER BY code"


def counties(engine: Engine) -> pd.DataFrame:
    """The city's counties (id, code, name), read in the city's scope."""
    with scope.within(scope.ALL), session_scope(engine) as session:
        return query_frame(session, _COUNTIES_SQL)


def county_townships(session: Session, county_id: int) -> pd.DataFrame:
    """The townships (id, name) of a county."""
    return query_frame(session, _TOWNSHIPS_SQL, {"county": county_id})


def water_attainment(engine: Engine, year: int, month: int) -> dict[int, float | None]:
    """水质达标率 per county id, from ``water.quality`` — an adapter until that package is in
    the branch: without it, every county's water indicator is missing (the rules say what a
    missing indicator does). Read in the city's scope: it answers for every county."""
    try:
        from water.quality import attainment_by_county  # type: ignore[import-not-found]
    except ModuleNotFoundError as exc:
        if exc.name in ("water", "water.quality"):
            return {}
        raise
    with scope.within(scope.ALL), session_scope(engine) as session:
        return dict(attainment_by_county(session, date(year, month, 1)))


def _share(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def county_figures(
    session: Session,
    county_id: int,
    year: int,
    month: int,
    as_of: date,
    *,
    only_county: bool,
    water: float | None = None,
) -> dict[str, dict[str, Any]]:
    """One county's indicator inputs for the month (``CountyFigures.inputs``), through the
    county services; ``only_county``: the deployment holds no other county, so no row needs
    filtering (see the module's note)."""
    start, end = month_bounds(year, month)
    after = end + timedelta(days=1)
    towns = county_townships(session, county_id)
    ids, names = set(towns["id"].tolist()), set(towns["name"].tolist())

    status = site_period_status(session, start, end, as_of)
    if not only_county:
        status = status[status["township_id"].isin(ids)]
    owed = bool(status["tracking_start"].notna().any())
    sites, on_time = len(status), int(status["on_time"].sum())

    rates = ticket_rates(session, "township", start, after, as_of)
    if not only_county:
        rates = rates[rates["key"].isin(names)]
    dispatched, handled = int(rates["dispatched"].sum()), int(rates["handled"].sum())

    visits = township_summary(session, start, end)
    if not only_county:
        visits = visits[visits["township"].isin(names)]
    townships, visit_count = len(towns), int(visits["visits"].sum())

    return {
        "on_time": {
            "value": _share(on_time, sites) if owed else None,
            "sites": sites,
            "sites_on_time": on_time,
        },
        "handling": {
            "value": _share(handled, dispatched),
            "dispatched": dispatched,
            "handled": handled,
        },
        "water_quality": {
            "value": None if water is None or math.isnan(water) else float(water),
        },
        "supervision": {
            "value": _share(visit_count, townships),
            "visits": visit_count,
            "townships": townships,
        },
    }


def reckoning_day(year: int, month: int) -> date:
    """The day whose events a month's figures count up to: the day after the month (a
    closed month), or today while it runs."""
    return min(month_after(year, month), clock.today())


def gather_month(
    engine: Engine, year: int, month: int, as_of: date | None = None
) -> list[CountyFigures]:
    """Every county's figures for the month, each county in a transaction of its own scope."""
    as_of = as_of or reckoning_day(year, month)
    listed = counties(engine)
    water = water_attainment(engine, year, month)
    only_county = len(listed) == 1
    out = []
    for county_id, code, name in listed.itertuples(index=False):
        with scope.within(int(county_id)), session_scope(engine) as session:
            inputs = county_figures(
                session,
                int(county_id),
                year,
                month,
                as_of,
                only_county=only_county,
                water=water.get(int(county_id)),
            )
        out.append(CountyFigures(int(county_id), str(code), str(name), inputs))
    return out


def draft_ranking(
    engine: Engine,
    actor: Actor | None,
    year: int,
    month: int,
    rules: RankingRules | None = None,
    as_of: date | None = None,
) -> Ranking:
    """The month's ranking computed now (not published). ``actor`` None: the system itself
    (the published page's comparison with a month never published)."""
    if actor is not None:
        authorize(actor, "read_city_ranking")
    rules = rules or load_rules()
    as_of = as_of or reckoning_day(year, month)
    lines = score_counties(gather_month(engine, year, month, as_of), rules)
    return Ranking(year, month, as_of, rules, lines)


# ------------------------------------------------------------------ publication


def _publication(row: Any) -> Publication:
    return Publication(
        id=int(row.id),
        month=row.month,
        as_of=row.as_of,
        weights_version=str(row.weights_version),
        published_at=row.published_at,
        published_by=str(row.published_by),
        supersedes_id=row.supersedes_id,
        reason=row.reason,
        superseded_at=getattr(row, "superseded_at", None),
    )


_PUBLICATIONS_SQL = """
SELECT p.id, p.month, p.as_of, p.weights_version, p.weights, p.published_at, p.published_by,
       p.supersedes_id, p.reason,
       (SELECT n.published_at FROM city_ranking_publication n WHERE n.supersedes_id = p.id)
         AS superseded_at
FROM city_ranking_publication p
WHERE (CAST(:month AS date) IS NULL OR p.month = :month)
ORDER BY p.month DESC, p.id DESC
"""


def publications(session: Session, first_day: date | None = None) -> list[Publication]:
    """Every publication (of one month), newest first, each saying whether it was superseded."""
    rows = session.execute(text(_PUBLICATIONS_SQL), {"month": first_day}).all()
    return [_publication(row) for row in rows]


def current_publication(session: Session, first_day: date) -> Publication | None:
    """The month's publication that nothing superseded (the end of its chain)."""
    return next((p for p in publications(session, first_day) if p.superseded_at is None), None)


def _clean_reason(reason: str | None) -> str | None:
    if reason is None:
        return None
    cleaned = " ".join(reason.split())
    if not cleaned:
        raise CityRankingRefused(
            "a correction needs its reason", code="city_ranking_reason_missing"
        )
    if len(cleaned) > REASON_MAX:
        raise CityRankingRefused(
            f"the reason is longer than {REASON_MAX} characters",
            code="city_ranking_reason_too_long",
            most=REASON_MAX,
        )
    return cleaned


def publish(
    engine: Engine,
    actor: Actor,
    year: int,
    month: int,
    *,
    supersede_reason: str | None = None,
    rules: RankingRules | None = None,
) -> Ranking:
    """Publish (一月一通报) the month's ranking as it scores now, frozen from then on.

    Refused, with nothing stored: a month that has not ended (its figures would still move);
    a month already published, unless ``supersede_reason`` says why this one replaces it (a
    correction, audited as such); a correction of a month never published; a city without
    counties. The figures are counted from the events before the month's next day."""
    authorize(actor, "publish_city_ranking")
    reason = _clean_reason(supersede_reason)
    first_day = date(year, month, 1)
    as_of = month_after(year, month)
    if as_of > clock.today():
        raise CityRankingRefused(
            f"{year}-{month:02d} has not ended; a running month is never published",
            code="city_ranking_month_open",
            month=f"{year}-{month:02d}",
        )
    rules = rules or load_rules()
    # Checked before the (slow) gathering, and again under the lock below.
    with scope.within(scope.ALL), session_scope(engine) as session:
        _check_chain(session, first_day, reason)
    lines = score_counties(gather_month(engine, year, month, as_of), rules)
    if not lines:
        raise CityRankingRefused("the city has no county to rank", code="city_ranking_no_county")
    now = clock.now()
    with scope.within(scope.ALL), session_scope(engine) as session:
        # One publisher of a month at a time; the indexes would refuse a fork anyway.
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('city_ranking'), :m)"),
            {"m": year * 12 + month},
        )
        previous = _check_chain(session, first_day, reason)
        row = CityRankingPublication(
            month=first_day,
            as_of=as_of,
            weights_version=rules.version,
            weights={**rules.as_dict(), "digest": rules.digest},
            published_at=now,
            published_by=actor_label(actor)[:120],
            published_by_user_id=actor.user_id if isinstance(actor, SignedIn) else None,
            supersedes_id=previous.id if previous else None,
            reason=reason,
        )
        session.add(row)
        session.flush()
        session.add_all(_frozen_lines(row, lines))
        record(
            session,
            actor,
            "city_ranking_supersede" if previous else "city_ranking_publish",
            f"{year}-{month:02d}",
            {
                "publication": row.id,
                "weights_version": rules.version,
                "counties": len(lines),
                **({"supersedes": previous.id, "reason": reason} if previous else {}),
            },
        )
        session.flush()
        published = _publication(row)
    return Ranking(year, month, as_of, rules, lines, published)


def _check_chain(session: Session, first_day: date, reason: str | None) -> Publication | None:
    current = current_publication(session, first_day)
    if current is not None and reason is None:
        raise CityRankingRefused(
            f"{first_day:%Y-%m} was published on {current.published_at:%Y-%m-%d}; "
            "publish again only as a correction with its reason",
            code="city_ranking_already_published",
            month=f"{first_day:%Y-%m}",
            published_on=clock.local_date(current.published_at),
        )
    if current is None and reason is not None:
        raise CityRankingRefused(
            f"{first_day:%Y-%m} has not been published; there is nothing to supersede",
            code="city_ranking_nothing_to_supersede",
            month=f"{first_day:%Y-%m}",
        )
    return current


def _frozen_lines(publication: CityRankingPublication, lines: list[CountyScore]) -> list:
    return [
        CityRanking(
            publication_id=publication.id,
            month=publication.month,
            county_id=line.county_id,
            county_code=line.code,
            county_name=line.name,
            indicators=line.inputs,
            points={code: part.as_dict() for code, part in line.indicators.items()},
            score=line.score,
            rank=line.rank,
            weights_version=publication.weights_version,
            published_at=publication.published_at,
            published_by=publication.published_by,
        )
        for line in lines
    ]


# ------------------------------------------------------------------ what was published


def _line_from_row(row: CityRanking) -> CountyScore:
    parts = {}
    for code in INDICATORS:
        point = row.points.get(code, {})
        value = row.indicators.get(code, {}).get("value")
        parts[code] = IndicatorScore(
            None if value is None else float(value),
            None if point.get("norm") is None else float(point["norm"]),
            float(point.get("weight", 0.0)),
            float(point.get("points", 0.0)),
            bool(point.get("missing", value is None)),
        )
    return CountyScore(
        row.county_id,
        row.county_code,
        row.county_name,
        parts,
        dict(row.indicators),
        None if row.score is None else float(row.score),
        row.rank,
    )


def _stored_rules(weights: dict[str, Any]) -> RankingRules:
    """The rules a publication was scored by, as stored — read as they are, not validated
    again: a publication stays readable when later rules gain or lose an indicator."""
    # JSONB keeps its own key order: the indicators are put back in the rules' order.
    order = [c for c in INDICATORS if c in weights] + sorted(set(weights) - set(INDICATORS))
    indicators = {
        code: IndicatorRule(
            float(weights[code].get("weight", 0.0)),
            str(weights[code].get("normalise", "share")),
            None if weights[code].get("target") is None else float(weights[code]["target"]),
        )
        for code in order
        if isinstance(weights[code], dict)
    }
    return RankingRules(
        str(weights.get("version", "")), str(weights.get("missing", "renormalise")), indicators
    )


def published_ranking(
    engine: Engine, year: int, month: int, publication_id: int | None = None
) -> Ranking | None:
    """The month's ranking exactly as published (its current publication, or the one named),
    None when never published. Public: it holds no personal data, and is the city's, read in
    the city's scope."""
    first_day = date(year, month, 1)
    with scope.within(scope.ALL), session_scope(engine) as session:
        chosen = [
            p
            for p in publications(session, first_day)
            if (p.id == publication_id if publication_id else p.superseded_at is None)
        ]
        if not chosen:
            return None
        publication = chosen[0]
        weights = session.scalar(
            select(CityRankingPublication.weights).where(
                CityRankingPublication.id == publication.id
            )
        )
        rows = session.scalars(
            select(CityRanking)
            .where(CityRanking.publication_id == publication.id)
            .order_by(CityRanking.rank.is_(None), CityRanking.rank, CityRanking.county_code)
        ).all()
        lines = [_line_from_row(row) for row in rows]
    rules = _stored_rules(weights or {})
    return Ranking(year, month, publication.as_of, rules, lines, publication)


def published_months(engine: Engine) -> list[date]:
    """The first days of the months with a publication, newest first."""
    with scope.within(scope.ALL), session_scope(engine) as session:
        return list(
            session.scalars(
                text("SELECT DISTINCT month FROM city_ranking_publication ORDER BY month DESC")
            )
        )


def month_history(engine: Engine, year: int, month: int) -> list[Publication]:
    """Every publication of the month, newest first (corrections and what they replaced)."""
    with scope.within(scope.ALL), session_scope(engine) as session:
        return publications(session, date(year, month, 1))


def month_ranking(
    engine: Engine, actor: Actor | None, year: int, month: int, rules: RankingRules | None = None
) -> Ranking:
    """The month as published when it was, else its draft."""
    return published_ranking(engine, year, month) or draft_ranking(
        engine, actor, year, month, rules
    )


def previous_ranking(
    engine: Engine, actor: Actor | None, year: int, month: int, rules: RankingRules | None = None
) -> Ranking:
    """The month before (year, month), as published when it was, else drafted now."""
    before_year, before_month = previous_months(year, month, 2)[0]
    return month_ranking(engine, actor, before_year, before_month, rules)


__all__ = [
    "CityRankingRefused",
    "Publication",
    "Ranking",
    "counties",
    "county_figures",
    "county_townships",
    "current_publication",
    "draft_ranking",
    "gather_month",
    "month_history",
    "month_ranking",
    "previous_ranking",
    "publications",
    "publish",
    "published_months",
    "published_ranking",
    "reckoning_day",
    "water_attainment",
]
