"""In Debian's chromium: the leader lands on today's glance, its overdue count is the due
list's for the same clock, the trend chart and the map draw, a link opens the coverage page
as of today — and nothing leaves the machine.

On the demo with a month of patrols for a few deputies up to yesterday (whatever day the
clock says: the figures are recomputed from the service here, never written down)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

import i18n
from core import clock
from data.demo_tracks import add_demo_patrols
from duty.due import due_list
from tests.browser import (
    ARTIFACTS,
    MAP_IFRAME,
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
    add_demo_patrols(demo_copy, 2026, clock.yesterday(), months=1, limit=15)
    with streamlit_server(demo_copy.url.render_as_string(hide_password=False)) as url:
        yield url


def test_leader_lands_on_today_with_the_due_lists_overdue_count(
    server: str, demo_copy: Engine
) -> None:
    from playwright.sync_api import expect

    with Session(demo_copy) as session:
        due = due_list(session, clock.today())
    overdue = int((due["status"] == "overdue").sum())
    assert 0 < overdue < len(due), "the demo should have sites overdue and sites not"

    console_errors: list[str] = []
    with offline_page({"width": 1440, "height": 2400}) as (page, outside):
        page.on(
            "console",
            lambda m: console_errors.append(m.text) if m.type == "error" else None,
        )
        page.goto(server, wait_until="domcontentloaded")
        sign_in(page, "leader", "leader-demo")
        # The leader's landing page is the glance.
        expect(page.get_by_role("heading", name="今日水环境监督概况")).to_be_visible(timeout=60_000)
        metric = page.get_by_test_id("stMetric").filter(has_text="逾期未巡点位")
        expect(metric.get_by_test_id("stMetricValue")).to_have_text(
            i18n.number(overdue, "zh"), timeout=30_000
        )
        expect(page.get_by_text("逾期最久的一处截止于")).to_be_visible()

        chart = page.get_by_test_id("stVegaLiteChart")
        expect(chart.locator("svg, canvas").first).to_be_visible(timeout=30_000)

        frame = page.frame_locator(MAP_IFRAME)
        expect(frame.locator(".leaflet-container")).to_be_visible(timeout=60_000)
        expect(frame.locator(".shuijian-legend")).to_contain_text("今日状态")
        expect(frame.locator(".shuijian-legend")).to_contain_text(f"已逾期（{overdue}）")
        paths = frame.locator(".leaflet-overlay-pane path")
        expect(paths.first).to_be_attached(timeout=30_000)
        assert paths.count() > 100  # outlines and several hundred sites
        page.locator(MAP_IFRAME).scroll_into_view_if_needed()
        page.wait_for_timeout(1000)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "glance.png"), full_page=True)

        # The map's link opens the coverage page in its "as of today" view.
        page.get_by_role("link", name="截至今日的覆盖缺口 →").last.click()
        expect(page.get_by_role("heading", name="覆盖缺口地图")).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("stMetric").filter(has_text="今日未逾期占比")).to_be_visible(
            timeout=60_000
        )
    assert outside == [], f"requests left the machine: {sorted(set(outside))}"
    refused = [e for e in console_errors if "Refused" in e or "Failed to load" in e]
    assert refused == [], refused


@pytest.mark.parametrize(
    ("username", "password"),
    [("leader", "leader-demo"), ("analyst", "analyst-demo"), ("admin", "admin-demo")],
)
def test_every_landing_role_sees_the_same_figures_on_a_phone(
    server: str, demo_copy: Engine, username: str, password: str
) -> None:
    """Leader, analyst and admin land on 今日概况; on a 390 px phone its overdue count is the
    due list's and nothing is wider than the screen."""
    from playwright.sync_api import expect

    with Session(demo_copy) as session:
        due = due_list(session, clock.today())
    overdue = int((due["status"] == "overdue").sum())
    with offline_page(PHONE) as (page, outside):
        page.goto(server, wait_until="domcontentloaded")
        sign_in(page, username, password)
        expect(page.get_by_role("heading", name="今日水环境监督概况")).to_be_visible(timeout=60_000)
        metric = page.get_by_test_id("stMetric").filter(has_text="逾期未巡点位")
        expect(metric.get_by_test_id("stMetricValue")).to_have_text(
            i18n.number(overdue, "zh"), timeout=30_000
        )
        frame = page.frame_locator(MAP_IFRAME)
        expect(frame.locator(".leaflet-container")).to_be_visible(timeout=60_000)
        assert_fits(page, f"glance-{username}")
        if username == "leader":
            # The issues map's status pills wrap instead of scrolling out of sight.
            page.goto(f"{server}/issues_map", wait_until="domcontentloaded")
            pills = page.get_by_test_id("stButtonGroup").get_by_role("button")
            expect(pills.last).to_be_visible(timeout=60_000)
            rights = [pills.nth(i).bounding_box() for i in range(pills.count())]
            assert len(rights) == 8
            assert all(box and box["x"] + box["width"] <= PHONE["width"] for box in rights)
            assert_fits(page, "issues-map-leader")
    assert outside == [], f"requests left the machine: {sorted(set(outside))}"
