"""In Debian's chromium on a 390 px phone: a leader opens 督查组 and 志愿巡河 on the demo's
groups and teams (their last month up to yesterday), sees the figures the services give,
nothing is wider than the screen, and nothing leaves the machine."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from core import clock
from data.demo_supervision import add_demo_supervision
from tests.browser import (
    PHONE,
    assert_fits,
    offline_page,
    require_chromium,
    sign_in,
    streamlit_server,
)

pytestmark = [pytest.mark.browser, pytest.mark.clock]


@pytest.fixture
def server(demo_copy: Engine) -> Iterator[str]:
    require_chromium()
    until = clock.yesterday()
    start = (until.replace(day=1) - timedelta(days=1)).replace(day=1)
    add_demo_supervision(demo_copy, 2026, start, until)
    with streamlit_server(demo_copy.url.render_as_string(hide_password=False)) as url:
        yield url


def test_a_leader_reads_supervision_and_volunteers_on_a_phone(server: str) -> None:
    from playwright.sync_api import expect

    with offline_page(PHONE) as (page, outside):
        page.goto(server, wait_until="domcontentloaded")
        sign_in(page, "leader", "leader-demo")
        expect(page.get_by_role("heading", name="今日水环境监督概况")).to_be_visible(timeout=60_000)
        page.goto(f"{server}/supervision", wait_until="domcontentloaded")
        expect(page.get_by_role("heading", name="督查组督查情况")).to_be_visible(timeout=60_000)
        metric = page.get_by_test_id("stMetric").filter(has_text="督查次数")
        expect(metric).to_be_visible(timeout=30_000)
        # the tables are drawn on a canvas: their cells are in the grid's hidden mirror
        expect(page.get_by_text("第一督查组").first).to_be_attached()
        expect(page.get_by_role("tab", name="现场签到")).to_be_visible()
        assert_fits(page, "supervision-leader")
        page.goto(f"{server}/volunteers", wait_until="domcontentloaded")
        expect(page.get_by_role("heading", name="志愿巡河队伍")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("巡河日：").first).to_be_visible(timeout=30_000)
        expect(page.get_by_text("月末").first).to_be_visible()
        assert_fits(page, "volunteers-leader")
    assert outside == [], f"requests left the machine: {sorted(set(outside))}"
