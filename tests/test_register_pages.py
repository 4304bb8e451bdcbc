"""The register and warnings pages through AppTest, per role, on a copy of the demo county
with its demo tickets and the scan the demo load runs (registered sites and warnings are
there after it); a leader reads, an analyst acknowledges and closes, a deputy is refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import streamlit as st
import time_machine
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Selectbox

from accounts.auth import SignedIn
from data.demo_tickets import add_demo_tickets
from reports.early_warning import refresh_demo
from ui import session

ROOT = Path(__file__).resolve().parent.parent
REGISTER = str(ROOT / "views" / "register.py")
WARNINGS = str(ROOT / "views" / "warnings.py")
TIMEOUT = 60
LAST_DAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


@pytest.fixture
def with_warnings(demo_copy: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The demo county with its tickets, then the demo's scan as of its last day."""
    with time_machine.travel(NOW, tick=False):
        add_demo_tickets(demo_copy, 2026, date(2026, 10, 1), LAST_DAY)
        with Session(demo_copy) as s:
            report = refresh_demo(s, LAST_DAY)
            s.commit()
    assert report.raised > 0
    monkeypatch.setenv("DATABASE_URL", demo_copy.url.render_as_string(hide_password=False))
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    with time_machine.travel(NOW, tick=True):
        yield demo_copy
    st.cache_data.clear()
    st.cache_resource.clear()


def _user(engine: Engine, role: str) -> SignedIn:
    with engine.begin() as conn:
        user_id = conn.scalar(
            text(
                "INSERT INTO app_user (username, password_hash, role) VALUES (:u, 'x', :r) "
                "ON CONFLICT (username) DO UPDATE SET role = excluded.role RETURNING id"
            ),
            {"u": f"{role}-pages", "r": role},
        )
    return SignedIn(int(user_id), f"{role}-pages", role, None, role)


def _page(path: str, user: SignedIn | None, english: bool = False) -> AppTest:
    at = AppTest.from_file(path, default_timeout=TIMEOUT)
    at.session_state[session.ENGLISH] = english
    if user is not None:
        at.session_state[session.USER] = user
    return at.run()


def test_demo_has_registered_sites_and_warnings(with_warnings: Engine) -> None:
    with with_warnings.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM site_registration")) > 0
        rules = set(conn.scalars(text("SELECT DISTINCT rule FROM early_warning")))
    assert {"overdue_in_a_row", "registered_unpatrolled"} <= rules


def test_the_register_page_per_role(with_warnings: Engine) -> None:
    at = _page(REGISTER, _user(with_warnings, "leader"))
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["问题点位挂号销号台账"]
    table = at.dataframe[0].value
    assert {"状态", "点位", "挂号日期", "交办单"} <= set(table.columns)
    assert "挂号中" in set(table["状态"])
    assert int(at.metric[0].value) == (table["状态"] == "挂号中").sum()
    english = _page(REGISTER, _user(with_warnings, "analyst"), english=True)
    assert [t.value for t in english.title] == ["Register of sites with confirmed problems"]
    deputy = SignedIn(99, "d0001", "deputy", 1, "代表")
    assert "无权查看" in _page(REGISTER, deputy).error[0].value
    assert "请先登录" in _page(REGISTER, None).warning[0].value


def test_the_warnings_page_leader_reads_analyst_acts(with_warnings: Engine) -> None:
    leader = _page(WARNINGS, _user(with_warnings, "leader"))
    assert not leader.exception, leader.exception
    assert [t.value for t in leader.title] == ["预警管理"]
    assert "连续逾期未巡" in set(leader.dataframe[0].value["类型"])
    assert not leader.button  # leaders see; staff act

    analyst = _page(WARNINGS, _user(with_warnings, "analyst"))
    assert not analyst.exception, analyst.exception
    picked = analyst.selectbox(key="shuijian_warnings_pick").value
    analyst.button[0].click().run()  # acknowledge
    assert not analyst.exception and analyst.success[0].value == "已签收。"
    analyst.selectbox(key="shuijian_warnings_pick").set_value(picked).run()
    analyst.button[1].click().run()  # close without a note: refused, said in words
    assert "须填写处理情况" in analyst.error[0].value
    analyst.text_input(key="shuijian_warnings_note").input("已督促代表补巡").run()
    analyst.button[1].click().run()
    assert analyst.success[0].value == "已办结。"
    with with_warnings.connect() as conn:
        row = conn.execute(
            text(
                "SELECT close_note, u.username FROM early_warning w "
                "JOIN app_user u ON u.id = w.closed_by WHERE w.id = :i"
            ),
            {"i": picked},
        ).one()
    assert tuple(row) == ("已督促代表补巡", "analyst-pages")

    deputy = SignedIn(99, "d0001", "deputy", 1, "代表")
    assert "无权查看" in _page(WARNINGS, deputy).error[0].value


def _browser_shows(box: Selectbox, before: str) -> str:
    """The label a browser's picker shows after a run: the one the page set, else the one it
    showed if still offered, else the default. (AppTest itself re-labels the stored value,
    which hides a picker that lost its choice.)"""
    if box.proto.set_value:
        return box.proto.raw_value
    return before if before in box.options else box.options[box.proto.default]


def test_the_warning_acknowledged_is_the_one_closed(with_warnings: Engine) -> None:
    """Acknowledging changes the chosen warning's label in the picker (待签收 → 已签收); the
    picker keeps that warning, so the close in the next run closes the same one."""
    analyst = _page(WARNINGS, _user(with_warnings, "analyst"))
    assert not analyst.exception, analyst.exception
    picker = analyst.selectbox(key="shuijian_warnings_pick")
    assert len(picker.options) > 1
    picker.select_index(1).run()  # not the first: a picker reset to the first would show
    picker = analyst.selectbox(key="shuijian_warnings_pick")
    picked, before = picker.value, picker.options[1]
    assert before.startswith("待签收 · ")
    analyst.text_input(key="shuijian_warnings_note").input("已阅")
    analyst.button[0].click().run()  # acknowledge
    assert not analyst.exception, analyst.exception
    assert analyst.success[0].value == "已签收。"
    picker = analyst.selectbox(key="shuijian_warnings_pick")
    shown = _browser_shows(picker, before)
    assert shown == before.replace("待签收", "已签收", 1)
    assert analyst.text_input(key="shuijian_warnings_note").value == ""  # not the close's note
    picker.select_index(picker.options.index(shown))  # what the browser sends back
    analyst.text_input(key="shuijian_warnings_note").input("已联系代表补巡")
    analyst.button[1].click().run()  # close, in the next run
    assert not analyst.exception, analyst.exception
    assert analyst.success[0].value == "已办结。"
    with with_warnings.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT w.id, w.closed_at IS NOT NULL, w.acknowledge_note, w.close_note "
                "FROM early_warning w JOIN app_user u ON u.id IN (w.acknowledged_by, w.closed_by) "
                "WHERE u.username = 'analyst-pages'"
            )
        ).all()
    assert [tuple(r) for r in rows] == [(picked, True, "已阅", "已联系代表补巡")]
