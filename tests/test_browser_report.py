"""End to end in Debian's chromium: a deputy clicks a problem's place on the map, reports it
with a photo, gets the ticket number, and sees the ticket drawn on the issues map; nothing
leaves the machine."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from core import clock
from core.photos import jpeg_with_exif
from layers.tickets import CHOSEN_COLOUR, STATUS_COLOURS
from tests.browser import (
    ARTIFACTS,
    MAP_IFRAME,
    offline_page,
    sign_in,
    upload_file,
    wait_until_idle,
)

# Reads today's date: run again under each frozen date (tests/clock.py).
pytestmark = [pytest.mark.browser, pytest.mark.clock]


def site_point(engine: Engine, username: str) -> tuple[float, float, str]:
    """(lon, lat, township) of a point on one of the deputy's sites, inside the county."""
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                text(
                    "SELECT ST_X(p), ST_Y(p), tw.name FROM ("
                    " SELECT ST_PointOnSurface(s.geom) AS p FROM app_user u"
                    " JOIN assignment a ON a.deputy_id = u.deputy_id AND a.valid_to IS NULL"
                    " JOIN site s ON s.id = a.site_id WHERE u.username = :u ORDER BY s.id LIMIT 1"
                    ") q JOIN township tw ON ST_Intersects(tw.geom, q.p)"
                ),
                {"u": username},
            ).one()
        )


def test_deputy_reports_on_the_map_and_sees_the_ticket(
    server: str, demo_copy: Engine, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    lon, lat, township = site_point(demo_copy, "d0001")
    photo = tmp_path / "现场.jpg"
    photo.write_bytes(jpeg_with_exif(lon, lat, clock.now(), size=240))

    with offline_page({"width": 1400, "height": 1600}) as (page, outside):
        page.goto(server, wait_until="domcontentloaded")
        sign_in(page, "d0001", "deputy-demo")
        expect(page.get_by_role("heading", name="我的点位")).to_be_visible(timeout=60_000)

        page.get_by_role("link", name="上报问题").click()
        expect(page.get_by_role("heading", name="上报问题")).to_be_visible(timeout=30_000)
        map_frame = page.frame_locator(MAP_IFRAME)
        container = map_frame.locator(".leaflet-container")
        expect(container).to_be_visible(timeout=60_000)
        expect(map_frame.locator(".leaflet-overlay-pane path").first).to_be_attached(timeout=30_000)
        page.wait_for_timeout(1000)  # let fitBounds settle before measuring pixels
        frame = page.locator(MAP_IFRAME).element_handle().content_frame()
        assert frame is not None
        x, y = frame.evaluate(
            "([lat, lon]) => { const p = window.map.latLngToContainerPoint([lat, lon]);"
            " return [p.x, p.y]; }",
            [lat, lon],
        )
        container.click(position={"x": x, "y": y})
        expect(page.get_by_text(f"（{township}，附近点位").first).to_be_visible(timeout=30_000)

        page.get_by_test_id("stSelectbox").filter(has_text="问题类别").click()
        page.get_by_role("option", name="死鱼", exact=True).click()
        description = page.get_by_label("问题描述")
        description.fill("水面漂浮大量死鱼，有异味")
        description.press("Control+Enter")
        upload_file(page, str(photo), "现场.jpg")
        chosen = map_frame.locator(
            f'.leaflet-marker-pane .shuijian-symbol path[fill="{CHOSEN_COLOUR}"]'
        )
        expect(chosen).to_have_count(1, timeout=30_000)  # the chosen place, a red pin
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report_form.png"), full_page=True)
        wait_until_idle(page)  # a click given while a run redraws the form can be lost
        page.get_by_role("button", name="提交上报").click()
        expect(page.get_by_text("已上报，交办单号").first).to_be_visible(timeout=60_000)
        # Until the run that drew the notice ends, the old form may still stand greyed beside
        # the new one (seen under load): wait for one form, then read it.
        wait_until_idle(page)
        expect(page.get_by_label("问题描述")).to_have_count(1, timeout=60_000)
        expect(page.get_by_label("问题描述")).to_have_value("", timeout=30_000)

        with demo_copy.connect() as conn:
            number, description_saved, photos = conn.execute(
                text(
                    "SELECT t.number, t.description, (SELECT count(*) FROM "
                    "ticket_attachment a WHERE a.ticket_id = t.id) FROM ticket t"
                )
            ).one()
        assert description_saved == "水面漂浮大量死鱼，有异味" and photos == 1
        expect(page.get_by_text(number).first).to_be_visible()
        expect(map_frame.locator(".leaflet-overlay-pane path").first).to_be_attached(timeout=30_000)
        page.wait_for_timeout(1000)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)

        page.get_by_role("link", name="问题地图").click()
        expect(page.get_by_role("heading", name="问题地图")).to_be_visible(timeout=30_000)
        metrics = page.get_by_test_id("stMetric")
        expect(metrics.filter(has_text="显示件数")).to_contain_text("1", timeout=30_000)
        issues = page.frame_locator(MAP_IFRAME)
        marker = issues.locator(  # the ticket: a triangle in its status colour
            f'.leaflet-marker-pane .shuijian-symbol path[fill="{STATUS_COLOURS["assigned"]}"]'
        )
        expect(marker).to_have_count(1, timeout=60_000)
        expect(issues.locator(".shuijian-legend")).to_contain_text("交办")
        page.locator(MAP_IFRAME).scroll_into_view_if_needed()
        marker.click()
        expect(issues.locator(".leaflet-popup-content")).to_contain_text(number)
        expect(issues.locator(".leaflet-popup-content")).to_contain_text("便民服务平台")
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / "issues_map.png"), full_page=True)
    assert outside == [], f"requests left the machine: {sorted(set(outside))}"
