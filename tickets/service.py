"""Problems and tickets in the database: report, route, move, prove and rate.

Every move goes through `lifecycle.move_for` and is one appended `ticket_event`; a dispatch
also writes its outbox message in the same transaction, so a ticket is never dispatched without
its message, nor the message sent for a ticket that was rolled back. Deadlines and numbers are
`tickets.calendar`; the figures counted from the events are `tickets.figures`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
from geoalchemy2.shape import from_shape
from shapely import Point
from sqlalchemy import select, text
from sqlalchemy.orm import Session, object_session

from accounts.auth import SignedIn
from accounts.permissions import may, require
from accounts.scope import check_township
from core import clock, settings
from core.errors import PermissionDenied, ShuijianError
from core.photos import PhotoInfo, inspect_photo
from core.vocab import checklist_for
from db.models import (
    Deputy,
    Outbox,
    Platform,
    PlatformUpdate,
    ProblemCategory,
    Ticket,
    TicketAttachment,
    TicketEvent,
    TicketFollower,
)
from tickets.calendar import add_working_days, next_ticket_number
from tickets.lifecycle import (
    DEPUTY_ACTORS,
    OPEN_STATUSES,
    RATINGS,
    TransitionRefused,
    allowed_actions,
    move_for,
)

SITE_SEARCH_M = 200.0  # a problem within this distance of a site is about that site
PROOF_RADIUS_M = 100.0  # a re-inspection photo must be taken within this of the problem


class ReportRefused(ShuijianError):
    """A problem report or a ticket action is missing something it needs."""


@dataclass(frozen=True)
class Actor:
    """Who moves a ticket: the reporting deputy, an analyst, a platform, or the system."""

    kind: str
    user_id: int | None = None
    deputy_id: int | None = None
    platform: str | None = None


SYSTEM = Actor("system")

# The deputy who re-inspects and rates a ticket, as SQL over the alias ``t`` (ticket) with the
# parameter ``:today`` (a local date): the reporting deputy; for a ticket nobody reported (a
# platform's, through the API) the deputy an analyst designated last, else the deputy
# assigned to the ticket's site on that day. NULL: nobody yet (no site, or a site without a
# deputy that day, and no designation) — the analysts' worklist shows such tickets.
DESIGNATED_SQL = (
    "(SELECT (dg.payload->>'deputy_id')::int FROM ticket_event dg WHERE dg.ticket_id = t.id "
    "AND dg.county_id = t.county_id AND dg.action = 'designate' ORDER BY dg.id DESC LIMIT 1)"
)
SITE_DEPUTY_SQL = (
    "(SELECT sa.deputy_id FROM assignment sa "
    "WHERE sa.site_id = t.site_id AND sa.county_id = t.county_id "
    "AND sa.valid_from <= :today AND (sa.valid_to IS NULL OR sa.valid_to > :today) LIMIT 1)"
)
REINSPECTOR_SQL = f"COALESCE(t.reporter_deputy_id, {DESIGNATED_SQL}, {SITE_DEPUTY_SQL})"


def reinspector_of(session: Session, ticket: Ticket, day: date | None = None) -> int | None:
    """The deputy who re-inspects and rates ``ticket`` on ``day`` (default today), so that
    every ticket, a platform's included, has someone who can bring it to 办结."""
    return session.scalar(
        text(f"SELECT {REINSPECTOR_SQL} FROM ticket t WHERE t.id = :id"),
        {"id": ticket.id, "today": day or clock.today()},
    )


def actor_for(user: SignedIn, ticket: Ticket | None = None) -> Actor:
    """The role a signed-in user plays for a ticket: a deputy only for their own reports, or,
    on a ticket nobody reported, as its re-inspector (``reinspector_of``); township staff
    only on their township's tickets (``accounts.scope``)."""
    if may(user.role, "manage_tickets"):
        if ticket is not None:
            check_township(user, ticket.township_id, "ticket")
        return Actor("analyst", user.user_id)
    if ticket is not None and ticket.reporter_deputy_id is None:
        if may(user.role, "act_as_reinspector"):
            session = object_session(ticket)
            if (
                session is None
                or user.deputy_id is None
                or reinspector_of(session, ticket) != user.deputy_id
            ):
                raise PermissionDenied(
                    f"ticket {ticket.number} is re-inspected by its site's deputy or the one "
                    "an analyst designated, not by this deputy",
                    code="not_reinspector",
                    ticket=ticket.number,
                )
            return Actor("reinspector", user.user_id, user.deputy_id)
    elif may(user.role, "act_as_reporter"):
        if ticket is not None and ticket.reporter_deputy_id != user.deputy_id:
            raise PermissionDenied(
                "only the deputy who reported a problem may act on it", code="not_your_ticket"
            )
        return Actor("reporter", user.user_id, user.deputy_id)
    raise PermissionDenied(
        f"role {user.role!r} may not act on tickets", code="not_allowed", action="manage_tickets"
    )


# Moves the platform makes; an analyst makes them only for a platform without an API.
PLATFORM_MOVES = ("accept", "reject", "feedback")
# rate() closes or reopens by itself: no one chooses these moves.
AUTOMATIC_MOVES = ("close", "reopen")


def platform_has_api(session: Session, platform_code: str) -> bool:
    """Whether the platform receives tickets through its own API (an endpoint is set)."""
    return bool(
        session.scalar(
            select(Platform.endpoint_url.is_not(None)).where(Platform.code == platform_code)
        )
    )


def available_actions(
    status: str | None, actor: Actor, has_api: bool, *, has_reporter: bool = True
) -> list[str]:
    """The moves this actor may choose now: the lifecycle's, less the automatic ones, less
    the platform's own moves when the platform has an API (``act_for_platform``), and less
    ``designate`` on a ticket whose reporter re-inspects it."""
    actions = [a for a in allowed_actions(status, actor.kind) if a not in AUTOMATIC_MOVES]
    if actor.kind == "analyst" and has_api:
        actions = [a for a in actions if a not in PLATFORM_MOVES]
    if has_reporter:
        actions = [a for a in actions if a != "designate"]
    return actions


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


@dataclass
class NewProblem:
    category_code: str
    description: str
    lon: float
    lat: float
    site_id: int | None = None
    patrol_id: int | None = None
    photos: Sequence[Upload] = field(default_factory=tuple)


def locate(session: Session, lon: float, lat: float) -> tuple[int | None, int | None]:
    """(township, nearest site within SITE_SEARCH_M) of a point."""
    point = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
    params = {"lon": lon, "lat": lat, "r": SITE_SEARCH_M}
    township = session.scalar(
        text(f"SELECT id FROM township WHERE ST_Intersects(geom, {point}) LIMIT 1"), params
    )
    site = session.scalar(
        text(
            f"SELECT id FROM site WHERE ST_DWithin(geom::geography, {point}::geography, :r) "
            f"ORDER BY ST_Distance(geom::geography, {point}::geography) LIMIT 1"
        ),
        params,
    )
    return township, site


def status_of(session: Session, ticket_id: int) -> str | None:
    return session.scalar(
        select(TicketEvent.to_status)
        .where(TicketEvent.ticket_id == ticket_id)
        .order_by(TicketEvent.id.desc())
        .limit(1)
    )


def nearby_open_tickets(
    session: Session, category_code: str, lon: float, lat: float
) -> pd.DataFrame:
    """Open tickets of the same category within the category's radius, nearest first: offered
    to the deputy to follow instead of doubling them."""
    rows = session.execute(
        text(
            "SELECT t.id, t.number, s.status, t.description, t.created_at, "
            " ST_Distance(t.geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
            "::geography) AS distance_m "
            "FROM ticket t JOIN ticket_state s ON s.ticket_id = t.id "
            "JOIN problem_category c ON c.code = t.category_code "
            "WHERE t.category_code = :c AND s.status = ANY(:open) "
            "AND ST_DWithin(t.geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
            "::geography, c.dedupe_radius_m) ORDER BY distance_m"
        ),
        {"c": category_code, "lon": lon, "lat": lat, "open": list(OPEN_STATUSES)},
    ).all()
    return pd.DataFrame(
        rows, columns=["id", "number", "status", "description", "created_at", "distance_m"]
    )


def _append(
    session: Session,
    ticket: Ticket,
    action: str,
    actor: Actor,
    *,
    comment: str | None = None,
    payload: dict | None = None,
    photos: Sequence[PhotoInfo | tuple[PhotoInfo, bytes]] = (),
    at: datetime | None = None,
) -> TicketEvent:
    current = status_of(session, ticket.id)
    move = move_for(action, current, actor.kind)
    if actor.kind in DEPUTY_ACTORS:
        _check_deputy(session, ticket, actor, at)
    # Any platform may report a problem (routing decides where it goes); only the platform a
    # ticket is routed to may move it afterwards.
    if actor.kind == "platform" and action != "report" and actor.platform != ticket.platform_code:
        raise PermissionDenied(
            f"ticket {ticket.number} is not routed to platform {actor.platform}",
            code="not_routed_here",
            ticket=ticket.number,
            platform=actor.platform,
        )
    # An analyst makes a platform's moves only for a platform without an API of its own.
    if (
        actor.kind == "analyst"
        and action in PLATFORM_MOVES
        and platform_has_api(session, ticket.platform_code)
    ):
        raise PermissionDenied(
            f"platform {ticket.platform_code} has an API: it accepts, returns and feeds back "
            "itself",
            code="platform_has_api",
            action="act_for_platform",
            platform=ticket.platform_code,
        )
    event = TicketEvent(
        ticket_id=ticket.id,
        from_status=current,
        to_status=move.target,
        action=action,
        actor_user_id=actor.user_id,
        actor_platform=actor.platform,
        comment=comment,
        payload=payload or {},
    )
    # A story time (demo, imports) or the one clock: never the database's now(), so a test
    # that moves the clock moves the ticket's history with it.
    event.at = at if at is not None else clock.now()
    session.add(event)
    session.flush()
    for item in photos:
        info, data = item if isinstance(item, tuple) else (item, b"")
        _attach(session, ticket, event, info, data)
    if move.target == "assigned" and move.source != move.target:  # not a designation
        _enqueue(session, ticket, event)
    return event


def _check_deputy(session: Session, ticket: Ticket, actor: Actor, at: datetime | None) -> None:
    """A deputy acts only on their own report, or as the re-inspector of a ticket nobody
    reported on the day of the move (``reinspector_of``): enforced here, whoever built the
    Actor."""
    if actor.kind == "reporter" and ticket.reporter_deputy_id != actor.deputy_id:
        raise PermissionDenied(
            "only the deputy who reported a problem may act on it", code="not_your_ticket"
        )
    if actor.kind == "reinspector":
        day = clock.local_date(at) if at is not None else clock.today()
        if (
            ticket.reporter_deputy_id is not None
            or actor.deputy_id is None
            or reinspector_of(session, ticket, day) != actor.deputy_id
        ):
            raise PermissionDenied(
                f"ticket {ticket.number} is re-inspected by its site's deputy or the one an "
                "analyst designated, not by this deputy",
                code="not_reinspector",
                ticket=ticket.number,
            )


def _attach(
    session: Session, ticket: Ticket, event: TicketEvent, info: PhotoInfo, data: bytes
) -> None:
    exists = session.scalar(
        select(TicketAttachment.id).where(
            TicketAttachment.ticket_id == ticket.id, TicketAttachment.sha256 == info.sha256
        )
    )
    if exists:
        return
    session.add(
        TicketAttachment(
            ticket_id=ticket.id,
            event_id=event.id,
            sha256=info.sha256,
            filename=info.filename[:255],
            mime=info.mime,
            content=data,
            taken_at=info.taken_at,
            geom=from_shape(Point(info.lon, info.lat), srid=4326)
            if info.lon is not None and info.lat is not None
            else None,
        )
    )
    session.flush()


def _enqueue(session: Session, ticket: Ticket, event: TicketEvent) -> None:
    """The dispatch message, keyed so a platform can drop a repeated delivery."""
    lon, lat = session.execute(
        text("SELECT ST_X(geom), ST_Y(geom) FROM ticket WHERE id = :id"), {"id": ticket.id}
    ).one()
    payload = {
        "ticket_number": ticket.number,
        "event_id": event.id,
        "category": ticket.category_code,
        "description": ticket.description,
        "deadline": ticket.deadline.isoformat(),
        "lon": lon,
        "lat": lat,
        "township_id": ticket.township_id,
        "site_id": ticket.site_id,
        "comment": event.comment,
    }
    session.add(
        Outbox(
            ticket_id=ticket.id,
            platform_code=ticket.platform_code,
            idempotency_key=f"{ticket.number}:{event.id}",
            payload=payload,
            next_attempt_at=event.at,  # due from the event's moment on the one clock
        )
    )
    session.flush()


def _photos(uploads: Sequence[Upload]) -> list[tuple[PhotoInfo, bytes]]:
    tz = settings.text("timezone")
    return [(inspect_photo(u.data, u.filename, tz), u.data) for u in uploads]


# ------------------------------------------------------------------ the lifecycle


def report_problem(
    session: Session,
    problem: NewProblem,
    actor: Actor,
    *,
    reporter_deputy_id: int | None,
    source: str = "app",
    today: date | None = None,
    dispatch: bool = True,
    at: datetime | None = None,
) -> Ticket:
    """A new ticket in 上报, routed by category and located by its point; then 交办 at once
    (routing is a table, so no one needs to choose) unless dispatch=False."""
    category = session.get(ProblemCategory, problem.category_code)
    if category is None or not category.active:
        known = ", ".join(session.scalars(select(ProblemCategory.code).order_by("code")))
        raise ReportRefused(
            f"unknown problem category {problem.category_code!r}; known: {known}",
            code="category_unknown",
            category=problem.category_code,
            known=known,
        )
    if actor.kind == "platform" and category.platform_code != actor.platform:
        raise PermissionDenied(
            f"platform {actor.platform} may create requests only in its own categories; "
            f"{category.code} is routed to {category.platform_code}",
            code="category_of_another_platform",
            category=category.code,
            platform=actor.platform,
            routed_to=category.platform_code,
        )
    if not problem.description.strip():
        raise ReportRefused("a problem needs a description", code="description_missing")
    if not (-180 <= problem.lon <= 180 and -90 <= problem.lat <= 90):
        raise ReportRefused(
            f"location {problem.lon}, {problem.lat} is not longitude/latitude",
            code="location_invalid",
            lon=problem.lon,
            lat=problem.lat,
        )
    if actor.kind == "reporter" and reporter_deputy_id != actor.deputy_id:
        raise PermissionDenied(
            "a deputy reports problems only as themselves",
            code="not_allowed",
            action="report_for_deputy",
        )
    if reporter_deputy_id is not None and session.get(Deputy, reporter_deputy_id) is None:
        raise ReportRefused(
            f"no deputy with id {reporter_deputy_id}", code="no_deputy", deputy=reporter_deputy_id
        )
    photos = _photos(problem.photos)  # refuse bad photos before anything is written
    township_id, site_id = locate(session, problem.lon, problem.lat)
    if township_id is None:
        raise ReportRefused(
            "the location lies outside every township of the county",
            code="location_outside_county",
            lon=problem.lon,
            lat=problem.lat,
        )
    day = today or (clock.local_date(at) if at else clock.today())
    # numbered by the county the problem lies in (a city holds several)
    county_code = session.scalar(
        text("SELECT c.code FROM township t JOIN county c ON c.id = t.county_id WHERE t.id = :t"),
        {"t": township_id},
    )
    ticket = Ticket(
        number=next_ticket_number(session, day, county_code),
        category_code=category.code,
        platform_code=category.platform_code,
        township_id=township_id,
        site_id=problem.site_id or site_id,
        reporter_deputy_id=reporter_deputy_id,
        reported_by=actor.user_id,
        source=source,
        patrol_id=problem.patrol_id,
        description=problem.description.strip(),
        deadline=add_working_days(day, category.deadline_workdays),
        geom=from_shape(Point(problem.lon, problem.lat), srid=4326),
    )
    ticket.created_at = at if at is not None else clock.now()
    session.add(ticket)
    session.flush()
    _append(session, ticket, "report", actor, photos=photos, at=at)
    if dispatch:
        _append(
            session,
            ticket,
            "dispatch",
            SYSTEM,
            payload={"platform": category.platform_code, "by": "category"},
            at=at,
        )
    return ticket


def follow_ticket(
    session: Session, ticket: Ticket, deputy_id: int, comment: str | None = None
) -> bool:
    """Follow an open ticket instead of reporting the same problem again; False if already."""
    status = status_of(session, ticket.id)
    if status not in OPEN_STATUSES:
        raise ReportRefused(
            f"ticket {ticket.number} is no longer open",
            code="ticket_not_open",
            ticket=ticket.number,
            status=status,
        )
    exists = session.get(TicketFollower, (ticket.id, deputy_id))
    if exists is not None:
        return False
    session.add(TicketFollower(ticket_id=ticket.id, deputy_id=deputy_id, comment=comment))
    session.flush()
    return True


def get_ticket(session: Session, number_or_id: str | int) -> Ticket:
    column = Ticket.id if isinstance(number_or_id, int) else Ticket.number
    ticket = session.scalar(select(Ticket).where(column == number_or_id))
    if ticket is None:
        raise ReportRefused(
            f"no ticket {number_or_id}", code="ticket_not_found", ticket=str(number_or_id)
        )
    return ticket


def move(
    session: Session,
    ticket: Ticket,
    action: str,
    actor: Actor,
    *,
    comment: str | None = None,
    payload: dict | None = None,
    photos: Sequence[Upload] = (),
    at: datetime | None = None,
) -> TicketEvent:
    """Any simple move (dispatch, withdraw, accept, reject, feedback) by its action name."""
    if action in ("reinspect", "reinspect_fail", "rate", "close", "reopen", "designate"):
        raise TransitionRefused(
            f"{action} has its own function (it needs proof, a rating or a deputy)",
            code="action_not_simple",
            action=action,
        )
    if action == "reject" and not (comment or "").strip():
        raise ReportRefused("a rejection needs a reason", code="reject_needs_reason")
    if action == "withdraw" and actor.kind != "reporter":
        # "withdraw_report" in accounts.permissions: the reporting deputy's alone.
        raise PermissionDenied(
            "only the deputy who reported a problem may withdraw it",
            code="not_allowed",
            action="withdraw_report",
            role=actor.kind,
        )
    if action == "dispatch" and payload and payload.get("platform"):
        reroute(session, ticket, str(payload["platform"]))
    return _append(
        session,
        ticket,
        action,
        actor,
        comment=comment,
        payload=payload,
        photos=_photos(photos),
        at=at,
    )


def reroute(session: Session, ticket: Ticket, platform_code: str) -> None:
    """After a platform's rejection an analyst may send the ticket elsewhere."""
    if session.get(Platform, platform_code) is None:
        raise ReportRefused(
            f"unknown platform {platform_code!r}", code="platform_not_found", platform=platform_code
        )
    ticket.platform_code = platform_code
    session.flush()


def reinspect(
    session: Session,
    ticket: Ticket,
    actor: Actor,
    *,
    resolved: bool,
    checklist: dict[str, bool],
    photos: Sequence[Upload] = (),
    comment: str | None = None,
    at: datetime | None = None,
) -> TicketEvent:
    """复查: the reporting deputy (or, for a ticket nobody reported, its re-inspector) went
    back. Proof is a verified track visit at the site after the feedback, or a photo whose
    EXIF time and place fall there after it."""
    if actor.kind not in DEPUTY_ACTORS:
        raise PermissionDenied(
            "only the reporting deputy, or the re-inspector of a ticket nobody reported, "
            "re-inspects",
            code="reinspect_reporter_only",
            ticket=ticket.number,
        )
    _check_deputy(session, ticket, actor, at)  # before the proof: whose ticket it is first
    fed_back_at = session.scalar(
        select(TicketEvent.at)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.to_status == "fed_back")
        .order_by(TicketEvent.id.desc())
        .limit(1)
    )
    if fed_back_at is None:
        raise TransitionRefused(
            f"ticket {ticket.number} has no feedback to re-inspect yet",
            code="no_feedback_yet",
            ticket=ticket.number,
        )
    _check_checklist(session, ticket, checklist)
    infos = _photos(photos)
    proof = _track_proof(session, ticket, actor, fed_back_at) or _photo_proof(
        session, ticket, infos, fed_back_at
    )
    if proof is None:
        raise ReportRefused(
            "no proof of a visit: after the feedback there is neither a verified patrol visit "
            f"at the site nor a photo whose EXIF time and GPS (within {PROOF_RADIUS_M:.0f} m) "
            "show it was taken there",
            code="no_visit_proof",
            ticket=ticket.number,
            radius_m=int(PROOF_RADIUS_M),
        )
    action = "reinspect" if resolved else "reinspect_fail"
    return _append(
        session,
        ticket,
        action,
        actor,
        comment=comment,
        payload={"proof": proof, "checklist": checklist},
        photos=infos,
        at=at,
    )


def _check_checklist(session: Session, ticket: Ticket, checklist: dict[str, bool]) -> None:
    kind = session.scalar(text("SELECT kind FROM site WHERE id = :s"), {"s": ticket.site_id})
    items = checklist_for(kind or "pond")
    unknown = sorted(set(checklist) - set(items))
    if unknown:
        raise ReportRefused(
            f"unknown checklist item(s): {', '.join(unknown)}",
            code="checklist_unknown_item",
            items=", ".join(unknown),
        )
    missing = sorted(set(items) - set(checklist))
    if missing:
        raise ReportRefused(
            f"answer every checklist item; missing: {', '.join(missing)}",
            code="checklist_incomplete",
            items=", ".join(missing),
        )


def _track_proof(session: Session, ticket: Ticket, actor: Actor, after: datetime) -> dict | None:
    row = session.execute(
        text(
            "SELECT v.visit_id, v.patrol_id, v.arrived FROM verified_visit v "
            "JOIN ticket t ON t.id = :t "
            "WHERE v.deputy_id = :d AND v.arrived > :after AND (v.site_id = t.site_id OR "
            " EXISTS (SELECT 1 FROM site s WHERE s.id = v.site_id AND ST_DWithin("
            " s.geom::geography, t.geom::geography, :r))) "
            "ORDER BY v.arrived DESC LIMIT 1"
        ),
        {"t": ticket.id, "d": actor.deputy_id, "after": after, "r": PROOF_RADIUS_M},
    ).first()
    if row is None:
        return None
    return {"kind": "track", "visit_id": row[0], "patrol_id": row[1], "arrived": row[2].isoformat()}


def _photo_proof(
    session: Session, ticket: Ticket, infos: list[tuple[PhotoInfo, bytes]], after: datetime
) -> dict | None:
    for info, _ in infos:
        if info.taken_at is None or info.lon is None or info.taken_at <= after:
            continue
        near = session.scalar(
            text(
                "SELECT ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
                "::geography, :r) FROM ticket WHERE id = :t"
            ),
            {"lon": info.lon, "lat": info.lat, "r": PROOF_RADIUS_M, "t": ticket.id},
        )
        if near:
            return {"kind": "photo", "sha256": info.sha256, "taken_at": info.taken_at.isoformat()}
    return None


def rate(
    session: Session,
    ticket: Ticket,
    actor: Actor,
    rating: str,
    comment: str | None = None,
    at: datetime | None = None,
) -> list[TicketEvent]:
    """评价 by the reporting deputy: 满意/基本满意 close the ticket, 不满意 reopens it."""
    if rating not in RATINGS:
        raise ReportRefused(
            f"rating must be one of {', '.join(RATINGS)}, not {rating!r}",
            code="rating_invalid",
            rating=str(rating),
            allowed=", ".join(RATINGS),
        )
    rated = _append(
        session, ticket, "rate", actor, comment=comment, payload={"rating": rating}, at=at
    )
    follow = "reopen" if rating == "dissatisfied" else "close"
    return [rated, _append(session, ticket, follow, SYSTEM, payload={"rating": rating}, at=at)]


def designate_reinspector(
    session: Session,
    ticket: Ticket,
    user: SignedIn,
    deputy_id: int,
    *,
    comment: str | None = None,
    at: datetime | None = None,
) -> TicketEvent:
    """An analyst names the deputy who re-inspects and rates a ticket nobody reported: one
    without a site has no deputy of its own, and a site may have none that day. Appended
    (the log is append-only); the latest designation counts and outranks the site's deputy."""
    require(user, "designate_reinspector")
    check_township(user, ticket.township_id, "ticket")
    if ticket.reporter_deputy_id is not None:
        raise ReportRefused(
            f"ticket {ticket.number} was reported by a deputy, who re-inspects it",
            code="reinspector_is_reporter",
            ticket=ticket.number,
        )
    deputy = session.get(Deputy, deputy_id)
    if deputy is None:
        raise ReportRefused(f"no deputy with id {deputy_id}", code="no_deputy", deputy=deputy_id)
    # Township staff name one of their own township's deputies (the county's analysts may
    # name anyone: a designated deputy may live elsewhere).
    check_township(user, deputy.township_id, "deputy")
    return _append(
        session,
        ticket,
        "designate",
        Actor("analyst", user.user_id),
        comment=comment,
        payload={"deputy_id": deputy_id},
        at=at,
    )


def platform_update(
    session: Session,
    platform_code: str,
    number: str,
    update_id: str,
    action: str,
    *,
    comment: str | None = None,
    photos: Sequence[Upload] = (),
    at: datetime | None = None,
) -> tuple[TicketEvent | None, bool]:
    """A platform's push (accept, reject, feedback), once per update id: a retried push
    returns the first outcome and changes nothing. Returns (event, was_new)."""
    if not update_id.strip():
        raise ReportRefused(
            "update_id is required, so that a retried push changes nothing",
            code="update_id_missing",
        )
    seen = session.get(PlatformUpdate, (platform_code, update_id))
    if seen is not None:
        return (session.get(TicketEvent, seen.event_id) if seen.event_id else None), False
    ticket = get_ticket(session, number)
    if ticket.platform_code != platform_code:
        raise PermissionDenied(
            f"ticket {number} is not routed to platform {platform_code}",
            code="not_routed_here",
            ticket=number,
            platform=platform_code,
        )
    if action not in ("accept", "reject", "feedback"):
        raise TransitionRefused(
            f"a platform may accept, reject or feed back, not {action!r}",
            code="platform_action_invalid",
            action=str(action),
        )
    event = move(
        session,
        ticket,
        action,
        Actor("platform", platform=platform_code),
        comment=comment,
        payload={"update_id": update_id},
        photos=photos,
        at=at,
    )
    session.add(
        PlatformUpdate(
            platform_code=platform_code, update_id=update_id, ticket_id=ticket.id, event_id=event.id
        )
    )
    session.flush()
    return event, True
