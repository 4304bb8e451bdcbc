"""Read models of the ticket pages on a copy of the demo county: list filters, the timeline
(order, who, Chinese and English labels), the worklists, visibility, map rows and the points
of a patrol to report from. Tickets are made through tickets.service, as the app makes them."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from accounts.auth import SignedIn
from core import clock
from core.photos import jpeg_with_exif
from core.vocab import checklist_for
from db.database import session_scope
from tests.test_ingest import deputy, ingest, signed_in, track_through
from tickets import queries
from tickets.queries import TicketFilter
from tickets.service import (
    Actor,
    NewProblem,
    Upload,
    get_ticket,
    move,
    platform_update,
    reinspect,
    report_problem,
)
from tracks.synth import to_gpx_bytes
from ui.tickets import timeline_table

# Reads today's date: run again under each frozen date (tests/clock.py).
pytestmark = pytest.mark.clock

TODAY = date(2026, 11, 26)


def reporter_site(engine: Engine) -> tuple[SignedIn, int, float, float, str]:
    """d0001 signed in, with one of their sites: (user, site id, lon, lat, kind)."""
    user = signed_in(engine, "d0001")
    with engine.connect() as conn:
        site, lon, lat, kind = conn.execute(
            text(
                "SELECT s.id, ST_X(ST_PointOnSurface(s.geom)), ST_Y(ST_PointOnSurface(s.geom)), "
                "s.kind FROM site s JOIN assignment a ON a.site_id = s.id "
                "AND a.valid_to IS NULL WHERE a.deputy_id = :d ORDER BY s.id LIMIT 1"
            ),
            {"d": user.deputy_id},
        ).one()
    return user, site, lon, lat, kind


def report(engine: Engine, category: str = "dead_fish", dispatch: bool = True) -> str:
    user, _, lon, lat, _ = reporter_site(engine)
    actor = Actor("reporter", user.user_id, user.deputy_id)
    with session_scope(engine) as s:
        ticket = report_problem(
            s,
            NewProblem(category, "水面有死鱼", lon, lat),
            actor,
            reporter_deputy_id=user.deputy_id,
            today=TODAY,
            dispatch=dispatch,
        )
        return ticket.number


def test_list_filters_narrow_with_named_parameters(demo_copy: Engine) -> None:
    fish = report(demo_copy)
    sewage = report(demo_copy, "sewage")
    with Session(demo_copy) as s:
        every = queries.list_tickets(s)
        assert set(every.number) == {fish, sewage}
        township = int(every.township_id.iloc[0])
        cases = {
            TicketFilter(platform_code="bianmin"): {fish},
            TicketFilter(category_code="sewage"): {sewage},
            TicketFilter(statuses=("assigned",)): {fish, sewage},
            TicketFilter(statuses=("fed_back", "closed")): set(),
            TicketFilter(township_id=township): {fish, sewage},
            TicketFilter(township_id=township + 1000): set(),
            TicketFilter(date_from=clock.today(), date_to=clock.today()): {fish, sewage},
            TicketFilter(date_to=clock.today() - timedelta(days=2)): set(),
            TicketFilter(overdue_only=True): set(),
        }
        for chosen, expected in cases.items():
            assert set(queries.list_tickets(s, chosen, today=TODAY).number) == expected, chosen
        overdue = queries.list_tickets(s, TicketFilter(overdue_only=True), today=date(2027, 1, 4))
        assert set(overdue.number) == {fish, sewage} and overdue.overdue.all()
        row = every.set_index("number").loc[fish]
        assert (row.category_zh, row.platform_zh) == ("死鱼", "便民服务平台")
        assert row.status == "assigned"
    where, params = queries.ticket_where(TicketFilter(platform_code="zhifa", statuses=("x",)))
    assert ":platform_code" in where and "zhifa" not in where
    assert params["platform_code"] == "zhifa" and params["statuses"] == ["x"]
    assert queries.ticket_where(TicketFilter())[0] == "TRUE"


def test_timeline_is_in_order_with_who_and_labels(demo_copy: Engine) -> None:
    number = report(demo_copy)
    analyst = signed_in(demo_copy, "analyst")
    with session_scope(demo_copy) as s:
        platform_update(s, "bianmin", number, "u-1", "accept", comment="已受理")
        move(
            s,
            get_ticket(s, number),
            "feedback",
            Actor("analyst", analyst.user_id),
            comment="已打捞",
            payload={"on_behalf": "bianmin"},
        )
    with Session(demo_copy) as s:
        ticket_id = get_ticket(s, number).id
        events = queries.timeline(s, ticket_id)
    zh, en = (timeline_table(events, lang) for lang in ("zh", "en"))
    assert list(zh.action) == ["上报问题", "交办至平台", "平台承办", "办理反馈"]
    assert list(zh.change) == ["— → 上报", "上报 → 交办", "交办 → 承办", "承办 → 反馈"]
    with demo_copy.connect() as conn:
        shown_as = conn.scalar(
            text("SELECT COALESCE(display_name, username) FROM app_user WHERE username = 'd0001'")
        )
    assert zh.who.iloc[0] == shown_as  # the reporting deputy's display name
    assert zh.who.iloc[1] == "系统"
    assert zh.who.iloc[2] == "便民服务平台"
    assert zh.who.iloc[3].endswith("（代便民服务平台）")
    assert list(zh.comment)[2:] == ["已受理", "已打捞"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", a) for a in zh["at"])
    assert list(en.action)[:2] == ["Reported", "Dispatched to platform"]
    assert en.change.iloc[1] == "Reported → Dispatched"
    assert en.who.iloc[2] == "Public service platform"


def test_deputy_worklist_follows_feedback_and_reinspection(demo_copy: Engine) -> None:
    number = report(demo_copy)
    user, _, lon, lat, kind = reporter_site(demo_copy)
    with Session(demo_copy) as s:
        lists = queries.deputy_worklist(s, user.deputy_id)
        assert lists["reinspect"].empty and lists["rate"].empty
    with session_scope(demo_copy) as s:
        platform_update(s, "bianmin", number, "u-1", "accept")
        platform_update(s, "bianmin", number, "u-2", "feedback", comment="已处理")
    with Session(demo_copy) as s:
        lists = queries.deputy_worklist(s, user.deputy_id)
        assert list(lists["reinspect"].number) == [number] and lists["rate"].empty
        assert queries.deputy_worklist(s, user.deputy_id + 1)["reinspect"].empty
    photo = Upload("p.jpg", jpeg_with_exif(lon, lat, clock.now() + timedelta(minutes=5)))
    with session_scope(demo_copy) as s:
        reinspect(
            s,
            get_ticket(s, number),
            Actor("reporter", user.user_id, user.deputy_id),
            resolved=True,
            checklist={k: False for k in checklist_for(kind)},
            photos=[photo],
        )
    with Session(demo_copy) as s:
        lists = queries.deputy_worklist(s, user.deputy_id)
        assert lists["reinspect"].empty and list(lists["rate"].number) == [number]
        detail = queries.ticket_detail(s, number, user)
        assert [p["filename"] for p in detail.photos] == ["p.jpg"]
        assert detail.timeline.proof_kind.iloc[-1] == "photo"
        assert "证明：现场照片" in timeline_table(detail.timeline, "zh").comment.iloc[-1]


def test_analyst_worklist_overdue_returned_and_undispatched(demo_copy: Engine) -> None:
    returned = report(demo_copy)
    waiting = report(demo_copy, "sewage", dispatch=False)
    late = report(demo_copy, "sign_missing")
    with session_scope(demo_copy) as s:
        move(
            s,
            get_ticket(s, returned),
            "reject",
            Actor("platform", platform="bianmin"),
            comment="非本平台职责",
        )
    with Session(demo_copy) as s:
        lists = queries.analyst_worklist(s, today=date(2027, 1, 4))
    assert list(lists["returned"].number) == [returned]
    assert lists["returned"].last_comment.iloc[0] == "非本平台职责"
    assert list(lists["undispatched"].number) == [waiting]
    assert set(lists["overdue"].number) == {returned, waiting, late}
    with Session(demo_copy) as s:
        assert queries.analyst_worklist(s, today=TODAY)["overdue"].empty


def test_who_may_view_and_map_rows(demo_copy: Engine) -> None:
    number = report(demo_copy)
    reporter = signed_in(demo_copy, "d0001")
    with demo_copy.connect() as conn:
        stranger = conn.execute(
            text(
                "SELECT u.username FROM app_user u JOIN deputy d ON d.id = u.deputy_id "
                "JOIN ticket t ON t.number = :n WHERE d.township_id <> t.township_id "
                "ORDER BY u.id LIMIT 1"
            ),
            {"n": number},
        ).scalar_one()
    other = signed_in(demo_copy, stranger)
    with Session(demo_copy) as s:
        ticket_id = get_ticket(s, number).id
        assert queries.may_view(s, reporter, ticket_id)
        assert queries.may_view(s, signed_in(demo_copy, "leader"), ticket_id)
        assert not queries.may_view(s, other, ticket_id)
        seen = queries.list_tickets(s, TicketFilter(visible_to_deputy=other.deputy_id))
        assert number not in set(seen.number)
        geo = queries.tickets_geo(s)
        assert geo.crs.to_epsg() == 4326 and list(geo.number) == [number]
        assert geo.geometry.iloc[0].geom_type == "Point"


def test_patrol_sites_and_points_to_report_from(demo_copy: Engine) -> None:
    dep, site = deputy(demo_copy, "D0001")
    lon, lat, t = track_through(demo_copy, site)
    result = ingest(
        demo_copy,
        to_gpx_bytes(lon, lat, t, name="巡查"),
        "p.gpx",
        dep,
        uploader=signed_in(demo_copy, "d0001"),
    )
    with Session(demo_copy) as s:
        patrols = queries.my_patrols(s, dep)
        assert [p for p, _ in patrols] == [result.patrol_id]
        sites = queries.patrol_sites(s, result.patrol_id)
        assert site in set(sites.site_id)
        points = queries.patrol_points(s, result.patrol_id, max_points=50)
        assert 10 <= len(points) <= 50 and points.n.is_monotonic_increasing
        assert re.fullmatch(r"\d\d:\d\d:\d\d", points["at"].iloc[0])
        place = queries.place_of(s, float(sites.lon.iloc[0]), float(sites.lat.iloc[0]))
        assert place["township"] and place["site_id"] is not None
