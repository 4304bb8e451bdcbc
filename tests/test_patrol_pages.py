"""The patrol pages through AppTest: who may open them, and what each one shows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from accounts.auth import SignedIn
from core import clock
from tests.test_ingest import deputy, ingest, signed_in, track_through
from tracks.synth import to_gpx_bytes
from ui import session

# Reads today's date: run again under each frozen date (tests/clock.py).
pytestmark = pytest.mark.clock

ROOT = Path(__file__).resolve().parent.parent
VIEWS = ROOT / "views"
TIMEOUT = 90

LEADER = SignedIn(2, "leader", "leader", None, "人大常委会领导")
ANALYST = SignedIn(3, "analyst", "analyst", None, "人大工委分析员")
DEPUTY = SignedIn(9, "d0001", "deputy", 1, "代表")


@pytest.fixture(autouse=True)
def fresh_caches(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No cached engine or query outlives a test; no basemap key."""
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def demo(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", demo_url)


def _page(name: str, user: SignedIn | None) -> AppTest:
    at = AppTest.from_file(str(VIEWS / f"{name}.py"), default_timeout=TIMEOUT)
    if user is not None:
        at.session_state[session.USER] = user
    return at.run()


@pytest.mark.parametrize(
    ("page", "allowed", "refused"),
    [
        ("upload", DEPUTY, LEADER),
        ("patrols", ANALYST, LEADER),
        ("due", LEADER, None),
        ("coverage", LEADER, DEPUTY),
    ],
)
def test_each_page_renders_for_an_allowed_role_and_refuses_others(
    demo: None, page: str, allowed: SignedIn, refused: SignedIn | None
) -> None:
    at = _page(page, allowed)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title
    if refused is not None:
        at = _page(page, refused)
        assert not at.exception
        assert "无权查看" in at.error[0].value
    at = _page(page, None)
    assert "请先登录" in at.warning[0].value


def test_the_due_page_counts_statuses_and_offers_excel(demo: None) -> None:
    at = _page("due", DEPUTY)
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    total = int(metrics["监督点位"])
    assert total > 0
    assert sum(int(metrics[k]) for k in ("正常", "即将到期", "已逾期")) == total
    buttons = at.get("download_button")
    assert len(buttons) == 1
    assert "下载 Excel" in buttons[0].proto.label
    # an analyst sees every deputy's rows
    assert int({m.label: m.value for m in _page("due", ANALYST).metric}["监督点位"]) > total


def test_the_coverage_page_draws_the_map_offline(demo: None) -> None:
    at = _page("coverage", LEADER)
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert labels[0] == "按期巡查占比" and "小网格死角" in labels
    maps = at.get("component_instance")
    assert len(maps) == 1
    args = json.loads(maps[0].proto.json_args)
    assert "L.geoJson" in args["script"] and "shuijian-legend" in args["script"]
    # the legend is emitted through tojson, which escapes non-ASCII text
    assert json.dumps("死角")[1:-1] in args["script"]
    assert args["js_links"] == ["/app/static/vendor/leaflet/leaflet.js"]
    at.radio(key=session.COVERAGE_LEVEL).set_value(1).run()
    assert not at.exception
    assert len(at.get("component_instance")) == 1


def test_patrols_page_lists_a_flagged_patrol_and_records_a_review(
    demo_copy: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", demo_copy.url.render_as_string(hide_password=False))
    dep1, site = deputy(demo_copy, "D0001")
    dep2, _ = deputy(demo_copy, "D0002")
    # Within the page's default 90 days before today, whatever day today is.
    start = (clock.now() - timedelta(days=5)).timestamp()
    lon, lat, t = track_through(demo_copy, site, start_s=start)
    now = clock.now()
    ingest(demo_copy, to_gpx_bytes(lon, lat, t, name="o"), "o.gpx", dep1, now=now)
    copy = ingest(demo_copy, to_gpx_bytes(lon, lat, t + 86400, name="c"), "c.gpx", dep2, now=now)
    assert copy.flags

    analyst = signed_in(demo_copy, "analyst")
    at = _page("patrols", analyst)
    assert not at.exception
    assert len(at.dataframe) >= 2
    at.checkbox(key=session.PATROL_FLAGGED).check().run()
    assert at.selectbox(key=session.PATROL_SELECTED).value == copy.patrol_id
    assert len(at.get("component_instance")) == 1
    assert any("疑似复制" in w.value for w in at.warning)
    # A review needs a reason.
    at.button[0].click().run()
    assert "请填写审核理由" in at.error[0].value
    at.text_area(key=session.REVIEW_REASON).input("现场核实，代表同行")
    at.button[0].click().run()
    assert not at.exception
    assert any("审核已记录" in s.value for s in at.success)
    assert at.dataframe[-1].value["决定"].tolist() == ["接受（计入巡查）"]  # the review history

    # The deputy sees only their own patrol, and no review form.
    own = _page("patrols", signed_in(demo_copy, "d0001"))
    assert not own.exception
    assert len(own.selectbox(key=session.PATROL_SELECTED).options) == 1
    assert not own.text_area


def test_a_link_opens_the_due_list_on_its_status_and_township(demo: None) -> None:
    """今日概况 links its overdue count to the due list with ?status=overdue: the table then
    lists only those, and a later choice of the user sticks."""
    at = AppTest.from_file(str(VIEWS / "due.py"), default_timeout=TIMEOUT)
    at.session_state[session.USER] = LEADER
    at.query_params["status"] = "overdue"
    at.query_params["township"] = "nowhere"  # not offered: ignored
    at.run()
    assert not at.exception
    assert at.selectbox(key=session.DUE_STATUS).value == "overdue"
    assert at.selectbox(key=session.DUE_TOWNSHIP).value is None
    overdue = int({m.label: m.value for m in at.metric}["已逾期"])
    table = getattr(at.dataframe[0].value, "data", at.dataframe[0].value) if at.dataframe else None
    if overdue:
        assert table is not None and len(table) == overdue
        assert set(table["状态"]) == {"已逾期"}
    at.selectbox(key=session.DUE_STATUS).set_value(None).run()
    assert at.selectbox(key=session.DUE_STATUS).value is None
