"""End to end in Debian's chromium: a deputy uploads a GPX track and sees the visit proven."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from core import clock
from tests.browser import (
    ARTIFACTS,
    MAP_IFRAME,
    offline_page,
    require_chromium,
    sign_in,
    streamlit_server,
    upload_file,
)
from tests.test_ingest import track_through
from tracks.synth import to_gpx_bytes

# Reads today's date: run again under each frozen date (tests/clock.py).
pytestmark = [pytest.mark.browser, pytest.mark.clock]


def _assigned_site(engine: Engine, username: str) -> tuple[int, str]:
    """(id, name) of one site currently assigned to the deputy signed in as `username`."""
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                text(
                    "SELECT s.id, s.name FROM app_user u "
                    "JOIN assignment a ON a.deputy_id = u.deputy_id AND a.valid_to IS NULL "
                    "JOIN site s ON s.id = a.site_id WHERE u.username = :u ORDER BY s.id LIMIT 1"
                ),
                {"u": username},
            ).one()
        )


def test_deputy_uploads_a_track_and_sees_the_visit(
    server: str, demo_copy: Engine, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    site_id, site_name = _assigned_site(demo_copy, "d0001")
    start = (clock.now() - timedelta(hours=3)).timestamp()
    lon, lat, t = track_through(demo_copy, site_id, start_s=start, seed=7)
    gpx = tmp_path / "巡查.gpx"
    gpx.write_bytes(to_gpx_bytes(lon, lat, t, name="巡查"))

    with offline_page({"width": 1400, "height": 1400}) as (page, outside):
        page.goto(server, wait_until="domcontentloaded")
        sign_in(page, "d0001", "deputy-demo")
        expect(page.get_by_role("heading", name="我的点位")).to_be_visible(timeout=60_000)

        page.get_by_test_id("stSidebarNav").get_by_role("link", name="上传巡查轨迹").click()
        expect(page.get_by_role("heading", name="上传巡查轨迹")).to_be_visible(timeout=30_000)
        upload_file(page, str(gpx), "巡查.gpx")
        page.get_by_role("button", name="上传并核验").click()

        success = page.get_by_test_id("stAlertContentSuccess")
        expect(success).to_contain_text("已保存为巡查", timeout=60_000)
        expect(success).to_contain_text("轨迹核验通过")
        expect(page.get_by_test_id("stDataFrame").first).to_be_visible(timeout=30_000)

        frame = page.frame_locator(MAP_IFRAME)
        expect(frame.locator(".leaflet-container")).to_be_visible(timeout=60_000)
        expect(frame.locator(".leaflet-overlay-pane path").first).to_be_attached(timeout=30_000)
        legend = frame.locator(".shuijian-legend")
        expect(legend).to_contain_text("到访点位")
        expect(legend).to_contain_text(site_name)
        expect(page.get_by_text("标准化巡查描述（是/否）").first).to_be_visible()
        page.locator(MAP_IFRAME).scroll_into_view_if_needed()
        page.wait_for_timeout(1000)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "upload.png"), full_page=True)

        # The checklist: nothing pre-selected; saving with an item unanswered is refused.
        form = page.get_by_test_id("stForm").last
        groups = form.get_by_role("radiogroup")
        expect(groups.first).to_be_visible()
        assert form.get_by_role("radio", checked=True).count() == 0
        for i in range(groups.count() - 1):
            groups.nth(i).get_by_text("否", exact=True).click()
        form.get_by_role("button", name="保存巡查记录").click()
        expect(page.get_by_test_id("stAlertContentError").first).to_contain_text(
            "还有 1 项未选", timeout=30_000
        )
        # The first item "yes", the rest "no": saved, and the yes offers its report.
        groups.first.get_by_text("是", exact=True).click()
        groups.last.get_by_text("否", exact=True).click()
        form.get_by_role("button", name="保存巡查记录").click()
        expect(page.get_by_text("已保存：").first).to_be_visible(timeout=30_000)
        offer = page.get_by_role("link", name=f"上报问题：{site_name}·")
        expect(offer).to_be_visible(timeout=30_000)
        offer.click()
        expect(page.get_by_role("heading", name="上报问题")).to_be_visible(timeout=30_000)
    assert outside == [], f"requests left the machine: {sorted(set(outside))}"
    with demo_copy.connect() as conn:
        visited = conn.scalar(
            text("SELECT count(*) FROM verified_visit WHERE site_id = :s"), {"s": site_id}
        )
    assert visited == 1


@pytest.fixture
def demo_server(demo_url: str) -> Iterator[str]:
    require_chromium()
    with streamlit_server(demo_url) as url:
        yield url


def test_leader_sees_the_coverage_gaps_offline(demo_server: str) -> None:
    from playwright.sync_api import expect

    with offline_page({"width": 1400, "height": 1500}) as (page, outside):
        page.goto(demo_server, wait_until="domcontentloaded")
        sign_in(page, "leader", "leader-demo")
        expect(page.get_by_role("heading", name="今日水环境监督概况")).to_be_visible(timeout=60_000)
        page.get_by_role("link", name="覆盖缺口", exact=True).click()
        expect(page.get_by_role("heading", name="覆盖缺口地图")).to_be_visible(timeout=30_000)
        metrics = page.get_by_test_id("stMetric")
        expect(metrics.filter(has_text="按期巡查占比")).to_be_visible(timeout=60_000)
        frame = page.frame_locator(MAP_IFRAME)
        expect(frame.locator(".leaflet-container")).to_be_visible(timeout=60_000)
        expect(frame.locator(".leaflet-overlay-pane path").first).to_be_attached(timeout=30_000)
        expect(frame.locator(".shuijian-legend")).to_contain_text("死角")
        page.locator(MAP_IFRAME).scroll_into_view_if_needed()
        page.wait_for_timeout(1000)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "coverage.png"), full_page=True)
    assert outside == [], f"requests left the machine: {sorted(set(outside))}"
