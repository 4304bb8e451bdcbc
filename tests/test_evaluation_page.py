"""The evaluation page through AppTest: who may open it, the tables, the bulletin downloads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine, text
from streamlit.testing.v1 import AppTest

from accounts.auth import SignedIn
from core import clock
from db.database import session_scope
from reports.evaluation import evaluate_month, previous_months
from ui import session

# Reads today's date: run again under each frozen date (tests/clock.py).
pytestmark = pytest.mark.clock

PAGE = str(Path(__file__).resolve().parent.parent / "views" / "evaluation.py")
TIMEOUT = 120
LEADER = SignedIn(2, "leader", "leader", None, "人大常委会领导")
DEPUTY = SignedIn(9, "d0001", "deputy", 1, "代表")


@pytest.fixture(autouse=True)
def demo(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The page reads the demo database; no cached engine or query outlives a test."""
    monkeypatch.setenv("DATABASE_URL", demo_url)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def _page(user: SignedIn | None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    if user is not None:
        at.session_state[session.USER] = user
    return at.run()


def test_the_page_is_for_leaders_not_deputies() -> None:
    assert "无权查看" in _page(DEPUTY).error[0].value
    assert "请先登录" in _page(None).warning[0].value


def test_scores_weights_townships_and_the_bulletin_downloads() -> None:
    at = _page(LEADER)
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["代表履职月度评价"]
    deputies, townships = at.dataframe[0].value, at.dataframe[1].value
    assert len(deputies) == 382  # every demo deputy has sites
    assert {"综合得分", "按期巡查权重", "按期巡查得分", "异常轨迹扣分", "全县排名"} <= set(
        deputies.columns
    )
    assert len(townships) == 14 and "平均得分" in townships.columns
    assert any("综合得分 = 45×按期巡查率" in c.value for c in at.caption)
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")  # the trend
    assert not at.get("download_button")
    at.button(key="shuijian_evaluation_build").click().run()
    assert not at.exception, at.exception
    downloads = at.get("download_button")
    assert len(downloads) == 3
    labels = " ".join(str(d.proto.label) for d in downloads)
    assert "Word" in labels and "PDF" in labels and "Excel" in labels


def _shares(frame) -> list[str]:  # noqa: ANN001 — an AppTest dataframe's value
    value = getattr(frame.value, "data", frame.value)
    share = [c for c in value.columns if str(c).endswith("率")]
    return [str(v) for c in share for v in value[c]]


def test_the_figures_follow_the_township(demo_engine: Engine) -> None:
    """Every figure follows the township chosen; shares read as percentages (the walk saw
    1, 0.875, 0.7805)."""
    today = clock.today()
    year, month = previous_months(today.year, today.month, 2)[0]
    with session_scope(demo_engine) as s:
        county = evaluate_month(s, year, month)
    at = _page(LEADER)
    assert not at.exception and not at.error
    whole = {m.label: m.value for m in at.metric}
    assert int(whole["参评代表"]) == len(county)
    # Shares are percentages in every table.
    for frame in at.dataframe[:2]:
        cells = _shares(frame)
        assert cells and all(c.endswith("%") or c == "—" for c in cells), cells[:5]

    township_id = int(county["township_id"].value_counts().index[0])
    at.selectbox(key=session.EVALUATION_TOWNSHIP).set_value(township_id).run()
    assert not at.exception and not at.error
    own = county[county["township_id"] == township_id]
    narrowed = {m.label: m.value for m in at.metric}
    assert int(narrowed["参评代表"]) == len(own) < len(county)
    ranked = getattr(at.dataframe[1].value, "data", at.dataframe[1].value)
    assert len(ranked) == 1
    assert "通报按全县生成" in " ".join(c.value for c in at.caption)


def test_the_page_opens_on_the_last_closed_month_unless_it_had_no_assignment(
    demo_engine: Engine,
) -> None:
    from datetime import date

    from reports.evaluation import opening_month

    with session_scope(demo_engine) as s:
        first = s.scalar(text("SELECT min(valid_from) FROM assignment"))
        # A month after the first assignment began: the month before.
        later = date(first.year + 1, first.month, 2)
        assert opening_month(s, later) == previous_months(later.year, later.month, 2)[0]
        # The month the first assignment began in: nothing closed had one, so this month.
        assert opening_month(s, first) == (first.year, first.month)
