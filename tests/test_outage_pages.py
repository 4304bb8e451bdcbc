"""A database outage on the pages: one sentence in the user's language, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import make_url
from streamlit.testing.v1 import AppTest

from accounts.auth import SignedIn
from ui import session

# Reads today's date, but the calendar's edges are the date rules' own tests': run again under the
# first two frozen dates only (tests/clock.py).
pytestmark = pytest.mark.clock_sample

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
TIMEOUT = 60
LEADER = SignedIn(2, "leader", "leader", None, "人大常委会领导")
DEPUTY = SignedIn(9, "d0001", "deputy", 1, "代表")


@pytest.fixture
def database_down(server_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """DATABASE_URL names a port where nothing listens (credentials and all else valid)."""
    down = make_url(server_url).set(host="127.0.0.1", port=1, database="shuijian")
    monkeypatch.setenv("DATABASE_URL", down.render_as_string(hide_password=False))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


def _all_text(at: AppTest) -> str:
    parts = [e.value for e in (*at.error, *at.warning, *at.markdown, *at.caption, *at.title)]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize(
    ("english", "sentence"),
    [
        (False, "数据库暂不可用，请稍后再试"),
        (True, "The database is unavailable. Please try again later."),
    ],
)
def test_resuming_a_sign_in_during_an_outage_says_so_once(
    database_down: None, monkeypatch: pytest.MonkeyPatch, english: bool, sentence: str
) -> None:
    """Behind the gate every run resumes the user from the database: down, the app says so
    once (the sign-in form during an outage is the gate's, tests/test_gate.py)."""
    monkeypatch.setenv("SHUIJIAN_GATE", "1")
    monkeypatch.setattr(session, "_cookie_token", lambda: "a-session-token")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[session.ENGLISH] = english
    at.run()
    assert not at.exception
    text = _all_text(at)
    assert text.count(sentence) == 1
    assert "OperationalError" not in text and "127.0.0.1" not in text and "port" not in text


@pytest.mark.parametrize(
    ("user", "page"),
    [
        (LEADER, "overview"),
        (LEADER, "coverage"),
        (LEADER, "evaluation"),
        (LEADER, "issues_map"),
        (DEPUTY, "my_sites"),
        (DEPUTY, "due"),
        (DEPUTY, "patrols"),
        (DEPUTY, "worklist"),
        (DEPUTY, "report"),
        (None, "public"),
    ],
)
def test_every_page_survives_an_outage(
    database_down: None, user: SignedIn | None, page: str
) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if user is not None:
        at.session_state[session.USER] = user
    at.switch_page(f"views/{page}.py")
    at.run()
    assert not at.exception, at.exception
    text = _all_text(at)
    assert "数据库暂不可用，请稍后再试" in text, text
    assert "Traceback" not in text and "OperationalError" not in text


def test_the_upload_page_opens_without_the_database(database_down: None) -> None:
    """It needs the database only when files are sent (then each file's verdict says so)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[session.USER] = DEPUTY
    at.switch_page("views/upload.py")
    at.run()
    assert not at.exception and "上传巡查轨迹" in [t.value for t in at.title]
