"""The city in a real browser, served as production serves it: through the app role, whom
row-level security binds (the other browser tests' server is the test superuser's, whom it
does not). A county's leader sees their county's figures only, whatever the URL; the city's
leader sees the city and narrows it to one county in the sidebar.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.browser import offline_page, sign_in, streamlit_server, wait_until_idle
from tests.test_counties import City, built_city

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP = {"width": 1400, "height": 1000}


@pytest.fixture(scope="module")
def city_server(server_url: str, template_db: str) -> Iterator[tuple[str, City]]:
    with built_city(server_url, template_db) as city:
        app_url = city.app.url.render_as_string(hide_password=False)
        with streamlit_server(app_url) as url:
            yield url, city


def _townships_shown(page) -> int:
    """The 乡镇（街道） figure of the overview's first row of metrics."""
    metric = page.get_by_test_id("stMetric").filter(has_text=re.compile("乡镇"))
    metric.first.wait_for(timeout=60_000)
    return int(re.sub(r"\D", "", metric.first.get_by_test_id("stMetricValue").inner_text()))


def test_a_county_sees_its_own_and_the_city_every_county(
    city_server: tuple[str, City],
) -> None:
    from playwright.sync_api import expect

    url, _ = city_server
    with offline_page(DESKTOP) as (page, outside):
        page.goto(url, wait_until="domcontentloaded")
        sign_in(page, "b-leader", "leader-demo")
        wait_until_idle(page)
        page.goto(f"{url}/overview", wait_until="domcontentloaded")
        wait_until_idle(page)
        assert _townships_shown(page) == 14
        assert page.get_by_role("heading", name="全县水环境监督总览").count() == 1
        picker = page.get_by_label("乡镇（街道）")
        picker.click()
        listed = page.get_by_role("option").all_inner_texts()
        page.keyboard.press("Escape")
        assert len(listed) == 15  # 全县 and its own 14, none of the other county's
        assert not any("·" in name for name in listed)
    with offline_page(DESKTOP) as (page, outside_city):
        page.goto(url, wait_until="domcontentloaded")
        sign_in(page, "city-leader", "city-leader-demo")
        wait_until_idle(page)
        page.goto(f"{url}/overview", wait_until="domcontentloaded")
        wait_until_idle(page)
        assert _townships_shown(page) == 28
        assert page.get_by_role("heading", name="全市水环境监督总览").count() == 1
        page.get_by_label("查看范围").click()
        page.get_by_role("option", name="邻县").click()
        wait_until_idle(page)
        metric = page.get_by_test_id("stMetric").filter(has_text=re.compile("乡镇")).first
        expect(metric.get_by_test_id("stMetricValue")).to_have_text("14", timeout=60_000)
        assert page.get_by_role("heading", name="全县水环境监督总览").count() == 1
    assert outside == [] and outside_city == []
