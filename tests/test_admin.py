"""Administration: accounts, a site's deputy from a day on, the platforms' endpoints and keys,
and the audit log — the services the command line and the admin page share.

Each action is validated as the command line always did, refused to every role but admin
(PermissionDenied from the service itself), and leaves one audit row without a password or a
key; the command line writes its rows as ``cli:<os user>``. The page is driven through AppTest
as an admin (an action taken, a refusal in the user's language) and as a leader (stopped).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine, text
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from accounts import admin, sessions, throttle
from accounts.audit import Operator, audit_events, record
from accounts.auth import SignedIn, authenticate
from api.keys import verify_key
from archive import clients as ogc_clients
from core import clock
from core.errors import AuthenticationFailed, PermissionDenied, ShuijianError
from db.database import session_scope
from duty import assignments
from tickets import platforms
from ui import session as ui_session

# Reads today's date (the assignments' default day, the audit log's dates), but the calendar's
# edges are the date rules' own tests': run again under the first two frozen dates only
# (tests/clock.py).
pytestmark = pytest.mark.clock_sample

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "views" / "admin.py")
TIMEOUT = 120
OPERATOR = Operator("tester")


def _signed_in(engine: Engine, username: str) -> SignedIn:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT id, username, role, deputy_id, COALESCE(display_name, username) "
                "FROM app_user WHERE username = :u"
            ),
            {"u": username},
        ).one()
    return SignedIn(*row)


def _audit(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT actor, actor_user_id, action, target, details FROM audit_event ORDER BY id"
            )
        ).mappings()
        return [dict(r) for r in rows]


def _refused(engine: Engine, code: str, action, *args) -> None:
    with pytest.raises(ShuijianError) as raised, session_scope(engine) as s:
        action(s, *args)
    assert raised.value.code == code, (raised.value.code, raised.value)


# ------------------------------------------------------------------------------ accounts


def test_adding_an_account_is_validated_and_audited_without_the_password(
    demo_copy: Engine,
) -> None:
    boss = _signed_in(demo_copy, "admin")
    add = admin.add_user
    _refused(demo_copy, "bad_username", add, boss, "two words", "analyst", "pw-long-enough")
    _refused(demo_copy, "bad_username", add, boss, "", "analyst", "pw-long-enough")
    _refused(demo_copy, "account_exists", add, boss, "ANALYST", "analyst", "pw-long-enough")
    _refused(demo_copy, "unknown_role", add, boss, "newbie", "boss", "pw-long-enough")
    _refused(demo_copy, "deputy_code_needed", add, boss, "newbie", "deputy", "pw-long-enough")
    _refused(
        demo_copy, "deputy_only_for_deputy_role", add, boss, "n", "analyst", "pw-long-enough", "D1"
    )
    _refused(demo_copy, "no_such_deputy", add, boss, "n", "deputy", "pw-long-enough", "D9999")
    _refused(demo_copy, "deputy_has_account", add, boss, "n", "deputy", "pw-long-enough", "d0001")
    _refused(demo_copy, "password_too_short", add, boss, "newbie", "analyst", "short")
    assert _audit(demo_copy) == []  # a refusal leaves nothing

    with session_scope(demo_copy) as s:
        admin.add_user(s, boss, "newbie", "analyst", "pw-long-enough", None, "新分析员")
    with session_scope(demo_copy) as s:
        assert authenticate(s, "newbie", "pw-long-enough").role == "analyst"
    [event] = _audit(demo_copy)
    assert event["actor"] == "user:admin" and event["actor_user_id"] == boss.user_id
    assert (event["action"], event["target"]) == ("user_add", "newbie")
    assert event["details"] == {"role": "analyst", "deputy": None}
    assert "pw-long-enough" not in json.dumps(event)


def test_every_admin_action_is_refused_to_the_other_roles(demo_copy: Engine) -> None:
    today = clock.today()
    calls = [
        lambda s, u: admin.add_user(s, u, "x1", "analyst", "pw-long-enough"),
        lambda s, u: admin.reset_password(s, u, "analyst", "pw-long-enough"),
        lambda s, u: admin.lock_user(s, u, "analyst"),
        lambda s, u: admin.unlock_user(s, u, "analyst"),
        lambda s, u: admin.change_role(s, u, "analyst", "leader"),
        lambda s, u: admin.list_users(s, u),
        lambda s, u: assignments.assign_deputy(s, u, "S0001", "D0002", today),
        lambda s, u: platforms.set_endpoint(s, u, "zhifa", "https://zf.example.gov/in"),
        lambda s, u: platforms.issue_key(s, u, "zhifa"),
        lambda s, u: platforms.list_platforms(s, u),
        lambda s, u: ogc_clients.issue_client_key(s, u, "sneaky", "偷偷"),
        lambda s, u: ogc_clients.revoke_client(s, u, "sneaky"),
        lambda s, u: ogc_clients.list_clients(s, u),
        lambda s, u: audit_events(s, u),
    ]
    for username in ("leader", "analyst", "d0001"):
        somebody = _signed_in(demo_copy, username)
        for call in calls:
            with pytest.raises(PermissionDenied), session_scope(demo_copy) as s:
                call(s, somebody)
    for call in calls[-1:]:
        with pytest.raises(PermissionDenied), session_scope(demo_copy) as s:
            call(s, None)
    assert _audit(demo_copy) == []


def test_locking_ends_every_session_and_unlocking_lifts_the_throttle(demo_copy: Engine) -> None:
    boss = _signed_in(demo_copy, "admin")
    analyst = _signed_in(demo_copy, "analyst")
    with session_scope(demo_copy) as s:
        token = sessions.begin(s, analyst, "10.0.0.1")
    with session_scope(demo_copy) as s:
        assert admin.lock_user(s, boss, "Analyst") == 1
    with session_scope(demo_copy) as s:
        assert sessions.resume(s, token) is None
        with pytest.raises(AuthenticationFailed):
            authenticate(s, "analyst", "analyst-demo")
    _refused(demo_copy, "account_locked_already", admin.lock_user, boss, "analyst")
    _refused(demo_copy, "not_own_account", admin.lock_user, boss, "admin")
    _refused(demo_copy, "last_admin", admin.lock_user, OPERATOR, "admin")
    _refused(demo_copy, "no_such_account", admin.lock_user, boss, "nobody")

    # the throttle: failures lock the name; the unlock reactivates and lifts it
    with session_scope(demo_copy) as s:
        for _ in range(12):
            throttle.record(s, "analyst", "10.0.0.7", "failure")
    with session_scope(demo_copy) as s, pytest.raises(throttle.LoginThrottled):
        throttle.check(s, "analyst", "10.0.0.8")
    with session_scope(demo_copy) as s:
        listed = admin.list_users(s, boss).set_index("username")
        assert listed.loc["analyst", "wait_s"] > 0 and not listed.loc["analyst", "active"]
    with session_scope(demo_copy) as s:
        assert admin.unlock_user(s, boss, "analyst") is True
    with session_scope(demo_copy) as s:
        throttle.check(s, "analyst", "10.0.0.7")  # neither the name nor its client waits
        assert authenticate(s, "analyst", "analyst-demo").username == "analyst"
    actions = [(e["action"], e["details"]) for e in _audit(demo_copy)]
    assert actions == [
        ("user_lock", {"sessions_ended": 1}),
        ("user_unlock", {"reactivated": True, "account": True}),
    ]


def test_a_password_reset_ends_sessions_and_keeps_no_password(demo_copy: Engine) -> None:
    boss = _signed_in(demo_copy, "admin")
    leader = _signed_in(demo_copy, "leader")
    with session_scope(demo_copy) as s:
        token = sessions.begin(s, leader, "10.0.0.2")
    _refused(demo_copy, "password_too_short", admin.reset_password, boss, "leader", "short")
    _refused(demo_copy, "no_such_account", admin.reset_password, boss, "nobody", "long-enough")
    with session_scope(demo_copy) as s:
        assert admin.reset_password(s, boss, "leader", "a-new-secret-1") == 1
    with session_scope(demo_copy) as s:
        assert sessions.resume(s, token) is None
        assert authenticate(s, "leader", "a-new-secret-1").role == "leader"
    [event] = _audit(demo_copy)
    assert event["action"] == "user_password" and event["details"] == {"sessions_ended": 1}
    assert "a-new-secret-1" not in json.dumps(event)
    with pytest.raises(ValueError, match="no secret"), session_scope(demo_copy) as s:
        record(s, boss, "user_password", "leader", {"new_password": "x"})


def test_a_role_change_is_validated_and_audited(demo_copy: Engine) -> None:
    boss = _signed_in(demo_copy, "admin")
    role = admin.change_role
    _refused(demo_copy, "role_unchanged", role, boss, "leader", "leader")
    _refused(demo_copy, "unknown_role", role, boss, "leader", "king")
    _refused(demo_copy, "deputy_code_needed", role, boss, "leader", "deputy")
    _refused(demo_copy, "deputy_has_account", role, boss, "leader", "deputy", "D0001")
    _refused(demo_copy, "not_own_account", role, boss, "admin", "analyst")
    _refused(demo_copy, "last_admin", role, OPERATOR, "admin", "analyst")
    with session_scope(demo_copy) as s:
        role(s, boss, "leader", "admin")
    with session_scope(demo_copy) as s:
        role(s, OPERATOR, "d0003", "analyst")  # a deputy's account no longer linked
    with demo_copy.connect() as conn:
        rows = dict(
            conn.execute(
                text(
                    "SELECT username, role || ':' || COALESCE(deputy_id::text, '-') FROM app_user "
                    "WHERE username IN ('leader', 'd0003')"
                )
            ).all()
        )
    assert rows == {"leader": "admin:-", "d0003": "analyst:-"}
    events = _audit(demo_copy)
    assert [e["actor"] for e in events] == ["user:admin", "cli:tester"]
    assert events[1]["details"] == {
        "role_from": "deputy",
        "role_to": "analyst",
        "deputy_from": "D0003",
        "deputy_to": None,
    }


# ---------------------------------------------------------------------------- assignments


def _current(engine: Engine) -> tuple[str, str, date]:
    """A site with an open assignment: its code, its deputy's code and the first day."""
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                text(
                    "SELECT s.code, d.code, a.valid_from FROM assignment a JOIN site s ON "
                    "s.id = a.site_id JOIN deputy d ON d.id = a.deputy_id "
                    "WHERE a.valid_to IS NULL ORDER BY s.code LIMIT 1"
                )
            ).one()
        )


def test_a_sites_deputy_changes_from_a_day_with_the_history_kept(demo_copy: Engine) -> None:
    boss = _signed_in(demo_copy, "admin")
    site, old, start = _current(demo_copy)
    other = "D0002" if old != "D0002" else "D0003"
    assign = assignments.assign_deputy
    day = start + timedelta(days=10)
    _refused(demo_copy, "no_such_site", assign, boss, "S9999", other, day)
    _refused(demo_copy, "no_such_deputy", assign, boss, site, "D9999", day)
    _refused(demo_copy, "assignment_unchanged", assign, boss, site, old, day)
    _refused(demo_copy, "assignment_too_early", assign, boss, site, other, start)
    _refused(demo_copy, "assignment_too_early", assign, boss, site, other, start - timedelta(1))
    with session_scope(demo_copy) as s:
        admin.lock_user(s, boss, other.lower())
    _refused(demo_copy, "deputy_inactive", assign, boss, site, other, day)
    with session_scope(demo_copy) as s:
        admin.unlock_user(s, boss, other.lower())
    with session_scope(demo_copy) as s:
        assign(s, boss, site.lower(), other.lower(), day)  # codes in any case
    with session_scope(demo_copy) as s:
        history = assignments.site_history(s, site)
    assert list(history["deputy"][:2]) == [other, old]
    assert history["valid_from"].iloc[0] == day and history["valid_to"].iloc[1] == day
    assert history["valid_to"].isna().iloc[0]
    event = _audit(demo_copy)[-1]
    assert (event["action"], event["target"]) == ("assignment_set", site)
    assert event["details"] == {"deputy": other, "valid_from": day.isoformat(), "previous": old}


# ------------------------------------------------------------------------------ platforms


def test_endpoint_and_key_rotation_are_validated_and_audited_without_secrets(
    demo_copy: Engine,
) -> None:
    boss = _signed_in(demo_copy, "admin")
    for bad in ("ftp://x.example/in", "https://", "zhifa.example.gov/in", "https://a b/c", ""):
        _refused(demo_copy, "endpoint_not_http", platforms.set_endpoint, boss, "zhifa", bad)
    _refused(demo_copy, "platform_unknown", platforms.set_endpoint, boss, "nosuch", "http://x/")
    url = "https://user:pw@zf.example.gov:8443/in?token=s3cr3t"
    with session_scope(demo_copy) as s:
        platforms.set_endpoint(s, boss, "zhifa", url)
    with session_scope(demo_copy) as s:
        first = platforms.issue_key(s, boss, "zhifa")
    with session_scope(demo_copy) as s:
        second = platforms.issue_key(s, boss, "zhifa")
    with session_scope(demo_copy) as s:
        assert verify_key(s, first) is None and verify_key(s, second) == "zhifa"
        listed = platforms.list_platforms(s, boss).set_index("code")
        assert listed.loc["zhifa", "endpoint_url"] == url and listed.loc["zhifa", "has_key"]
    events = _audit(demo_copy)
    assert [(e["action"], e["target"]) for e in events] == [
        ("platform_endpoint", "zhifa"),
        ("platform_key", "zhifa"),
        ("platform_key", "zhifa"),
    ]
    assert events[0]["details"]["url_to"] == "https://zf.example.gov:8443/in"
    assert [e["details"] for e in events[1:]] == [{"replaced": False}, {"replaced": True}]
    logged = json.dumps(events)
    for secret in (first, second, "s3cr3t", "pw@", "sha256:"):
        assert secret not in logged


# ------------------------------------------------------------------------------ audit log


def test_the_audit_log_is_filtered_and_newest_first(demo_copy: Engine) -> None:
    boss = _signed_in(demo_copy, "admin")
    with session_scope(demo_copy) as s:
        admin.lock_user(s, OPERATOR, "d0005")
        admin.unlock_user(s, boss, "d0005")
        platforms.issue_key(s, boss, "bianmin")
    with session_scope(demo_copy) as s:
        everything = audit_events(s, boss)
        assert list(everything["action"]) == ["platform_key", "user_unlock", "user_lock"]
        assert list(audit_events(s, boss, actions=["user_lock"])["actor"]) == ["cli:tester"]
        assert list(audit_events(s, boss, actor="ADMIN")["target"]) == ["bianmin", "d0005"]
        today = clock.today()
        assert len(audit_events(s, boss, since=today, until=today)) == 3
        assert audit_events(s, boss, until=today - timedelta(days=1)).empty


# ---------------------------------------------------------------------------- command line


def test_the_command_line_takes_the_same_paths_and_is_audited(
    demo_copy: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli.main import app
    from db import database

    monkeypatch.setenv("DATABASE_URL", demo_copy.url.render_as_string(hide_password=False))
    monkeypatch.setenv("USER", "opsperson")
    monkeypatch.setenv("LOGNAME", "opsperson")
    database.get_engine.cache_clear()  # the command line's engine: this test's database
    try:
        _command_line(demo_copy, app)
    finally:
        database.get_engine.cache_clear()


def _command_line(demo_copy: Engine, app) -> None:
    runner = CliRunner()
    added = runner.invoke(
        app, ["user", "add", "clerk", "--role", "leader", "--password", "pw-long-enough"]
    )
    assert added.exit_code == 0, added.output
    twice = runner.invoke(
        app, ["user", "add", "CLERK", "--role", "leader", "--password", "pw-long-enough"]
    )
    assert twice.exit_code == 1 and "exists already" in twice.output
    orphan = runner.invoke(
        app, ["user", "add", "x", "--role", "deputy", "--password", "pw-long-enough"]
    )
    assert orphan.exit_code == 1 and "code of its deputy" in orphan.output
    for args in (
        ["user", "lock", "clerk"],
        ["user", "unlock", "clerk"],
        ["user", "role", "clerk", "analyst"],
    ):
        done = runner.invoke(app, args)
        assert done.exit_code == 0, done.output
    site, old, start = _current(demo_copy)
    early = runner.invoke(app, ["assignment", "set", site, "D0002", "--from", start.isoformat()])
    assert early.exit_code == 1 and "must be after" in early.output
    later = (start + timedelta(days=3)).isoformat()
    other = "D0002" if old != "D0002" else "D0003"
    moved = runner.invoke(app, ["assignment", "set", site, other, "--from", later])
    assert moved.exit_code == 0, moved.output
    history = runner.invoke(app, ["assignment", "history", site])
    assert history.exit_code == 0 and other in history.output and old in history.output
    key = runner.invoke(app, ["platform", "key", "shichang"])
    assert key.exit_code == 0, key.output
    log = runner.invoke(app, ["audit", "--action", "platform_key"])
    assert log.exit_code == 0 and "cli:opsperson" in log.output and "shichang" in log.output
    assert "Traceback" not in "".join(
        r.output for r in (added, twice, orphan, early, moved, history, key, log)
    )
    events = _audit(demo_copy)
    assert {e["actor"] for e in events} == {"cli:opsperson"}
    assert [e["action"] for e in events] == [
        "user_add",
        "user_lock",
        "user_unlock",
        "user_role",
        "assignment_set",
        "platform_key",
    ]
    assert key.stdout.strip().splitlines()[0] not in json.dumps(events)


# ----------------------------------------------------------------------------------- page


@pytest.fixture
def page_database(demo_copy: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("DATABASE_URL", demo_copy.url.render_as_string(hide_password=False))
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield demo_copy
    st.cache_data.clear()
    st.cache_resource.clear()


def _page(engine: Engine, username: str, english: bool = False) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.session_state[ui_session.USER] = _signed_in(engine, username)
    at.session_state[ui_session.ENGLISH] = english
    return at.run()


def _shown(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in (*at.error, *at.success, *at.warning, *at.caption))


def test_the_page_as_admin_changes_a_role_and_says_a_refusal_in_chinese(
    page_database: Engine,
) -> None:
    at = _page(page_database, "admin")
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["系统管理"]
    assert at.radio(key="shuijian_admin_section").value == "users"
    at.selectbox(key="shuijian_admin_user").set_value("leader").run()
    at.selectbox(key="shuijian_admin_role_role_leader").set_value("analyst")
    at.button[[b.label for b in at.button].index("更改角色")].click().run()
    assert not at.exception, at.exception
    assert "leader 的角色已改为分析员" in _shown(at)
    with page_database.connect() as conn:
        assert conn.scalar(text("SELECT role FROM app_user WHERE username = 'leader'")) == "analyst"
    # a refusal: the admin's own account cannot be locked; nothing changes, no traceback
    at.selectbox(key="shuijian_admin_user").set_value("admin").run()
    at.button(key="shuijian_admin_lock").click().run()
    assert not at.exception, at.exception
    assert "不能锁定或降级自己的账户" in _shown(at)
    with page_database.connect() as conn:
        assert conn.scalar(text("SELECT is_active FROM app_user WHERE username = 'admin'"))
    # the audit log section shows the change, newest first
    at.radio(key="shuijian_admin_section").set_value("audit").run()
    assert not at.exception, at.exception
    [table] = at.dataframe
    frame = table.value
    assert list(frame["操作"]) == ["更改角色"] and list(frame["操作人"]) == ["admin"]
    assert "原角色：领导；新角色：分析员" in frame["详情"].iloc[0]


def test_the_page_rotates_a_key_and_shows_it_once(page_database: Engine) -> None:
    at = _page(page_database, "admin", english=True)
    at.radio(key="shuijian_admin_section").set_value("platforms").run()
    at.selectbox(key="shuijian_admin_platform").set_value("zhifa").run()
    key_button = [b.label for b in at.button].index("Issue a new key")
    at.button[key_button].click().run()
    assert "Tick the confirmation first" in _shown(at)
    at.checkbox(key="shuijian_admin_key_sure").check()
    at.button[key_button].click().run()
    assert not at.exception, at.exception
    [shown] = [c.value for c in at.code]
    with session_scope(page_database) as s:
        assert verify_key(s, shown) == "zhifa"
    at.run()
    assert not at.code  # shown once only
    at.text_input(key="shuijian_admin_endpoint_zhifa").set_value("ftp://nope")
    at.button[[b.label for b in at.button].index("Save the endpoint")].click().run()
    assert "is not an http(s) URL with a host" in _shown(at)


def test_the_page_issues_an_open_interface_key_once_and_revokes_it(
    page_database: Engine,
) -> None:
    at = _page(page_database, "admin")
    at.radio(key="shuijian_admin_section").set_value("open_interface").run()
    assert "还没有开放接口客户端" in "\n".join(str(i.value) for i in at.info)
    issue = [b.label for b in at.button].index("签发新密钥")
    at.text_input(key="shuijian_admin_ogc_code").input("hezhang_app")
    at.button[issue].click().run()  # a new client needs its name: refused, nothing stored
    assert "新建时请给出名称" in _shown(at)
    assert not at.code
    at.text_input(key="shuijian_admin_ogc_name").input("河长制APP")
    at.button[issue].click().run()
    assert not at.exception, at.exception
    [shown] = [c.value for c in at.code]
    with session_scope(page_database) as s:
        assert ogc_clients.verify_client(s, shown) == "hezhang_app"
    assert list(at.dataframe[0].value["客户端编码"]) == ["hezhang_app"]
    at.run()
    assert not at.code  # shown once only
    revoke = [b.label for b in at.button].index("吊销密钥")
    at.button[revoke].click().run()
    assert "请先勾选确认" in _shown(at)
    at.checkbox(key="shuijian_admin_ogc_sure").check()
    at.button[revoke].click().run()
    assert "hezhang_app 的密钥已吊销" in _shown(at)
    with session_scope(page_database) as s:
        assert ogc_clients.verify_client(s, shown) is None


def test_the_page_assigns_a_deputy(page_database: Engine) -> None:
    site, old, start = _current(page_database)
    other = "D0002" if old != "D0002" else "D0003"
    at = _page(page_database, "admin")
    at.radio(key="shuijian_admin_section").set_value("assignments").run()
    at.selectbox(key="shuijian_admin_site").set_value(site).run()
    assert not at.exception, at.exception
    at.selectbox(key="shuijian_admin_assign_deputy").set_value(other)
    at.date_input(key="shuijian_admin_assign_from").set_value(start)
    at.button[[b.label for b in at.button].index("更换联系代表")].click().run()
    assert "须晚于当前指派的起始日" in _shown(at)
    at.date_input(key="shuijian_admin_assign_from").set_value(start + timedelta(days=1))
    at.button[[b.label for b in at.button].index("更换联系代表")].click().run()
    assert not at.exception, at.exception
    assert f"为点位 {site} 的联系代表" in _shown(at)
    history = at.dataframe[-1].value
    assert list(history["代表"].str.split().str[0])[:2] == [other, old]


def test_a_leader_is_stopped_at_the_page(page_database: Engine) -> None:
    at = _page(page_database, "leader")
    assert not at.exception
    assert not at.radio and not at.dataframe
    assert any("无权" in e.value or "不能" in e.value for e in at.error), [
        e.value for e in at.error
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_section_speaks_one_language(page_database: Engine, lang: str) -> None:
    """Each section, with an audit log holding every kind of action, shows no word of the
    other language (test_page_language's check; account, site, deputy names are names)."""
    from tests.test_page_language import _stray, _strings

    boss = _signed_in(page_database, "admin")
    site, old, start = _current(page_database)
    with session_scope(page_database) as s:
        admin.add_user(s, boss, "newbie", "leader", "pw-long-enough")
        admin.reset_password(s, boss, "newbie", "pw-long-enough-2")
        admin.lock_user(s, OPERATOR, "newbie")
        admin.unlock_user(s, boss, "newbie")
        admin.change_role(s, boss, "newbie", "analyst")
        other = "D0002" if old != "D0002" else "D0003"
        assignments.assign_deputy(s, boss, site, other, start + timedelta(days=1))
        platforms.set_endpoint(s, boss, "zhifa", "https://zf.example.gov/in")
        platforms.issue_key(s, boss, "zhifa")
        ogc_clients.issue_client_key(s, boss, "hezhang_app", "河长制APP")
        ogc_clients.revoke_client(s, boss, "hezhang_app")
        ogc_clients.issue_client_key(s, boss, "zongzhi_gis", "综治平台")
    names = {"tester", "newbie"}
    with page_database.connect() as conn:
        for sql in (
            "SELECT username FROM app_user",
            "SELECT display_name FROM app_user",
            "SELECT name FROM site",
            "SELECT name FROM deputy",
            "SELECT name FROM township",  # a township account's township, by its name
            "SELECT endpoint_url FROM platform",
            "SELECT name FROM grid_head",
            "SELECT name FROM township",
            "SELECT code FROM ogc_client",
            "SELECT name FROM ogc_client",
        ):
            names |= {str(v) for v in conn.scalars(text(sql)) if v}
    at = _page(page_database, "admin", english=lang == "en")
    for section in ("users", "assignments", "grid_heads", "platforms", "open_interface", "audit"):
        at.radio(key="shuijian_admin_section").set_value(section).run()
        assert not at.exception, at.exception
        stray = _stray(_strings(at), lang, names)
        assert not stray, f"{section} ({lang}): " + "; ".join(sorted(set(stray))[:15])
    assert len(at.dataframe[0].value) == 11


def test_the_page_adds_an_account_and_keeps_the_entries_after_a_refusal(
    page_database: Engine,
) -> None:
    at = _page(page_database, "admin")
    at.text_input(key="shuijian_admin_add_name").input("clerk")
    at.selectbox(key="shuijian_admin_add_role").set_value("leader")
    at.text_input(key="shuijian_admin_add_pw").input("short")
    at.text_input(key="shuijian_admin_add_pw2").input("short")
    add = [b.label for b in at.button].index("新增账户")
    at.button[add].click().run()
    assert not at.exception, at.exception
    assert "新密码至少需要 8 个字符" in _shown(at)
    assert at.text_input(key="shuijian_admin_add_name").value == "clerk"  # nothing lost
    at.text_input(key="shuijian_admin_add_pw").input("pw-long-enough")
    at.text_input(key="shuijian_admin_add_pw2").input("pw-long-enough")
    at.button[add].click().run()
    assert not at.exception, at.exception
    assert "已新增账户 clerk" in _shown(at)
    assert at.text_input(key="shuijian_admin_add_pw").value == ""
    assert "clerk" in list(at.dataframe[0].value["用户名"])
    with session_scope(page_database) as s:
        assert authenticate(s, "clerk", "pw-long-enough").role == "leader"
