"""The coverage map's small-cell popup in a real browser, at a phone's width: an analyst reads
the grid head's name and phone, a leader only the name (duty.grid_heads.current_heads)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.browser import (
    MAP_IFRAME,
    PHONE,
    offline_page,
    require_chromium,
    sign_in,
    streamlit_server,
)

pytestmark = [pytest.mark.browser]

MOBILE = re.compile(r"1[3-9]\d{9}")


@pytest.fixture
def demo_server(demo_url: str) -> Iterator[str]:
    require_chromium()
    with streamlit_server(demo_url) as url:
        yield url


def _cell_popup(page, who: str, password: str, server: str) -> str:
    """Sign in, open the coverage page (small cells by default) and click cells until one's
    popup opens; its text."""
    from playwright.sync_api import expect

    page.goto(server, wait_until="domcontentloaded")
    sign_in(page, who, password)
    page.goto(f"{server}/coverage", wait_until="domcontentloaded")
    frame = page.frame_locator(MAP_IFRAME)
    expect(frame.locator(".leaflet-container")).to_be_visible(timeout=90_000)
    cells = frame.locator(".leaflet-overlay-pane path.leaflet-interactive")
    expect(cells.first).to_be_attached(timeout=60_000)
    popup = frame.locator(".leaflet-popup-content")
    for i in range(0, 400, 7):  # a cell's box centre may fall on a neighbour or a site
        cells.nth(i).click(force=True)
        if popup.count() and "网格长" in popup.first.inner_text():
            return popup.first.inner_text()
    raise AssertionError("no small cell's popup opened")


def test_the_popup_names_the_head_and_only_an_analyst_sees_the_phone(demo_server: str) -> None:
    with offline_page(PHONE) as (page, outside):
        analyst = _cell_popup(page, "analyst", "analyst-demo", demo_server)
    with offline_page(PHONE) as (page, outside_too):
        leader = _cell_popup(page, "leader", "leader-demo", demo_server)
    assert MOBILE.search(analyst.split("网格长", 1)[1]), analyst
    assert not MOBILE.search(leader), leader
    assert outside == [] and outside_too == []
