"""有奖举报's two pages through AppTest: the open report page (status by receipt, never the
phone; a refusal said in words), and the moderation page (accept into a ticket, reject
without a reason refused, the audited export; a deputy turned away)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from accounts.auth import SignedIn
from db.database import session_scope
from db.models import PublicReport
from tests.test_public_reports import DIGITS, Inbox, staff, submit
from ui import session

pytestmark = pytest.mark.clock

ROOT = Path(__file__).resolve().parent.parent
REPORT = str(ROOT / "views" / "report_public.py")
MODERATE = str(ROOT / "views" / "public_reports.py")
TIMEOUT = 60


@pytest.fixture
def db(demo_copy: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("DATABASE_URL", demo_copy.url.render_as_string(hide_password=False))
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield demo_copy
    st.cache_data.clear()
    st.cache_resource.clear()


def _all_text(at: AppTest) -> str:
    parts = [
        e.value for e in (*at.error, *at.warning, *at.info, *at.success, *at.markdown, *at.caption)
    ]
    return "\n".join(str(p) for p in parts)


def test_the_report_page_opens_without_an_account_and_follows_a_receipt(db: Engine) -> None:
    receipt = submit(db, Inbox())
    at = AppTest.from_file(REPORT, default_timeout=TIMEOUT).run()
    assert not at.exception and not at.error
    assert at.title[0].value == "有奖举报：水环境问题"
    assert len(at.get("component_instance")) == 1  # the map to click
    at.text_input(key="pr_phone_0").set_value("12345")
    at.button(key="pr_send_0").click().run()
    assert "请填写 11 位手机号码" in _all_text(at)  # refused in words, no traceback
    at.text_input(key="pr_phone_0").set_value(DIGITS)
    at.button(key="pr_send_0").click().run()
    shown = _all_text(at)  # no SMS hook set: said to try later, not a setting's name
    assert "暂时无法发送验证码" in shown and "SHUIJIAN" not in shown and "短信网关" not in shown
    at.button(key="pr_submit_0").click().run()
    assert not at.exception and at.error  # no photo, no code: said, nothing stored
    at.text_input(key="pr_receipt").set_value(receipt.lower())
    at.button[-1].click().run()
    shown = _all_text(at)
    assert "待审核" in shown and "污水直排" in shown
    assert DIGITS not in shown and "8000" not in shown


def test_moderators_accept_and_reject_on_their_page(db: Engine) -> None:
    submit(db, Inbox())
    submit(db, Inbox(), phone="13900139000", client="other")
    analyst = staff(db, "analyst")
    at = AppTest.from_file(MODERATE, default_timeout=TIMEOUT)
    at.session_state[session.USER] = analyst
    at.run()
    assert not at.exception and not at.error
    assert DIGITS not in _all_text(at)
    chosen = at.selectbox[1].value
    at.button(key=f"prm_reject_{chosen}").click().run()
    assert "不予受理需要填写理由" in _all_text(at)
    at.button(key=f"prm_accept_{chosen}").click().run()
    assert "已受理，交办单" in _all_text(at)
    at.button(key="prm_export_csv").click().run()
    assert not at.exception and at.get("download_button")
    with session_scope(db) as s:
        statuses = sorted(s.scalars(select(PublicReport.status)))
    assert statuses == ["accepted", "pending"]


def test_a_moderated_report_leaves_the_pending_list_at_once(db: Engine) -> None:
    """After an accept the page runs again: the report is no longer pending, its buttons are
    gone, and the picker holds a pending report, so the next click acts on what is shown."""
    for n, phone in enumerate(("13800138001", "13800138002", "13800138003")):
        submit(db, Inbox(), phone=phone, client=f"10.0.1.{n}")
    at = AppTest.from_file(MODERATE, default_timeout=TIMEOUT)
    at.session_state[session.USER] = staff(db, "analyst")
    at.run()
    assert not at.exception and not at.error
    picker = at.selectbox(key="shuijian_prm_pick")
    assert len(picker.options) == 3
    picker.select_index(1).run()  # not the first
    accepted = at.selectbox(key="shuijian_prm_pick").value
    at.button(key=f"prm_accept_{accepted}").click().run()
    assert not at.exception, at.exception
    assert "已受理，交办单" in _all_text(at)
    picker = at.selectbox(key="shuijian_prm_pick")
    assert len(picker.options) == 2
    assert not any(o.startswith(f"#{accepted} ") for o in picker.options)
    assert accepted not in set(at.dataframe[0].value["编号"])
    keys = {b.key for b in at.button}
    assert f"prm_accept_{accepted}" not in keys and f"prm_reject_{accepted}" not in keys

    rejected = picker.value
    assert rejected != accepted and f"prm_reject_{rejected}" in keys
    at.button(key=f"prm_reject_{rejected}").click().run()
    assert "不予受理需要填写理由" in _all_text(at)
    assert at.selectbox(key="shuijian_prm_pick").value == rejected  # the form stayed put
    at.text_input(key=f"prm_reason_{rejected}").input("照片与描述不符")
    at.button(key=f"prm_reject_{rejected}").click().run()
    assert not at.exception, at.exception
    assert "已不予受理" in _all_text(at)
    assert len(at.selectbox(key="shuijian_prm_pick").options) == 1
    with session_scope(db) as s:
        rows = s.execute(select(PublicReport.id, PublicReport.status))
        moderated = {r.id: r.status for r in rows}
        reason = s.scalar(select(PublicReport.reject_reason).where(PublicReport.id == rejected))
    assert moderated[accepted] == "accepted" and moderated[rejected] == "rejected"
    assert sorted(moderated.values()) == ["accepted", "pending", "rejected"]
    assert reason == "照片与描述不符"


def test_the_ledger_downloads_under_a_name_in_the_page_language(db: Engine) -> None:
    at = AppTest.from_file(MODERATE, default_timeout=TIMEOUT)
    at.session_state[session.USER] = staff(db, "analyst")
    at.run()
    at.button(key="prm_export_csv").click().run()
    assert not at.exception, at.exception
    (download,) = at.get("download_button")
    assert download.proto.label == "下载 奖励台账.csv"
    english = AppTest.from_file(MODERATE, default_timeout=TIMEOUT)
    english.session_state[session.USER] = staff(db, "analyst")
    english.session_state[session.ENGLISH] = True
    english.session_state["shuijian_prm_export"] = ("xlsx", b"PK")  # an export made before
    english.run()
    assert not english.exception, english.exception
    (download,) = english.get("download_button")
    assert download.proto.label == "Download reward-ledger.xlsx"


def test_a_deputy_may_not_open_the_moderation_page(db: Engine) -> None:
    at = AppTest.from_file(MODERATE, default_timeout=TIMEOUT)
    at.session_state[session.USER] = SignedIn(9, "d0001", "deputy", 1, "代表")
    at.run()
    assert not at.exception
    assert at.error and not at.dataframe
