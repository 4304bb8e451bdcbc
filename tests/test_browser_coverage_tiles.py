"""The coverage map drawn from vector tiles in a real browser (ui/vector_tiles.py, the vendored
Leaflet.VectorGrid): with the threshold at 0 the demo county's map asks the app's own route
for its tiles, draws them, opens a cell's popup, and nothing leaves the machine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser import MAP_IFRAME, offline_page, require_chromium, sign_in, streamlit_server

pytestmark = [pytest.mark.browser]


@pytest.fixture
def tiled_server(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    require_chromium()
    monkeypatch.setenv("SHUIJIAN_VECTOR_TILES_ABOVE", "0")  # the county drawn as a city is
    with streamlit_server(demo_url) as url:
        yield url


def test_the_coverage_map_draws_vector_tiles_offline(tiled_server: str) -> None:
    from playwright.sync_api import expect

    with offline_page({"width": 1300, "height": 1100}) as (page, outside):
        tiles: list[tuple[str, int]] = []
        page.on(
            "response",
            lambda r: tiles.append((r.url, r.status)) if "/vtiles/" in r.url else None,
        )
        console: list[str] = []
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
        page.goto(tiled_server, wait_until="domcontentloaded")
        sign_in(page, "leader", "leader-demo")
        page.goto(f"{tiled_server}/coverage", wait_until="domcontentloaded")
        frame = page.frame_locator(MAP_IFRAME)
        box = frame.locator(".leaflet-container[data-vector-tiles]")
        try:
            expect(box).to_be_visible(timeout=90_000)
        except AssertionError as error:
            raise AssertionError(f"tiles {tiles}; console {console[-20:]}") from error
        assert frame.locator(".leaflet-tile-container canvas, canvas.leaflet-tile").count() > 0
        # No GeoJSON cell paths: the cells (932 small ones) are the tiles'; the demo's 537
        # sites are still drawn as GeoJSON (fewer than TILED_SITES_MAX).
        assert frame.locator("path.leaflet-interactive").count() <= 537
        drawn = [u for u, status in tiles if status == 200]
        assert drawn, tiles
        assert all(status in (200, 204, 304) for _, status in tiles), tiles
        # A click on the middle of the map opens a cell's popup with its figures.
        box.click(position={"x": 640, "y": 320})
        popup = frame.locator(".leaflet-popup-content")
        expect(popup).to_contain_text("编码", timeout=10_000)
    assert outside == []
