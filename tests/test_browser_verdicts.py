"""In Debian's chromium: one verdict per file, and an outage that heals by itself.

A deputy uploads a good track, a track recorded far from the county and a garbage file in one
batch and sees three verdicts (the good one stored). With the database unreachable (a proxy
switched off), signing in says "数据库暂不可用，请稍后再试" and no traceback; when the database
is back the page recovers without a reload.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, make_url, text

from core import clock
from tests.browser import (
    ARTIFACTS,
    offline_page,
    require_chromium,
    sign_in,
    streamlit_server,
    wait_until_idle,
)
from tests.tcp_proxy import Relay
from tests.test_browser_upload import _assigned_site
from tests.test_ingest import track_through
from tracks.synth import to_gpx_bytes

pytestmark = [pytest.mark.browser, pytest.mark.clock]


def test_a_batch_gets_one_verdict_per_file(server: str, demo_copy: Engine, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    site_id, _ = _assigned_site(demo_copy, "d0001")
    start = (clock.now() - timedelta(hours=3)).timestamp()
    good = tmp_path / "good.gpx"
    good.write_bytes(to_gpx_bytes(*track_through(demo_copy, site_id, start_s=start, seed=11)))
    far = tmp_path / "far.gpx"
    n = 60
    far.write_bytes(
        to_gpx_bytes(14.5 + np.linspace(0, 0.01, n), np.full(n, 46.05), start + np.arange(n) * 5.0)
    )
    garbage = tmp_path / "garbage.gpx"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00 not a track at all")

    with offline_page({"width": 1280, "height": 1400}) as (page, outside):
        page.goto(server, wait_until="domcontentloaded")
        sign_in(page, "d0001", "deputy-demo")
        expect(page.get_by_role("heading", name="我的点位")).to_be_visible(timeout=60_000)
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="上传巡查轨迹").click()
        expect(page.get_by_role("heading", name="上传巡查轨迹")).to_be_visible(timeout=30_000)
        for attempt in range(3):
            wait_until_idle(page)
            page.locator('input[type="file"]').first.set_input_files(
                [str(good), str(far), str(garbage)]
            )
            try:
                for name in ("good.gpx", "far.gpx", "garbage.gpx"):
                    page.get_by_text(name).first.wait_for(state="visible", timeout=20_000)
                break
            except Exception:
                if attempt == 2:
                    raise
        page.get_by_role("button", name="上传并核验").click()

        expect(
            page.get_by_text("共 3 个文件：1 个已保存，0 个此前已上传，2 个未接收。")
        ).to_be_visible(timeout=90_000)
        success = page.get_by_test_id("stAlertContentSuccess")
        expect(success.filter(has_text="good.gpx")).to_contain_text("已保存为巡查")
        errors = page.get_by_test_id("stAlertContentError")
        expect(errors.filter(has_text="far.gpx")).to_contain_text("轨迹不在本县")
        expect(errors.filter(has_text="far.gpx")).to_contain_text("公里")
        expect(errors.filter(has_text="garbage.gpx")).to_contain_text("不是格式正确的 XML")
        content = page.content()
        assert "Traceback" not in content and "refused:" not in content
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "upload-verdicts.png"), full_page=True)
    assert outside == [], f"requests left the machine: {sorted(set(outside))}"
    with demo_copy.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM patrol")) == 1


@pytest.fixture
def proxied(demo_copy: Engine) -> Iterator[tuple[str, Relay]]:
    require_chromium()
    url = demo_copy.url
    proxy = Relay((url.host or "127.0.0.1", int(url.port or 5432)))
    proxy.start()
    via = make_url(url.render_as_string(hide_password=False)).set(host="127.0.0.1", port=proxy.port)
    try:
        with streamlit_server(via.render_as_string(hide_password=False)) as server:
            yield server, proxy
    finally:
        proxy.stop()


def test_an_outage_is_one_sentence_and_heals_by_itself(
    proxied: tuple[str, Relay],
) -> None:
    from playwright.sync_api import expect

    server, proxy = proxied
    with offline_page({"width": 1280, "height": 900}) as (page, outside):
        page.goto(server, wait_until="domcontentloaded")
        expect(page.get_by_role("heading", name="登录水监")).to_be_visible(timeout=60_000)
        proxy.stop()
        sign_in(page, "leader", "leader-demo")
        message = page.get_by_text("数据库暂不可用，请稍后再试")
        expect(message).to_be_visible(timeout=60_000)
        content = page.content()
        for leak in ("Traceback", "OperationalError", "psycopg", str(proxy.port)):
            assert leak not in content, leak
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "outage.png"), full_page=True)

        proxy.start()  # the probe notices within a few seconds and reruns the page
        expect(message).to_be_hidden(timeout=60_000)
        sign_in(page, "leader", "leader-demo")
        expect(page.get_by_role("heading", name="今日水环境监督概况")).to_be_visible(timeout=60_000)

        proxy.stop()  # signed in, on a page that reads the database
        page.get_by_role("link", name="覆盖缺口", exact=True).click()
        expect(message).to_be_visible(timeout=60_000)
        proxy.start()
        expect(page.get_by_role("heading", name="覆盖缺口地图")).to_be_visible(timeout=60_000)
        expect(message).to_be_hidden(timeout=60_000)
    assert outside == [], f"requests left the machine: {sorted(set(outside))}"
