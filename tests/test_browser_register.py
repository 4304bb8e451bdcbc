"""In Debian's chromium: the overview map rings registered sites and says so in its legend, the
register lists them, an analyst acknowledges a warning on the warnings page, and both pages
fit a 390 px phone — with nothing leaving the machine.

On the demo with its demo tickets and the scan the demo load runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from data.demo_tickets import add_demo_tickets
from reports.early_warning import refresh_demo
from tests.browser import (
    MAP_IFRAME,
    PHONE,
    assert_fits,
    offline_page,
    require_chromium,
    sign_in,
    streamlit_server,
    wait_until_idle,
)

pytestmark = [pytest.mark.browser]


@pytest.fixture
def server(demo_copy: Engine) -> Iterator[str]:
    require_chromium()
    add_demo_tickets(demo_copy, 2026, date(2026, 10, 1), date(2026, 11, 25))
    with Session(demo_copy) as s:
        refresh_demo(s, date(2026, 11, 25))
        s.commit()
    with streamlit_server(demo_copy.url.render_as_string(hide_password=False)) as url:
        yield url


def test_rings_on_the_map_the_register_and_acknowledging_a_warning(
    server: str, demo_copy: Engine
) -> None:
    from playwright.sync_api import expect

    with demo_copy.connect() as conn:
        registered = conn.scalar(
            text("SELECT count(*) FROM site_registration WHERE closed_at IS NULL")
        )
    assert registered > 0
    with offline_page({"width": 1440, "height": 2000}) as (page, outside):
        page.goto(server, wait_until="domcontentloaded")
        sign_in(page, "analyst", "analyst-demo")
        wait_until_idle(page)
        page.goto(f"{server}/overview", wait_until="domcontentloaded")
        frame = page.frame_locator(MAP_IFRAME)
        expect(frame.locator(".shuijian-legend")).to_contain_text("挂号点位", timeout=60_000)

        page.goto(f"{server}/register", wait_until="domcontentloaded")
        expect(page.get_by_role("heading", name="问题点位挂号销号台账")).to_be_visible(
            timeout=60_000
        )
        metric = page.get_by_test_id("stMetric").filter(has_text="挂号中点位")
        expect(metric.get_by_test_id("stMetricValue")).to_have_text(str(registered))

        page.goto(f"{server}/warnings", wait_until="domcontentloaded")
        expect(page.get_by_role("heading", name="预警管理").first).to_be_visible(timeout=60_000)
        wait_until_idle(page)
        page.get_by_role("button", name="签收").click()
        expect(page.get_by_text("已签收。")).to_be_visible(timeout=30_000)
    assert outside == [], f"requests left the machine: {sorted(set(outside))}"
    with demo_copy.connect() as conn:
        assert (
            conn.scalar(
                text("SELECT count(*) FROM early_warning WHERE acknowledged_at IS NOT NULL")
            )
            == 1
        )


def test_the_register_and_warnings_fit_a_phone(server: str) -> None:
    from playwright.sync_api import expect

    with offline_page(PHONE) as (page, outside):
        page.goto(server, wait_until="domcontentloaded")
        sign_in(page, "leader", "leader-demo")
        wait_until_idle(page)
        page.goto(f"{server}/register", wait_until="domcontentloaded")
        expect(page.get_by_role("heading", name="问题点位挂号销号台账")).to_be_visible(
            timeout=60_000
        )
        assert_fits(page, "register-leader")
        page.goto(f"{server}/warnings", wait_until="domcontentloaded")
        expect(page.get_by_test_id("stDataFrame")).to_be_visible(timeout=60_000)
        assert page.get_by_role("button", name="签收").count() == 0  # leaders see only
        assert_fits(page, "warnings-leader")
    assert outside == [], f"requests left the machine: {sorted(set(outside))}"
