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
    assert "尚未设置短信网关" in _all_text(at)  # no SMS hook set: said, not a traceback
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


def test_a_deputy_may_not_open_the_moderation_page(db: Engine) -> None:
    at = AppTest.from_file(MODERATE, default_timeout=TIMEOUT)
    at.session_state[session.USER] = SignedIn(9, "d0001", "deputy", 1, "代表")
    at.run()
    assert not at.exception
    assert at.error and not at.dataframe
