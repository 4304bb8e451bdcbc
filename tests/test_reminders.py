"""Daily reminders against a fake DingTalk robot / SMS gateway on 127.0.0.1.

On the demo county: it has no patrols, so on 15 March 2026 every site (tracked from 1 January)
is long overdue: each deputy with sites gets one message, and each township office one
escalation. Most of those tests restrict the run to a few deputies, and the ones about a
channel's mechanics leave the escalation out (``NO_ESCALATION``).

On a tiny county built by hand (tests/factories.py): the schedule's boundaries day by day
under the frozen clock, an escalation without an office contact, the offices' import.
"""

from __future__ import annotations

import io
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

import httpx
import pandas as pd
import pytest
import time_machine
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from core import clock
from core.errors import ConfigurationError
from db.database import session_scope
from duty.reminders import (
    DingTalk,
    HttpHook,
    ReminderReport,
    Schedule,
    Step,
    dingtalk_sign,
    remind,
    signed_url,
)
from duty.reminders.message import NO_OFFICE, NO_PHONE
from duty.windows import deadline_after_visit
from geo.importers import (
    import_assignments,
    import_cells,
    import_county,
    import_deputies,
    import_sites,
    import_townships,
    set_township_office,
    township_offices,
)
from geo.readers import read_vector
from tests import factories
from tests.fake_webhook import FakeWebhook, expected_sign

# Reads today's date: run again under each frozen date (tests/clock.py).
pytestmark = pytest.mark.clock

ON = date(2026, 3, 15)
NOW = datetime(2026, 3, 15, 0, 30, tzinfo=UTC)  # 08:30 in the county
SECRET = "SEC0123456789abcdef-test-secret"
SMS_TOKEN = "sms-token-for-tests"
NO_ESCALATION = 10_000  # escalate_days for tests about one channel's mechanics
ZONE = ZoneInfo("Asia/Shanghai")


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


def _rows(engine: Engine, sql: str, **params: object) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def _remind(
    engine: Engine, channel: DingTalk | HttpHook, client: httpx.Client, ids: list[int]
) -> ReminderReport:
    """A run on ON for these deputies only, without escalations (a channel's mechanics)."""
    return remind(
        engine, ON, channel, client=client, now=NOW, deputy_ids=ids, escalate_days=NO_ESCALATION
    )


def _dingtalk(fake: FakeWebhook, secret: str = SECRET) -> DingTalk:
    return DingTalk(fake.dingtalk_url, secret)


def _townships_of(engine: Engine, deputy_ids: list[int]) -> dict[str, str]:
    """Township code → office phone, for the townships of these deputies' sites on ON."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT DISTINCT t.code, o.phone FROM assignment a JOIN site s ON s.id = a.site_id "
                "JOIN township t ON t.id = s.township_id "
                "LEFT JOIN township_office o ON o.township_id = t.id "
                "WHERE a.deputy_id = ANY(:d) AND a.valid_from <= :on "
                "AND (a.valid_to IS NULL OR a.valid_to > :on)"
            ),
            {"d": deputy_ids, "on": ON},
        ).all()
    return {str(code): str(phone) for code, phone in rows}


def _is_office(request: object) -> bool:
    return "督办提醒" in request.payload["markdown"]["text"]  # type: ignore[attr-defined]


def _cli_on_dingtalk(monkeypatch: pytest.MonkeyPatch, engine: Engine, fake) -> str:
    """The command line's environment: ``engine``'s database, the fake DingTalk robot, no
    proxy, no rate limit. Returns the database URL."""
    url = engine.url.render_as_string(hide_password=False)
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SHUIJIAN_REMIND_CHANNEL", "dingtalk")
    monkeypatch.setenv("SHUIJIAN_DINGTALK_WEBHOOK", fake.dingtalk_url)
    monkeypatch.setenv("SHUIJIAN_DINGTALK_SECRET", SECRET)
    monkeypatch.setenv("SHUIJIAN_DINGTALK_PER_MINUTE", "0")
    return url


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
    """Every site is long overdue: one message per deputy, then one escalation per township
    office (the demo has one for every township), each @-mentioning its phone."""
    deputies = _deputies(demo_copy)
    ids = [d[0] for d in deputies]
    offices = _townships_of(demo_copy, ids)
    report = remind(demo_copy, ON, _dingtalk(fake), client=client, now=NOW, deputy_ids=ids)

    assert (report.sent, report.failed, report.deputies) == (4, 0, 4)
    assert (report.escalated, report.undeliverable) == (len(offices), 0)
    got = fake.requests()
    assert len(got) == 4 + len(offices) and all(r.ok for r in got)  # signatures verified
    assert all(r.query["timestamp"] == str(int(NOW.timestamp() * 1000)) for r in got)
    for (deputy_id, _code, phone), request in zip(deputies, got[:4], strict=True):
        assert request.payload["at"]["atMobiles"] == [phone]
        body = request.payload["markdown"]["text"]
        assert f"@{phone}" in body and "已逾期" in body and "再次提醒" not in body
        for _site_id, name, _cls in _sites_of(demo_copy, deputy_id):
            assert name in body
    escalations = got[4:]
    assert all(_is_office(r) for r in escalations) and not any(_is_office(r) for r in got[:4])
    assert sorted(r.payload["at"]["atMobiles"][0] for r in escalations) == sorted(offices.values())
    every_site = "".join(r.payload["markdown"]["text"] for r in escalations)
    for deputy_id in ids:
        for _site_id, name, _cls in _sites_of(demo_copy, deputy_id):
            assert name in every_site
    assert "提请督办" in every_site and "人大" in every_site
    n_sites = sum(len(_sites_of(demo_copy, i)) for i in ids)
    steps = dict(
        _rows(demo_copy, "SELECT step, count(*) FROM reminder_item GROUP BY step")  # type: ignore[arg-type]
    )
    assert steps == {"overdue": n_sites, "escalation": n_sites}
    assert _scalar(demo_copy, "SELECT count(*) FROM reminder_log WHERE ok") == 4 + len(offices)
    assert _scalar(
        demo_copy, "SELECT count(*) FROM reminder_log WHERE recipient = 'office'"
    ) == len(offices)

    again = remind(demo_copy, ON, _dingtalk(fake), client=client, now=NOW, deputy_ids=ids)
    assert (again.sent, again.escalated, again.failed) == (0, 0, 0)
    assert again.skipped_already_sent == 2 * n_sites
    assert len(fake.requests()) == 4 + len(offices)
    assert _scalar(demo_copy, "SELECT count(*) FROM reminder_log") == 4 + len(offices)


def test_failed_sends_are_logged_and_retried_next_run_then_sent_once(
    demo_copy: Engine, fake: FakeWebhook, client: httpx.Client
) -> None:
    deputies = _deputies(demo_copy)
    ids = [d[0] for d in deputies]
    fake.fail_when_body_has(deputies[1][2], "http500")
    fake.fail_when_body_has(deputies[2][2], "errcode")

    first = _remind(demo_copy, _dingtalk(fake), client, ids)
    assert (first.sent, first.failed) == (2, 2)
    with demo_copy.connect() as conn:
        logged = dict(
            conn.execute(
                text("SELECT deputy_id, detail FROM reminder_log WHERE status = 'failed'")
            ).all()
        )
        marked = set(conn.scalars(text("SELECT DISTINCT deputy_id FROM reminder_item")))
    assert _scalar(demo_copy, "SELECT count(*) FROM reminder_item WHERE step <> 'overdue'") == 0
    assert logged[deputies[1][0]].startswith("HTTP 500")
    assert logged[deputies[2][0]] == "errcode 130101: send too fast"
    assert marked == {deputies[0][0], deputies[3][0]}
    assert all(SECRET not in d and "fake-access-token" not in d for d in logged.values())

    fake.heal()
    second = _remind(demo_copy, _dingtalk(fake), client, ids)
    assert (second.sent, second.failed) == (2, 0)
    assert {m.recipient.deputy_id for m in second.messages} == {deputies[1][0], deputies[2][0]}
    third = _remind(demo_copy, _dingtalk(fake), client, ids)
    assert third.sent == 0
    per_phone = [r.payload["at"]["atMobiles"][0] for r in fake.accepted()]
    assert sorted(per_phone) == sorted(d[2] for d in deputies)  # each deputy reached once


def test_wrong_secret_or_a_down_robot_is_a_logged_failure_retried_later(
    demo_copy: Engine, fake: FakeWebhook, client: httpx.Client
) -> None:
    ids = [d[0] for d in _deputies(demo_copy, 2)]
    wrong = _remind(demo_copy, _dingtalk(fake, "SECwrong"), client, ids)
    assert (wrong.sent, wrong.failed) == (0, 2)
    assert {r.errcode for r in fake.requests()} == {310000}
    details = _scalar(demo_copy, "SELECT string_agg(DISTINCT detail, '|') FROM reminder_log")
    assert details == "errcode 310000: sign not match"
    assert _scalar(demo_copy, "SELECT count(*) FROM reminder_item") == 0

    fake.stop()
    down = _remind(demo_copy, _dingtalk(fake), client, ids)
    assert (down.sent, down.failed) == (0, 2)
    assert "ConnectError" in str(
        _scalar(demo_copy, "SELECT detail FROM reminder_log ORDER BY id DESC LIMIT 1")
    )

    fake.start()
    fixed = _remind(demo_copy, _dingtalk(fake), client, ids)
    assert (fixed.sent, fixed.failed) == (2, 0)
    assert _scalar(demo_copy, "SELECT count(*) FROM reminder_log WHERE NOT ok") == 4


def test_http_hook_sends_bearer_token_and_skips_a_deputy_without_phone(
    demo_copy: Engine, fake: FakeWebhook, client: httpx.Client
) -> None:
    deputies = _deputies(demo_copy, 3)
    ids = [d[0] for d in deputies]
    with demo_copy.begin() as conn:
        conn.execute(text("UPDATE deputy SET contact = NULL WHERE id = :d"), {"d": ids[0]})

    refused = _remind(demo_copy, HttpHook(fake.sms_url, "wrong"), client, ids)
    assert (refused.sent, refused.failed, refused.no_contact) == (0, 2, 1)
    assert all(r.status == 401 for r in fake.requests())

    report = _remind(demo_copy, HttpHook(fake.sms_url, SMS_TOKEN), client, ids)
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
    ding = _remind(demo_copy, _dingtalk(fake), client, ids[:1])
    assert ding.sent == 1
    last = fake.requests()[-1]
    assert last.ok and last.payload["at"]["atMobiles"] == []
    assert "@" not in last.payload["markdown"]["text"]


def test_a_new_deadline_after_a_visit_gets_a_new_reminder(
    demo_copy: Engine, fake: FakeWebhook, client: httpx.Client
) -> None:
    deputy_id = int(
        _scalar(  # type: ignore[arg-type]
            demo_copy,
            "SELECT deputy_id FROM assignment GROUP BY deputy_id HAVING count(*) = 1 "
            "ORDER BY deputy_id LIMIT 1",
        )
    )
    sites = _sites_of(demo_copy, deputy_id)
    site_id, site_name, site_class = sites[0]
    first = remind(demo_copy, ON, _dingtalk(fake), client=client, now=NOW, deputy_ids=[deputy_id])
    assert (first.sent, first.escalated) == (1, 1)

    visit = ON - timedelta(days=1)
    deadline = deadline_after_visit(site_class, visit)
    later = deadline - timedelta(days=1)  # due soon: a new window, a new deadline
    visits = (
        "SELECT CAST(:vs AS int) AS site_id, CAST(:vdep AS int) AS deputy_id, "
        "CAST(:vd AS date) AS visit_date"
    )
    report = remind(
        demo_copy,
        later,
        _dingtalk(fake),
        client=client,
        now=NOW + (later - ON),
        deputy_ids=[deputy_id],
        visits_sql=visits,
        visits_params={"vs": site_id, "vdep": deputy_id, "vd": visit},
    )
    assert (report.sent, report.escalated, report.skipped_already_sent) == (1, 0, 0)
    (message,) = report.messages
    assert [(s.site_id, s.deadline, s.status, s.step) for s in message.sites] == [
        (site_id, deadline, "due_soon", "due_soon")
    ]
    text_sent = fake.requests()[-1].payload["markdown"]["text"]
    assert site_name in text_sent and "即将到期" in text_sent and "还剩 1 天" in text_sent
    with demo_copy.connect() as conn:
        steps = conn.execute(
            text("SELECT deadline, step FROM reminder_item WHERE site_id = :s ORDER BY 1, 2"),
            {"s": site_id},
        ).all()
    old = steps[0][0]
    assert [tuple(r) for r in steps] == [
        (old, "escalation"),
        (old, "overdue"),
        (deadline, "due_soon"),
    ]


def test_dry_run_sends_and_logs_nothing(demo_copy: Engine, fake: FakeWebhook) -> None:
    ids = [d[0] for d in _deputies(demo_copy, 3)]
    report = remind(
        demo_copy, ON, "dingtalk", dry_run=True, deputy_ids=ids, escalate_days=NO_ESCALATION
    )
    assert len(report.messages) == 3 and report.sent == 0
    assert "would send 3 message(s) (0 to township offices)" in report.summary()
    offices = len(_townships_of(demo_copy, ids))
    report = remind(demo_copy, ON, "dingtalk", dry_run=True, deputy_ids=ids)
    assert f"would send {3 + offices} message(s) ({offices} to township offices)" in (
        report.summary()
    )
    assert fake.requests() == []
    assert _scalar(demo_copy, "SELECT count(*) FROM reminder_log") == 0
    assert remind(demo_copy, ON, "none").summary().startswith("reminders are off")


def test_cli_remind_is_cron_friendly(
    demo_copy: Engine, fake: FakeWebhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli.main import app
    from db.database import get_engine

    url = _cli_on_dingtalk(monkeypatch, demo_copy, fake)
    monkeypatch.setenv("SHUIJIAN_SMS_WEBHOOK", fake.sms_url)
    monkeypatch.setenv("SHUIJIAN_SMS_TOKEN", SMS_TOKEN)
    # Keep the run small: only three deputies hold sites.
    keep = [d[0] for d in _deputies(demo_copy, 3)]
    with demo_copy.begin() as conn:
        conn.execute(
            text("UPDATE assignment SET valid_to = valid_from + 1 WHERE deputy_id <> ALL(:k)"),
            {"k": keep},
        )
    offices = len(_townships_of(demo_copy, keep))
    steps = 2 * sum(len(_sites_of(demo_copy, i)) for i in keep)  # overdue + escalation
    runner = CliRunner()
    try:
        fake.stop()
        down = runner.invoke(app, ["remind", "--date", ON.isoformat()])
        assert down.exit_code == 1, down.output
        assert f"0 sent, {3 + offices} failed" in down.output
        assert "Traceback" not in down.output
        assert SECRET not in down.output and "fake-access-token" not in down.output

        fake.start()
        dry = runner.invoke(app, ["remind", "--date", ON.isoformat(), "--dry-run"])
        assert dry.exit_code == 0 and f"would send {3 + offices} message(s)" in dry.output
        assert "(escalation)" in dry.output and "(overdue)" in dry.output
        ok = runner.invoke(app, ["remind", "--date", ON.isoformat(), "--channel", "http"])
        assert ok.exit_code == 0, ok.output
        assert (
            ok.output.strip()
            .splitlines()[-1]
            .endswith(
                f"reminders via http: 3 sent, 0 failed, 0 skipped (no phone); {offices} "
                "escalated to township offices, 0 undeliverable (no office contact); 0 already "
                "reminded; 3 deputies with sites due"
            )
        )
        ok = runner.invoke(app, ["remind", "--date", ON.isoformat()])
        assert ok.exit_code == 0 and "3 sent" in ok.output
        again = runner.invoke(app, ["remind", "--date", ON.isoformat()])
        assert again.exit_code == 0 and "0 sent, 0 failed" in again.output
        assert f"{steps} already reminded" in again.output
        bad = runner.invoke(app, ["remind", "--date", ON.isoformat(), "--channel", "fax"])
        assert bad.exit_code == 2 and "fax" in bad.output
    finally:
        get_engine(url).dispose()
    assert len(fake.accepted()) == 2 * (3 + offices)
    http_offices = [
        r.payload for r in fake.accepted() if r.path == "/sms" and "township" in r.payload
    ]
    assert len(http_offices) == offices
    assert all(p["text"].startswith("【水监】") and "deputy" not in p for p in http_offices)


def test_report_summary_counts() -> None:
    report = ReminderReport(channel="http", sent=2, failed=1, no_contact=1, deputies=4)
    assert not report.ok
    assert report.summary().startswith("reminders via http: 2 sent, 1 failed, 1 skipped")
    stuck = ReminderReport(channel="dingtalk", sent=2, escalated=1, undeliverable=1)
    assert not stuck.ok  # an escalation with nobody to go to makes cron mail
    assert "1 escalated to township offices, 1 undeliverable (no office contact)" in (
        stuck.summary()
    )


def test_nothing_assigned_sends_nothing(engine: Engine, fake: FakeWebhook) -> None:
    report = remind(engine, ON, _dingtalk(fake), now=NOW)
    assert (report.sent, report.failed, report.deputies) == (0, 0, 0)
    assert fake.requests() == []


# --------------------------------------------------------------------------- the schedule


def test_schedule_steps_by_days_overdue() -> None:
    """Due soon: one step. Overdue rounds start on days overdue 1, 1+N, 1+2N …; from day M on
    the escalation is due too. Which were already sent is the database's business."""
    plan = Schedule(repeat_days=3, escalate_days=7)
    assert plan.steps("ok", 5) == ()
    assert plan.steps("due_soon", 3) == plan.steps("due_soon", 0) == (Step("due_soon"),)
    rounds = {n: plan.steps("overdue", -n) for n in range(1, 11)}
    assert [rounds[n][0].round for n in range(1, 11)] == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3]
    assert [len(rounds[n]) for n in range(1, 11)] == [1] * 6 + [2] * 4
    assert rounds[7][1] == Step("escalation")
    assert Schedule(1, 1).steps("overdue", -1) == (Step("overdue", 0), Step("escalation"))


def test_schedule_reads_the_settings_and_refuses_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Schedule.from_settings() == Schedule(3, 7)
    monkeypatch.setenv("SHUIJIAN_REMINDER_REPEAT_DAYS", "4")
    monkeypatch.setenv("SHUIJIAN_REMINDER_ESCALATE_DAYS", "10")
    assert Schedule.from_settings() == Schedule(4, 10)
    assert Schedule.from_settings(escalate_days=5) == Schedule(4, 5)
    monkeypatch.setenv("SHUIJIAN_REMINDER_REPEAT_DAYS", "0")
    with pytest.raises(ConfigurationError) as info:
        Schedule.from_settings()
    assert info.value.code == "reminder_days_invalid"


# ------------------------------------------------------------------- a tiny county, day by day

OFFICE_EAST = "13900000901"  # 东镇's office (the fixture); 西乡 has none
OFFICE_WEST = "13900000902"


@pytest.fixture
def tiny(engine: Engine) -> Engine:
    """tests/factories.py's county: D1 张三 (phone) holds S1, class 1, in 东镇, which has an
    office; D2 李四 (no phone) holds S2 (class 2) and F1 (class 3) in 西乡, which has none.
    Assignments from 1 January 2026: S1's first deadline is 10 January."""
    deputies = read_vector(factories.deputies_csv().encode(), "deputies.csv")
    assignments = pd.read_csv(io.StringIO(factories.ASSIGNMENTS_CSV), dtype=str)
    with session_scope(engine) as s:
        import_county(s, factories.county(), "county", "999999", "测试县")
        import_townships(s, factories.townships(), "townships")
        import_cells(s, factories.cells(), "cells")
        import_sites(s, factories.sites(), "sites")
        import_deputies(s, deputies, "deputies.csv")
        import_assignments(s, assignments, "assignments.csv")
        set_township_office(s, "东镇", "东镇人大办公室", OFFICE_EAST, "王主任")
    return engine


def _id(engine: Engine, table: str, code: str) -> int:
    return int(_scalar(engine, f"SELECT id FROM {table} WHERE code = :c", c=code))  # type: ignore[arg-type]


def _at(day: date) -> time_machine.travel:
    """The frozen clock at 08:30 in the county on ``day`` (when cron runs the job)."""
    return time_machine.travel(datetime.combine(day, time(8, 30), tzinfo=ZONE), tick=False)


def _steps(report: ReminderReport) -> list[tuple[str, str, int]]:
    return sorted(
        ("office" if m.recipient.office else "deputy", s.step, s.round)
        for m in report.messages
        for s in m.sites
    )


DEP, OFF = "deputy", "office"
SCHEDULES = {
    # N = 3, M = 7 (the defaults); S1's deadline is 10 Jan, a visit on 18 Jan gives 31 Jan.
    "3-7": (
        3,
        7,
        date(2026, 1, 18),
        [
            (date(2026, 1, 6), []),  # the day before due soon
            (date(2026, 1, 7), [(DEP, "due_soon", 0)]),  # 3 days left: due soon
            (date(2026, 1, 7), []),  # again the same day
            (date(2026, 1, 10), []),  # the deadline itself: still the same due-soon step
            (date(2026, 1, 11), [(DEP, "overdue", 0)]),  # deadline + 1: overdue
            (date(2026, 1, 13), []),  # + N − 1 after it
            (date(2026, 1, 14), [(DEP, "overdue", 1)]),  # + N: again
            (date(2026, 1, 16), []),
            (date(2026, 1, 17), [(DEP, "overdue", 2), (OFF, "escalation", 0)]),  # M days overdue
            (date(2026, 1, 17), []),  # rerun
            (date(2026, 1, 18), []),  # visited today: a new deadline, 31 Jan, is far
            (date(2026, 1, 27), []),
            (date(2026, 1, 28), [(DEP, "due_soon", 0)]),  # due soon for the new deadline
            (date(2026, 2, 1), [(DEP, "overdue", 0)]),  # overdue afresh, round 0
        ],
    ),
    # N = 4, M = 7: the escalation day is no repeat day.
    "4-7": (
        4,
        7,
        None,
        [
            (date(2026, 1, 6), []),
            (date(2026, 1, 7), [(DEP, "due_soon", 0)]),
            (date(2026, 1, 11), [(DEP, "overdue", 0)]),
            (date(2026, 1, 14), []),  # + N − 1
            (date(2026, 1, 15), [(DEP, "overdue", 1)]),  # + N
            (date(2026, 1, 17), [(OFF, "escalation", 0)]),  # M: escalation only
            (date(2026, 1, 17), []),
            (date(2026, 1, 19), [(DEP, "overdue", 2)]),
            (date(2026, 2, 20), [(DEP, "overdue", 10)]),  # the escalation never comes back
        ],
    ),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_the_schedule_day_by_day_on_the_frozen_clock(
    tiny: Engine,
    fake: FakeWebhook,
    client: httpx.Client,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    repeat, escalate, visit, days = SCHEDULES[name]
    monkeypatch.setenv("SHUIJIAN_REMINDER_REPEAT_DAYS", str(repeat))
    monkeypatch.setenv("SHUIJIAN_REMINDER_ESCALATE_DAYS", str(escalate))
    d1, s1 = _id(tiny, "deputy", "D1"), _id(tiny, "site", "S1")
    visits = (
        "SELECT CAST(:vs AS int) AS site_id, CAST(:vdep AS int) AS deputy_id, "
        "CAST(:vd AS date) AS visit_date"
    )
    params = {"vs": s1, "vdep": d1, "vd": visit or date(1999, 1, 1)}
    sent = 0
    texts: dict[tuple[date, str], str] = {}
    for day, expected in days:
        with _at(day):
            report = remind(
                tiny,
                clock.today(),
                _dingtalk(fake),
                client=client,
                deputy_ids=[d1],
                visits_sql=visits,
                visits_params=params,
            )
        assert _steps(report) == sorted(expected), day
        assert report.ok and report.failed == 0
        sent += len(report.messages)
        assert len(fake.accepted()) == sent
        answered = fake.requests()[len(fake.requests()) - len(report.messages) :]
        for message, request in zip(report.messages, answered, strict=True):
            kind = OFF if message.recipient.office else DEP
            texts[(day, kind)] = request.payload["markdown"]["text"]
            assert request.payload["at"]["atMobiles"] == [message.recipient.phone]
    assert sent == sum(1 for _, e in days for _kind in {k for k, _s, _r in e})
    if name != "3-7":
        return
    due_soon = texts[(date(2026, 1, 7), DEP)]
    assert "即将到期" in due_soon and "还剩 3 天" in due_soon
    assert "已逾期 1 天" in texts[(date(2026, 1, 11), DEP)]
    assert "再次提醒" not in texts[(date(2026, 1, 11), DEP)]
    assert "已逾期 4 天（再次提醒）" in texts[(date(2026, 1, 14), DEP)]
    escalation = texts[(date(2026, 1, 17), OFF)]
    for words in ("督办提醒", "东镇人大办公室", "逾期 7 天，提请督办", "张三", "上塘", OFFICE_EAST):
        assert words in escalation
    assert "已逾期 7 天（再次提醒）" in texts[(date(2026, 1, 17), DEP)]
    assert "已逾期 1 天" in texts[(date(2026, 2, 1), DEP)]
    assert "再次提醒" not in texts[(date(2026, 2, 1), DEP)]  # a new deadline starts afresh
    rows = _rows(
        tiny,
        "SELECT deadline, step, round FROM reminder_item WHERE site_id = :s ORDER BY 1, 2, 3",
        s=s1,
    )
    first, second = date(2026, 1, 10), date(2026, 1, 31)
    assert rows == [
        (first, "due_soon", 0),
        (first, "escalation", 0),
        (first, "overdue", 0),
        (first, "overdue", 1),
        (first, "overdue", 2),
        (second, "due_soon", 0),
        (second, "overdue", 0),
    ]


def test_an_escalation_without_an_office_is_undeliverable_until_one_is_set(
    tiny: Engine, fake: FakeWebhook, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """西乡 has no office: its escalation is logged as undeliverable, marks nothing, makes the
    command exit 1, and is tried again by every run until the office is set."""
    from cli.main import app
    from db import database

    url = _cli_on_dingtalk(monkeypatch, tiny, fake)
    database.get_engine.cache_clear()
    on = date(2026, 2, 10)  # S2 (deadline 14 Jan) 27 days overdue, F1 (31 Jan) 10 days
    west = _id(tiny, "township", "T2")
    runner = CliRunner()
    try:
        listed = runner.invoke(app, ["township-office", "list"])
        assert listed.exit_code == 1 and "without an office contact: T2" in listed.output

        first = runner.invoke(app, ["remind", "--date", on.isoformat()])
        assert first.exit_code == 1, first.output
        assert (
            "2 sent, 0 failed, 0 skipped (no phone); 1 escalated to township offices, "
            "1 undeliverable (no office contact)"
        ) in first.output
        assert "Traceback" not in first.output
        logged = _rows(
            tiny,
            "SELECT status, detail, jsonb_array_length(sites) FROM reminder_log "
            "WHERE recipient = 'office' AND township_id = :t",
            t=west,
        )
        assert logged == [("undeliverable", NO_OFFICE, 2)]
        assert (
            _scalar(
                tiny,
                "SELECT count(*) FROM reminder_item i JOIN site s ON s.id = i.site_id "
                "WHERE i.step = 'escalation' AND s.township_id = :t",
                t=west,
            )
            == 0
        )

        again = remind(tiny, on, _dingtalk(fake), client=client, now=NOW)
        assert (again.sent, again.escalated, again.undeliverable) == (0, 0, 1)
        assert not again.ok

        done = runner.invoke(
            app,
            ["township-office", "set", "西乡", "--name", "西乡人大办公室"]
            + ["--phone", "139-0000-0902", "--contact", "赵主任"],
        )
        assert done.exit_code == 0, done.output
        assert runner.invoke(app, ["township-office", "list"]).exit_code == 0

        reached = remind(tiny, on, _dingtalk(fake), client=client, now=NOW)
        assert (reached.sent, reached.escalated, reached.undeliverable) == (0, 1, 0)
        (message,) = reached.messages
        assert message.recipient.phone == OFFICE_WEST  # stored as digits
        body = fake.requests()[-1].payload["markdown"]["text"]
        for words in ("西乡人大办公室", "李四", "下库", "红星养殖场", "逾期 27 天", "逾期 10 天"):
            assert words in body
        assert fake.requests()[-1].payload["at"]["atMobiles"] == [OFFICE_WEST]
        assert remind(tiny, on, _dingtalk(fake), client=client, now=NOW).messages == []

        # The SMS hook reaches the office by its phone; D2 has none and is skipped.
        sms = remind(tiny, on, HttpHook(fake.sms_url, SMS_TOKEN), client=client, now=NOW)
        assert (sms.no_contact, sms.escalated) == (1, 2)
        office_sms = [
            r.payload for r in fake.accepted() if r.path == "/sms" and "township" in r.payload
        ]
        assert {p["township"] for p in office_sms} == {"T1", "T2"}
        assert all("deputy" not in p for p in office_sms)
        west_sms = next(p for p in office_sms if p["township"] == "T2")
        assert west_sms["to"] == OFFICE_WEST
        assert west_sms["text"].startswith("【水监】西乡人大办公室：")
    finally:
        database.get_engine(url).dispose()
        database.get_engine.cache_clear()


def test_two_runs_at_once_send_each_step_once(demo_copy: Engine, fake: FakeWebhook) -> None:
    """No lock between the runs: the claimed rows of reminder_item are the only guard."""
    deputies = _deputies(demo_copy, 5)
    ids = [d[0] for d in deputies]
    offices = _townships_of(demo_copy, ids)
    fake.slow(0.2)
    reports: list[ReminderReport] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with httpx.Client(trust_env=False, timeout=5) as own:
                reports.append(
                    remind(demo_copy, ON, _dingtalk(fake), client=own, now=NOW, deputy_ids=ids)
                )
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and len(reports) == 2
    assert sum(r.sent for r in reports) == len(ids)
    assert sum(r.escalated for r in reports) == len(offices)
    phones = Counter(r.payload["at"]["atMobiles"][0] for r in fake.accepted())
    assert phones == Counter([d[2] for d in deputies] + list(offices.values()))
    n_sites = sum(len(_sites_of(demo_copy, i)) for i in ids)
    assert _scalar(demo_copy, "SELECT count(*) FROM reminder_item") == 2 * n_sites
    assert _scalar(demo_copy, "SELECT count(*) FROM reminder_log") == len(ids) + len(offices)


def test_the_demo_has_an_office_for_every_township(demo_engine: Engine) -> None:
    rows = _rows(
        demo_engine,
        "SELECT t.name, o.name, o.phone FROM township t "
        "LEFT JOIN township_office o ON o.township_id = t.id ORDER BY t.code",
    )
    assert len(rows) == 14 and all(office and phone for _t, office, phone in rows)
    assert all(office.startswith(township) for township, office, _p in rows)
    phones = {p for _t, _o, p in rows}
    deputies = {r[0] for r in _rows(demo_engine, "SELECT contact FROM deputy")}
    assert len(phones) == 14 and not phones & deputies


def test_importing_township_offices(tiny: Engine, tmp_path: Path) -> None:
    """A CSV (GBK here) names each township by code or name; an office already stored is
    replaced; a bad row refuses the whole file and changes nothing."""
    from cli.main import app
    from db import database

    def offices() -> list[tuple]:
        with session_scope(tiny) as s:
            frame = township_offices(s).astype(object)
        return [tuple(r) for r in frame.where(frame.notna(), None).itertuples(index=False)]

    good = tmp_path / "offices.csv"
    good.write_bytes(
        "township,name,phone,contact\n"
        "T2,西乡人大办公室,139 0000 0902,赵主任\n"
        "东镇,东镇人大主席团办公室,13900000903,\n".encode("gbk")
    )
    url = tiny.url.render_as_string(hide_password=False)
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", url)
        database.get_engine.cache_clear()
        try:
            done = runner.invoke(app, ["import", "township-offices", str(good)])
            assert done.exit_code == 0, done.output
            assert "imported 2 township offices" in done.output
            assert offices() == [
                ("T1", "东镇", "东镇人大主席团办公室", None, "13900000903"),
                ("T2", "西乡", "西乡人大办公室", "赵主任", "13900000902"),
            ]
            before = offices()
            for rows, fault in (
                ("北乡,北乡人大办公室,13900000904\n", "unknown township '北乡'"),
                ("T1,东镇人大办公室,call me\n", "is not a phone number"),
                ("T1,甲,13900000905\n东镇,乙,13900000906\n", "has two offices"),
                ("T1,,13900000905\n", "empty value in column 'name'"),
            ):
                bad = tmp_path / "bad.csv"
                bad.write_text("township,name,phone\n" + rows, encoding="utf-8")
                refused = runner.invoke(app, ["import", "township-offices", str(bad)])
                assert refused.exit_code == 1 and fault in refused.output, refused.output
                assert offices() == before
            unknown = runner.invoke(
                app, ["township-office", "set", "北乡", "--name", "x", "--phone", "13900000907"]
            )
            assert unknown.exit_code == 1 and "Unknown township '北乡'" in unknown.output
        finally:
            database.get_engine(url).dispose()
            database.get_engine.cache_clear()
