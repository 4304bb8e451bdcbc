"""Tickets on the demo county: routing, numbering, every allowed and forbidden move, proof of
re-inspection, ratings, and figures computed from the event log."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from core import clock
from core.errors import PermissionDenied
from core.photos import PhotoRefused, jpeg_with_exif
from db.database import session_scope
from tickets.calendar import add_working_days
from tickets.figures import overdue_tickets, ticket_rates
from tickets.lifecycle import MOVES, STATUSES, TransitionRefused, allowed_actions, move_for
from tickets.service import (
    SYSTEM,
    Actor,
    NewProblem,
    ReportRefused,
    Upload,
    follow_ticket,
    get_ticket,
    move,
    nearby_open_tickets,
    platform_update,
    rate,
    reinspect,
    report_problem,
    status_of,
)

# Reads today's date: run again under each frozen date (tests/clock.py).
pytestmark = pytest.mark.clock

TODAY = date(2026, 11, 26)  # a Thursday


def a_site(engine: Engine) -> tuple[int, int, float, float, str]:
    """(site id, its deputy, lon, lat, kind) of a pond with a current deputy."""
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT s.id, a.deputy_id, ST_X(ST_PointOnSurface(s.geom)), "
                "ST_Y(ST_PointOnSurface(s.geom)), s.kind FROM site s "
                "JOIN assignment a ON a.site_id = s.id AND a.valid_to IS NULL "
                "WHERE s.kind = 'pond' ORDER BY s.id LIMIT 1"
            )
        ).one()


def new_ticket(engine: Engine, category: str = "dead_fish", **kw) -> tuple[str, Actor]:
    site, deputy, lon, lat, _ = a_site(engine)
    reporter = Actor("reporter", deputy_id=deputy)
    with session_scope(engine) as s:
        ticket = report_problem(
            s,
            NewProblem(category, "水面大量死鱼", lon, lat, **kw),
            reporter,
            reporter_deputy_id=deputy,
            today=TODAY,
        )
        return ticket.number, reporter


def test_report_routes_numbers_and_locates(demo_copy: Engine) -> None:
    number, _ = new_ticket(demo_copy)
    second, _ = new_ticket(demo_copy, "sewage")
    assert number == "330822-202611-0001" and second == "330822-202611-0002"
    with Session(demo_copy) as s:
        t = get_ticket(s, number)
        assert t.platform_code == "bianmin"  # 死鱼 → 便民服务平台 (DESIGN.md)
        assert get_ticket(s, second).platform_code == "zhifa"
        assert t.site_id == a_site(demo_copy)[0] and t.township_id is not None
        assert t.deadline == date(2026, 11, 30)  # 2 working days after Thursday: Monday
        assert status_of(s, t.id) == "assigned"
        events = (
            s.execute(
                text("SELECT action FROM ticket_event WHERE ticket_id = :t ORDER BY id"),
                {"t": t.id},
            )
            .scalars()
            .all()
        )
        assert events == ["report", "dispatch"]
        outbox = s.execute(text("SELECT platform_code, idempotency_key FROM outbox")).all()
        assert ("bianmin", f"{number}:{t.id and outbox[0][1].split(':')[1]}") in outbox


def test_working_days_skip_weekends() -> None:
    assert add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Fri → Mon
    assert add_working_days(date(2026, 11, 26), 5) == date(2026, 12, 3)


def test_bad_reports_are_refused_and_store_nothing(demo_copy: Engine) -> None:
    _, deputy, lon, lat, _ = a_site(demo_copy)
    actor = Actor("reporter", deputy_id=deputy)
    cases = [
        (NewProblem("volcano", "x", lon, lat), "unknown problem category 'volcano'"),
        (NewProblem("dead_fish", "  ", lon, lat), "needs a description"),
        (NewProblem("dead_fish", "x", 0.0, 0.0), "outside every township"),
        (
            NewProblem("dead_fish", "x", lon, lat, photos=[Upload("a.jpg", b"hello")]),
            "not a JPEG or PNG",
        ),
    ]
    for problem, message in cases:
        with (
            pytest.raises((ReportRefused, PhotoRefused), match=message),
            session_scope(demo_copy) as s,
        ):
            report_problem(s, problem, actor, reporter_deputy_id=deputy, today=TODAY)
    with demo_copy.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM ticket")) == 0
        assert conn.scalar(text("SELECT count(*) FROM outbox")) == 0


def test_nearby_open_tickets_are_offered(demo_copy: Engine) -> None:
    number, _ = new_ticket(demo_copy)
    _, deputy, lon, lat, _ = a_site(demo_copy)
    with session_scope(demo_copy) as s:
        assert follow_ticket(s, get_ticket(s, number), deputy + 1, "我也看到了")
        assert not follow_ticket(s, get_ticket(s, number), deputy + 1)
    with Session(demo_copy) as s:
        near = nearby_open_tickets(s, "dead_fish", lon + 0.001, lat)  # ~100 m away
        assert list(near.number) == [number]
        assert nearby_open_tickets(s, "sewage", lon, lat).empty
        assert nearby_open_tickets(s, "dead_fish", lon + 0.02, lat).empty  # ~2 km


# The transition table, move by move: every allowed move works for its actors and no other;
# every (action, status) pair not in the table is refused.
ACTORS = ("reporter", "reinspector", "analyst", "platform", "system")


@pytest.mark.parametrize("move_", MOVES, ids=[f"{m.action}:{m.source}" for m in MOVES])
def test_allowed_moves_and_their_actors(move_) -> None:
    for actor in ACTORS:
        if actor in move_.actors:
            assert move_for(move_.action, move_.source, actor).target == move_.target
        else:
            with pytest.raises(TransitionRefused, match=f"{actor} may not"):
                move_for(move_.action, move_.source, actor)


@pytest.mark.parametrize("status", [None, *STATUSES])
def test_every_other_move_is_refused(status) -> None:
    allowed = {m.action for m in MOVES if m.source == status}
    for action in {m.action for m in MOVES} - allowed:
        with pytest.raises(TransitionRefused, match="cannot"):
            move_for(action, status, "analyst")
    assert set(allowed_actions(status, "analyst")) <= allowed


def test_full_lifecycle_with_photo_proof_and_reopen(demo_copy: Engine) -> None:
    number, reporter = new_ticket(demo_copy)
    site, _, lon, lat, kind = a_site(demo_copy)
    bianmin = Actor("platform", platform="bianmin")
    with session_scope(demo_copy) as s:
        t = get_ticket(s, number)
        with pytest.raises(PermissionDenied):
            move(s, t, "accept", Actor("platform", platform="zhifa"))
        with pytest.raises(TransitionRefused):
            move(s, t, "feedback", bianmin)  # not accepted yet
    with session_scope(demo_copy) as s:
        event, new = platform_update(s, "bianmin", number, "u-1", "accept", comment="已受理")
        assert new
        again, new = platform_update(s, "bianmin", number, "u-1", "accept")
        assert not new and again.id == event.id
        platform_update(s, "bianmin", number, "u-2", "feedback", comment="已打捞死鱼")
    checklist = {k: False for k in _items(kind)}
    later = clock.now() + timedelta(minutes=5)
    far_photo = Upload("far.jpg", jpeg_with_exif(lon + 0.05, lat, later))
    near_photo = Upload("near.jpg", jpeg_with_exif(lon, lat, later))
    with session_scope(demo_copy) as s:
        t = get_ticket(s, number)
        with pytest.raises(ReportRefused, match="no proof of a visit"):
            reinspect(s, t, reporter, resolved=True, checklist=checklist, photos=[far_photo])
        with pytest.raises(ReportRefused, match="missing"):
            reinspect(s, t, reporter, resolved=True, checklist={}, photos=[near_photo])
        with pytest.raises(PermissionDenied):
            reinspect(s, t, Actor("analyst", user_id=1), resolved=True, checklist=checklist)
    with session_scope(demo_copy) as s:
        t = get_ticket(s, number)
        # not fixed: back to 交办 (and out to the platform again)
        reinspect(s, t, reporter, resolved=False, checklist=checklist, photos=[near_photo])
        assert status_of(s, t.id) == "assigned"
        platform_update(s, "bianmin", number, "u-3", "accept")
        platform_update(s, "bianmin", number, "u-4", "feedback", comment="再次清理")
    again_photo = Upload("near2.jpg", jpeg_with_exif(lon, lat, later + timedelta(minutes=1)))
    with session_scope(demo_copy) as s:
        t = get_ticket(s, number)
        reinspect(s, t, reporter, resolved=True, checklist=checklist, photos=[again_photo])
        with pytest.raises(ReportRefused, match="rating must be"):
            rate(s, t, reporter, "great")
        rate(s, t, reporter, "dissatisfied", "仍有异味")
        assert status_of(s, t.id) == "assigned"  # 不满意 reopens
        platform_update(s, "bianmin", number, "u-5", "accept")
        platform_update(s, "bianmin", number, "u-6", "feedback")
    last_photo = Upload("near3.jpg", jpeg_with_exif(lon, lat, later + timedelta(minutes=2)))
    with session_scope(demo_copy) as s:
        t = get_ticket(s, number)
        reinspect(s, t, reporter, resolved=True, checklist=checklist, photos=[last_photo])
        rate(s, t, reporter, "satisfied")
        assert status_of(s, t.id) == "closed"
        with pytest.raises(TransitionRefused, match="nothing \\(final\\)"):
            move(s, t, "withdraw", reporter)
    with demo_copy.connect() as conn:
        outbox = conn.scalar(text("SELECT count(*) FROM outbox"))
        assert outbox == 3  # dispatch, re-dispatch after failed re-inspection, reopen
    with Session(demo_copy) as s:
        county = ticket_rates(s, by="county").iloc[0]
        assert county.dispatched == 1 and county.handled == 1 and county.closed == 1
        assert county.handling_rate == 1.0 and county.satisfaction == 1.0  # the latest rating


def _items(kind: str) -> list[str]:
    from core.vocab import checklist_for

    return list(checklist_for(kind))


def test_reject_withdraw_and_reroute(demo_copy: Engine) -> None:
    number, reporter = new_ticket(demo_copy)
    analyst = Actor("analyst", user_id=None)
    with session_scope(demo_copy) as s:
        t = get_ticket(s, number)
        with pytest.raises(ReportRefused, match="needs a reason"):
            move(s, t, "reject", Actor("platform", platform="bianmin"))
        move(s, t, "reject", Actor("platform", platform="bianmin"), comment="非本平台职责")
        assert status_of(s, t.id) == "reported"
        move(s, t, "dispatch", analyst, payload={"platform": "zhifa"})
        assert t.platform_code == "zhifa" and status_of(s, t.id) == "assigned"
        move(s, t, "withdraw", reporter, comment="误报")
        assert status_of(s, t.id) == "withdrawn"
        with pytest.raises(TransitionRefused):
            move(s, t, "dispatch", SYSTEM)


def test_events_are_append_only(demo_copy: Engine) -> None:
    new_ticket(demo_copy)
    for sql in ("UPDATE ticket_event SET comment = 'x'", "DELETE FROM ticket_event"):
        with pytest.raises(DBAPIError, match="append-only"), demo_copy.begin() as conn:
            conn.execute(text(sql))


def test_overdue_and_rates_per_platform(demo_copy: Engine) -> None:
    number, _ = new_ticket(demo_copy)
    new_ticket(demo_copy, "sewage")
    with Session(demo_copy) as s:
        overdue = overdue_tickets(s, today=date(2026, 12, 10))
        assert set(overdue.number) == {number, "330822-202611-0002"}
        assert overdue_tickets(s, today=TODAY).empty
        rates = ticket_rates(s, by="platform").set_index("key")
        assert rates.loc["bianmin", "dispatched"] == 1
        assert rates.loc["zhifa", "handled"] == 0
