"""Township staff (乡镇工作人员): an account confined to one township, in the database, the
account services and the command line, every service it may call, every page, and the API.

The demo copy gets tickets and patrols in two townships — the account's own ("home") and
another ("away") — so that every refusal is tried against a real row of another township
and every page is searched for anything of the other one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from accounts import admin as accounts_admin
from accounts.audit import shell_operator
from accounts.auth import SignedIn, create_user, hash_password
from accounts.permissions import PERMISSIONS, may
from accounts.scope import check_township, confined_to, narrow, sql_clause
from core.errors import PermissionDenied
from db.database import session_scope
from duty.due import due_list_for
from reports.evaluation import evaluate_month, evaluation_for
from reports.glance import Ranking, standing_for
from tests import factories
from tests.test_ingest import NOW, deputy, ingest, track_through
from tickets import queries
from tickets.service import (
    NewProblem,
    actor_for,
    designate_reinspector,
    get_ticket,
    report_problem,
)
from tracks.patrol_queries import list_patrols, patrol_detail
from tracks.records import check_record_rights
from tracks.review import review_patrol
from tracks.synth import to_gpx_bytes
from ui import session
from ui.page import PAGES

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 90
ANALYST = SignedIn(1, "analyst-user", "analyst", None, "分析员")


@dataclass(frozen=True)
class Two:
    """The demo copy with rows in the account's township and in another."""

    engine: Engine
    staff: SignedIn  # the township account of `home`
    home: int
    away: int
    home_name: str
    away_names: list[str]  # every other township's name
    away_deputy_names: list[str]  # names of the other townships' deputies, none shared
    home_ticket: str
    away_ticket: str
    home_patrol: int
    away_patrol: int  # flagged (a copy), so a review is possible
    away_deputy: int


def _one(engine: Engine, sql: str, **params: object):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).one()


def _point(engine: Engine, site: int) -> tuple[float, float]:
    return tuple(
        _one(
            engine,
            "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM site "
            "WHERE id = :s",
            s=site,
        )
    )


def _deputy_of(engine: Engine, township: int, skip: int = 0) -> tuple[int, int]:
    """(deputy, site) of a deputy of ``township`` assigned a site in it."""
    return tuple(
        _one(
            engine,
            "SELECT d.id, min(a.site_id) FROM deputy d JOIN assignment a ON a.deputy_id = d.id "
            "JOIN site s ON s.id = a.site_id WHERE d.township_id = :t AND s.township_id = :t "
            "GROUP BY d.id ORDER BY d.id OFFSET :k LIMIT 1",
            t=township,
            k=skip,
        )
    )


@pytest.fixture
def two(demo_copy: Engine) -> Two:
    dep1, site1 = deputy(demo_copy, "D0001")
    home = _one(demo_copy, "SELECT township_id FROM site WHERE id = :s", s=site1)[0]
    away = _one(
        demo_copy,
        "SELECT s.township_id FROM site s JOIN assignment a ON a.site_id = s.id "
        "JOIN deputy d ON d.id = a.deputy_id WHERE s.township_id <> :h "
        "AND d.township_id = s.township_id GROUP BY s.township_id "
        "HAVING count(DISTINCT d.id) > 1 ORDER BY s.township_id LIMIT 1",
        h=home,
    )[0]
    dep2, site2 = _deputy_of(demo_copy, away)
    dep3, _ = _deputy_of(demo_copy, away, skip=1)
    with session_scope(demo_copy) as s:
        acting = actor_for(ANALYST)
        tickets = [
            report_problem(
                s,
                NewProblem("floating_litter", f"水面漂浮垃圾 {i}", *_point(demo_copy, site)),
                acting,
                reporter_deputy_id=dep,
                at=NOW,
            ).number
            for i, (dep, site) in enumerate(((dep1, site1), (dep2, site2)))
        ]
        staff_row = s.execute(
            text("SELECT id, username, display_name FROM app_user WHERE township_id = :t"),
            {"t": home},
        ).one()
        names = dict(s.execute(text("SELECT id, name FROM township")).all())
        deputies = s.execute(text("SELECT name, township_id FROM deputy")).all()
        heads = s.scalars(
            text(
                "SELECT h.name FROM grid_head h JOIN grid_cell c ON c.id = h.grid_cell_id "
                "WHERE c.township_id = :t"
            ),
            {"t": home},
        ).all()
    lon, lat, t = track_through(demo_copy, site1)
    mine = ingest(demo_copy, to_gpx_bytes(lon, lat, t, name="h"), "h.gpx", dep1)
    lon, lat, t = track_through(demo_copy, site2, seed=2)
    ingest(demo_copy, to_gpx_bytes(lon, lat, t, name="a"), "a.gpx", dep2)
    copy = ingest(demo_copy, to_gpx_bytes(lon, lat, t + 86400, name="c"), "c.gpx", dep3)
    assert copy.flags
    home_deputies = {n for n, tw in deputies if tw == home}
    # Its own people, whose names may contain another's (范静振 holds 范静): not a leak.
    home_people = home_deputies | set(heads)
    staff = SignedIn(
        staff_row.id, staff_row.username, "township", None, staff_row.display_name, home
    )
    return Two(
        engine=demo_copy,
        staff=staff,
        home=home,
        away=away,
        home_name=names[home],
        away_names=[n for i, n in names.items() if i != home],
        away_deputy_names=sorted(
            n
            for n in {n for n, tw in deputies if tw != home} - home_deputies
            if not any(n in own for own in home_people)
        ),
        home_ticket=tickets[0],
        away_ticket=tickets[1],
        home_patrol=mine.patrol_id,
        away_patrol=copy.patrol_id,
        away_deputy=dep3,
    )


def refused(call, *args, **kw) -> PermissionDenied:
    with pytest.raises(PermissionDenied) as info:
        call(*args, **kw)
    assert info.value.code == "outside_township", info.value
    return info.value


# ---------------------------------------------------------------- the row and its account


def test_the_database_ties_a_township_to_the_township_role(engine: Engine) -> None:
    with session_scope(engine) as s:
        s.execute(
            text(
                "INSERT INTO county (code, name, geom) VALUES ('330822', '县', "
                "ST_Multi(ST_MakeEnvelope(118, 28, 119, 29, 4326)))"
            )
        )
        town = s.execute(
            text(
                "INSERT INTO township (code, name, geom) VALUES ('T01', '甲镇', "
                "ST_Multi(ST_MakeEnvelope(118, 28, 118.5, 29, 4326))) RETURNING id"
            )
        ).scalar_one()
    for role, township in (("township", None), ("analyst", town), ("leader", town)):
        with (
            pytest.raises(IntegrityError, match="app_user_township_tie"),
            session_scope(engine) as s,
        ):
            create_user(s, f"x-{role}", hash_password("long-enough-1"), role, None, None, township)
    with session_scope(engine) as s:
        user = create_user(s, "tz", hash_password("long-enough-1"), "township", township_id=town)
        assert user.township_id == town


def test_the_downgrade_stops_while_a_township_account_exists(bare_engine: Engine) -> None:
    """Below 0015 a township account would be lost or widened to the county: the downgrade
    says so and changes nothing until the account has another role."""
    from db import migrate

    migrate.upgrade(bare_engine)
    with session_scope(bare_engine) as s:
        factories.ensure_county(s)
        town = s.execute(
            text(
                "INSERT INTO township (code, name, geom) VALUES ('T01', '甲镇', "
                "ST_Multi(ST_MakeEnvelope(118, 28, 118.5, 29, 4326))) RETURNING id"
            )
        ).scalar_one()
        create_user(s, "tz", hash_password("long-enough-1"), "township", township_id=town)
    with pytest.raises(RuntimeError, match="township account"):
        migrate.downgrade(bare_engine, "0013")
    assert migrate.current_revision(bare_engine) == migrate.head_revision()  # all rolled back
    with session_scope(bare_engine) as s:
        s.execute(text("UPDATE app_user SET role = 'leader', township_id = NULL"))
    migrate.downgrade(bare_engine, "0013")
    assert migrate.current_revision(bare_engine) == "0013"


def test_the_admin_service_and_the_command_line_create_township_accounts(demo_copy: Engine) -> None:
    from accounts.admin import AccountRefused

    with demo_copy.connect() as conn:
        code, town_id = conn.execute(
            text("SELECT code, id FROM township ORDER BY code LIMIT 1")
        ).one()
    actor = shell_operator()
    for role, township, why in (
        ("township", None, "township_code_needed"),
        ("township", "  ", "township_code_needed"),
        ("township", "NOPE", "no_such_township"),
        ("analyst", code, "township_only_for_township_role"),
    ):
        with session_scope(demo_copy) as s, pytest.raises(AccountRefused) as info:
            accounts_admin.add_user(
                s, actor, "newtown", role, "long-enough-1", township_code=township
            )
        assert info.value.code == why
    with session_scope(demo_copy) as s:
        assert s.scalar(text("SELECT count(*) FROM app_user WHERE username = 'newtown'")) == 0

    from cli.main import app as cli

    url = demo_copy.url.render_as_string(hide_password=False)
    runner = CliRunner()
    args = ["user", "add", "tz99", "--role", "township", "--township", code.lower()]
    result = runner.invoke(cli, [*args, "--password", "long-enough-1"], env={"DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    bad = runner.invoke(
        cli,
        ["user", "add", "tz98", "--role", "township", "--township", "XX", "--password", "p" * 9],
        env={"DATABASE_URL": url},
    )
    assert bad.exit_code != 0 and "XX" in bad.output and "Traceback" not in bad.output
    with session_scope(demo_copy) as s:
        row = s.execute(
            text("SELECT role, township_id FROM app_user WHERE username = 'tz99'")
        ).one()
        assert tuple(row) == ("township", town_id)
        listed = accounts_admin.list_users(s, actor)
        assert listed.set_index("username").loc["tz99", "township"] == code
        # Another role drops the township; back to township staff needs one again.
        accounts_admin.change_role(s, actor, "tz99", "analyst")
        assert s.scalar(text("SELECT township_id FROM app_user WHERE username = 'tz99'")) is None
        with pytest.raises(AccountRefused) as info:
            accounts_admin.change_role(s, actor, "tz99", "township")
        assert info.value.code == "township_code_needed"
        accounts_admin.change_role(s, actor, "tz99", "township", township_code=code)
        audit = s.scalar(
            text(
                "SELECT details->>'township_to' FROM audit_event WHERE action = 'user_role' "
                "ORDER BY id DESC LIMIT 1"
            )
        )
        assert audit == code


def test_the_demo_has_one_township_account_per_township(demo_engine: Engine) -> None:
    with demo_engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT u.username, t.code FROM app_user u JOIN township t ON t.id = u.township_id "
                "WHERE u.role = 'township' ORDER BY u.username"
            )
        ).all()
        towns = conn.scalar(text("SELECT count(*) FROM township"))
    assert [r.username for r in rows] == [f"tz{i:02d}" for i in range(1, towns + 1)]
    assert [r.code for r in rows] == sorted(r.code for r in rows)


# ---------------------------------------------------------------- the scope helper


def test_the_scope_helper() -> None:
    staff = SignedIn(5, "tz01", "township", None, "甲镇人大办公室", 3)
    assert confined_to(ANALYST) is None and confined_to(None) is None
    assert confined_to(staff) == 3
    assert narrow(ANALYST, 7) == 7 and narrow(ANALYST) is None
    assert narrow(staff) == 3 and narrow(staff, 3) == 3
    refused(narrow, staff, 4)
    check_township(ANALYST, 4, "ticket")
    check_township(staff, 3, "ticket")
    refused(check_township, staff, 4, "ticket")
    refused(check_township, staff, None, "ticket")  # the county's, not theirs
    assert sql_clause(ANALYST, "t.township_id") == ("TRUE", {})
    assert sql_clause(staff, "t.township_id") == (
        "t.township_id = :scope_township_id",
        {"scope_township_id": 3},
    )
    # A township account that names no township is refused, never given the county.
    lost = SignedIn(6, "tz02", "township", None, "乙", None)
    with pytest.raises(PermissionDenied) as info:
        narrow(lost)
    assert info.value.code == "no_township_linked"


def test_what_the_role_may_do_is_written_in_the_table() -> None:
    given = {a for a, roles in PERMISSIONS.items() if "township" in roles}
    assert given == {
        "view_glance",
        "view_account",
        "view_patrols",
        "view_due",
        "view_coverage",
        "view_evaluation",
        "view_worklist",
        "view_issues_map",
        "view_ticket",
        "read_any_patrol",
        "review_patrol",
        "read_any_due_list",
        "manage_tickets",
        "designate_reinspector",
        "act_for_platform",
        "read_any_ticket",
        # the register and the warnings of its township; it acknowledges and closes them
        "view_register",
        "view_warnings",
        "read_register",
        "read_warnings",
        "act_on_warning",
        # 有奖举报: it moderates its township's public reports (not the ledger with phones)
        "view_public_reports",
        "moderate_public_report",
        # 交接断面水质: the sections at its township's edges and its own 约谈 runs
        "view_water_quality",
    }


# ---------------------------------------------------------------- every service it may call


def test_tickets_of_another_township_are_refused(two: Two) -> None:
    staff = two.staff
    with session_scope(two.engine) as s:
        home, away = get_ticket(s, two.home_ticket), get_ticket(s, two.away_ticket)
        assert home.township_id == two.home and away.township_id == two.away
        # read
        assert queries.may_view(s, staff, home.id) and not queries.may_view(s, staff, away.id)
        assert queries.ticket_detail(s, home.number, staff).header["number"] == home.number
        refused(queries.ticket_detail, s, away.number, staff)
        # act: dispatch, re-route, act for a platform all go through actor_for
        assert actor_for(staff, home).kind == "analyst"
        refused(actor_for, staff, away)
        # designate: not on another township's ticket, nor another township's deputy
        refused(designate_reinspector, s, away, staff, two.away_deputy)
        # lists, maps and the worklist
        listed = queries.list_tickets(s, viewer=staff)
        assert set(listed["number"]) == {home.number}
        assert set(queries.tickets_geo(s, viewer=staff)["number"]) == {home.number}
        refused(queries.list_tickets, s, queries.TicketFilter(township_id=two.away), viewer=staff)
        work = queries.analyst_worklist(s, viewer=staff)
        assert all(set(f["township_id"]) <= {two.home} for f in work.values())
        assert all(two.away_ticket not in set(f["number"]) for f in work.values())
        # the county analyst keeps the county
        assert {home.number, away.number} <= set(queries.list_tickets(s, viewer=ANALYST)["number"])
        assert actor_for(ANALYST, away).kind == "analyst"


def test_a_platform_ticket_of_another_township_cannot_get_a_reinspector(two: Two) -> None:
    from tickets.service import Actor

    with session_scope(two.engine) as s:
        away = get_ticket(s, two.away_ticket)
        lon, lat = s.execute(
            text("SELECT ST_X(geom), ST_Y(geom) FROM ticket WHERE id = :t"), {"t": away.id}
        ).one()
        platform = report_problem(
            s,
            NewProblem("floating_litter", "平台转来", lon, lat),
            Actor("platform", platform="bianmin"),
            reporter_deputy_id=None,
            source="api:bianmin",
            at=NOW,
        )
        refused(designate_reinspector, s, platform, two.staff, two.away_deputy)
    with session_scope(two.engine) as s:
        home = get_ticket(s, two.home_ticket)
        lon, lat = s.execute(
            text("SELECT ST_X(geom), ST_Y(geom) FROM ticket WHERE id = :t"), {"t": home.id}
        ).one()
        mine = report_problem(
            s,
            NewProblem("floating_litter", "平台转来", lon, lat),
            Actor("platform", platform="bianmin"),
            reporter_deputy_id=None,
            source="api:bianmin",
            at=NOW,
        )
        # its own ticket, but a deputy of another township: refused too
        refused(designate_reinspector, s, mine, two.staff, two.away_deputy)
        home_deputy = _deputy_of(two.engine, two.home, skip=1)[0]
        assert designate_reinspector(s, mine, two.staff, home_deputy).action == "designate"


def test_patrols_of_another_township_are_refused(two: Two) -> None:
    staff = two.staff
    with session_scope(two.engine) as s:
        assert check_record_rights(s, two.home_patrol, staff).id == two.home_patrol
        refused(check_record_rights, s, two.away_patrol, staff)
        refused(patrol_detail, s, two.away_patrol, staff)
        assert patrol_detail(s, two.home_patrol, staff).header["patrol_id"] == two.home_patrol
        listed = list_patrols(s, viewer=staff)
        assert two.home_patrol in set(listed["patrol_id"])
        assert two.away_patrol not in set(listed["patrol_id"])
        refused(list_patrols, s, viewer=staff, township_id=two.away)
        assert two.away_patrol in set(list_patrols(s, viewer=ANALYST)["patrol_id"])
    with session_scope(two.engine) as s:
        refused(
            review_patrol, s, two.away_patrol, "accept", "同行", staff.user_id, "township", two.home
        )
    with session_scope(two.engine) as s:
        # a township reviewer who names no township is not let through to the county
        with pytest.raises(PermissionDenied) as info:
            review_patrol(s, two.away_patrol, "accept", "同行", staff.user_id, "township")
        assert info.value.code == "not_allowed"
        assert not s.scalar(text("SELECT count(*) FROM patrol_review"))


def test_due_lists_evaluation_and_ranking_stay_in_the_township(two: Two) -> None:
    staff = two.staff
    on = date(2026, 11, 20)
    with session_scope(two.engine) as s:
        mine = due_list_for(s, staff, on)
        assert len(mine) and set(mine["township"]) == {two.home_name}
        refused(due_list_for, s, staff, on, township_id=two.away)
        assert len(due_list_for(s, ANALYST, on)) > len(mine)
        county = evaluate_month(s, 2026, 11, as_of=on)
    frame, towns = evaluation_for(county, staff)
    assert len(frame) and set(frame["township_id"]) == {two.home}
    assert set(towns["township"]) == {two.home_name}
    refused(evaluation_for, county, staff, two.away)
    whole, ranking = evaluation_for(county, ANALYST)
    assert len(whole) == len(county) and len(ranking) == county["township"].nunique()
    standing = Ranking(2026, 11, on, ranking)
    own = standing_for(standing, staff, two.home_name)
    assert list(own.townships["township"]) == [two.home_name]
    assert standing_for(standing, ANALYST, None) is standing


def test_maps_and_figures_stay_in_the_township(two: Two) -> None:
    """The coverage maps, today's glance, its trend and map shapes, and the ticket figures."""
    from duty.coverage_map import coverage_map, today_coverage_map
    from reports.glance import glance, monthly_trend, site_shapes
    from tickets.figures import county_rates, ticket_rates

    staff, on = two.staff, date(2026, 11, 20)
    with session_scope(two.engine) as s:
        month = coverage_map(s, 2026, 11, 3, viewer=staff, as_of=on, with_tracks=False)
        assert set(month.sites["site_id"]) == set(
            s.scalars(text("SELECT id FROM site WHERE township_id = :t"), {"t": two.home})
        )
        refused(coverage_map, s, 2026, 11, 3, two.away, viewer=staff, with_tracks=False)
        today = today_coverage_map(s, 3, viewer=staff, as_of=on, with_tracks=False)
        assert len(today.sites) == len(month.sites)
        refused(today_coverage_map, s, 3, two.away, viewer=staff, with_tracks=False)
        mine = glance(s, on, viewer=staff)
        assert mine.township_id == two.home and mine.sites == len(month.sites)
        refused(glance, s, on, two.away, viewer=staff)
        refused(monthly_trend, s, on, two.away, months=1, viewer=staff)
        assert set(site_shapes(s, viewer=staff)["township"]) == {two.home_name}
        refused(site_shapes, s, two.away, viewer=staff)
        by_town = ticket_rates(s, "township", viewer=staff)
        assert list(by_town["key"]) == [two.home_name]
        assert int(county_rates(s, viewer=staff)["dispatched"]) == 1  # its one ticket
        assert int(county_rates(s, viewer=ANALYST)["dispatched"]) == 2
        refused(county_rates, s, township_id=two.away, viewer=staff)


# ---------------------------------------------------------------- every page


@pytest.fixture
def pages_db(two: Two, monkeypatch: pytest.MonkeyPatch) -> Iterator[Two]:
    monkeypatch.setenv("DATABASE_URL", two.engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield two
    st.cache_data.clear()
    st.cache_resource.clear()


def _unescaped(script: str) -> str:
    """A map's script as the browser reads it: folium writes names into its JSON as \\u
    escapes (定阳街道 is \\u5b9a\\u9633...), which a plain search would never find."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), script)


def _everything(at: AppTest) -> str:
    """Every word a page put anywhere: texts, metrics, tables, options, map scripts."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning",
                 "error", "success", "text", "code"):  # fmt: skip
        parts += [str(e.value) for e in at.get(kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [e.value.to_string() for e in at.dataframe]
    for kind in ("selectbox", "multiselect", "radio"):
        parts += [" ".join(map(str, e.options)) for e in at.get(kind)]
    for e in at.get("component_instance"):
        args = json.loads(e.proto.json_args)
        parts += [_unescaped(str(args.get(part) or "")) for part in ("script", "html", "header")]
    for e in at.get("iframe"):  # st.components.v1.html
        parts.append(_unescaped(str(getattr(e.proto, "srcdoc", "") or "")))
    parts += [e.proto.spec for e in at.get("arrow_vega_lite_chart")]
    return "\n".join(parts)


PAGE_QUERY = {"ticket": "home_ticket"}


@pytest.mark.parametrize("spec", PAGES, ids=lambda p: Path(p.path).stem)
def test_every_page_as_township_staff_shows_nothing_of_another_township(
    pages_db: Two, spec
) -> None:
    two = pages_db
    name = Path(spec.path).stem
    at = AppTest.from_file(str(ROOT / spec.path), default_timeout=TIMEOUT)
    at.session_state[session.USER] = two.staff
    if name in PAGE_QUERY:
        at.query_params["number"] = getattr(two, PAGE_QUERY[name])
    at.run()
    assert not at.exception, at.exception
    words = _everything(at)
    if not may("township", spec.action):
        assert [e.value for e in at.error] and "乡镇工作人员" in at.error[0].value
        return
    # No refusal and no failure (the ticket page's overdue notice is an error box of its own).
    failures = [e.value for e in at.error if "无法完成操作" in e.value or "无权" in e.value]
    assert not failures, failures
    if name not in ("account", "ticket"):
        assert two.home_name in words, f"{name} does not show its own township"
    leaked = [n for n in two.away_names if n in words]
    assert not leaked, f"{name} shows other townships: {leaked}"
    named = [n for n in two.away_deputy_names if n in words]
    assert not named, f"{name} names other townships' deputies: {named[:5]}"
    assert two.away_ticket not in words


@pytest.mark.parametrize("name", ["glance", "due", "evaluation", "issues_map", "patrols"])
def test_the_county_analyst_still_sees_every_township(pages_db: Two, name: str) -> None:
    """The control of the test above: the same search finds other townships for the county."""
    at = AppTest.from_file(str(ROOT / "views" / f"{name}.py"), default_timeout=TIMEOUT)
    at.session_state[session.USER] = ANALYST
    at.run()
    assert not at.exception
    words = _everything(at)
    assert [n for n in pages_db.away_names if n in words]


def _map_scripts(at: AppTest) -> list[str]:
    """The script of every folium map a page drew, its JSON escapes read back."""
    return [
        _unescaped(json.loads(e.proto.json_args).get("script", ""))
        for e in at.get("component_instance")
        if "L.map(" in json.loads(e.proto.json_args).get("script", "")
    ]


@pytest.mark.parametrize("name", ["glance", "ticket", "issues_map", "coverage", "patrols"])
def test_every_map_of_a_township_account_names_its_own_township_only(
    pages_db: Two, name: str
) -> None:
    """Outlines and township labels on each map township staff can open: its own township's
    and no other's, searched in the map's script itself (GeoJSON and labels, as the browser
    reads them) — the due list, the register and the warnings draw no map."""
    two = pages_db
    at = AppTest.from_file(str(ROOT / "views" / f"{name}.py"), default_timeout=TIMEOUT)
    at.session_state[session.USER] = two.staff
    if name in PAGE_QUERY:
        at.query_params["number"] = getattr(two, PAGE_QUERY[name])
    at.run()
    assert not at.exception, at.exception
    scripts = _map_scripts(at)
    assert scripts, f"{name} drew no map"
    for script in scripts:
        assert two.home_name in script, f"{name}'s map does not name its own township"
        leaked = [n for n in two.away_names if n in script]
        assert not leaked, f"{name}'s map names other townships: {leaked}"


def test_the_map_outlines_are_narrowed_for_a_township_account(pages_db: Two) -> None:
    """``ui.cached.map_layers``: the county gets every township, a township account its own
    (asked for or not, given or signed in), another refused; an open page's map is anyone's."""
    from ui import cached

    engine = pages_db.engine
    county = cached.map_layers(engine, None)
    assert len(county.townships) == len(pages_db.away_names) + 1
    own = cached.map_layers(engine, None, pages_db.staff)
    assert list(own.townships["name"]) == [pages_db.home_name]
    assert own.township_id == pages_db.home
    assert list(cached.map_layers(engine, pages_db.home, pages_db.staff).townships["id"]) == [
        pages_db.home
    ]
    refused(cached.map_layers, engine, pages_db.away, pages_db.staff)
    assert len(cached.map_layers(engine, None, everyone=True).townships) == len(county.townships)


def test_another_townships_ticket_page_is_refused_with_a_sentence(pages_db: Two) -> None:
    at = AppTest.from_file(str(ROOT / "views" / "ticket.py"), default_timeout=TIMEOUT)
    at.session_state[session.USER] = pages_db.staff
    at.query_params["number"] = pages_db.away_ticket
    at.run()
    assert not at.exception
    assert "不在您所在的乡镇" in at.error[0].value
    assert pages_db.away_ticket not in _everything(at).replace(pages_db.away_ticket, "", 0)


# ---------------------------------------------------------------- the platform API


def test_a_township_session_cookie_opens_no_api(demo_copy: Engine) -> None:
    """The platform API is keyed by platform, never by a user's session."""
    from fastapi.testclient import TestClient

    from accounts import sessions
    from api.app import create_app

    with session_scope(demo_copy) as s:
        user = s.execute(text("SELECT id FROM app_user WHERE username = 'tz01'")).scalar_one()
        from accounts.auth import signed_in
        from db.models import User

        token = sessions.begin(s, signed_in(s.get(User, user)), "test")
        lon, lat = s.execute(
            text(
                "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
                "FROM site LIMIT 1"
            )
        ).one()
    with TestClient(create_app(demo_copy)) as client:
        client.cookies.set(sessions.COOKIE, token)
        body = {"service_code": "dead_fish", "lat": lat, "long": lon, "description": "死鱼"}
        created = client.post("/open311/v2/requests.json", json=body)
        assert created.status_code == 403 and "api_key" in created.text
        moved = client.post("/api/v1/tickets/330822-202611-0001/accept", json={"update_id": "u"})
        assert moved.status_code == 403
    with demo_copy.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM ticket")) == 0


def test_the_admin_page_adds_a_township_account(
    demo_copy: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The form refuses a township account without its township in Chinese, keeps what was
    typed, then creates it with the township picked."""
    monkeypatch.setenv("DATABASE_URL", demo_copy.url.render_as_string(hide_password=False))
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    st.cache_data.clear()
    with demo_copy.connect() as conn:
        boss = conn.execute(
            text(
                "SELECT id, username, role, deputy_id, display_name FROM app_user "
                "WHERE username = 'admin'"
            )
        ).one()
        code, town_id = conn.execute(
            text("SELECT code, id FROM township ORDER BY code DESC LIMIT 1")
        ).one()
    at = AppTest.from_file(str(ROOT / "views" / "admin.py"), default_timeout=TIMEOUT)
    at.session_state[session.USER] = SignedIn(*boss)
    at.run()
    at.text_input(key="shuijian_admin_add_name").input("clerk")
    at.selectbox(key="shuijian_admin_add_role").set_value("township")
    at.text_input(key="shuijian_admin_add_pw").input("pw-long-enough")
    at.text_input(key="shuijian_admin_add_pw2").input("pw-long-enough")
    add = [b.label for b in at.button].index("新增账户")
    at.button[add].click().run()
    assert not at.exception, at.exception
    assert "乡镇账户须填写所属乡镇" in "\n".join(e.value for e in at.error)
    assert at.text_input(key="shuijian_admin_add_name").value == "clerk"
    at.selectbox(key="shuijian_admin_add_township").set_value(code)
    at.text_input(key="shuijian_admin_add_pw").input("pw-long-enough")
    at.text_input(key="shuijian_admin_add_pw2").input("pw-long-enough")
    at.button[add].click().run()
    assert not at.exception, at.exception
    with demo_copy.connect() as conn:
        row = conn.execute(
            text("SELECT role, township_id FROM app_user WHERE username = 'clerk'")
        ).one()
    assert tuple(row) == ("township", town_id)


# ------------------------------------------------- the register, the warnings, public reports


def _warning(engine: Engine, township_id: int, key: str) -> int:
    with engine.begin() as conn:
        return conn.execute(
            text(
                "INSERT INTO early_warning (key, rule, township_id, raised_on, raised_at) "
                "VALUES (:k, 'registered_unpatrolled', :t, '2026-11-01', "
                "'2026-11-01 08:00+08') RETURNING id"
            ),
            {"k": key, "t": township_id},
        ).scalar_one()


def test_warnings_and_the_register_of_another_township_are_refused(two: Two) -> None:
    from duty.register import register_for
    from reports.early_warning import WarningRefused, acknowledge, close, warnings_for

    staff = two.staff
    home, away = _warning(two.engine, two.home, "t-home"), _warning(two.engine, two.away, "t-away")
    with session_scope(two.engine) as s:
        seen = warnings_for(s, staff)
        assert set(seen["id"]) >= {home} and away not in set(seen["id"])
        refused(warnings_for, s, staff, two.away)
        refused(register_for, s, staff, two.away)
        register_for(s, staff)  # its own township's register
        assert away in set(warnings_for(s, ANALYST)["id"])  # the county sees both
    for act in (acknowledge, lambda s, u, w: close(s, u, w, "done")):
        with session_scope(two.engine) as s, pytest.raises(WarningRefused) as info:
            act(s, staff, away)  # as unknown as a missing one: its existence is not theirs
        assert info.value.code == "warning_not_found"
    with session_scope(two.engine) as s:
        acknowledge(s, staff, home)
        close(s, staff, home, "已处理")
    assert _one(
        two.engine, "SELECT acknowledged_at IS NULL FROM early_warning WHERE id = :i", i=away
    )[0]


def test_public_report_moderation_is_confined_to_the_township(two: Two) -> None:
    from tickets.public_reports import list_reports, moderation_scope

    assert moderation_scope(two.staff) == two.home
    assert moderation_scope(ANALYST) is None
    assert moderation_scope(shell_operator()) is None
    from data.demo_public import add_demo_public_reports

    add_demo_public_reports(two.engine, 1)
    elsewhere = _one(
        two.engine, "SELECT count(*) FROM public_report WHERE township_id <> :h", h=two.home
    )[0]
    assert elsewhere > 0  # else the test below proves nothing
    with session_scope(two.engine) as s:
        mine = list_reports(s, two.staff)
        everyone = list_reports(s, ANALYST)
    assert set(mine["township"]) <= {two.home_name}
    assert len(everyone) - len(mine) == elsewhere
