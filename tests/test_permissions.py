"""The one permission table, row by row, against the services that enforce it.

Each test takes one action of ``accounts.permissions.PERMISSIONS`` and tries it as every role:
the roles in the row get through, the others get PermissionDenied from the service itself (not
from a page hiding a button).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from accounts.auth import SignedIn
from accounts.permissions import PAGE_ACTIONS, PERMISSIONS, may, require
from core.errors import PermissionDenied
from core.vocab import ROLES
from db.database import session_scope
from tests.test_ingest import NOW, deputy, ingest, track_through
from tickets.service import (
    Actor,
    NewProblem,
    ReportRefused,
    actor_for,
    available_actions,
    designate_reinspector,
    get_ticket,
    move,
    reinspector_of,
    report_problem,
)
from tracks.ingest import check_upload_rights
from tracks.records import check_record_rights
from tracks.review import review_patrol
from tracks.synth import to_gpx_bytes
from ui.page import PAGES, pages_for

ACTIONS_TESTED_HERE = {
    "upload_own_patrol",
    "upload_for_deputy",
    "read_any_patrol",
    "review_patrol",
    "report_own_problem",
    "report_for_deputy",
    "act_as_reporter",
    "act_as_reinspector",
    "manage_tickets",
    "designate_reinspector",
    "act_for_platform",
    "read_any_ticket",
    "read_any_due_list",
    "build_bulletin",
    "withdraw_report",
    # The administration's rows are tried in tests/test_admin.py.
    "manage_users",
    "manage_assignments",
    "manage_platforms",
    "read_audit_log",
    # The grid heads' rows are tried in tests/test_grid_heads.py.
    "manage_grid_heads",
    "read_grid_head_contact",
    # The register's and the warnings' rows are tried in tests/test_register.py and
    # tests/test_warnings.py (reading, acknowledging, closing).
    "read_register",
    "read_warnings",
    "act_on_warning",
    # The public reports' rows are tried in tests/test_public_reports.py.
    "moderate_public_report",
    "export_reward_ledger",
    # Supervision groups and volunteers: tried role by role in tests/test_supervision.py and
    # tests/test_volunteers.py.
    "read_supervision",
    "manage_supervision_groups",
    "record_supervision_visit",
    "read_volunteers",
    "manage_volunteers",
    "upload_volunteer_patrol",
    # The city's ranking (一月一排名、一月一通报): tried role by role in
    # tests/test_city_ranking.py (publish, read the draft, build the bulletin).
    "read_city_ranking",
    "publish_city_ranking",
    "build_city_bulletin",
    # 交接断面水质: importing is tried role by role in tests/test_water.py.
    "import_water_quality",
    *PAGE_ACTIONS,
}


def user(
    role: str, deputy_id: int | None = None, user_id: int = 1, town: int | None = None
) -> SignedIn:
    """A signed-in user of ``role``; a township account works in ``town`` (its own township
    is tried here, another one in tests/test_township.py)."""
    return SignedIn(
        user_id, f"{role}-user", role, deputy_id, role, town if role == "township" else None
    )


def _town_of_site(engine: Engine, site_id: int) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT township_id FROM site WHERE id = :s"), {"s": site_id})


def test_every_action_is_tested_and_every_role_known() -> None:
    assert set(PERMISSIONS) == ACTIONS_TESTED_HERE
    assert all(set(roles) <= set(ROLES) for roles in PERMISSIONS.values())
    # Admin is written out, not implied: every page, and every action but a deputy's own.
    own = {a for a, roles in PERMISSIONS.items() if roles == ("deputy",)}
    assert own == {
        "upload_own_patrol",
        "report_own_problem",
        "act_as_reporter",
        "act_as_reinspector",
        "withdraw_report",
        "view_my_sites",
    }
    # … the city's work excepted: a county's admin is a county's (accounts.permissions).
    city = {a for a, roles in PERMISSIONS.items() if set(roles) <= {"city_leader", "city_analyst"}}
    assert city == {
        "view_city_ranking",
        "read_city_ranking",
        "publish_city_ranking",
        "build_city_bulletin",
    }
    assert all("admin" in roles for a, roles in PERMISSIONS.items() if a not in own | city)


def test_an_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(KeyError, match="no such action"):
        may("admin", "launch_rockets")


@pytest.mark.parametrize("role", ROLES)
def test_pages_follow_their_rows(role: str) -> None:
    listed = {p.action for p in pages_for(user(role))} - {None}
    assert listed == {a for a in PAGE_ACTIONS if role in PERMISSIONS[a]}
    assert {p.action for p in PAGES} == set(PAGE_ACTIONS)


@pytest.mark.parametrize("role", ROLES)
def test_require_names_the_action(role: str) -> None:
    for action, roles in PERMISSIONS.items():
        if role in roles:
            assert require(user(role), action).role == role
        else:
            with pytest.raises(PermissionDenied) as info:
                require(user(role), action)
            assert info.value.code == "not_allowed" and info.value.params["action"] == action
    with pytest.raises(PermissionDenied) as info:
        require(None, "view_account")
    assert info.value.code == "not_signed_in"


@pytest.mark.parametrize("role", ROLES)
def test_upload_rows(role: str) -> None:
    own, other = 7, 8
    if role in PERMISSIONS["upload_for_deputy"]:
        assert check_upload_rights(user(role), other) is True  # recorded as on behalf
    elif role in PERMISSIONS["upload_own_patrol"]:
        assert check_upload_rights(user(role, own), own) is False
        with pytest.raises(PermissionDenied):
            check_upload_rights(user(role, own), other)
    else:
        with pytest.raises(PermissionDenied):
            check_upload_rights(user(role), own)


def test_patrol_rows_read_and_review(demo_copy: Engine) -> None:
    dep1, site = deputy(demo_copy, "D0001")
    dep2, _ = deputy(demo_copy, "D0002")
    lon, lat, t = track_through(demo_copy, site)
    mine = ingest(demo_copy, to_gpx_bytes(lon, lat, t, name="o"), "o.gpx", dep1)
    copy = ingest(demo_copy, to_gpx_bytes(lon, lat, t + 86400, name="c"), "c.gpx", dep2)
    assert copy.flags
    home = _town_of_site(demo_copy, site)
    with session_scope(demo_copy) as s:
        for role in ROLES:
            who = user(role, dep2 if role == "deputy" else None, town=home)
            if may(role, "read_any_patrol"):
                assert check_record_rights(s, mine.patrol_id, who).id == mine.patrol_id
            elif role == "deputy":
                assert check_record_rights(s, copy.patrol_id, who).id == copy.patrol_id
                with pytest.raises(PermissionDenied) as info:
                    check_record_rights(s, mine.patrol_id, who)
                assert info.value.code == "not_your_patrol"
            else:
                with pytest.raises(PermissionDenied):
                    check_record_rights(s, mine.patrol_id, who)
    for role in ROLES:
        with session_scope(demo_copy) as s:
            if may(role, "review_patrol"):
                town = home if role == "township" else None
                review_patrol(s, copy.patrol_id, "accept", "同行巡查", 1, role, town)
            else:
                with pytest.raises(PermissionDenied):
                    review_patrol(s, copy.patrol_id, "accept", "同行巡查", 1, role)


def _site_point(engine: Engine, site_id: int) -> tuple[float, float]:
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                text(
                    "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
                    "FROM site WHERE id = :s"
                ),
                {"s": site_id},
            ).one()
        )


def test_ticket_rows(demo_copy: Engine) -> None:
    dep1, site = deputy(demo_copy, "D0001")
    dep2, _ = deputy(demo_copy, "D0002")
    lon, lat = _site_point(demo_copy, site)
    problem = NewProblem("floating_litter", "水面漂浮垃圾", lon, lat)
    # report_own_problem / report_for_deputy: a deputy only as themselves.
    with session_scope(demo_copy) as s:
        reporter = actor_for(user("deputy", dep1, 11))
        number = report_problem(s, problem, reporter, reporter_deputy_id=dep1, at=NOW).number
        with pytest.raises(PermissionDenied):
            report_problem(s, problem, reporter, reporter_deputy_id=dep2, at=NOW)
        analyst = actor_for(user("analyst"))
        report_problem(s, problem, analyst, reporter_deputy_id=dep2, at=NOW)
    home = _town_of_site(demo_copy, site)
    # act_as_reporter / manage_tickets: who plays which part, per ticket.
    with session_scope(demo_copy) as s:
        ticket = get_ticket(s, number)
        for role in ROLES:
            if may(role, "manage_tickets"):
                assert actor_for(user(role, town=home), ticket).kind == "analyst"
            elif may(role, "act_as_reporter"):
                assert actor_for(user(role, dep1), ticket).kind == "reporter"
                with pytest.raises(PermissionDenied) as info:
                    actor_for(user(role, dep2), ticket)
                assert info.value.code == "not_your_ticket"
            else:
                with pytest.raises(PermissionDenied):
                    actor_for(user(role), ticket)
    # withdraw_report: only the reporting deputy withdraws; an analyst or admin cannot.
    with session_scope(demo_copy) as s:
        ticket = get_ticket(s, number)
        for role in ROLES:
            if may(role, "manage_tickets"):
                acting = actor_for(user(role, town=home), ticket)
                with pytest.raises(PermissionDenied) as info:
                    move(s, ticket, "withdraw", acting, comment="x")
                assert info.value.params["action"] == "withdraw_report"
        assert may("deputy", "withdraw_report")
    # act_for_platform: an analyst accepts for a platform only while it has no API.
    with session_scope(demo_copy) as s:
        ticket = get_ticket(s, number)
        platform = ticket.platform_code
        s.execute(
            text("UPDATE platform SET endpoint_url = 'http://127.0.0.1:9/x' WHERE code = :c"),
            {"c": platform},
        )
        analyst = actor_for(user("analyst"), ticket)
        assert "accept" not in available_actions("assigned", analyst, True)
        with pytest.raises(PermissionDenied) as info:
            move(s, ticket, "accept", analyst)
        assert info.value.code == "platform_has_api"
    with session_scope(demo_copy) as s:
        ticket = get_ticket(s, number)
        s.execute(text("UPDATE platform SET endpoint_url = NULL WHERE code = :c"), {"c": platform})
        assert "accept" in available_actions("assigned", actor_for(user("analyst"), ticket), False)
        move(s, ticket, "accept", actor_for(user("analyst"), ticket))
    # The platform itself may move only tickets routed to it.
    with session_scope(demo_copy) as s:
        other = next(c for c in ("zhifa", "bianmin", "zongzhi", "shichang") if c != platform)
        with pytest.raises(PermissionDenied) as info:
            move(s, get_ticket(s, number), "feedback", Actor("platform", platform=other))
        assert info.value.code == "not_routed_here"


def _platform_ticket(engine: Engine, site: int) -> str:
    """A ticket a platform reported (no reporting deputy) at a site's point."""
    lon, lat = _site_point(engine, site)
    with session_scope(engine) as s:
        return report_problem(
            s,
            NewProblem("floating_litter", "平台转来：水面漂浮物", lon, lat),
            Actor("platform", platform="bianmin"),
            reporter_deputy_id=None,
            source="api:bianmin",
            at=NOW,
        ).number


def test_reinspector_rows(demo_copy: Engine) -> None:
    """act_as_reinspector: on a ticket nobody reported, a deputy acts only as its
    re-inspector; designate_reinspector: analysts and admins name that deputy."""
    dep1, site = deputy(demo_copy, "D0001")
    dep2, _ = deputy(demo_copy, "D0002")
    number = _platform_ticket(demo_copy, site)
    with session_scope(demo_copy) as s:
        ticket = get_ticket(s, number)
        keeper = reinspector_of(s, ticket)
        other = dep2 if keeper != dep2 else dep1
        home = ticket.township_id
        for role in ROLES:
            if may(role, "manage_tickets"):
                assert actor_for(user(role, town=home), ticket).kind == "analyst"
            elif may(role, "act_as_reinspector"):
                assert actor_for(user(role, keeper), ticket).kind == "reinspector"
                with pytest.raises(PermissionDenied) as info:
                    actor_for(user(role, other), ticket)
                assert info.value.code == "not_reinspector"
            else:
                with pytest.raises(PermissionDenied):
                    actor_for(user(role), ticket)
    for role in ROLES:
        with session_scope(demo_copy) as s:
            ticket = get_ticket(s, number)
            if may(role, "designate_reinspector"):
                designate_reinspector(s, ticket, user(role, town=home), other)
                assert reinspector_of(s, ticket) == other  # the designation outranks the site
            else:
                with pytest.raises(PermissionDenied) as info:
                    designate_reinspector(s, ticket, user(role, dep1), other)
                assert info.value.code == "not_allowed"
    # A deputy's own report is re-inspected by them: nobody is designated for it.
    with session_scope(demo_copy) as s:
        reported = report_problem(
            s,
            NewProblem("floating_litter", "漂浮物", *_site_point(demo_copy, site)),
            actor_for(user("deputy", dep1, 11)),
            reporter_deputy_id=dep1,
            at=NOW,
        )
        with pytest.raises(ReportRefused) as refused:
            designate_reinspector(s, reported, user("analyst"), dep2)
        assert refused.value.code == "reinspector_is_reporter"
        assert "designate" not in available_actions(
            "assigned", actor_for(user("analyst"), reported), False
        )


def test_read_any_ticket_row(demo_copy: Engine) -> None:
    from tickets.queries import may_view

    dep1, site = deputy(demo_copy, "D0001")
    lon, lat = _site_point(demo_copy, site)
    with session_scope(demo_copy) as s:
        ticket = report_problem(
            s,
            NewProblem("floating_litter", "漂浮物", lon, lat),
            actor_for(user("deputy", dep1, 11)),
            reporter_deputy_id=dep1,
            at=NOW,
        )
        ticket_id = ticket.id
    with session_scope(demo_copy) as s:
        far_deputy = s.scalar(
            text(
                "SELECT d.id FROM deputy d WHERE d.township_id <> "
                "(SELECT township_id FROM ticket WHERE id = :t) ORDER BY d.id LIMIT 1"
            ),
            {"t": ticket_id},
        )
        home = s.scalar(text("SELECT township_id FROM ticket WHERE id = :t"), {"t": ticket_id})
        for role in ROLES:
            if may(role, "read_any_ticket"):
                assert may_view(s, user(role, town=home), ticket_id)
            elif role == "deputy":
                assert may_view(s, user(role, dep1), ticket_id)  # their own report
                assert not may_view(s, user(role, far_deputy), ticket_id)


def test_build_bulletin_row(demo_url: str, tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    from reports.bulletin import build_bulletin

    engine = create_engine(demo_url)
    try:
        for role in ROLES:
            if not may(role, "build_bulletin"):
                with session_scope(engine) as s, pytest.raises(PermissionDenied):
                    build_bulletin(s, 2026, 10, tmp_path / role, user=user(role))
                assert not (tmp_path / role).exists()
    finally:
        engine.dispose()


def test_due_list_row(demo_engine: Engine) -> None:
    """A deputy reads only their own sites' due list, whatever they ask for."""
    from datetime import date

    from duty.due import due_list_for

    dep1, _ = deputy(demo_engine, "D0001")
    dep2, site2 = deputy(demo_engine, "D0002")
    home = _town_of_site(demo_engine, site2)
    on = date(2026, 11, 20)
    with session_scope(demo_engine) as s:
        for role in ROLES:
            if role == "township":  # its own township's sites only (tests/test_township.py)
                theirs = due_list_for(s, user(role, town=home), on, deputy_id=dep2)
                assert len(theirs) and set(theirs["deputy_id"]) == {dep2}
            elif may(role, "read_any_due_list"):
                theirs = due_list_for(s, user(role), on, deputy_id=dep2)
                assert set(theirs["deputy_id"]) == {dep2}
                assert len(due_list_for(s, user(role), on)) > 300
            else:
                asked = due_list_for(s, user(role, dep1), on, deputy_id=dep2)
                assert len(asked) and set(asked["deputy_id"]) == {dep1}
                with pytest.raises(PermissionDenied):
                    due_list_for(s, user(role), on)
