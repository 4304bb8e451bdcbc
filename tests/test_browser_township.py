"""In Debian's chromium, on a phone: township staff sign in through the gate, land on today's
glance for their own township (the township picker offers nothing else), open the due list
and the worklist, and no page names another township — and nothing leaves the machine."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from tests.browser import MAP_IFRAME, PHONE, assert_fits, offline_page, sign_in, wait_until_idle

pytestmark = [pytest.mark.browser, pytest.mark.clock]


def test_township_staff_see_only_their_township_on_a_phone(server: str, demo_copy: Engine) -> None:
    from playwright.sync_api import expect

    with demo_copy.connect() as conn:
        home = conn.scalar(
            text(
                "SELECT t.name FROM app_user u JOIN township t ON t.id = u.township_id "
                "WHERE u.username = 'tz01'"
            )
        )
        others = list(conn.scalars(text("SELECT name FROM township WHERE name <> :h"), {"h": home}))

    with offline_page(PHONE) as (page, outside):
        page.goto(server, wait_until="domcontentloaded")
        sign_in(page, "tz01", "township-demo")
        expect(page.get_by_role("heading", name="今日水环境监督概况")).to_be_visible(timeout=60_000)
        expect(page.frame_locator(MAP_IFRAME).locator(".leaflet-container")).to_be_visible(
            timeout=60_000
        )
        wait_until_idle(page)
        picker = page.get_by_test_id("stSelectbox").filter(has_text="乡镇（街道）").first
        expect(picker.get_by_role("combobox")).to_have_value(home)
        expect(picker.get_by_role("combobox")).to_be_disabled()
        body = page.get_by_test_id("stMain").inner_text()
        assert not [n for n in others if n in body]
        assert_fits(page, "township-glance")
        for path, heading in (("/due", "巡查到期"), ("/worklist", "待办")):
            page.goto(server + path, wait_until="domcontentloaded")
            expect(page.get_by_role("heading").filter(has_text=heading).first).to_be_visible(
                timeout=60_000
            )
            wait_until_idle(page)
            body = page.get_by_test_id("stMain").inner_text()
            assert not [n for n in others if n in body], path
        # A page the role may not open sends it home, saying why.
        page.goto(server + "/overview", wait_until="domcontentloaded")
        expect(page.get_by_text("“总览”不对您的角色开放")).to_be_visible(timeout=60_000)
    assert not outside, outside
