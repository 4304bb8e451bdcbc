"""A deputy's phone (390 × 844) in Debian's chromium: sign in, land on 我的点位 with its cards,
the large upload button and a ``geo:`` map link; upload a track and fill the checklist right
under its verdict; the due list. Nothing on these pages is wider than the screen."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from core import clock
from tests.browser import (
    PHONE,
    TOO_WIDE_JS,
    assert_fits,
    offline_page,
    sign_in,
    upload_file,
)
from tests.test_ingest import track_through
from tracks.synth import to_gpx_bytes

# Reads today's date: run again under each frozen date (tests/clock.py).
pytestmark = [pytest.mark.browser, pytest.mark.clock]

PROBE_JS = """
() => {
  const probe = document.createElement('div');
  probe.className = 'too-wide-probe';
  probe.style.cssText = 'width: 600px; height: 4px';
  document.querySelector('[class*="st-key-my_site_"] [data-testid="stMarkdown"]').append(probe);
}
"""


def _deputy_sites(engine: Engine, username: str) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        return [
            (int(i), str(n))
            for i, n in conn.execute(
                text(
                    "SELECT s.id, s.name FROM app_user u "
                    "JOIN assignment a ON a.deputy_id = u.deputy_id AND a.valid_to IS NULL "
                    "JOIN site s ON s.id = a.site_id WHERE u.username = :u ORDER BY s.id"
                ),
                {"u": username},
            )
        ]


def test_a_deputy_on_a_phone(server: str, demo_copy: Engine, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    sites = _deputy_sites(demo_copy, "d0001")
    site_id, site_name = sites[0]
    start = (clock.now() - timedelta(hours=3)).timestamp()
    lon, lat, t = track_through(demo_copy, site_id, start_s=start, seed=11)
    gpx = tmp_path / "手机巡查.gpx"
    gpx.write_bytes(to_gpx_bytes(lon, lat, t, name="手机巡查"))

    with offline_page(PHONE) as (page, outside):
        page.goto(server, wait_until="domcontentloaded")
        sign_in(page, "d0001", "deputy-demo")
        # Lands on 我的点位: a card per site, the upload button, a map link for each.
        expect(page.get_by_role("heading", name="我的点位")).to_be_visible(timeout=60_000)
        cards = page.locator('[class*="st-key-my_site_"]')
        expect(cards.first).to_be_visible(timeout=30_000)
        expect(cards).to_have_count(len(sites))
        for _, name in sites:
            expect(cards.filter(has_text=name).first).to_be_visible()
        upload = page.locator(".st-key-my_sites_upload a")
        expect(upload).to_have_text("上传巡查轨迹")
        # large, thumb-sized; the page's style can land a moment after the button on a busy
        # machine (seen: 100×28 under two test workers), so its size is awaited, then checked
        page.wait_for_function(
            "el => { const r = el.getBoundingClientRect();"
            " return r.height >= 48 && r.width >= 300 }",
            arg=upload.element_handle(),
            timeout=30_000,
        )
        box = upload.bounding_box()
        assert box and box["height"] >= 48 and box["width"] >= 300
        maps = page.get_by_role("link", name="在地图中打开")
        expect(maps).to_have_count(len(sites), timeout=30_000)
        href = maps.first.get_attribute("href") or ""
        assert href.startswith("geo:") and "?q=" in href, href
        assert_fits(page, "my-sites")
        # The check itself sees a too-wide element deep inside a card (it is not vacuous).
        page.evaluate(PROBE_JS)
        caught = page.evaluate(TOO_WIDE_JS, PHONE["width"])["wide"]
        assert any("too-wide-probe" in w for w in caught), caught
        page.evaluate("() => document.querySelector('.too-wide-probe').remove()")

        # The due list as a deputy: status, deadline and days left come first.
        page.goto(f"{server}/due", wait_until="domcontentloaded")
        expect(page.get_by_role("heading", name="巡查到期")).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("stDataFrame").first).to_be_visible(timeout=30_000)
        assert_fits(page, "due")

        # The upload button leads to the upload page; a track is checked and its checklist
        # follows the verdict at once.
        page.goto(server, wait_until="domcontentloaded")
        expect(upload).to_be_visible(timeout=60_000)
        upload.click()
        expect(page.get_by_role("heading", name="上传巡查轨迹")).to_be_visible(timeout=30_000)
        assert_fits(page, "upload")
        upload_file(page, str(gpx), "手机巡查.gpx")
        page.get_by_role("button", name="上传并核验").click()
        success = page.get_by_test_id("stAlertContentSuccess")
        expect(success).to_contain_text("已保存为巡查", timeout=60_000)
        expect(page.get_by_text("请为本次到访的每个点位填写巡查记录").first).to_be_visible()
        form = page.get_by_test_id("stForm").last
        expect(form).to_contain_text(site_name)
        groups = form.get_by_role("radiogroup")
        expect(groups.first).to_be_visible()
        assert_fits(page, "upload-checklist")
        # The checklist comes before the map: the verdict, then the record, then where.
        where = page.get_by_role("heading", name="轨迹与到访点位")
        expect(where).to_be_visible()
        assert form.bounding_box()["y"] < where.bounding_box()["y"]
        groups.first.get_by_text("是", exact=True).click()
        for i in range(1, groups.count()):
            groups.nth(i).get_by_text("否", exact=True).click()
        form.get_by_role("button", name="保存巡查记录").click()
        expect(page.get_by_text("已保存：").first).to_be_visible(timeout=30_000)
        offer = page.get_by_role("link", name=f"上报问题：{site_name}·")
        expect(offer).to_be_visible(timeout=30_000)
        assert_fits(page, "upload-saved")
        offer.click()
        expect(page.get_by_role("heading", name="上报问题")).to_be_visible(timeout=30_000)
    assert outside == [], f"requests left the machine: {sorted(set(outside))}"
