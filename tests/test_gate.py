"""The web gate over HTTP: sign-in sets an HttpOnly SameSite=Strict cookie holding a token the
database keeps only hashed; a page request without a live session goes to the sign-in form
and comes back to the URL it asked for; sign-out, a password change and the idle and
absolute timeouts end a session; hostile input gets a sentence, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from sqlalchemy import Engine, select, text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient
from typer.testing import CliRunner

from accounts import sessions
from accounts.auth import create_user, hash_password
from accounts.passwords import change_password
from core.errors import AuthenticationFailed
from db.database import get_engine, session_scope
from db.models import Deputy, SignInSession
from tests import factories
from ui import gate

PASSWORD = "correct-horse-9"
T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def _stand_in(request) -> PlainTextResponse:  # noqa: ANN001 - Streamlit's place in the test
    return PlainTextResponse(f"PAGE {request.url.path}")


@pytest.fixture
def site(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The gate in front of a stand-in for Streamlit, on a fresh database with two users."""
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SHUIJIAN_LOGIN_FREE_ATTEMPTS", "50")
    get_engine.cache_clear()
    with session_scope(engine) as s:
        factories.ensure_county(s)
        deputy = Deputy(code="D0001", name="代表甲", level="county")
        s.add(deputy)
        s.flush()
        create_user(s, "analyst1", hash_password(PASSWORD), "analyst")
        create_user(s, "d0001", hash_password(PASSWORD), "deputy", deputy_id=deputy.id)
    app = Starlette(
        routes=[*gate.routes(), Route("/{path:path}", _stand_in)],
        middleware=[Middleware(gate.SignInGate)],
    )
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        yield client
    get_engine.cache_clear()


def _sign_in(client: TestClient, username: str = "analyst1", next_url: str = "/", **extra):
    form = {"username": username, "password": PASSWORD, "next": next_url, "lang": "zh"}
    return client.post(gate.SIGN_IN, data={**form, **extra})


def test_next_and_page_names_are_safe() -> None:
    assert gate.safe_next("/ticket?number=T-1") == "/ticket?number=T-1"
    for hostile in (
        "//evil.example/x",
        "https://evil.example",
        "/\\evil",
        "ticket",
        "",
        None,
        "/account/sign-out",
        "/a\r\nSet-Cookie: x=1",
        "/..//evil.example",
        "/./x",
    ):
        assert gate.safe_next(hostile) == "/"
    assert gate.page_name("/") == ""
    assert gate.page_name("/ticket") == "ticket"
    # Not pages, but not passed through either: Streamlit would answer a blank page or
    # "Page not found", so the gate sends them on.
    assert gate.page_name("/due/extra") == "due/extra"
    assert gate.page_name("/foo.bar") == "foo.bar"
    for not_a_page in (
        "/_stcore/stream",
        "/static/js/main.js",
        "/favicon.png",
        "/app/static/x",
        "/media/abc.png",
        "/account/sign-in",
        "/due/_stcore/health",
        "/ticket/_stcore/host-config",
    ):
        assert gate.page_name(not_a_page) is None


def test_a_shared_link_leads_through_sign_in_back_to_itself(site: TestClient) -> None:
    asked = site.get("/ticket?number=T-20261130-0001")
    assert asked.status_code == 303
    target = urlsplit(asked.headers["location"])
    assert target.path == gate.SIGN_IN
    assert parse_qs(target.query)["next"] == ["/ticket?number=T-20261130-0001"]
    # Without a cookie the form first reloads itself from this site (SameSite=Strict).
    hop = site.get(asked.headers["location"])
    assert hop.status_code == 200 and 'http-equiv="refresh"' in hop.text and "hop=1" in hop.text
    form = site.get(asked.headers["location"] + "&hop=1")
    assert form.status_code == 200 and "用户名" in form.text and "密码" in form.text
    assert "T-20261130-0001" in form.text  # carried in the hidden next field

    signed = _sign_in(site, next_url="/ticket?number=T-20261130-0001")
    assert signed.status_code == 303
    assert signed.headers["location"] == "/ticket?number=T-20261130-0001"
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith(f"{sessions.COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http here; set under https
    opened = site.get("/ticket?number=T-20261130-0001")
    assert opened.status_code == 200 and opened.text == "PAGE /ticket"
    # Signed in, the form sends the user straight on.
    again = site.get(gate.sign_in_url("/coverage"))
    assert again.status_code == 303 and again.headers["location"] == "/coverage"


def test_the_database_keeps_only_the_hash(site: TestClient, engine: Engine) -> None:
    token = _sign_in(site).cookies[sessions.COOKIE]
    with engine.connect() as conn:
        stored = conn.execute(select(SignInSession.token_hash)).scalars().all()
        dumped = conn.execute(text("SELECT row_to_json(s)::text FROM sign_in_session s")).scalar()
    assert stored == [sessions.token_hash(token)]
    assert token not in dumped
    assert len(token) >= 40


def test_the_public_archive_needs_no_sign_in(site: TestClient) -> None:
    assert site.get("/public").text == "PAGE /public"
    # Nor does the published monthly ranking of the counties (每月排名公开公示).
    assert site.get("/city_ranking_public").text == "PAGE /city_ranking_public"
    assert site.get("/static/js/index.js").status_code == 200  # assets pass untouched


def test_a_page_the_role_may_not_open_goes_home(site: TestClient) -> None:
    _sign_in(site, "d0001")
    denied = site.get("/evaluation")
    assert denied.status_code == 303 and denied.headers["location"] == "/?denied=evaluation"
    assert site.get("/due").text == "PAGE /due"
    assert site.get("/login").headers["location"] == "/"
    # The role's home page has only "/" as its URL in Streamlit: its name goes there.
    home = site.get("/my_sites?tab=password")  # a deputy lands on 我的点位
    assert home.status_code == 303 and home.headers["location"] == "/?tab=password"
    for nowhere in ("/due/extra", "/foo.bar", "/x/y/z"):
        assert site.get(nowhere).headers["location"] == "/"
    site.cookies.clear()
    anonymous = site.get("/due/extra")
    assert anonymous.status_code == 303 and gate.SIGN_IN in anonymous.headers["location"]


def test_a_wrong_password_sets_no_cookie_and_says_so(site: TestClient) -> None:
    refused = site.post(
        gate.SIGN_IN,
        data={"username": "analyst1", "password": "nope-nope", "next": "/due", "lang": "zh"},
    )
    assert refused.status_code == 401
    assert "用户名或密码错误" in refused.text
    assert "set-cookie" not in refused.headers
    unknown = site.post(
        gate.SIGN_IN, data={"username": "nobody", "password": "nope-nope", "lang": "en"}
    )
    assert unknown.status_code == 401 and "Wrong user name or password" in unknown.text
    empty = site.post(gate.SIGN_IN, data={"username": "", "password": ""})
    assert empty.status_code == 400 and "请输入用户名和密码" in empty.text


def test_throttled_sign_in_says_wait(site: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHUIJIAN_LOGIN_FREE_ATTEMPTS", "1")
    monkeypatch.setenv("SHUIJIAN_LOGIN_DELAY_S", "60")
    site.post(gate.SIGN_IN, data={"username": "analyst1", "password": "nope-nope"})
    waited = _sign_in(site)
    assert waited.status_code == 429
    assert "登录失败次数过多" in waited.text
    assert "set-cookie" not in waited.headers


def test_hostile_posts_are_refused(site: TestClient) -> None:
    forged = _sign_in(site, next_url="/", **{})
    assert forged.status_code == 303  # the test client sends no Origin: allowed
    site.cookies.clear()
    cross = site.post(
        gate.SIGN_IN,
        data={"username": "analyst1", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert cross.status_code == 403 and "set-cookie" not in cross.headers
    fetched = site.post(
        gate.SIGN_IN,
        data={"username": "analyst1", "password": PASSWORD},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert fetched.status_code == 403
    away = _sign_in(site, next_url="//evil.example/steal")
    assert away.headers["location"] == "/"
    huge = site.post(
        gate.SIGN_IN,
        content=b"username=" + b"x" * 20_000,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert huge.status_code == 413
    garbage = site.post(
        gate.SIGN_IN,
        content=b"\xff\xfe%%%=&&==\x00",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert garbage.status_code in (400, 401) and "Traceback" not in garbage.text
    site.cookies.set(sessions.COOKIE, "x" * 5000)
    assert site.get("/due").status_code == 303


def test_sign_out_ends_the_session_everywhere(site: TestClient) -> None:
    token = _sign_in(site).cookies[sessions.COOKIE]
    assert site.get("/due").status_code == 200
    # A link (GET) signs nobody out, nor does a post from another site: both only offer
    # the button.
    offered = site.get(gate.SIGN_OUT)
    assert offered.status_code == 200 and 'method="post"' in offered.text
    assert offered.headers["x-frame-options"] == "DENY"
    forged = site.post(gate.SIGN_OUT, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403
    assert site.get("/due").status_code == 200
    out = site.post(gate.SIGN_OUT)
    assert out.status_code == 303
    assert (
        f'{sessions.COOKIE}=""' in out.headers["set-cookie"]
        or "Max-Age=0" in out.headers["set-cookie"]
    )
    # Another tab still holding the old cookie is signed out too.
    site.cookies.set(sessions.COOKIE, token)
    assert site.get("/due").status_code == 303
    ended = site.get(gate.sign_in_url("/due"))
    assert "登录已结束" in ended.text


def test_idle_and_absolute_timeouts(site: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHUIJIAN_SESSION_IDLE_HOURS", "8")
    monkeypatch.setenv("SHUIJIAN_SESSION_MAX_DAYS", "7")
    with time_machine.travel(T0, tick=False) as traveller:
        _sign_in(site)
        traveller.shift(timedelta(hours=7, minutes=59))
        assert site.get("/due").status_code == 200  # and the idle clock restarts
        traveller.shift(timedelta(hours=7, minutes=59))
        assert site.get("/due").status_code == 200
        traveller.shift(timedelta(hours=8, minutes=1))
        assert site.get("/due").status_code == 303  # idle too long

        _sign_in(site)
        for _ in range(24):  # active every 7 hours for a week
            traveller.shift(timedelta(hours=7))
            status = site.get("/due").status_code
        assert status == 303  # 168 h: past the absolute limit however active


def test_a_password_change_ends_every_session(site: TestClient, engine: Engine) -> None:
    first = _sign_in(site).cookies[sessions.COOKIE]
    with session_scope(engine) as s:
        user_id = s.execute(text("SELECT id FROM app_user WHERE username = 'analyst1'")).scalar()
        with pytest.raises(AuthenticationFailed):
            change_password(s, user_id, "wrong-current", "a-new-password")
    with session_scope(engine) as s:
        assert change_password(s, user_id, PASSWORD, "a-new-password") == 1
    site.cookies.set(sessions.COOKIE, first)
    assert site.get("/due").status_code == 303
    assert _sign_in(site).status_code == 401  # the old password no longer works


def test_the_admin_command_resets_a_password_and_ends_sessions(
    site: TestClient, engine: Engine
) -> None:
    from cli.main import app

    token = _sign_in(site).cookies[sessions.COOKIE]
    result = CliRunner().invoke(
        app, ["user", "password", "analyst1", "--password", "reset-by-admin"]
    )
    assert result.exit_code == 0, result.output
    assert "1 sign-in session(s) ended" in result.output
    site.cookies.set(sessions.COOKIE, token)
    assert site.get("/due").status_code == 303
    missing = CliRunner().invoke(app, ["user", "password", "nobody", "--password", "whatever-1"])
    assert missing.exit_code == 1 and "no account named" in missing.output
    short = CliRunner().invoke(app, ["user", "password", "analyst1", "--password", "short"])
    assert short.exit_code == 1 and "at least 8" in short.output
    assert "Traceback" not in missing.output + short.output


def test_a_deactivated_account_is_signed_out(site: TestClient, engine: Engine) -> None:
    _sign_in(site)
    with engine.begin() as conn:
        conn.execute(text("UPDATE app_user SET is_active = false WHERE username = 'analyst1'"))
    assert site.get("/due").status_code == 303


def test_an_outage_is_a_sentence(site: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://x:y@127.0.0.1:9/none")
    get_engine.cache_clear()
    site.cookies.set(sessions.COOKIE, "some-token")
    page = site.get("/due")
    assert page.status_code == 503 and "数据库暂不可用" in page.text
    posted = _sign_in(site)
    assert posted.status_code == 503 and "Traceback" not in posted.text


def test_the_form_speaks_english(site: TestClient) -> None:
    form = site.get(gate.sign_in_url("/due", "en") + "&hop=1")
    assert "User name" in form.text and "Password" in form.text and "用户名" not in form.text
    assert 'lang="en"' in form.text
    chinese = site.get(gate.sign_in_url("/due", "zh") + "&hop=1")
    assert "用户名" in chinese.text and "User name" not in chinese.text


def test_the_form_s_links_to_the_public_pages_keep_its_language(site: TestClient) -> None:
    """An English visitor who follows 'Report a water problem' gets the English page."""
    for lang in ("en", "zh"):
        form = site.get(gate.sign_in_url("/", lang) + "&hop=1").text
        assert f'href="/public?lang={lang}"' in form
        assert f'href="/report_public?lang={lang}"' in form
        assert f'href="/city_ranking_public?lang={lang}"' in form
    assert site.get("/public?lang=en").text == "PAGE /public"  # the gate lets it through


def test_the_account_page_changes_the_password(site: TestClient, engine: Engine) -> None:
    """The form on 我的账户: mismatch and a wrong current password are said; a change ends
    every session, this one too."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from accounts.auth import SignedIn
    from ui import session as ui_session

    token = _sign_in(site).cookies[sessions.COOKIE]
    with engine.connect() as conn:
        user_id = conn.execute(text("SELECT id FROM app_user WHERE username = 'analyst1'")).scalar()
    st.cache_resource.clear()
    at = AppTest.from_file("../views/account.py", default_timeout=60)
    at.session_state[ui_session.USER] = SignedIn(user_id, "analyst1", "analyst", None, "分析员")
    at.run()

    def submit(current: str, new: str, repeat: str) -> None:
        at.text_input(key="password_current").input(current)
        at.text_input(key="password_new").input(new)
        at.text_input(key="password_repeat").input(repeat)
        at.button[0].click()
        at.run()

    submit(PASSWORD, "a-new-password", "another-one")
    assert "两次输入的新密码不一致" in at.error[0].value
    submit("wrong-current", "a-new-password", "a-new-password")
    assert "当前密码不正确" in at.error[0].value
    submit(PASSWORD, "short", "short")
    assert "至少需要 8 个字符" in at.error[0].value
    submit("", "", "")
    assert "请填写全部三个密码框" in at.error[0].value
    submit(PASSWORD, PASSWORD, PASSWORD)
    assert "不能与当前密码相同" in at.error[0].value
    submit(PASSWORD, "a-new-password", "a-new-password")
    assert not at.exception
    # Signed out at once (the next run shows the sign-in form, saying why).
    assert ui_session.USER not in at.session_state
    assert at.session_state[ui_session.FLASH] == "password_changed"
    site.cookies.set(sessions.COOKIE, token)
    assert site.get("/due").status_code == 303
    st.cache_resource.clear()


def test_each_page_run_resumes_the_user_from_the_cookie(
    site: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Behind the gate a run trusts only the cookie: a live session restores its user (and
    the language chosen at sign-in); a revoked one leaves the sign-in form."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from accounts.auth import SignedIn
    from ui import session as ui_session

    token = _sign_in(site, "d0001", lang="en").cookies[sessions.COOKIE]
    monkeypatch.setenv("SHUIJIAN_GATE", "1")
    monkeypatch.setattr(ui_session, "_cookie_token", lambda: token)
    st.cache_resource.clear()
    at = AppTest.from_file("../streamlit_app.py", default_timeout=60).run()
    assert not at.exception
    assert at.session_state[ui_session.USER].username == "d0001"
    assert [t.value for t in at.title] == ["My sites"]  # a deputy's landing page, in English

    site.post(gate.SIGN_OUT)  # another tab signs out
    at.run()
    assert ui_session.USER not in at.session_state
    assert [t.value for t in at.title] == ["Sign in to Shuijian"]

    # A user in the state without a live cookie is not trusted behind the gate.
    monkeypatch.setattr(ui_session, "_cookie_token", lambda: "forged-token")
    at.session_state[ui_session.USER] = SignedIn(1, "analyst1", "analyst", None, "分析员")
    at.run()
    assert ui_session.USER not in at.session_state
    st.cache_resource.clear()


def test_under_https_the_cookie_is_secure(site: TestClient) -> None:
    secure = TestClient(site.app, base_url="https://testserver", follow_redirects=False)
    signed = _sign_in(secure)
    assert signed.status_code == 303
    assert "Secure" in signed.headers["set-cookie"]
