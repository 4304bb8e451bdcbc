"""The cross-section page in Chromium: an analyst imports two demo sections, a results file
with a bad row is refused by line and column (nothing stored), the corrected file is stored
and the month's table and map appear; nothing is fetched from outside the machine."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from data.demo_water import _sections
from tests.browser import MAP_IFRAME, offline_page, sign_in, wait_until_idle

pytestmark = [pytest.mark.browser]
HEAD = (
    "断面编码,采样日期,溶解氧（mg/L）,高锰酸盐指数（mg/L）,化学需氧量（mg/L）,"
    "五日生化需氧量（mg/L）,氨氮（mg/L）,总磷（mg/L）,总氮（mg/L）\n"
)


def _upload(page, nth: int, path: Path) -> None:
    """Give a file to the page's ``nth`` file input and wait until Streamlit lists it."""
    from playwright.sync_api import TimeoutError

    for attempt in range(3):
        wait_until_idle(page)
        page.locator('input[type="file"]').nth(nth).set_input_files(str(path))
        try:
            page.get_by_text(path.name).first.wait_for(state="visible", timeout=20_000)
            return
        except TimeoutError:
            if attempt == 2:
                raise


def test_an_analyst_imports_sections_and_results_and_a_bad_row_is_named(
    server: str, demo_copy: Engine, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    chosen = _sections(demo_copy, 2026).head(2)
    codes = list(chosen["断面编码"])
    sections = tmp_path / "断面.csv"
    chosen.to_csv(sections, index=False, encoding="utf-8")
    bad, good = tmp_path / "坏月报.csv", tmp_path / "月报.csv"
    rows = [f"{codes[0]},2026-01-12,7.8,1.8,12,2.1,0.12,0.015,0.9"]
    bad.write_text(HEAD + "\n".join([*rows, f"{codes[1]},2026-01-12,7.1,3.0,14,2.5,-0.3,0.05,1.0"]))
    good.write_text(HEAD + "\n".join([*rows, f"{codes[1]},2026-01-12,7.1,3.0,14,2.5,1.3,0.05,1.0"]))
    with offline_page({"width": 1400, "height": 1600}) as (page, outside):
        page.goto(server, wait_until="domcontentloaded")
        sign_in(page, "analyst", "analyst-demo")
        page.goto(f"{server}/water_quality", wait_until="domcontentloaded")
        expect(page.get_by_text("导入断面与监测结果")).to_be_visible(timeout=60_000)
        _upload(page, 0, sections)
        page.get_by_role("button", name="导入").nth(0).click()
        expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(
            "新增 2 个", timeout=60_000
        )
        wait_until_idle(page)
        _upload(page, 1, bad)
        page.get_by_role("button", name="导入").nth(1).click()
        error = page.get_by_test_id("stAlertContentError")
        expect(error).to_contain_text("第 3 行“氨氮（mg/L）”列", timeout=60_000)
        expect(error).to_contain_text("文件中的数据均未保存")
        with demo_copy.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM water_sample")) == 0
        wait_until_idle(page)
        _upload(page, 1, good)
        page.get_by_role("button", name="导入").nth(1).click()
        expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(
            "新增 2 条", timeout=60_000
        )
        page.reload(wait_until="domcontentloaded")
        expect(page.get_by_text("2026年1月断面水质")).to_be_visible(timeout=60_000)
        frame = page.frame_locator(MAP_IFRAME)
        expect(frame.locator(".leaflet-container")).to_be_visible(timeout=60_000)
        expect(frame.locator("path.leaflet-interactive").first).to_be_attached(timeout=30_000)
    assert outside == []
    with demo_copy.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM water_sample")) == 2
