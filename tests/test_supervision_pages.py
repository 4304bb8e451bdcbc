"""The supervision and volunteer pages through AppTest, per role: what each shows, what each
role may do there, and a refused check-in said in the user's language with nothing stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import streamlit as st
from sqlalchemy import Engine, text
from streamlit.testing.v1 import AppTest

from accounts.auth import SignedIn
from db.database import session_scope
from duty import supervision as sv
from duty import volunteers
from tests.test_ingest import NOW, deputy, track_through
from tests.test_supervision import SHELL
from tests.test_volunteers import MEMBERS_CSV, TEAMS_CSV
from tracks.synth import to_gpx_bytes
from ui import session

ROOT = Path(__file__).resolve().parent.parent
VIEWS = ROOT / "views"
TIMEOUT = 90

LEADER = SignedIn(2, "leader", "leader", None, "人大常委会领导")
ANALYST = SignedIn(3, "analyst", "analyst", None, "人大工委分析员")
DEPUTY = SignedIn(9, "d0001", "deputy", 1, "代表")


@pytest.fixture
def prepared(demo_copy: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A demo copy with one group (a visit in November 2026) and two volunteer teams, one of
    whose members patrolled on the lunar 15th; the pages read it."""
    with demo_copy.connect() as conn:
        town = conn.scalar(text("SELECT name FROM township ORDER BY code LIMIT 1"))
    with session_scope(demo_copy) as s:
        sv.add_group(s, SHELL, "G1", "第一督查组", "周主任", "常委会副主任", date(2026, 1, 1))
        sv.assign_township(s, SHELL, "G1", town, date(2026, 1, 1))
        sv.record_checkin(
            s,
            SHELL,
            "G1",
            town,
            "村口排污口",
            datetime(2026, 11, 12, 2, 0, tzinfo=UTC),
            [sv.NewFinding("排污口仍在直排")],
        )
        volunteers.import_teams(s, SHELL, TEAMS_CSV.encode(), "teams.csv")
        volunteers.import_members(s, SHELL, MEMBERS_CSV.encode(), "members.csv")
        member = volunteers.member_id_by_code(s, "V1")
    _, site = deputy(demo_copy, "D0001")
    lon, lat, t = track_through(
        demo_copy, site, start_s=datetime(2026, 11, 23, 1, 0, tzinfo=UTC).timestamp(), seed=8
    )
    with session_scope(demo_copy) as s:
        volunteers.ingest_volunteer_gpx(
            s, to_gpx_bytes(lon, lat, t), "v1.gpx", member_id=member, uploader=SHELL, now=NOW
        )
    monkeypatch.setenv("DATABASE_URL", demo_copy.url.render_as_string(hide_password=False))
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield demo_copy
    st.cache_data.clear()
    st.cache_resource.clear()


def _page(name: str, user: SignedIn | None, **state: object) -> AppTest:
    at = AppTest.from_file(str(VIEWS / f"{name}.py"), default_timeout=TIMEOUT)
    if user is not None:
        at.session_state[session.USER] = user
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def _forms(at: AppTest) -> dict:
    return {f.proto.form.form_id: f for f in at.get("form")}


def _frames(at: AppTest) -> list:
    return [d.value for d in at.dataframe]


@pytest.mark.parametrize("page", ["supervision", "volunteers"])
def test_leaders_and_staff_open_the_pages_deputies_and_strangers_do_not(
    prepared: Engine, page: str
) -> None:
    for user in (LEADER, ANALYST):
        at = _page(page, user)
        assert not at.exception, at.exception
        assert not at.error, [e.value for e in at.error]
    at = _page(page, DEPUTY)
    assert "无权查看" in at.error[0].value
    at = _page(page, None)
    assert "请先登录" in at.warning[0].value


def test_the_supervision_page_lists_groups_visits_and_townships(prepared: Engine) -> None:
    at = _page("supervision", LEADER, sup_from=date(2026, 11, 1), sup_to=date(2026, 11, 30))
    groups, visits, towns = _frames(at)[:3]
    assert groups["带队领导"].tolist() == ["周主任（常委会副主任）"]
    assert visits[["方式", "地点", "督查发现"]].values.tolist() == [
        ["现场签到", "村口排污口", "排污口仍在直排"]
    ]
    assert int(towns["督查次数"].sum()) == 1
    maps = at.get("component_instance")
    assert len(maps) == 1 and "leaflet" in json.loads(maps[0].proto.json_args)["script"].lower()
    # a leader records visits but manages no group; an analyst does both
    assert "sup_checkin" in _forms(at) and "sup_new_group" not in _forms(at)
    at = _page("supervision", ANALYST)
    assert "sup_new_group" in _forms(at)


def test_a_refused_check_in_says_why_and_stores_nothing(prepared: Engine) -> None:
    at = _page("supervision", LEADER)
    form = _forms(at)["sup_checkin"]
    form.text_area[0].input("水面有漂浮物")  # a finding, but no place
    form.button[0].click()
    at.run()
    assert not at.exception
    assert any("签到须填写督查地点" in e.value for e in at.error), [e.value for e in at.error]
    with prepared.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM supervision_visit")) == 1


def test_the_volunteer_page_shows_duty_done_and_missed(prepared: Engine) -> None:
    at = _page("volunteers", LEADER, vol_month=(2026, 11))
    assert not at.exception, at.exception
    text_shown = "\n".join(m.value for m in at.markdown)
    assert "农历十五" in text_shown and "月末" in text_shown
    duty = _frames(at)[-1]
    rows = {(r["编码"], r["巡河日"]): r["完成情况"] for _, r in duty.iterrows()}
    assert rows[("V1", "2026年11月23日")] == "已完成"
    assert rows[("V1", "2026年11月30日")] == "未巡"
    members = _frames(at)[1]
    assert "13900000011" not in members.to_string()  # contact never shown
    # uploads and imports are staff's: a leader sees neither form
    assert not {"vol_upload", "vol_import"} & set(_forms(at))
    at = _page("volunteers", ANALYST, vol_month=(2026, 11))
    assert {"vol_upload", "vol_import"} <= set(_forms(at))


def test_the_coverage_map_draws_the_volunteer_layer(prepared: Engine) -> None:
    at = _page("coverage", LEADER, **{session.COVERAGE_MONTH: (2026, 11)})
    assert not at.exception, at.exception
    script = json.loads(at.get("component_instance")[0].proto.json_args)["script"]
    # folium writes non-ASCII text as JSON escapes
    for word in ("志愿者巡河轨迹", "王骑手", "城关骑行河长队"):
        assert json.dumps(word)[1:-1] in script or word in script, word


def test_a_leader_records_a_check_in_with_two_findings(prepared: Engine) -> None:
    at = _page("supervision", LEADER)
    form = _forms(at)["sup_checkin"]
    form.text_input[0].input("桥头公示牌")
    form.date_input[0].set_value(date(2026, 11, 20))
    form.text_area[0].input("公示牌缺失\n岸边有垃圾")
    form.button[0].click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "已保存督查记录" in at.success[0].value
    with prepared.connect() as conn:
        place, n = conn.execute(
            text(
                "SELECT v.place, count(f.id) FROM supervision_visit v JOIN supervision_finding f "
                "ON f.visit_id = v.id GROUP BY v.id ORDER BY v.id DESC LIMIT 1"
            )
        ).one()
    assert (place, n) == ("桥头公示牌", 2)


def test_the_check_in_defaults_to_now_and_saves_early_in_the_morning(prepared: Engine) -> None:
    """At 06:47 the form offers today 06:45 (not 09:00, which the service refused as in the
    future until nine): saved as it stands, with a place and a finding."""
    import time_machine

    from core import clock

    early = datetime(2026, 11, 25, 6, 47, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(early, tick=True):
        at = _page("supervision", LEADER)
        form = _forms(at)["sup_checkin"]
        assert form.date_input[0].value == date(2026, 11, 25)
        assert form.time_input[0].value == time(6, 45)
        form.text_input[0].input("清晨河埠头")
        form.text_area[0].input("水面有漂浮物")
        form.button[0].click()
        at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "已保存督查记录" in at.success[0].value
    with prepared.connect() as conn:
        place, started = conn.execute(
            text("SELECT place, started_at FROM supervision_visit ORDER BY id DESC LIMIT 1")
        ).one()
    assert place == "清晨河埠头"
    assert started.astimezone(clock.zone()) == early.replace(minute=45, second=0)


def test_the_supervision_map_draws_the_county_and_township_outlines(prepared: Engine) -> None:
    at = _page("supervision", LEADER, sup_from=date(2026, 11, 1), sup_to=date(2026, 11, 30))
    assert not at.exception, at.exception
    script = json.loads(at.get("component_instance")[0].proto.json_args)["script"]
    # add_outlines: the county's solid line and the townships' dashed one, as on other maps
    assert '"weight": 2.5' in script and '"dashArray": "6 4"' in script
    assert "shuijian-label-township" in script
