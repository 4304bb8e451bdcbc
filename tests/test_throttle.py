"""Sign-in throttling: a growing wait per account name and per client, then a lock; the
sentence never tells whether the name exists; an administrator unlocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import Engine, text
from typer.testing import CliRunner

import i18n
from accounts.auth import create_user, hash_password, sign_in
from accounts.throttle import LoginThrottled, Policy, wait_after
from core.errors import AuthenticationFailed
from db.database import session_scope
from tests import factories

POLICY = Policy(free=3, delay_s=2.0, delay_max_s=60.0, lock_after=10, lock_s=900.0, window_s=3600.0)
T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
PASSWORD = "correct-horse-9"


def _failures(n: int, every_s: float = 1.0) -> list[datetime]:
    return [T0 + timedelta(seconds=i * every_s) for i in range(n)]


@pytest.mark.parametrize(
    ("failures", "after_s", "wait"),
    [
        (2, 0.0, 0.0),  # the first failures are free
        (3, 0.0, 2.0),  # then 2 s after the latest
        (4, 0.0, 4.0),  # doubling
        (3, 1.5, 0.5),  # time passes
        (9, 0.0, 60.0),  # capped at the maximum
        (10, 0.0, 900.0),  # locked for 15 minutes
        (10, 899.0, 1.0),
        (10, 900.0, 0.0),
    ],
)
def test_the_wait_grows_then_locks(failures: int, after_s: float, wait: float) -> None:
    seen = _failures(failures, every_s=0.0)
    assert wait_after(seen, seen[-1] + timedelta(seconds=after_s), POLICY) == pytest.approx(wait)


@pytest.fixture
def accounts(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    for name, value in {
        "SHUIJIAN_LOGIN_FREE_ATTEMPTS": "3",
        "SHUIJIAN_LOGIN_DELAY_S": "30",
        "SHUIJIAN_LOGIN_LOCK_AFTER": "5",
        "SHUIJIAN_LOGIN_LOCK_MIN": "15",
    }.items():
        monkeypatch.setenv(name, value)
    with session_scope(engine) as s:
        factories.ensure_county(s)
        create_user(s, "analyst1", hash_password(PASSWORD), "analyst")
        create_user(s, "analyst2", hash_password(PASSWORD), "analyst")
    return engine


def _try(engine: Engine, name: str, password: str, client: str = "10.0.0.1") -> str:
    """What one sign-in ends in: 'ok', 'wrong' or 'wait:<seconds>'."""
    try:
        with session_scope(engine) as s:
            sign_in(s, name, password, client)
    except AuthenticationFailed:
        return "wrong"
    except LoginThrottled as refused:
        return f"wait:{refused.params['seconds']}"
    return "ok"


def test_three_failures_then_even_the_right_password_must_wait(accounts: Engine) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        assert [_try(accounts, "analyst1", "nope") for _ in range(3)] == ["wrong"] * 3
        assert _try(accounts, "analyst1", PASSWORD) == "wait:30"
        traveller.shift(31)
        assert _try(accounts, "analyst1", PASSWORD) == "ok"
        # a success starts the count afresh
        assert _try(accounts, "analyst1", "nope") == "wrong"
        assert _try(accounts, "analyst1", PASSWORD) == "ok"
    with accounts.connect() as conn:
        outcomes = list(conn.scalars(text("SELECT outcome FROM login_attempt ORDER BY id")))
    assert outcomes == ["failure"] * 3 + ["success", "failure", "success"]


def test_a_lock_after_more_failures_and_an_admin_unlocks(
    accounts: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        for i in range(5):
            traveller.shift(61 if i else 0)  # past each wait, so every try is heard
            assert _try(accounts, "analyst1", "nope") == "wrong"
        assert _try(accounts, "analyst1", PASSWORD) == "wait:900"
        monkeypatch.setenv("DATABASE_URL", accounts.url.render_as_string(hide_password=False))
        from cli.main import app
        from db import database

        database.get_engine.cache_clear()  # the command line's engine: this test's database
        try:
            unlocked = CliRunner().invoke(app, ["user", "unlock", "analyst1"])
        finally:
            database.get_engine.cache_clear()
        assert unlocked.exit_code == 0, unlocked.output
        assert _try(accounts, "analyst1", PASSWORD) == "ok"


def test_the_same_sentence_whether_or_not_the_name_exists(accounts: Engine) -> None:
    with time_machine.travel(T0, tick=False):
        real = [_try(accounts, "analyst2", "nope", "10.0.0.2") for _ in range(4)]
        ghost = [_try(accounts, "nobody", "nope", "10.0.0.3") for _ in range(4)]
    assert real == ghost == ["wrong", "wrong", "wrong", "wait:30"]
    sentence = i18n.describe(LoginThrottled("x", seconds=30), "zh")
    assert "30" in sentence and "nobody" not in sentence and "不存在" not in sentence


def test_one_client_trying_many_names_is_throttled_too(accounts: Engine) -> None:
    with time_machine.travel(T0, tick=False):
        tries = [_try(accounts, f"guess{i}", "nope", "10.9.9.9") for i in range(3)]
        assert tries == ["wrong"] * 3
        # a fourth name, never tried before, from the same client must wait
        assert _try(accounts, "analyst2", PASSWORD, "10.9.9.9") == "wait:30"
        # the account itself is free from another client
        assert _try(accounts, "analyst2", PASSWORD, "10.1.1.1") == "ok"
