"""Daily reminders against a fake DingTalk robot / SMS gateway on 127.0.0.1, on the demo county.

The demo has no patrols, so on 15 March 2026 every site (tracked from 1 January) is overdue:
each deputy with sites gets one message. Most tests restrict the run to a few deputies.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote_plus

import httpx
import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from duty.reminders import (
    DingTalk,
    HttpHook,
    ReminderReport,
    dingtalk_sign,
    remind,
    signed_url,
)
from duty.reminders.message import NO_PHONE
from duty.windows import deadline_after_visit
from tests.fake_webhook import FakeWebhook, expected_sign

# Reads today's date: run again under each frozen date (tests/clock.py).
pytestmark = pytest.mark.clock

ON = date(2026, 3, 15)
NOW = datetime(2026, 3, 15, 0, 30, tzinfo=UTC)  # 08:30 in the county
SECRET = "SEC0123456789abcdef-test-secret"
SMS_TOKEN = "sms-token-for-tests"


@pytest.fixture
def fake() -> Iterator[FakeWebhook]:
    server = FakeWebhook(secret=SECRET, token=SMS_TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    # trust_env off: a proxy in the environment must never see the test traffic.
    with httpx.Client(trust_env=False, timeout=5) as c:
        yield c


def _deputies(engine: Engine, n: int = 4) -> list[tuple[int, str, str]]:
    """The first n deputies (by code) holding sites on ON: (id, code, phone)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT DISTINCT d.id, d.code, d.contact FROM deputy d "
                "JOIN assignment a ON a.deputy_id = d.id "
                "WHERE a.valid_from <= :on AND (a.valid_to IS NULL OR a.valid_to > :on) "
                "ORDER BY d.code LIMIT :n"
            ),
            {"on": ON, "n": n},
        ).all()
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def _sites_of(engine: Engine, deputy_id: int) -> list[tuple[int, str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.id, s.name, s.site_class FROM assignment a JOIN site s "
                "ON s.id = a.site_id WHERE a.deputy_id = :d AND a.valid_from <= :on "
                "AND (a.valid_to IS NULL OR a.valid_to > :on) ORDER BY s.code"
            ),
            {"d": deputy_id, "on": ON},
        ).all()
    return [(int(r[0]), str(r[1]), int(r[2])) for r in rows]


def _scalar(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as conn:
        return conn.scalar(text(sql), params)


def _dingtalk(fake: FakeWebhook, secret: str = SECRET) -> DingTalk:
    return DingTalk(fake.dingtalk_url, secret)


def test_sign_is_the_documented_scheme() -> None:
    """urlencode(base64(HMAC-SHA256(secret, "timestamp\\nsecret"))), appended as parameters."""
    ts = 1_700_000_000_123
    sign = dingtalk_sign(SECRET, ts)
    assert sign == quote_plus(expected_sign(SECRET, str(ts)))
    url = signed_url("https://oapi.dingtalk.com/robot/send?access_token=x", SECRET, ts)
    assert url == f"https://oapi.dingtalk.com/robot/send?access_token=x&timestamp={ts}&sign={sign}"
    assert signed_url("https://h/robot", None, ts) == "https://h/robot"
    assert SECRET not in repr(DingTalk("https://h/robot?access_token=tok", SECRET))
    assert "tok" not in repr(DingTalk("https://h/robot?access_token=tok", SECRET))


def test_one_signed_message_per_deputy_and_a_second_run_sends_nothing(
    demo_copy: Engine, fake: FakeWebhook, client: httpx.Client
) -> None:
    deputies = _deputies(demo_copy)
    ids = [d[0] for d in deputies]
    report = remind(demo_copy, ON, _dingtalk(fake), client=client, now=NOW, deputy_ids=ids)

    assert (report.sent, report.failed, report.deputies) == (4, 0, 4)
    got = fake.requests()
    assert len(got) == 4 and all(r.ok for r in got)  # the fake verified every signature
    assert all(r.query["timestamp"] == str(int(NOW.timestamp() * 1000)) for r in got)
    for (deputy_id, _code, phone), request in zip(deputies, got, strict=True):
        assert request.payload["at"]["atMobiles"] == [phone]
        body = request.payload["markdown"]["text"]
        assert f"@{phone}" in body and "已逾期" in body
        for _site_id, name, _cls in _sites_of(demo_copy, deputy_id):
            assert name in body
    n_sites = sum(len(_sites_of(demo_copy, i)) for i in ids)
    assert _scalar(demo_copy, "SELECT count(*) FROM reminder_item") == n_sites
    assert _scalar(demo_copy, "SELECT count(*) FROM reminder_log WHERE ok") == 4

    again = remind(demo_copy, ON, _dingtalk(fake), client=client, now=NOW, deputy_ids=ids)
    assert (again.sent, again.failed, again.skipped_already_sent) == (0, 0, n_sites)
    assert len(fake.requests()) == 4
    assert _scalar(demo_copy, "SELECT count(*) FROM reminder_log") == 4


def test_failed_sends_are_logged_and_retried_next_run_then_sent_once(
    demo_copy: Engine, fake: FakeWebhook, client: httpx.Client
) -> None:
    deputies = _deputies(demo_copy)
    ids = [d[0] for d in deputies]
    fake.fail_when_body_has(deputies[1][2], "http500")
    fake.fail_when_body_has(deputies[2][2], "errcode")

    first = remind(demo_copy, ON, _dingtalk(fake), client=client, now=NOW, deputy_ids=ids)
    assert (first.sent, first.failed) == (2, 2)
    with demo_copy.connect() as conn:
        logged = dict(
            conn.execute(
                text("SELECT deputy_id, detail FROM reminder_log WHERE status = 'failed'")
            ).all()
        )
        marked = set(conn.scalars(text("SELECT DISTINCT deputy_id FROM reminder_item")))
    assert logged[deputies[1][0]].startswith("HTTP 500")
    assert logged[deputies[2][0]] == "errcode 130101: send too fast"
    assert marked == {deputies[0][0], deputies[3][0]}
    assert all(SECRET not in d and "fake-access-token" not in d for d in logged.values())

    fake.heal()
    second = remind(demo_copy, ON, _dingtalk(fake), client=client, now=NOW, deputy_ids=ids)
    assert (second.sent, second.failed) == (2, 0)
    assert {m.recipient.deputy_id for m in second.messages} == {deputies[1][0], deputies[2][0]}
    third = remind(demo_copy, ON, _dingtalk(fake), client=client, now=NOW, deputy_ids=ids)
    assert third.sent == 0
    per_phone = [r.payload["at"]["atMobiles"][0] for r in fake.accepted()]
    assert sorted(per_phone) == sorted(d[2] for d in deputies)  # each deputy reached once


def test_wrong_secret_or_a_down_robot_is_a_logged_failure_retried_later(
    demo_copy: Engine, fake: FakeWebhook, client: httpx.Client
) -> None:
    ids = [d[0] for d in _deputies(demo_copy, 2)]
    wrong = remind(
        demo_copy, ON, _dingtalk(fake, "SECwrong"), client=client, now=NOW, deputy_ids=ids
    )
    assert (wrong.sent, wrong.failed) == (0, 2)
    assert {r.errcode for r in fake.requests()} == {310000}
    details = _scalar(demo_copy, "SELECT string_agg(DISTINCT detail, '|') FROM reminder_log")
    assert details == "errcode 310000: sign not match"
    assert _scalar(demo_copy, "SELECT count(*) FROM reminder_item") == 0

    fake.stop()
    down = remind(demo_copy, ON, _dingtalk(fake), client=client, now=NOW, deputy_ids=ids)
    assert (down.sent, down.failed) == (0, 2)
    assert "ConnectError" in str(
        _scalar(demo_copy, "SELECT detail FROM reminder_log ORDER BY id DESC LIMIT 1")
    )

    fake.start()
    fixed = remind(demo_copy, ON, _dingtalk(fake), client=client, now=NOW, deputy_ids=ids)
    assert (fixed.sent, fixed.failed) == (2, 0)
    assert _scalar(demo_copy, "SELECT count(*) FROM reminder_log WHERE NOT ok") == 4


def test_http_hook_sends_bearer_token_and_skips_a_deputy_without_phone(
    demo_copy: Engine, fake: FakeWebhook, client: httpx.Client
) -> None:
    deputies = _deputies(demo_copy, 3)
    ids = [d[0] for d in deputies]
    with demo_copy.begin() as conn:
        conn.execute(text("UPDATE deputy SET contact = NULL WHERE id = :d"), {"d": ids[0]})

    refused = remind(
        demo_copy, ON, HttpHook(fake.sms_url, "wrong"), client=client, now=NOW, deputy_ids=ids
    )
    assert (refused.sent, refused.failed, refused.no_contact) == (0, 2, 1)
    assert all(r.status == 401 for r in fake.requests())

    report = remind(
        demo_copy, ON, HttpHook(fake.sms_url, SMS_TOKEN), client=client, now=NOW, deputy_ids=ids
    )
    assert (report.sent, report.failed, report.no_contact) == (2, 0, 1)
    sent = fake.accepted()
    assert [r.authorization for r in sent] == [f"Bearer {SMS_TOKEN}"] * 2
    assert [(r.payload["to"], r.payload["deputy"]) for r in sent] == [
        (phone, code) for _i, code, phone in deputies[1:]
    ]
    assert all(r.payload["text"].startswith("【水监】") for r in sent)
    with demo_copy.connect() as conn:
        skipped = conn.execute(
            text("SELECT status, detail FROM reminder_log WHERE deputy_id = :d"), {"d": ids[0]}
        ).all()
    assert [tuple(s) for s in skipped] == [("skipped", NO_PHONE)] * 2

    # DingTalk still reaches that deputy, just without the @-mention.
    ding = remind(demo_copy, ON, _dingtalk(fake), client=client, now=NOW, deputy_ids=ids[:1])
    assert ding.sent == 1
    last = fake.requests()[-1]
    assert last.ok and last.payload["at"]["atMobiles"] == []
    assert "@" not in last.payload["markdown"]["text"]


def test_a_new_deadline_after_a_visit_gets_a_new_reminder(
    demo_copy: Engine, fake: FakeWebhook, client: httpx.Client
) -> None:
    deputy_id = _deputies(demo_copy, 1)[0][0]
    sites = _sites_of(demo_copy, deputy_id)
    site_id, site_name, site_class = sites[0]
    first = remind(demo_copy, ON, _dingtalk(fake), client=client, now=NOW, deputy_ids=[deputy_id])
    assert first.sent == 1

    visit = ON - timedelta(days=1)
    deadline = deadline_after_visit(site_class, visit)
    later = deadline - timedelta(days=1)  # due soon: a new window, a new deadline
    visits = "SELECT CAST(:vs AS int) AS site_id, CAST(:vd AS date) AS visit_date"
    report = remind(
        demo_copy,
        later,
        _dingtalk(fake),
        client=client,
        now=NOW + (later - ON),
        deputy_ids=[deputy_id],
        visits_sql=visits,
        visits_params={"vs": site_id, "vd": visit},
    )
    assert report.sent == 1
    (message,) = report.messages
    assert [(s.site_id, s.deadline, s.status) for s in message.sites] == [
        (site_id, deadline, "due_soon")
    ]
    assert report.skipped_already_sent == len(sites) - 1  # the others: same old deadline
    text_sent = fake.requests()[-1].payload["markdown"]["text"]
    assert site_name in text_sent and "即将到期" in text_sent and "还剩 1 天" in text_sent
    with demo_copy.connect() as conn:
        deadlines = sorted(
            conn.scalars(
                text("SELECT deadline FROM reminder_item WHERE site_id = :s"), {"s": site_id}
            )
        )
    assert len(deadlines) == 2 and deadlines[-1] == deadline


def test_dry_run_sends_and_logs_nothing(demo_copy: Engine, fake: FakeWebhook) -> None:
    ids = [d[0] for d in _deputies(demo_copy, 3)]
    report = remind(demo_copy, ON, "dingtalk", dry_run=True, deputy_ids=ids)
    assert len(report.messages) == 3 and report.sent == 0
    assert "would send 3 message(s)" in report.summary()
    assert fake.requests() == []
    assert _scalar(demo_copy, "SELECT count(*) FROM reminder_log") == 0
    assert remind(demo_copy, ON, "none").summary().startswith("reminders are off")


def test_cli_remind_is_cron_friendly(
    demo_copy: Engine, fake: FakeWebhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli.main import app
    from db.database import get_engine

    url = demo_copy.url.render_as_string(hide_password=False)
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SHUIJIAN_REMIND_CHANNEL", "dingtalk")
    monkeypatch.setenv("SHUIJIAN_DINGTALK_WEBHOOK", fake.dingtalk_url)
    monkeypatch.setenv("SHUIJIAN_DINGTALK_SECRET", SECRET)
    monkeypatch.setenv("SHUIJIAN_DINGTALK_PER_MINUTE", "0")
    monkeypatch.setenv("SHUIJIAN_SMS_WEBHOOK", fake.sms_url)
    monkeypatch.setenv("SHUIJIAN_SMS_TOKEN", SMS_TOKEN)
    # Keep the run small: only three deputies hold sites.
    keep = [d[0] for d in _deputies(demo_copy, 3)]
    with demo_copy.begin() as conn:
        conn.execute(
            text("UPDATE assignment SET valid_to = valid_from + 1 WHERE deputy_id <> ALL(:k)"),
            {"k": keep},
        )
    runner = CliRunner()
    try:
        fake.stop()
        down = runner.invoke(app, ["remind", "--date", ON.isoformat()])
        assert down.exit_code == 1, down.output
        assert "0 sent, 3 failed" in down.output and "Traceback" not in down.output
        assert SECRET not in down.output and "fake-access-token" not in down.output

        fake.start()
        dry = runner.invoke(app, ["remind", "--date", ON.isoformat(), "--dry-run"])
        assert dry.exit_code == 0 and "would send 3 message(s)" in dry.output
        ok = runner.invoke(app, ["remind", "--date", ON.isoformat(), "--channel", "http"])
        assert ok.exit_code == 0, ok.output
        assert (
            ok.output.strip()
            .splitlines()[-1]
            .endswith(
                "reminders via http: 3 sent, 0 failed, 0 skipped (no phone); 0 site(s) already "
                "reminded; 3 deputies with sites due"
            )
        )
        ok = runner.invoke(app, ["remind", "--date", ON.isoformat()])
        assert ok.exit_code == 0 and "3 sent" in ok.output
        again = runner.invoke(app, ["remind", "--date", ON.isoformat()])
        assert again.exit_code == 0 and "0 sent, 0 failed" in again.output
        bad = runner.invoke(app, ["remind", "--date", ON.isoformat(), "--channel", "fax"])
        assert bad.exit_code == 2 and "fax" in bad.output
    finally:
        get_engine(url).dispose()
    assert len(fake.accepted()) == 6


def test_report_summary_counts() -> None:
    report = ReminderReport(channel="http", sent=2, failed=1, no_contact=1, deputies=4)
    assert not report.ok
    assert report.summary().startswith("reminders via http: 2 sent, 1 failed, 1 skipped")


def test_nothing_assigned_sends_nothing(engine: Engine, fake: FakeWebhook) -> None:
    report = remind(engine, ON, _dingtalk(fake), now=NOW)
    assert (report.sent, report.failed, report.deputies) == (0, 0, 0)
    assert fake.requests() == []
