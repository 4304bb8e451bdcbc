"""Read models for the ticket pages: lists with filters, one ticket with its timeline, the
worklists, tickets on a map and the points of a patrol to report from.

Reads only; every change goes through `tickets.service`. Filters are built as (where, params)
with named parameters, so no value is ever pasted into SQL. Times are shown in the configured
zone (Asia/Shanghai by default), as everywhere else in the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from accounts.auth import SignedIn
from accounts.permissions import may
from accounts.scope import check_township, confined_to, narrow
from core import clock, settings
from core.errors import PermissionDenied
from db.query import county_clause, read_geoframe
from tickets.lifecycle import DESIGNATE_FROM
from tickets.service import (
    DESIGNATED_SQL,
    REINSPECTOR_SQL,
    SITE_DEPUTY_SQL,
    get_ticket,
    locate,
)

LIST_LIMIT = 500
TRACK_POINTS_MAX = 200
# Statuses in which the platform still owes its feedback: past the deadline they are overdue
# (the same rule as tickets.figures.overdue_tickets).
WAITING_ON_PLATFORM = ("reported", "assigned", "accepted")


def _tz() -> str:
    return settings.text("timezone")


# ------------------------------------------------------------------ options


def category_options(session: Session) -> list[tuple[str, str, str]]:
    """(code, Chinese name, English name) of every active problem category."""
    rows = session.execute(
        text("SELECT code, name_zh, name_en FROM problem_category WHERE active ORDER BY code")
    )
    return [(r.code, r.name_zh, r.name_en) for r in rows]


def platform_options(session: Session) -> list[tuple[str, str, str, bool]]:
    """(code, Chinese name, English name, has an API) of every platform."""
    rows = session.execute(
        text(
            "SELECT code, name_zh, name_en, endpoint_url IS NOT NULL AS api FROM platform "
            "ORDER BY code"
        )
    )
    return [(r.code, r.name_zh, r.name_en, bool(r.api)) for r in rows]


# ------------------------------------------------------------------ lists


@dataclass(frozen=True)
class TicketFilter:
    """What a list or map shows. `visible_to_deputy` narrows to what a deputy may see: their
    own reports, tickets they follow, tickets in their township and tickets they re-inspect.
    `reinspector_deputy_id` narrows to the tickets a deputy re-inspects and rates (their own
    reports, and tickets nobody reported whose re-inspector they are on the day);
    `without_reinspector` to tickets nobody can re-inspect yet."""

    township_id: int | None = None
    platform_code: str | None = None
    category_code: str | None = None
    statuses: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    reporter_deputy_id: int | None = None
    reinspector_deputy_id: int | None = None
    without_reinspector: bool = False
    visible_to_deputy: int | None = None
    overdue_only: bool = False
    last_action: str | None = None
    not_last_action: str | None = None
    numbers: tuple[str, ...] = field(default_factory=tuple)


def ticket_where(f: TicketFilter, today: date | None = None) -> tuple[str, dict[str, Any]]:
    """The WHERE clause (over aliases t ticket, s ticket_state, la latest event) and its named
    parameters for a filter; ("TRUE", {...}) when nothing narrows."""
    clauses: list[str] = []
    params: dict[str, Any] = {"tz": _tz()}
    if f.township_id is not None:
        clauses.append("t.township_id = :township_id")
        params["township_id"] = f.township_id
    if f.platform_code:
        clauses.append("t.platform_code = :platform_code")
        params["platform_code"] = f.platform_code
    if f.category_code:
        clauses.append("t.category_code = :category_code")
        params["category_code"] = f.category_code
    if f.statuses:
        clauses.append("s.status = ANY(:statuses)")
        params["statuses"] = list(f.statuses)
    if f.date_from is not None:
        clauses.append("t.created_at >= (CAST(:date_from AS timestamp) AT TIME ZONE :tz)")
        params["date_from"] = f.date_from
    if f.date_to is not None:
        clauses.append("t.created_at < (CAST(:date_to AS timestamp) AT TIME ZONE :tz)")
        params["date_to"] = f.date_to + timedelta(days=1)
    if f.reporter_deputy_id is not None:
        clauses.append("t.reporter_deputy_id = :reporter")
        params["reporter"] = f.reporter_deputy_id
    if f.reinspector_deputy_id is not None:
        clauses.append(f"{REINSPECTOR_SQL} = :reinspector")
        params["reinspector"] = f.reinspector_deputy_id
    if f.without_reinspector:
        clauses.append(f"{REINSPECTOR_SQL} IS NULL")
    if f.visible_to_deputy is not None:
        clauses.append(
            "(t.reporter_deputy_id = :viewer OR EXISTS (SELECT 1 FROM ticket_follower fo "
            "WHERE fo.ticket_id = t.id AND fo.county_id = t.county_id AND fo.deputy_id = :viewer "
            f"AND {county_clause('fo')}) "
            "OR t.township_id = (SELECT dv.township_id FROM deputy dv "
            "WHERE dv.id = :viewer AND dv.county_id = t.county_id) "
            f"OR {REINSPECTOR_SQL} = :viewer)"
        )
        params["viewer"] = f.visible_to_deputy
    if f.overdue_only:
        clauses.append("s.status = ANY(:waiting) AND t.deadline < :today")
    if f.last_action:
        clauses.append("la.action = :last_action")
        params["last_action"] = f.last_action
    if f.not_last_action:
        clauses.append("la.action <> :not_last_action")
        params["not_last_action"] = f.not_last_action
    if f.numbers:
        clauses.append("t.number = ANY(:numbers)")
        params["numbers"] = list(f.numbers)
    params["today"] = today or clock.today()
    params["waiting"] = list(WAITING_ON_PLATFORM)
    return (" AND ".join(clauses) or "TRUE"), params


LIST_SQL = """
SELECT t.id, t.number, t.category_code, c.name_zh AS category_zh, c.name_en AS category_en,
  t.platform_code, p.name_zh AS platform_zh, p.name_en AS platform_en,
  t.township_id, tw.name AS township, si.name AS site, s.status,
  to_char(s.status_at AT TIME ZONE :tz, 'YYYY-MM-DD HH24:MI') AS status_at,
  to_char(t.created_at AT TIME ZONE :tz, 'YYYY-MM-DD HH24:MI') AS reported_at,
  t.deadline, (s.status = ANY(:waiting) AND t.deadline < :today) AS overdue,
  d.name AS reporter, t.reporter_deputy_id, t.description, la.action AS last_action,
  la.comment AS last_comment, t.source{geom}
FROM ticket t
JOIN ticket_state s ON s.ticket_id = t.id AND s.county_id = t.county_id
JOIN LATERAL (SELECT ev.action, ev.comment FROM ticket_event ev
  WHERE ev.ticket_id = t.id AND ev.county_id = t.county_id
  ORDER BY ev.id DESC LIMIT 1) la ON true
JOIN problem_category c ON c.code = t.category_code
JOIN platform p ON p.code = t.platform_code
LEFT JOIN township tw ON tw.id = t.township_id AND tw.county_id = t.county_id
LEFT JOIN site si ON si.id = t.site_id AND si.county_id = t.county_id
LEFT JOIN deputy d ON d.id = t.reporter_deputy_id AND d.county_id = t.county_id
WHERE {county} AND {where}
ORDER BY t.created_at DESC, t.id DESC
LIMIT :limit
"""
LIST_COLUMNS = [
    "id",
    "number",
    "category_code",
    "category_zh",
    "category_en",
    "platform_code",
    "platform_zh",
    "platform_en",
    "township_id",
    "township",
    "site",
    "status",
    "status_at",
    "reported_at",
    "deadline",
    "overdue",
    "reporter",
    "reporter_deputy_id",
    "description",
    "last_action",
    "last_comment",
    "source",  # app, api, … or public (有奖举报: nobody's deputy report)
]


def scoped(f: TicketFilter, viewer: SignedIn | None) -> TicketFilter:
    """The filter as ``viewer`` may run it: a township account's narrowed to its township
    (another township asked for → PermissionDenied ``outside_township``)."""
    township_id = narrow(viewer, f.township_id, "ticket")
    return f if township_id == f.township_id else replace(f, township_id=township_id)


def list_tickets(
    session: Session,
    f: TicketFilter = TicketFilter(),
    *,
    today: date | None = None,
    limit: int = LIST_LIMIT,
    viewer: SignedIn | None = None,
) -> pd.DataFrame:
    """Tickets matching the filter, newest first, with names, status and the overdue flag;
    narrowed to what ``viewer`` may see when given (``scoped``)."""
    where, params = ticket_where(scoped(f, viewer), today)
    params["limit"] = limit
    sql = LIST_SQL.format(county=county_clause("t"), where=where, geom="")
    rows = session.execute(text(sql), params).all()
    return pd.DataFrame(rows, columns=LIST_COLUMNS)


def tickets_geo(
    session: Session,
    f: TicketFilter = TicketFilter(),
    *,
    today: date | None = None,
    limit: int = 5000,
    viewer: SignedIn | None = None,
) -> gpd.GeoDataFrame:
    """The same rows with their points, for the map (EPSG:4326)."""
    where, params = ticket_where(scoped(f, viewer), today)
    params["limit"] = limit
    sql = LIST_SQL.format(county=county_clause("t"), where=where, geom=", t.geom")
    return read_geoframe(session, sql, params)


# ------------------------------------------------------------------ one ticket


@dataclass
class TicketDetail:
    """Everything the ticket page shows: header row, timeline, photos, followers, point."""

    header: dict[str, Any]
    timeline: pd.DataFrame
    photos: list[dict[str, Any]]
    followers: list[str]
    lon: float
    lat: float
    site_kind: str | None
    platform_has_api: bool
    reinspector: dict[str, Any] | None = None  # deputy_id, name, basis (reinspector_of)


def may_view(session: Session, user: SignedIn, ticket_id: int) -> bool:
    """Leaders, analysts and admins see every ticket; a deputy sees their own reports, tickets
    they follow, tickets in their own township (where they may be asked about it) and the
    tickets they re-inspect (a designated deputy may live elsewhere). Township staff see
    their township's."""
    if may(user.role, "read_any_ticket"):
        own = confined_to(user)
        return (
            own is None
            or session.scalar(
                text("SELECT township_id FROM ticket WHERE id = :id"), {"id": ticket_id}
            )
            == own
        )
    if not may(user.role, "view_ticket") or user.deputy_id is None:
        return False
    where, params = ticket_where(TicketFilter(visible_to_deputy=user.deputy_id))
    params["id"] = ticket_id
    sql = f"SELECT 1 FROM ticket t WHERE t.id = :id AND {where}"
    return session.execute(text(sql), params).first() is not None


TIMELINE_SQL = """
SELECT e.id, to_char(e.at AT TIME ZONE :tz, 'YYYY-MM-DD HH24:MI:SS') AS at, e.action,
  e.from_status, e.to_status, e.comment,
  COALESCE(u.display_name, u.username) AS user_name,
  p.name_zh AS platform_zh, p.name_en AS platform_en,
  b.name_zh AS behalf_zh, b.name_en AS behalf_en,
  d.name_zh AS to_zh, d.name_en AS to_en,
  e.payload->>'rating' AS rating,
  (SELECT dd.name FROM deputy dd WHERE e.action = 'designate'
     AND dd.id = (e.payload->>'deputy_id')::int) AS designated,
  CASE WHEN jsonb_typeof(e.payload->'proof') = 'object' THEN e.payload->'proof'->>'kind' END
    AS proof_kind,
  (SELECT string_agg(a.filename, ', ' ORDER BY a.id) FROM ticket_attachment a
   WHERE a.event_id = e.id) AS attachments
FROM ticket_event e
LEFT JOIN app_user u ON u.id = e.actor_user_id
LEFT JOIN platform p ON p.code = e.actor_platform
LEFT JOIN platform b ON e.actor_user_id IS NOT NULL AND b.code = e.payload->>'on_behalf'
LEFT JOIN platform d ON e.action = 'dispatch' AND d.code = e.payload->>'platform'
WHERE e.ticket_id = :t
ORDER BY e.id
"""
TIMELINE_COLUMNS = [
    "at",
    "user_name",
    "platform_zh",
    "platform_en",
    "behalf_zh",
    "behalf_en",
    "to_zh",
    "to_en",
    "action",
    "from_status",
    "to_status",
    "rating",
    "designated",
    "comment",
    "proof_kind",
    "attachments",
]


def timeline(session: Session, ticket_id: int) -> pd.DataFrame:
    """The ticket's events in the order they were appended, as codes and names: when (local),
    who (user, or the platform; the platform a user acted for), action, status from → to,
    rating, comment, proof kind, attachments. The page words them (ui.tickets)."""
    rows = session.execute(text(TIMELINE_SQL), {"t": ticket_id, "tz": _tz()}).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=TIMELINE_COLUMNS)


def ticket_detail(
    session: Session,
    number_or_id: str | int,
    user: SignedIn,
    today: date | None = None,
) -> TicketDetail:
    """One ticket for the page, after checking the user may see it."""
    ticket = get_ticket(session, number_or_id)
    check_township(user, ticket.township_id, "ticket")
    if not may_view(session, user, ticket.id):
        raise PermissionDenied(
            f"you may not view ticket {ticket.number}",
            code="ticket_not_visible",
            ticket=ticket.number,
        )
    listed = list_tickets(session, TicketFilter(numbers=(ticket.number,)), today=today)
    header = listed.iloc[0].to_dict()
    extra = session.execute(
        text(
            "SELECT ST_X(t.geom) AS lon, ST_Y(t.geom) AS lat, si.kind, "
            "p.endpoint_url IS NOT NULL AS api FROM ticket t "
            "JOIN platform p ON p.code = t.platform_code "
            "LEFT JOIN site si ON si.id = t.site_id WHERE t.id = :t"
        ),
        {"t": ticket.id},
    ).one()
    photos = [
        dict(r._mapping)
        for r in session.execute(
            text(
                "SELECT a.id, a.filename, a.mime, a.content, e.action, "
                "to_char(a.taken_at AT TIME ZONE :tz, 'YYYY-MM-DD HH24:MI') AS taken_at "
                "FROM ticket_attachment a LEFT JOIN ticket_event e ON e.id = a.event_id "
                "WHERE a.ticket_id = :t ORDER BY a.id"
            ),
            {"t": ticket.id, "tz": _tz()},
        )
    ]
    followers = list(
        session.scalars(
            text(
                "SELECT d.name FROM ticket_follower f JOIN deputy d ON d.id = f.deputy_id "
                "WHERE f.ticket_id = :t ORDER BY f.created_at"
            ),
            {"t": ticket.id},
        )
    )
    return TicketDetail(
        header=header,
        timeline=timeline(session, ticket.id),
        photos=photos,
        followers=followers,
        lon=float(extra.lon),
        lat=float(extra.lat),
        site_kind=extra.kind,
        platform_has_api=bool(extra.api),
        reinspector=reinspector(session, ticket.id, today),
    )


REINSPECTOR_DETAIL_SQL = f"""
SELECT r.deputy_id, d.code, d.name, r.basis
FROM ticket t
CROSS JOIN LATERAL (SELECT {REINSPECTOR_SQL} AS deputy_id,
  CASE WHEN t.reporter_deputy_id IS NOT NULL THEN 'reporter'
       WHEN {DESIGNATED_SQL} IS NOT NULL THEN 'designated'
       WHEN {SITE_DEPUTY_SQL} IS NOT NULL THEN 'site' END AS basis) r
LEFT JOIN deputy d ON d.id = r.deputy_id
WHERE t.id = :t
"""


def reinspector(
    session: Session, ticket_id: int, today: date | None = None
) -> dict[str, Any] | None:
    """Who re-inspects and rates the ticket (``tickets.service.reinspector_of``) with the
    basis as a code — reporter, designated or site — or None when nobody does yet."""
    row = (
        session.execute(
            text(REINSPECTOR_DETAIL_SQL), {"t": ticket_id, "today": today or clock.today()}
        )
        .mappings()
        .one_or_none()
    )
    if row is None or row["deputy_id"] is None:
        return None
    return dict(row)


# ------------------------------------------------------------------ worklists


def deputy_worklist(
    session: Session, deputy_id: int, today: date | None = None
) -> dict[str, pd.DataFrame]:
    """The tickets waiting on a deputy — their own reports, and tickets nobody reported whose
    re-inspector they are (their site's, or designated): 'reinspect' (fed back, go and look)
    and 'rate' (re-inspected, give a rating)."""
    return {
        "reinspect": list_tickets(
            session,
            TicketFilter(reinspector_deputy_id=deputy_id, statuses=("fed_back",)),
            today=today,
        ),
        "rate": list_tickets(
            session,
            TicketFilter(reinspector_deputy_id=deputy_id, statuses=("reinspected",)),
            today=today,
        ),
    }


def analyst_worklist(
    session: Session, today: date | None = None, viewer: SignedIn | None = None
) -> dict[str, pd.DataFrame]:
    """What waits on the analysts: 'overdue' (the platform is late), 'returned' (a platform
    rejected it: back in 上报, to re-route), 'undispatched' (in 上报 for another reason) and
    'no_reinspector' (nobody reported it and nobody can re-inspect it: designate a deputy).
    A township account's (``viewer``) are its township's only."""
    lists = {
        "overdue": TicketFilter(overdue_only=True),
        "returned": TicketFilter(statuses=("reported",), last_action="reject"),
        "undispatched": TicketFilter(statuses=("reported",), not_last_action="reject"),
        "no_reinspector": TicketFilter(statuses=DESIGNATE_FROM, without_reinspector=True),
    }
    return {name: list_tickets(session, f, today=today, viewer=viewer) for name, f in lists.items()}


# ------------------------------------------------------------------ locations from patrols


def my_patrols(session: Session, deputy_id: int, limit: int = 50) -> list[tuple[int, str]]:
    """(patrol id, "#id start time") of a deputy's patrols with a track, newest first."""
    rows = session.execute(
        text(
            "SELECT p.id, to_char(p.started_at AT TIME ZONE :tz, 'YYYY-MM-DD HH24:MI') AS s "
            f"FROM patrol p WHERE {county_clause('p')} AND p.deputy_id = :d "
            "AND EXISTS (SELECT 1 FROM patrol_track t "
            "WHERE t.patrol_id = p.id AND t.county_id = p.county_id) "
            "ORDER BY p.started_at DESC NULLS LAST, p.id DESC LIMIT :limit"
        ),
        {"d": deputy_id, "tz": _tz(), "limit": limit},
    )
    return [(int(r.id), f"#{r.id} {r.s or ''}".strip()) for r in rows]


def patrol_sites(session: Session, patrol_id: int) -> pd.DataFrame:
    """Sites a patrol visited, each with a point on it (where a problem there is placed)."""
    rows = session.execute(
        text(
            "SELECT DISTINCT ON (s.id) s.id AS site_id, s.code, s.name, s.kind, "
            "ST_X(ST_PointOnSurface(s.geom)) AS lon, ST_Y(ST_PointOnSurface(s.geom)) AS lat "
            "FROM visit v JOIN site s ON s.id = v.site_id WHERE v.patrol_id = :p "
            "ORDER BY s.id"
        ),
        {"p": patrol_id},
    ).all()
    return pd.DataFrame(rows, columns=["site_id", "code", "name", "kind", "lon", "lat"])


def patrol_points(
    session: Session, patrol_id: int, max_points: int = TRACK_POINTS_MAX
) -> pd.DataFrame:
    """At most `max_points` evenly spaced points of a patrol's track with their local time."""
    rows = session.execute(
        text(
            "WITH pts AS (SELECT (dp).geom AS g, row_number() OVER () AS n FROM ("
            "  SELECT ST_DumpPoints(geom) AS dp FROM patrol_track WHERE patrol_id = :p) d), "
            "tot AS (SELECT count(*) AS c FROM pts) "
            "SELECT n, ST_X(g) AS lon, ST_Y(g) AS lat, "
            "to_char(to_timestamp(ST_M(g)) AT TIME ZONE :tz, 'HH24:MI:SS') AS at "
            "FROM pts, tot WHERE (n - 1) % GREATEST(1, CEIL(c::float / :max)::int) = 0 "
            "ORDER BY n"
        ),
        {"p": patrol_id, "max": max_points, "tz": _tz()},
    ).all()
    return pd.DataFrame(rows, columns=["n", "lon", "lat", "at"])


def site_point(session: Session, site_id: int) -> tuple[float, float] | None:
    """(lon, lat) of a point on a site, for a report that arrives from a checklist."""
    row = session.execute(
        text(
            "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM site "
            "WHERE id = :s"
        ),
        {"s": site_id},
    ).first()
    return (float(row[0]), float(row[1])) if row else None


def deputy_sites(session: Session, deputy_id: int) -> gpd.GeoDataFrame:
    """The deputy's currently assigned sites, drawn on the report map for orientation."""
    return read_geoframe(
        session,
        "SELECT s.id AS site_id, s.code, s.name, s.kind, s.geom FROM site s "
        "JOIN assignment a ON a.site_id = s.id AND a.county_id = s.county_id "
        f"AND a.valid_to IS NULL WHERE {county_clause('s')} AND a.deputy_id = :d ORDER BY s.code",
        {"d": deputy_id},
    )


def place_of(session: Session, lon: float, lat: float) -> dict[str, Any]:
    """Township and nearest site (within the service's search radius) of a point, by name."""
    township_id, site_id = locate(session, lon, lat)
    names = session.execute(
        text(
            "SELECT (SELECT name FROM township WHERE id = :tw) AS township, "
            "(SELECT name FROM site WHERE id = :si) AS site"
        ),
        {"tw": township_id, "si": site_id},
    ).one()
    return {
        "township_id": township_id,
        "site_id": site_id,
        "township": names.township,
        "site": names.site,
    }
