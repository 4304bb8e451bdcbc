"""End to end in Debian's chromium: sign in, the overview draws, nothing leaves the machine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser import (
    ARTIFACTS,
    MAP_IFRAME,
    offline_page,
    require_chromium,
    sign_in,
    streamlit_server,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def server(demo_url: str) -> Iterator[str]:
    require_chromium()
    with streamlit_server(demo_url) as url:
        yield url


def test_leader_sees_the_overview_offline(server: str) -> None:
    from playwright.sync_api import expect

    console_errors: list[str] = []
    with offline_page({"width": 1440, "height": 1500}) as (page, outside):
        page.on(
            "console",
            lambda m: console_errors.append(m.text) if m.type == "error" else None,
        )
        page.goto(server, wait_until="domcontentloaded")

        sign_in(page, "leader", "leader-demo")
        # A leader lands on today's glance; the overview is one click away.
        expect(page.get_by_role("heading", name="今日水环境监督概况")).to_be_visible(timeout=60_000)
        page.get_by_role("link", name="总览", exact=True).click()
        expect(page.get_by_text("全县水环境监督总览")).to_be_visible(timeout=60_000)

        metrics = page.get_by_test_id("stMetric")
        expect(metrics.filter(has_text="小网格")).to_contain_text("932", timeout=30_000)
        expect(metrics.filter(has_text="乡镇（街道）").first).to_contain_text("14")
        expect(metrics.filter(has_text="养殖场")).to_contain_text("115")

        frame = page.frame_locator(MAP_IFRAME)
        expect(frame.locator(".leaflet-container")).to_be_visible(timeout=60_000)
        paths = frame.locator(".leaflet-overlay-pane path")
        expect(paths.first).to_be_attached(timeout=30_000)
        # County + 14 townships + 15 large cells at least; sites add hundreds more.
        assert paths.count() > 30
        expect(frame.locator(".shuijian-legend")).to_contain_text("一类")
        expect(frame.locator(".leaflet-control-layers")).to_contain_text("中网格")
        page.locator(MAP_IFRAME).scroll_into_view_if_needed()
        page.wait_for_timeout(1000)

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)

        # One township: the figures shrink to it and the map is drawn again.
        page.get_by_test_id("stSelectbox").click()
        page.get_by_role("option").nth(1).click()
        expect(metrics.filter(has_text="乡镇（街道）").first).to_contain_text("1")
        expect(metrics.filter(has_text="小网格")).not_to_contain_text("932", timeout=30_000)
        # The old map's frame lingers a moment while the new one is drawn.
        expect(page.locator(MAP_IFRAME)).to_have_count(1, timeout=30_000)
        expect(frame.locator(".leaflet-overlay-pane path").first).to_be_attached(timeout=30_000)
    assert outside == [], f"requests left the machine: {sorted(set(outside))}"
    refused = [e for e in console_errors if "Refused" in e or "Failed to load" in e]
    assert refused == [], refused
