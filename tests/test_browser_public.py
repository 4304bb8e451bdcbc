"""End to end in Debian's chromium: an anonymous visitor opens the public archive (公示).

No sign-in: the page is reached from the sidebar next to the login page, the map draws the
trimmed tracks, no deputy's phone number is anywhere in the page or the map's iframe, and
nothing is requested from outside the machine.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from archive import public
from layers.patrols import TRACK_COLOUR
from tests.browser import (
    ARTIFACTS,
    MAP_IFRAME,
    offline_page,
    require_chromium,
    streamlit_server,
)
from tests.test_public import assert_no_phone, phones, with_patrols

# Reads today's date: run again under each frozen date (tests/clock.py).
pytestmark = [pytest.mark.browser, pytest.mark.clock]


@pytest.fixture
def server(demo_copy: Engine) -> Iterator[str]:
    require_chromium()
    with_patrols(demo_copy)
    with streamlit_server(demo_copy.url.render_as_string(hide_password=False)) as url:
        yield url


def test_anonymous_visitor_sees_the_archive_offline(server: str, demo_copy: Engine) -> None:
    from playwright.sync_api import expect

    numbers = phones(demo_copy)
    with offline_page({"width": 1440, "height": 1500}) as (page, outside):
        page.goto(server, wait_until="domcontentloaded")

        # Not signed in: the sign-in page, with the archive listed beside it.
        expect(page.get_by_role("heading", name="登录水监")).to_be_visible(timeout=60_000)
        page.get_by_role("link", name="存档公示").click()
        expect(page.get_by_role("heading", name="人大代表巡查存档公示")).to_be_visible(
            timeout=60_000
        )
        metrics = page.get_by_test_id("stMetric")
        expect(metrics.filter(has_text="计入巡查")).to_be_visible(timeout=30_000)
        value = metrics.filter(has_text="计入巡查").get_by_test_id("stMetricValue")
        assert int(value.inner_text()) >= 5
        expect(page.get_by_test_id("stDataFrame")).to_be_visible(timeout=30_000)

        frame = page.frame_locator(MAP_IFRAME)
        expect(frame.locator(".leaflet-container")).to_be_visible(timeout=60_000)
        tracks = frame.locator(f'.leaflet-overlay-pane path[stroke="{TRACK_COLOUR}"]')
        expect(tracks.first).to_be_attached(timeout=30_000)
        assert tracks.count() >= 5
        expect(frame.locator(".shuijian-legend")).to_contain_text("起终点已隐去")
        page.locator(MAP_IFRAME).scroll_into_view_if_needed()
        page.wait_for_timeout(1000)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "public.png"), full_page=True)

        handle = page.locator(MAP_IFRAME).element_handle()
        map_frame = handle.content_frame() if handle else None
        assert map_frame is not None
        assert_no_phone([page.content(), map_frame.content()], numbers)
        assert str(int(public.HIDDEN_M)) in page.content()
    assert outside == [], f"requests left the machine: {sorted(set(outside))}"
