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


def test_the_admin_imports_heads_and_a_bad_row_is_named(server: str, demo_copy, tmp_path) -> None:
    """The 网格长 section of 系统管理: a sheet with a bad phone is refused by line and column
    and stores nothing; a good one replaces a head (its period closed, the history shown)."""
    from playwright.sync_api import expect
    from sqlalchemy import text

    from tests.browser import upload_file, wait_until_idle

    with demo_copy.connect() as conn:
        cell = conn.scalar(text("SELECT code FROM grid_cell WHERE level = 3 ORDER BY code LIMIT 1"))
        heads = conn.scalar(text("SELECT count(*) FROM grid_head"))
    bad, good = tmp_path / "坏表.csv", tmp_path / "网格长.csv"
    bad.write_text(f"网格编码,姓名,手机\n{cell},新人,12345\n", encoding="utf-8")
    good.write_text(f"网格编码,姓名,手机\n{cell},新人,13912345678\n", encoding="utf-8")
    with offline_page({"width": 1400, "height": 1500}) as (page, outside):
        page.goto(server, wait_until="domcontentloaded")
        sign_in(page, "admin", "admin-demo")
        page.goto(f"{server}/admin", wait_until="domcontentloaded")
        page.get_by_text("网格长", exact=True).first.click()
        expect(page.get_by_text("导入网格长")).to_be_visible(timeout=60_000)
        upload_file(page, str(bad), "坏表.csv")
        page.get_by_role("button", name="导入").click()
        error = page.get_by_test_id("stAlertContentError")
        expect(error).to_contain_text("第 2 行“手机”列", timeout=60_000)
        wait_until_idle(page)
        upload_file(page, str(good), "网格长.csv")
        page.get_by_role("button", name="导入").click()
        success = page.get_by_test_id("stAlertContentSuccess")
        expect(success).to_contain_text("更换 1 名", timeout=60_000)
    assert outside == []
    with demo_copy.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM grid_head")) == heads + 1
        current = conn.scalar(
            text(
                "SELECT h.name FROM grid_head h JOIN grid_cell c ON c.id = h.grid_cell_id "
                "WHERE c.code = :c AND h.valid_to IS NULL"
            ),
            {"c": cell},
        )
    assert current == "新人"
