"""The city's ranking pages through AppTest, on the two counties of tests/test_city_ranking.py:
a city analyst reads the draft with every indicator and publishes it, a city leader reads
but may not publish, a county leader is turned away, and the open page shows what was
published — to anyone, with nobody's name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
import time_machine
from sqlalchemy import Engine, text
from streamlit.testing.v1 import AppTest

from accounts.audit import Operator
from accounts.auth import SignedIn
from reports.city_ranking_service import publish
from tests.test_city_ranking import MONTH, NOW, YEAR, build_first, build_second
from ui import session

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "views" / "city_ranking.py")
PUBLIC = str(ROOT / "views" / "city_ranking_public.py")
TIMEOUT = 60


@pytest.fixture
def city(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    build_first(engine)
    build_second(engine)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("SHUIJIAN_CITY_NAME", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    with time_machine.travel(NOW, tick=True):
        yield engine
    st.cache_data.clear()
    st.cache_resource.clear()


def _user(engine: Engine, role: str) -> SignedIn:
    with engine.begin() as conn:
        user_id = conn.scalar(
            text(
                "INSERT INTO app_user (username, password_hash, role, display_name) "
                "VALUES (:u, 'x', :r, '王分析') RETURNING id"
            ),
            {"u": f"{role}-pages", "r": role},
        )
    return SignedIn(int(user_id), f"{role}-pages", role, None, "王分析")


def _page(path: str, user: SignedIn | None, english: bool = False) -> AppTest:
    at = AppTest.from_file(path, default_timeout=TIMEOUT)
    at.session_state[session.ENGLISH] = english
    if user is not None:
        at.session_state[session.USER] = user
    return at.run()


def _shown(at: AppTest) -> str:
    """Everything on screen as text: headings, notes, messages, tables with their headers."""
    parts = [
        str(e.value)
        for e in (*at.title, *at.caption, *at.markdown, *at.info, *at.success, *at.error)
    ]
    for frame in at.dataframe:
        parts += [str(c) for c in frame.value.columns]
        parts += [str(v) for v in frame.value.to_numpy().ravel()]
    return "\n".join(parts)


def test_a_city_analyst_reads_the_draft_and_publishes_it(city: Engine) -> None:
    at = _page(PAGE, _user(city, "city_analyst"))
    assert not at.exception, at.exception
    assert at.selectbox(key="shuijian_city_ranking_month").value == (YEAR, MONTH)
    shown = _shown(at)
    assert "草稿" in shown
    table = at.dataframe[0].value
    assert table["县（市、区）"].tolist() == ["乙县", "甲县"]
    assert table["综合得分"].tolist() == ["100.00", "63.34"]
    first = table.set_index("县（市、区）").loc["甲县"]
    assert first["按期巡查率"] == "75.0%"
    assert first["按期巡查率得分（权重）"] == "40.00（53.33）"
    assert first["水质达标率得分（权重）"] == "缺项"
    assert first["督查频次"] == "0.50次/乡镇"
    at.button(key="shuijian_city_ranking_publish").click().run()
    assert not at.exception, at.exception
    assert any("已发布" in s.value for s in at.success)
    with city.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM city_ranking")) == 2
        actor = conn.scalar(text("SELECT actor FROM audit_event"))
    assert actor == "user:city_analyst-pages"
    # Published: the button gives way to a correction, which needs its reason.
    assert not [b for b in at.button if b.key == "shuijian_city_ranking_publish"]
    at.button(key="shuijian_city_ranking_supersede").click().run()
    assert [e.value for e in at.error] and "原因" in at.error[0].value
    # The bulletin's three files.
    at.button(key="shuijian_city_ranking_build").click().run()
    assert not at.exception, at.exception
    downloads = at.get("download_button")
    assert len(downloads) == 3


def test_a_city_leader_reads_in_english_but_may_not_publish(city: Engine) -> None:
    at = _page(PAGE, _user(city, "city_leader"), english=True)
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert table["County"].tolist() == ["乙县", "甲县"]
    assert "Patrolled on time: points (weight)" in table.columns
    assert not [b for b in at.button if b.key == "shuijian_city_ranking_publish"]
    assert [b for b in at.button if b.key == "shuijian_city_ranking_build"]


def test_a_county_leader_is_turned_away(city: Engine) -> None:
    at = _page(PAGE, _user(city, "leader"))
    assert not at.exception, at.exception
    assert [e.value for e in at.error] and not at.dataframe


def test_the_public_page_shows_what_was_published_and_nobody(city: Engine) -> None:
    empty = _page(PUBLIC, None)
    assert not empty.exception, empty.exception
    assert any("尚无已发布的排名" in i.value for i in empty.info)
    publish(city, Operator("王分析"), YEAR, MONTH)
    st.cache_data.clear()
    # Later data does not reach the page: it shows the rows as published.
    at = _page(PUBLIC, None)
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert table["县（市、区）"].tolist() == ["乙县", "甲县"]
    assert table["排名"].tolist() == ["1", "2"]
    shown = _shown(at)
    assert "2026年12月6日发布" in shown
    assert "王分析" not in shown and "cli:" not in shown  # not even who published it
    for deputy in ("甲县代表1", "乙县代表1"):
        assert deputy not in shown
    english = _page(PUBLIC, None, english=True)
    assert not english.exception
    assert "Published on" in _shown(english)
    assert "Score" in english.dataframe[0].value.columns
