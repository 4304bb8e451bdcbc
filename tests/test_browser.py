"""End to end in Debian's chromium: sign in, the overview draws, nothing leaves the machine."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser import ROOT, streamlit_server

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
LOCAL_HOSTS = {"localhost", "127.0.0.1"}
LOCAL_SCHEMES = {"data", "blob", "about"}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.browser


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname in LOCAL_HOSTS


@pytest.fixture
def server(demo_url: str) -> Iterator[str]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    with streamlit_server(demo_url) as url:
        yield url


def test_leader_sees_the_overview_offline(server: str) -> None:
    from playwright.sync_api import Request, Route, expect, sync_playwright

    outside: list[str] = []
    console_errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 1500})

            def refuse_outside(route: Route, request: Request) -> None:
                if _is_local(request.url):
                    route.continue_()
                else:
                    outside.append(request.url)
                    route.abort()

            context.route("**/*", refuse_outside)
            page = context.new_page()
            page.on("request", lambda r: None if _is_local(r.url) else outside.append(r.url))
            page.on(
                "console",
                lambda m: console_errors.append(m.text) if m.type == "error" else None,
            )
            page.goto(server, wait_until="domcontentloaded")

            page.get_by_label("用户名").fill("leader")
            page.get_by_label("密码").fill("leader-demo")
            page.get_by_role("button", name="登录").click()
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
            expect(frame.locator(".leaflet-overlay-pane path").first).to_be_attached(
                timeout=30_000
            )
        finally:
            browser.close()
    assert outside == [], f"requests left the machine: {sorted(set(outside))}"
    refused = [e for e in console_errors if "Refused" in e or "Failed to load" in e]
    assert refused == [], refused
