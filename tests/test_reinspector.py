"""Every ticket can reach 办结: a ticket a platform created through the API has no reporting
deputy, so its site's deputy of the day re-inspects and rates it, and a ticket without a site
gets a deputy an analyst designates (an appended event). Walked through the FastAPI
TestClient, as the platforms drive it, and the services, as the pages do."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from accounts.auth import SignedIn
from core import clock
from core.errors import PermissionDenied
from core.photos import jpeg_with_exif
from core.vocab import checklist_for
from db.database import session_scope
from tests import test_api
from tests.test_api import Api
from tests.test_ingest import signed_in
from tickets import queries
from tickets.figures import county_rates
from tickets.service import (
    Actor,
    NewProblem,
    Upload,
    actor_for,
    available_actions,
    designate_reinspector,
    get_ticket,
    rate,
    reinspect,
    reinspector_of,
    report_problem,
    status_of,
)
from ui.tickets import timeline_table

# Reads today's date (the site's deputy of the day): run again under each frozen date.
pytestmark = pytest.mark.clock

api = test_api.api  # the fixture: the API app on a writable copy of the demo county


def user_of(engine: Engine, deputy_id: int) -> SignedIn:
    with engine.connect() as conn:
        name = conn.scalar(
            text("SELECT username FROM app_user WHERE deputy_id = :d"), {"d": deputy_id}
        )
    return signed_in(engine, name)


def another_deputy(engine: Engine, than: int) -> SignedIn:
    with engine.connect() as conn:
        other = conn.scalar(
            text("SELECT min(deputy_id) FROM app_user WHERE deputy_id <> :d"), {"d": than}
        )
    return user_of(engine, other)


def far_from_sites(engine: Engine) -> tuple[float, float]:
    """(lon, lat) of a point in a township with no site within 400 m: a problem there has no
    site, hence no site deputy."""
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT ST_X(g.p), ST_Y(g.p) FROM (SELECT (ST_Dump(ST_GeneratePoints(geom, 300, "
                "7))).geom AS p FROM county) g WHERE EXISTS (SELECT 1 FROM township tw WHERE "
                "ST_Intersects(tw.geom, g.p)) AND NOT EXISTS (SELECT 1 FROM site s WHERE "
                "ST_DWithin(s.geom::geography, g.p::geography, 400)) LIMIT 1"
            )
        ).one()


def platform_handles(api: Api, number: str, tag: str) -> None:
    """承办 and 反馈 through the platform's callbacks."""
    accepted = api.act(number, "accept", "bianmin", update_id=f"{tag}-1")
    assert accepted.status_code == 200, accepted.text
    fed_back = api.act(number, "feedback", "bianmin", update_id=f"{tag}-2", result="已处理")
    assert fed_back.status_code == 200, fed_back.text


def reinspect_and_rate(engine: Engine, number: str, user: SignedIn, rating: str) -> None:
    """The deputy goes back (a photo taken there after the feedback) and rates, as the ticket
    page does it: the actor comes from actor_for."""
    with engine.connect() as conn:
        lon, lat = conn.execute(
            text("SELECT ST_X(geom), ST_Y(geom) FROM ticket WHERE number = :n"), {"n": number}
        ).one()
    photo = Upload("there.jpg", jpeg_with_exif(lon, lat, clock.now() + timedelta(minutes=5)))
    with session_scope(engine) as s:
        ticket = get_ticket(s, number)
        kind = s.scalar(text("SELECT kind FROM site WHERE id = :s"), {"s": ticket.site_id})
        checklist = {item: False for item in checklist_for(kind or "pond")}
        reinspect(
            s, ticket, actor_for(user, ticket), resolved=True, checklist=checklist, photos=[photo]
        )
    with Session(engine) as s:
        assert list(queries.deputy_worklist(s, user.deputy_id)["rate"].number) == [number]
    with session_scope(engine) as s:
        ticket = get_ticket(s, number)
        rate(s, ticket, actor_for(user, ticket), rating)


def closed_through_the_api(api: Api, number: str) -> None:
    item = api.call("GET", f"/open311/v2/requests/{number}.json").json()[0]
    assert (item["status"], item["detailed_status"], item["detailed_status_zh"]) == (
        "closed",
        "closed",
        "办结",
    )


def test_a_platform_ticket_is_reinspected_by_its_sites_deputy_to_closed(api: Api) -> None:
    number = api.report("dead_fish", "bianmin")
    today = clock.today()
    with Session(api.engine) as s:
        ticket = get_ticket(s, number)
        assert ticket.reporter_deputy_id is None and ticket.site_id is not None
        keeper = reinspector_of(s, ticket)
        assigned = s.scalar(
            text(
                "SELECT deputy_id FROM assignment WHERE site_id = :s AND valid_from <= :d "
                "AND (valid_to IS NULL OR valid_to > :d)"
            ),
            {"s": ticket.site_id, "d": today},
        )
        assert keeper is not None and keeper == assigned
        assert queries.reinspector(s, ticket.id)["basis"] == "site"
        assert queries.deputy_worklist(s, keeper)["reinspect"].empty  # not fed back yet
    deputy, stranger = user_of(api.engine, keeper), another_deputy(api.engine, keeper)
    platform_handles(api, number, "site")
    with Session(api.engine) as s:
        assert list(queries.deputy_worklist(s, keeper)["reinspect"].number) == [number]
        assert queries.deputy_worklist(s, stranger.deputy_id)["reinspect"].empty
        ticket = get_ticket(s, number)
        assert queries.may_view(s, deputy, ticket.id)
        actor = actor_for(deputy, ticket)
        assert actor.kind == "reinspector"
        # Re-inspect and rate, never withdraw: that is the reporter's alone.
        assert available_actions("fed_back", actor, True, has_reporter=False) == [
            "reinspect",
            "reinspect_fail",
        ]
        with pytest.raises(PermissionDenied) as refused:
            actor_for(stranger, ticket)
        assert refused.value.code == "not_reinspector"
    # The service checks whoever built the Actor.
    with pytest.raises(PermissionDenied) as refused, session_scope(api.engine) as s:
        posing = Actor("reinspector", stranger.user_id, stranger.deputy_id)
        reinspect(s, get_ticket(s, number), posing, resolved=True, checklist={})
    assert refused.value.code == "not_reinspector"
    reinspect_and_rate(api.engine, number, deputy, "satisfied")
    closed_through_the_api(api, number)
    with Session(api.engine) as s:
        figures = county_rates(s, today, today + timedelta(days=1))
    assert (figures.dispatched, figures.handled, figures.closed) == (1, 1, 1)


def test_a_platform_ticket_without_a_site_is_reinspected_by_a_designated_deputy(
    api: Api,
) -> None:
    lon, lat = far_from_sites(api.engine)
    body = {
        "api_key": api.keys["bianmin"],
        "service_code": "bank_litter",
        "lat": lat,
        "long": lon,
        "description": "路边沟渠垃圾堆放",
    }
    created = api.call("POST", "/open311/v2/requests.json", json=body)
    assert created.status_code == 201, created.text
    number = created.json()[0]["service_request_id"]
    analyst, leader = signed_in(api.engine, "analyst"), signed_in(api.engine, "leader")
    chosen = signed_in(api.engine, "d0002")
    with Session(api.engine) as s:
        ticket = get_ticket(s, number)
        assert ticket.site_id is None and reinspector_of(s, ticket) is None
        assert number in set(queries.analyst_worklist(s)["no_reinspector"].number)
        assert "designate" in available_actions(
            "assigned", actor_for(analyst, ticket), True, has_reporter=False
        )
    # Only an analyst (or admin) designates: the row designate_reinspector.
    for who in (leader, chosen):
        with pytest.raises(PermissionDenied), session_scope(api.engine) as s:
            designate_reinspector(s, get_ticket(s, number), who, chosen.deputy_id)
    with session_scope(api.engine) as s:
        designate_reinspector(
            s, get_ticket(s, number), analyst, chosen.deputy_id, comment="由就近代表复查"
        )
    with Session(api.engine) as s:
        ticket = get_ticket(s, number)
        assert status_of(s, ticket.id) == "assigned"  # a designation moves no status
        assert s.scalar(text("SELECT count(*) FROM outbox")) == 1  # and sends nothing
        assert reinspector_of(s, ticket) == chosen.deputy_id
        assert queries.reinspector(s, ticket.id)["basis"] == "designated"
        assert number not in set(queries.analyst_worklist(s)["no_reinspector"].number)
        assert queries.may_view(s, chosen, ticket.id)  # wherever the deputy lives
        shown = timeline_table(queries.timeline(s, ticket.id), "zh")
        name = s.scalar(text("SELECT name FROM deputy WHERE id = :d"), {"d": chosen.deputy_id})
    assert shown.action.iloc[-1] == "指定复查代表"
    assert shown.comment.iloc[-1] == f"复查代表：{name}；由就近代表复查"
    platform_handles(api, number, "nosite")
    with Session(api.engine) as s:
        assert list(queries.deputy_worklist(s, chosen.deputy_id)["reinspect"].number) == [number]
    reinspect_and_rate(api.engine, number, chosen, "basically_satisfied")
    closed_through_the_api(api, number)


def test_a_designation_keeps_the_status_and_when_it_was_reached(demo_copy: Engine) -> None:
    """ticket_state (migration 0006) reads the status from the moves that change it."""
    lon, lat = far_from_sites(demo_copy)
    dispatched_at = datetime(2026, 11, 2, 9, 0, tzinfo=clock.zone())
    with session_scope(demo_copy) as s:
        ticket = report_problem(
            s,
            NewProblem("bank_litter", "平台转来：沟渠垃圾", lon, lat),
            Actor("platform", platform="bianmin"),
            reporter_deputy_id=None,
            at=dispatched_at,
        )
        designate_reinspector(
            s,
            ticket,
            signed_in(demo_copy, "analyst"),
            signed_in(demo_copy, "d0002").deputy_id,
            at=dispatched_at + timedelta(hours=3),
        )
        state = s.execute(
            text("SELECT status, status_at FROM ticket_state WHERE ticket_id = :t"),
            {"t": ticket.id},
        ).one()
    assert state.status == "assigned" and state.status_at == dispatched_at
