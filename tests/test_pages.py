"""The Streamlit pages through AppTest: the sign-in form, the guard, the overview, the English
switch (signing in itself is the gate's, tested over HTTP in test_gate.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from accounts.auth import SignedIn
from ui import session

# Reads today's date, but the calendar's edges are the date rules' own tests': run again under the
# first two frozen dates only (tests/clock.py).
pytestmark = pytest.mark.clock_sample

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
OVERVIEW = str(ROOT / "views" / "overview.py")
ACCOUNT = str(ROOT / "views" / "account.py")
TIMEOUT = 60

LEADER = SignedIn(
    user_id=2, username="leader", role="leader", deputy_id=None, display_name="人大常委会领导"
)
DEPUTY = SignedIn(user_id=9, username="d0001", role="deputy", deputy_id=1, display_name="代表")


@pytest.fixture(autouse=True)
def demo_database(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every page talks to the demo database; no cached engine or query outlives a test."""
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def _texts(at: AppTest) -> str:
    parts = [e.value for e in (*at.error, *at.warning, *at.markdown, *at.caption, *at.title)]
    return "\n".join(str(p) for p in parts)


def _form(at: AppTest) -> str:
    """The sign-in form the page shows (st.html): it posts to the web gate (ui/gate.py)."""
    return "\n".join(h.proto.body for h in at.get("html"))


def test_the_login_page_shows_the_gate_form() -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["登录水监"]
    form = _form(at)
    assert 'method="post"' in form and 'action="/account/sign-in?' in form
    assert "用户名" in form and 'type="password"' in form
    assert session.USER not in at.session_state


def test_the_login_page_says_a_password_was_changed_once() -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[session.FLASH] = "password_changed"
    at.run()
    assert "密码已修改" in at.success[0].value
    at.run()
    assert not at.success


def test_a_signed_in_leader_lands_on_today() -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[session.USER] = LEADER
    at.run()
    assert not at.exception
    assert not at.error
    assert "今日水环境监督概况" in [t.value for t in at.title]
    assert len(at.metric) > 0


def test_overview_shows_figures_and_the_map() -> None:
    at = AppTest.from_file(OVERVIEW, default_timeout=TIMEOUT)
    at.session_state[session.USER] = LEADER
    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["乡镇（街道）"] == "14"
    assert (metrics["大网格"], metrics["中网格"], metrics["小网格"]) == ("15", "192", "932")
    assert metrics["养殖场"] == "115"
    assert metrics["已落实联系代表"] == "100%"
    maps = at.get("component_instance")
    assert len(maps) == 1
    args = json.loads(maps[0].proto.json_args)
    assert "L.geoJson" in args["script"] and "map_div" in args["script"]
    # The iframe loads Leaflet from the app itself and nothing else.
    assert args["js_links"] == ["/app/static/vendor/leaflet/leaflet.js"]
    assert args["css_links"] == ["/app/static/vendor/leaflet/leaflet.css"]


def test_township_filter_changes_the_figures() -> None:
    at = AppTest.from_file(OVERVIEW, default_timeout=TIMEOUT)
    at.session_state[session.USER] = LEADER
    at.run()
    options = at.selectbox(key=session.TOWNSHIP).options
    assert options[0] == "全县" and len(options) == 15
    at.selectbox(key=session.TOWNSHIP).select_index(1).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["乡镇（街道）"] == "1"
    assert int(metrics["小网格"]) < 932


def test_a_visitor_who_is_not_signed_in_is_stopped() -> None:
    at = AppTest.from_file(OVERVIEW, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "请先登录" in at.warning[0].value
    assert not at.metric
    assert not at.get("component_instance")


def test_a_deputy_may_not_open_the_overview() -> None:
    at = AppTest.from_file(OVERVIEW, default_timeout=TIMEOUT)
    at.session_state[session.USER] = DEPUTY
    at.run()
    assert not at.exception
    assert "无权查看" in at.error[0].value
    assert not at.metric


def test_a_deputy_sees_the_account_page() -> None:
    at = AppTest.from_file(ACCOUNT, default_timeout=TIMEOUT)
    at.session_state[session.USER] = DEPUTY
    at.run()
    assert not at.exception
    assert not at.error
    assert "代表" in _form(at)


def test_the_english_switch_changes_labels() -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert "用户名" in _form(at)
    at.sidebar.toggle(key=session.ENGLISH).set_value(True).run()
    assert not at.exception
    assert "User name" in _form(at) and "用户名" not in _form(at)
    assert "lang=en" in _form(at)
    assert [t.value for t in at.title] == ["Sign in to Shuijian"]


def test_sign_out_returns_to_the_login_page() -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[session.USER] = LEADER
    at.run()
    assert "今日水环境监督概况" in [t.value for t in at.title]
    at.sidebar.button(key="shuijian_sign_out").click().run()
    assert not at.exception
    assert session.USER not in at.session_state
    assert [t.value for t in at.title] == ["登录水监"]


def test_a_signed_in_deputy_lands_on_my_sites() -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[session.USER] = DEPUTY
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["我的点位"]
    assert not at.get("component_instance")


def test_home_says_which_page_the_gate_turned_away() -> None:
    """The gate sends a deputy who opens /evaluation home with ?denied=evaluation: home says
    so once, and a name that is no page is ignored."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[session.USER] = DEPUTY
    at.query_params["denied"] = "evaluation"
    at.run()
    assert not at.exception
    assert any("不对您的角色开放" in w.value for w in at.warning)
    at.run()
    assert not any("不对您的角色开放" in w.value for w in at.warning)
    other = AppTest.from_file(APP, default_timeout=TIMEOUT)
    other.session_state[session.USER] = DEPUTY
    other.query_params["denied"] = "../etc"
    other.run()
    assert not other.exception and not any("开放" in w.value for w in other.warning)
