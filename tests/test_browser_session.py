"""Sign-in that lasts, in Debian's chromium: a reload keeps the user; a shared ticket link opened
in a new tab lands on that ticket (through the sign-in form when signed out); a sign-out in
one tab signs the other out at its next action; the cookie is out of a script's reach."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from db.database import session_scope
from tests.browser import offline_page, require_chromium, sign_in, streamlit_server, wait_until_idle
from tickets.service import Actor, NewProblem, report_problem

pytestmark = pytest.mark.browser
WAIT = 60_000


@pytest.fixture
def ticket_server(demo_copy: Engine) -> Iterator[tuple[str, str]]:
    """A server on a demo copy holding one ticket; yields its URL and the ticket's number."""
    require_chromium()
    with session_scope(demo_copy) as s:
        lon, lat = s.execute(
            text(
                "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
                "FROM site WHERE kind = 'pond' ORDER BY id LIMIT 1"
            )
        ).one()
        number = report_problem(
            s,
            NewProblem("dead_fish", "死鱼", lon, lat),
            Actor("platform", platform="bianmin"),
            reporter_deputy_id=None,
            source="api:bianmin",
        ).number
    with streamlit_server(demo_copy.url.render_as_string(hide_password=False)) as url:
        yield url, number


def test_a_sign_in_survives_reloads_and_links_and_ends_everywhere(
    ticket_server: tuple[str, str],
) -> None:
    from playwright.sync_api import expect

    server, number = ticket_server
    link = f"{server}/ticket?number={number}"
    with offline_page({"width": 390, "height": 900}) as (page, outside):
        # A shared link while signed out: the sign-in form, then the ticket it named.
        page.goto(link, wait_until="domcontentloaded")
        expect(page.get_by_label("用户名")).to_be_visible(timeout=WAIT)
        assert "/account/sign-in" in page.url
        sign_in(page, "analyst", "analyst-demo")
        expect(page.get_by_text(number).first).to_be_visible(timeout=WAIT)
        assert page.url == link
        wait_until_idle(page)

        # The session cookie is HttpOnly and SameSite=Strict: no script can read it.
        cookies = {c["name"]: c for c in page.context.cookies()}
        session = cookies["shuijian_session"]
        assert session["httpOnly"] and session["sameSite"] == "Strict"
        assert "shuijian_session" not in page.evaluate("document.cookie")

        # A reload keeps the user on the same ticket.
        page.reload(wait_until="domcontentloaded")
        expect(page.get_by_text(number).first).to_be_visible(timeout=WAIT)
        expect(page.get_by_label("用户名")).to_have_count(0)

        # The same link in a second tab opens straight away.
        other = page.context.new_page()
        other.goto(link, wait_until="domcontentloaded")
        expect(other.get_by_text(number).first).to_be_visible(timeout=WAIT)
        wait_until_idle(other)

        # Sign out in the first tab (the sidebar, opened on a phone by its button) ...
        sidebar_toggle = page.get_by_test_id("stExpandSidebarButton")
        if sidebar_toggle.count():
            sidebar_toggle.first.click()
        page.get_by_role("button", name="退出登录").click()
        expect(page.get_by_label("用户名")).to_be_visible(timeout=WAIT)

        # ... and the second tab is signed out at its next action.
        other.reload(wait_until="domcontentloaded")
        expect(other.get_by_label("用户名")).to_be_visible(timeout=WAIT)
        expect(other.get_by_text("登录已结束")).to_be_visible()
        assert "/account/sign-in" in other.url
    assert outside == [], f"requests left the machine: {sorted(set(outside))}"


def test_the_second_tab_is_signed_out_without_a_reload(ticket_server: tuple[str, str]) -> None:
    """The other tab's next action (a click inside the app, no page load) finds the
    session revoked and shows the sign-in form."""
    from playwright.sync_api import expect

    server, _ = ticket_server
    with offline_page({"width": 1440, "height": 1000}) as (page, outside):
        page.goto(f"{server}/due", wait_until="domcontentloaded")
        sign_in(page, "analyst", "analyst-demo")
        expect(page.get_by_test_id("stSidebar")).to_be_visible(timeout=WAIT)
        wait_until_idle(page)
        other = page.context.new_page()
        other.goto(f"{server}/account", wait_until="domcontentloaded")
        expect(other.get_by_role("button", name="退出登录")).to_be_visible(timeout=WAIT)
        other.get_by_role("button", name="退出登录").click()
        expect(other.get_by_label("用户名")).to_be_visible(timeout=WAIT)

        # The first tab still shows its page; its next action ends there.
        page.get_by_test_id("stSidebar").get_by_text("English").click()
        expect(page.get_by_label("User name")).to_be_visible(timeout=WAIT)

        # The form inside the app signs in again through the gate.
        page.get_by_label("User name").fill("analyst")
        page.get_by_label("Password").fill("analyst-demo")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible(timeout=WAIT)

        # The language survives a reload: the one signed in with, then the one switched to.
        page.reload(wait_until="domcontentloaded")
        expect(page.get_by_role("button", name="Sign out")).to_be_visible(timeout=WAIT)
        wait_until_idle(page)
        page.get_by_test_id("stSidebar").get_by_text("English").click()
        expect(page.get_by_role("button", name="退出登录")).to_be_visible(timeout=WAIT)
        wait_until_idle(page)
        page.reload(wait_until="domcontentloaded")
        expect(page.get_by_role("button", name="退出登录")).to_be_visible(timeout=WAIT)
    assert outside == [], f"requests left the machine: {sorted(set(outside))}"


def test_the_uploader_speaks_chinese(ticket_server: tuple[str, str], tmp_path) -> None:  # noqa: ANN001
    """Streamlit's uploader has only English words; in Chinese the catalogue's replace them
    (its button, its limit, and the note on a file of the wrong type)."""
    from playwright.sync_api import expect

    server, _ = ticket_server
    wrong = tmp_path / "notes.txt"
    wrong.write_text("not a track")

    def after(page, selector: str) -> str:  # noqa: ANN001
        return page.eval_on_selector(selector, "e => getComputedStyle(e, '::after').content")

    with offline_page({"width": 390, "height": 900}) as (page, outside):
        page.goto(f"{server}/upload", wait_until="domcontentloaded")
        sign_in(page, "analyst", "analyst-demo")
        zone = page.get_by_test_id("stFileUploaderDropzone").first
        expect(zone).to_be_visible(timeout=WAIT)
        wait_until_idle(page)
        button = '[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] p'
        assert after(page, button) == '"选择文件"'
        limit = '[data-testid="stFileUploaderDropzoneInstructions"] span'
        assert after(page, limit) == '"也可将文件拖放到此处"'
        page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(str(wrong))
        chip = '[data-testid="stFileChip"][aria-invalid="true"] [data-testid="stFileChipName"]'
        page.wait_for_selector(chip, timeout=WAIT)
        assert after(page, chip) == '"（类型或大小不符，未接收）"'
    assert outside == [], f"requests left the machine: {sorted(set(outside))}"
