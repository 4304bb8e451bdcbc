"""The ticket pages through AppTest: who may open them, reporting through the form, the
ticket page's timeline and its action buttons (only those the lifecycle allows this user)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine, text
from streamlit.testing.v1 import AppTest

from accounts.auth import SignedIn
from db.database import session_scope
from tests.test_ingest import signed_in
from tests.test_reinspector import far_from_sites
from tests.test_ticket_queries import report, reporter_site
from tickets.service import Actor, NewProblem, platform_update, report_problem
from ui import session

# Reads today's date, but the calendar's edges are the date rules' own tests': run again under the
# first two frozen dates only (tests/clock.py).
pytestmark = pytest.mark.clock_sample

ROOT = Path(__file__).resolve().parent.parent
VIEWS = ROOT / "views"
TIMEOUT = 90
ACTION = session.TICKET_ACTION_PREFIX


@pytest.fixture(autouse=True)
def database(demo_copy: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """Every page talks to a writable copy of the demo; no cache outlives a test."""
    monkeypatch.setenv("DATABASE_URL", demo_copy.url.render_as_string(hide_password=False))
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield demo_copy
    st.cache_data.clear()
    st.cache_resource.clear()


def page(name: str, user: SignedIn | None, **query: str) -> AppTest:
    at = AppTest.from_file(str(VIEWS / f"{name}.py"), default_timeout=TIMEOUT)
    if user is not None:
        at.session_state[session.USER] = user
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def texts(at: AppTest) -> str:
    parts = [
        e.value
        for e in (
            *at.error,
            *at.warning,
            *at.success,
            *at.info,
            *at.markdown,
            *at.caption,
            *at.title,
            *at.subheader,
        )
    ]
    return "\n".join(str(p) for p in parts)


def widget(at: AppTest, base: str) -> str:
    """The report form's widget key for the current form (its nonce changes per report)."""
    return f"{base}_{at.session_state[session.REPORT_NONCE]}"


def action_buttons(at: AppTest) -> set[str]:
    return {b.key for b in at.button if b.key and b.key.startswith(ACTION)}


@pytest.mark.parametrize(
    ("name", "allowed", "refused"),
    [
        ("report", "d0001", "leader"),
        ("worklist", "analyst", "leader"),
        ("worklist", "d0001", None),
        ("issues_map", "leader", None),
        ("issues_map", "d0001", None),
        ("ticket", "leader", None),
    ],
)
def test_pages_render_for_allowed_roles_and_refuse_others(
    database: Engine, name: str, allowed: str, refused: str | None
) -> None:
    at = page(name, signed_in(database, allowed))
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title
    if refused is not None:
        at = page(name, signed_in(database, refused))
        assert not at.exception
        assert "无权查看" in at.error[0].value
    stranger = page(name, None)
    assert not stranger.exception
    assert "请先登录" in stranger.warning[0].value


def test_report_form_creates_a_ticket(database: Engine) -> None:
    user, site, lon, lat, _ = reporter_site(database)
    at = AppTest.from_file(str(VIEWS / "report.py"), default_timeout=TIMEOUT)
    at.session_state[session.USER] = user
    at.session_state[session.REPORT_POINT] = (lon, lat)
    at.run()
    assert not at.exception
    maps = at.get("component_instance")
    assert maps and "L.geoJson" in json.loads(maps[0].proto.json_args)["script"]
    assert "位置：" in texts(at)
    at.button(key=session.REPORT_SUBMIT).click().run()
    assert "请选择问题类别" in texts(at)  # nothing stored without a category
    at.selectbox(key=widget(at, session.REPORT_CATEGORY)).set_value("dead_fish").run()
    description = widget(at, session.REPORT_DESCRIPTION)
    at.text_area(key=description).input("水面漂着很多死鱼").run()
    at.button(key=session.REPORT_SUBMIT).click().run()
    assert not at.exception
    with database.connect() as conn:
        number, deputy_id, site_id, description = conn.execute(
            text("SELECT number, reporter_deputy_id, site_id, description FROM ticket")
        ).one()
    assert (deputy_id, site_id, description) == (user.deputy_id, site, "水面漂着很多死鱼")
    assert f"已上报，交办单号 {number}" in texts(at)
    # Ready for the next report: a fresh, empty form.
    assert at.text_area(key=widget(at, session.REPORT_DESCRIPTION)).value == ""

    # The same problem again: the open ticket nearby is offered to follow instead.
    at.session_state[session.REPORT_POINT] = (lon, lat)
    at.run()
    at.selectbox(key=widget(at, session.REPORT_CATEGORY)).set_value("dead_fish").run()
    assert "附近已有 1 件同类问题" in texts(at)
    follow = [b for b in at.button if b.key.startswith(session.REPORT_FOLLOW_PREFIX)]
    follow[0].click().run()
    assert f"已关注交办单 {number}" in texts(at)
    with database.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM ticket")) == 1
        assert conn.scalar(text("SELECT count(*) FROM ticket_follower")) == 1


def test_a_checklist_link_preselects_category_and_place(database: Engine) -> None:
    user, site, _, _, _ = reporter_site(database)
    at = page("report", user, category="dead_fish", site=str(site))
    assert not at.exception
    assert at.selectbox(key=widget(at, session.REPORT_CATEGORY)).value == "dead_fish"
    assert at.session_state[session.REPORT_SITE] == site
    assert "位置：" in texts(at)
    # A checklist item code is turned into its problem category.
    at = page("report", user, category="odour", site=str(site))
    assert at.selectbox(key=widget(at, session.REPORT_CATEGORY)).value == "sewage"


def test_ticket_page_shows_timeline_and_only_allowed_actions(database: Engine) -> None:
    number = report(database)
    reporter = signed_in(database, "d0001")
    at = page("ticket", reporter, number=number)
    assert not at.exception, at.exception
    assert number in "".join(h.proto.body for h in at.get("html"))
    timeline = at.dataframe[0].value
    assert list(timeline.iloc[:, 2]) == ["上报问题", "交办至平台"]
    assert action_buttons(at) == {f"{ACTION}_withdraw_submit"}
    assert at.get("component_instance")

    assert action_buttons(page("ticket", signed_in(database, "leader"), number=number)) == set()
    analyst = page("ticket", signed_in(database, "analyst"), number=number)
    # Withdrawal is the reporter's alone (accounts.permissions "withdraw_report").
    assert action_buttons(analyst) == {f"{ACTION}_accept_submit", f"{ACTION}_reject_submit"}
    analyst.button(key=f"{ACTION}_accept_submit").click().run()
    assert not analyst.exception
    assert "已完成：平台承办" in texts(analyst)
    assert list(analyst.dataframe[0].value.iloc[:, 2])[-1] == "平台承办"
    assert action_buttons(analyst) == {f"{ACTION}_feedback_submit"}

    with session_scope(database) as s:
        platform_update(s, "bianmin", number, "u-2", "feedback", comment="已打捞")
    at = page("ticket", reporter, number=number)
    assert action_buttons(at) == {f"{ACTION}_reinspect_submit"}
    # Re-inspection without proof is refused with the service's reason, the page stays.
    at.button(key=f"{ACTION}_reinspect_submit").click().run()
    assert not at.exception
    assert "没有到访证据" in at.error[0].value


def test_a_deputy_may_not_open_another_townships_ticket(database: Engine) -> None:
    number = report(database)
    with database.connect() as conn:
        stranger = conn.execute(
            text(
                "SELECT u.username FROM app_user u JOIN deputy d ON d.id = u.deputy_id "
                "JOIN ticket t ON t.number = :n WHERE d.township_id <> t.township_id "
                "ORDER BY u.id LIMIT 1"
            ),
            {"n": number},
        ).scalar_one()
    at = page("ticket", signed_in(database, stranger), number=number)
    assert not at.exception
    assert "您无权查看交办单" in at.error[0].value
    assert not at.metric


def test_worklists_list_what_waits(database: Engine) -> None:
    number = report(database)
    with session_scope(database) as s:
        platform_update(s, "bianmin", number, "u-1", "accept")
        platform_update(s, "bianmin", number, "u-2", "feedback")
    at = page("worklist", signed_in(database, "d0001"))
    assert not at.exception
    assert "待复查（1）" in texts(at) and number in texts(at)
    analyst = page("worklist", signed_in(database, "analyst"))
    assert "已逾期（0）" in texts(analyst) and "待交办（0）" in texts(analyst)


def test_issues_map_draws_tickets_and_rates(database: Engine) -> None:
    number = report(database)
    at = page("issues_map", signed_in(database, "leader"))
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["显示件数"] == "1" and metrics["交办处置率"] == "0%"
    assert metrics["办结率"] == "0%"
    assert "交办处置率 = 已处置件数 ÷ 交办件数" in texts(at)  # each rate with its definition
    assert "平台处置率：" in texts(at)
    script = json.loads(at.get("component_instance")[0].proto.json_args)["script"]
    assert number in script and "L.geoJson" in script
    assert len(at.dataframe) == 3  # per township, per platform, the list


def test_an_analyst_designates_who_reinspects_a_ticket_without_a_site(database: Engine) -> None:
    lon, lat = far_from_sites(database)
    with session_scope(database) as s:
        number = report_problem(
            s,
            NewProblem("bank_litter", "平台转来：沟渠垃圾", lon, lat),
            Actor("platform", platform="bianmin"),
            reporter_deputy_id=None,
            source="api:bianmin",
        ).number
    analyst = signed_in(database, "analyst")
    waiting = page("worklist", analyst)
    assert "待指定复查代表（1）" in texts(waiting) and number in texts(waiting)
    at = page("ticket", analyst, number=number)
    assert not at.exception, at.exception
    assert "尚无复查代表" in at.warning[0].value
    assert f"{ACTION}_designate_submit" in action_buttons(at)
    chosen = signed_in(database, "d0002")
    at.selectbox(key=f"{ACTION}_designate_deputy").set_value(chosen.deputy_id)
    at.button(key=f"{ACTION}_designate_submit").click().run()  # one run: the form submits
    assert not at.exception, at.exception
    assert "已完成：指定复查代表" in texts(at)
    with database.connect() as conn:
        name = conn.scalar(text("SELECT name FROM deputy WHERE id = :d"), {"d": chosen.deputy_id})
    assert f"复查代表：{name}（分析员指定）" in texts(at)
    assert list(at.dataframe[0].value.iloc[:, 2])[-1] == "指定复查代表"
    # The designated deputy may open it (wherever they live); nothing to do until fed back.
    theirs = page("ticket", chosen, number=number)
    assert not theirs.exception and not theirs.error
    assert action_buttons(theirs) == set()
    assert "待指定复查代表（0）" in texts(page("worklist", analyst))
