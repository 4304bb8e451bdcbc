"""Scaffolding for the browser tests: a local streamlit server and an offline chromium page."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page, Request, Route

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 60

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
# A map's frame, not one left over from the previous run: Streamlit keeps an element it has not
# yet replaced, marked stale, and a strict locator would find both.
MAP_IFRAME = (
    '[data-testid="stElementContainer"]:not([data-stale="true"]) '
    'iframe[title="streamlit_folium.st_folium"]'
)
LOCAL_HOSTS = {"localhost", "127.0.0.1"}
LOCAL_SCHEMES = {"data", "blob", "about"}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@contextmanager
def streamlit_server(database_url: str) -> Iterator[str]:
    """Yield the base URL of a headless server on the given database; stop it afterwards."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "TIANDITU_KEY"}
    env["DATABASE_URL"] = database_url
    command = [
        sys.executable,
        "-m",
        "tests.frozen",  # on the test's clock (SHUIJIAN_TEST_DATE)
        "streamlit",
        "run",
        str(ROOT / "web.py"),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    url = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _healthy(url):
            if process.poll() is not None:
                output = process.stdout.read() if process.stdout else ""
                raise RuntimeError(f"streamlit exited with {process.returncode}:\n{output}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not answer on {url} in {STARTUP_SECONDS} s")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname in LOCAL_HOSTS


def require_chromium() -> None:
    """Skip the test when Debian's chromium is not installed."""
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")


@contextmanager
def offline_page(viewport: dict) -> Iterator[tuple[Page, list[str]]]:
    """Yield a page in headless chromium and the URLs it tried to reach outside the machine.

    Requests leaving the machine are aborted and recorded; the browser is closed afterwards.
    """
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=viewport)

            def refuse_outside(route: Route, request: Request) -> None:
                if is_local(request.url):
                    route.continue_()
                else:
                    outside.append(request.url)
                    route.abort()

            context.route("**/*", refuse_outside)
            page = context.new_page()
            page.on("request", lambda r: None if is_local(r.url) else outside.append(r.url))
            yield page, outside
        finally:
            browser.close()


def sign_in(page: Page, username: str, password: str) -> None:
    """Fill the sign-in form and press 登录."""
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def wait_until_idle(page: Page, timeout_ms: int = 60_000) -> None:
    """Wait until Streamlit has finished its current run (its status widget is gone): input
    given while a run redraws the page can be lost with the element it was given to."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=timeout_ms)


def upload_file(page: Page, path: str, shown_name: str, attempts: int = 3) -> None:
    """Give a file to the page's first file input and wait until Streamlit lists it; retried,
    since a rerun that redraws the uploader drops a file given to the old element."""
    from playwright.sync_api import TimeoutError

    for attempt in range(attempts):
        wait_until_idle(page)
        page.locator('input[type="file"]').first.set_input_files(path)
        try:
            page.get_by_text(shown_name).first.wait_for(state="visible", timeout=20_000)
            return
        except TimeoutError:  # playwright's TimeoutError subclasses its Error, not this one
            if attempt == attempts - 1:
                raise


PHONE = {"width": 390, "height": 844}

# Every element drawn wider than the screen, unless it sits inside a box of its own that
# scrolls or clips sideways and itself fits (a table's grid, a map's frame). The page's own
# scrollers (the app, its main section) do not count as such a box: what overflows them
# overflows the phone.
TOO_WIDE_JS = """
(width) => {
  const page = new Set(['stApp', 'stAppViewContainer', 'stMain', 'stMainBlockContainer']);
  const fits = (el) => el.getBoundingClientRect().right <= width + 1;
  const contained = (el) => {
    for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
      if (page.has(box.dataset.testid)) continue;
      const x = getComputedStyle(box).overflowX;
      if (x !== 'visible' && fits(box)) return true;
    }
    return false;
  };
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= width + 1) continue;
    if (getComputedStyle(el).visibility === 'hidden' || contained(el)) continue;
    const name = String(el.dataset.testid || el.className || '').slice(0, 60);
    wide.push(`${el.tagName.toLowerCase()} ${name} right=${Math.round(r.right)}`);
  }
  return {scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 20)};
}
"""


def assert_fits(page: Page, what: str) -> None:
    """No horizontal scroll and no element past the right edge of the phone."""
    wait_until_idle(page)
    page.wait_for_timeout(500)
    found = page.evaluate(TOO_WIDE_JS, PHONE["width"])
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"phone-{what}.png"), full_page=True)
    assert found["scrollWidth"] <= PHONE["width"], f"{what}: scrollWidth {found['scrollWidth']}"
    assert found["wide"] == [], f"{what}: wider than the phone: {found['wide']}"
