"""预警管理: each rule's boundaries under a fixed clock, each warning raised once across scans,
the push to township offices through a fake DingTalk robot, acknowledging and closing with a
note, the rules file refused by name, and the command line.

On the tiny county of test_due (张三 D1 → S1 class 1, 李四 D2 → S2 class 2, F1 class 3 from
1 January), facts inserted by SQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import time_machine
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from accounts.auth import SignedIn
from core.errors import PermissionDenied
from duty.register import sync_register
from duty.reminders import DingTalk
from geo.importers import set_township_office
from reports.early_warning import (
    WarningRefused,
    acknowledge,
    close,
    detect,
    flagged_deputy,
    overdue_in_a_row,
    registered_unpatrolled,
    repeat_problem,
    scan,
    warnings_for,
)
from reports.warning_rules import RulesError, load_rules
from tests.fake_webhook import FakeWebhook
from tests.test_due import build_county
from tests.test_evaluation import _patrol
from tests.test_register import CONFIRMED, ticket

ZONE = ZoneInfo("Asia/Shanghai")
SECRET = "SEC-warnings-test-secret"


def at(day: date) -> datetime:
    """10:00 in the county on ``day``, as the clock's instant."""
    return datetime.combine(day, time(10, 0), ZONE).astimezone(UTC)


@pytest.fixture
def fake() -> Iterator[FakeWebhook]:
    server = FakeWebhook(secret=SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=5) as c:
        yield c


def _users(session: Session) -> tuple[SignedIn, SignedIn]:
    ids = [
        session.execute(
            text(
                "INSERT INTO app_user (username, password_hash, role) VALUES (:u, 'x', :r) "
                "RETURNING id"
            ),
            {"u": role, "r": role},
        ).scalar_one()
        for role in ("analyst", "leader")
    ]
    return (
        SignedIn(ids[0], "analyst", "analyst", None, "分析员"),
        SignedIn(ids[1], "leader", "leader", None, "领导"),
    )


def _keys(found: list) -> list[str]:
    return sorted(c.key for c in found)


# --------------------------------------------------------------------------- the rules


def test_overdue_two_windows_in_a_row_boundaries(engine: Engine) -> None:
    """S1 (class 1, from 1 Jan) is never visited: deadlines 10 Jan, 20 Jan, 31 Jan … S2 (class
    2) misses 14 Jan, then 28 Jan. A deadline counts as missed only the day after it."""
    with Session(engine) as s:
        ids = build_county(s)
        s1 = f"overdue_in_a_row:{ids['S1']}:2026-01-10"
        s2 = f"overdue_in_a_row:{ids['S2']}:2026-01-14"
        assert overdue_in_a_row(s, date(2026, 1, 20), 2, 60) == []  # 20 Jan can still be met
        assert _keys(overdue_in_a_row(s, date(2026, 1, 21), 2, 60)) == [s1]
        assert _keys(overdue_in_a_row(s, date(2026, 1, 28), 2, 60)) == [s1]
        assert _keys(overdue_in_a_row(s, date(2026, 1, 29), 2, 60)) == sorted([s1, s2])
        # One run, one key: a third missed window keeps the same warning.
        run = [c for c in overdue_in_a_row(s, date(2026, 2, 1), 2, 60) if c.key == s1][0]
        assert run.details["windows"] == 3 and run.deputy_id == ids["D1"]
        # Three in a row asked for: S1 on 1 Feb (10, 20, 31 Jan), not yet on 31 Jan.
        assert s1 not in _keys(overdue_in_a_row(s, date(2026, 1, 31), 3, 60))
        assert s1 in _keys(overdue_in_a_row(s, date(2026, 2, 1), 3, 60))
        # A visit breaks the run: a new run starts with the next missed pair.
        _patrol(s, ids, "D1", "2026-01-25 09:00", ["S1"])  # meets 31 Jan
        keys = _keys(overdue_in_a_row(s, date(2026, 2, 21), 2, 60))
        assert s1 in keys  # 10 and 20 Jan happened
        assert f"overdue_in_a_row:{ids['S1']}:2026-02-10" in keys
        # Lookback: a run whose latest miss is older is left alone.
        assert s1 not in _keys(overdue_in_a_row(s, date(2026, 2, 21), 2, 31))


def test_same_problem_within_days_boundaries(engine: Engine) -> None:
    with Session(engine) as s:
        ids = build_county(s)
        ticket(s, ids, "S1", [("report", "2026-01-01 09:00")])
        later = ticket(s, ids, "S1", [("report", "2026-03-31 09:00")])  # 89 days after
        ticket(s, ids, "S2", [("report", "2026-01-01 09:00")])
        ticket(s, ids, "S2", [("report", "2026-04-02 09:00")])  # 91 days after: no
        ticket(s, ids, "F1", [("report", "2026-01-05 09:00")], "manure")
        ticket(s, ids, "F1", [("report", "2026-01-06 09:00")], "unlicensed")  # other category
        found = repeat_problem(s, date(2026, 4, 5), 90)
        assert _keys(found) == [f"repeat_problem:{later}"]
        assert found[0].details["days_apart"] == 89
        assert repeat_problem(s, date(2026, 4, 5), 88) == []
        # Raised while recent: 90 days after the later ticket, no more.
        assert len(repeat_problem(s, date(2026, 6, 29), 90)) == 1
        assert repeat_problem(s, date(2026, 6, 30), 90) == []
        # A withdrawn report is no problem.
        ticket(s, ids, "S2", [("report", "2026-04-01 09:00"), ("withdraw", "2026-04-01 10:00")])
        assert len(repeat_problem(s, date(2026, 4, 5), 90)) == 1


def test_flagged_deputy_n_of_last_m(engine: Engine) -> None:
    with Session(engine) as s:
        ids = build_county(s)
        for day, flagged in ((1, False), (2, True), (3, False), (4, True), (5, False)):
            _patrol(s, ids, "D2", f"2026-03-0{day} 09:00", ["S2"], flagged=flagged)
        assert flagged_deputy(s, date(2026, 3, 31), 3, 5) == []  # 2 of 5
        last = _patrol(s, ids, "D2", "2026-03-06 09:00", ["S2"], flagged=True)
        found = flagged_deputy(s, date(2026, 3, 31), 3, 5)  # 3 of the last 5 (2 … 6)
        assert _keys(found) == [f"flagged_deputy:{ids['D2']}:{last}"]
        assert found[0].details == {"flagged": 3, "patrols": 5}
        assert flagged_deputy(s, date(2026, 3, 5), 3, 5) == []  # the 6th is not yet
        assert flagged_deputy(s, date(2026, 3, 31), 3, 4) == []  # 4 … 6: two flagged
        assert flagged_deputy(s, date(2026, 3, 31), 2, 4) != []
        assert flagged_deputy(s, date(2026, 3, 31), 4, 5) == []


def test_registered_site_without_patrol_for_n_days(engine: Engine) -> None:
    with time_machine.travel(at(date(2026, 3, 5)), tick=False), Session(engine) as s:
        ids = build_county(s)
        ticket(s, ids, "S1", [*CONFIRMED, ("accept", "2026-03-04 10:00")])
        _patrol(s, ids, "D1", "2026-03-01 09:00", ["S1"])  # before the registration
        sync_register(s, 3)
        assert registered_unpatrolled(s, date(2026, 3, 17), 14) == []
        found = registered_unpatrolled(s, date(2026, 3, 18), 14)
        assert [c.details for c in found] == [{"since": "2026-03-04", "days": 14}]
        # A later visit starts a new gap, with its own key.
        dirty = _patrol(s, ids, "D1", "2026-03-20 09:00", ["S1"])
        s.execute(
            text(
                "INSERT INTO checklist_answer (patrol_id, site_id, item, answer) "
                "VALUES (:p, :s, 'odour', true)"
            ),
            {"p": dirty, "s": ids["S1"]},
        )
        assert registered_unpatrolled(s, date(2026, 4, 2), 14) == []
        assert [c.details["since"] for c in registered_unpatrolled(s, date(2026, 4, 3), 14)] == [
            "2026-03-20"
        ]


def test_water_quality_without_cross_section_results_raises_nothing(engine: Engine) -> None:
    """Fed by the cross-sections since [7/8] and on by default (its boundaries and the
    warning raised once: tests/test_water.py); a county without results finds nothing."""
    rules = load_rules()
    assert rules["water_quality"].enabled and rules["water_quality"]["misses"] == 3
    with Session(engine) as s:
        build_county(s)
        assert not [c for c in detect(s, date(2026, 3, 1), rules) if c.rule == "water_quality"]


# --------------------------------------------------------------------------- raise once, push


def test_raised_once_across_scans_pushed_to_the_office_then_acknowledged_and_closed(
    engine: Engine, fake: FakeWebhook, client: httpx.Client
) -> None:
    robot = DingTalk(fake.dingtalk_url, SECRET)
    with time_machine.travel(at(date(2026, 1, 21)), tick=False), Session(engine) as s:
        ids = build_county(s)
        analyst, leader = _users(s)
        s.commit()
        # No office contact yet: raised, not pushed, counted as undeliverable.
        first = scan(s, channel=robot, client=client)
        assert (first.found, first.raised, first.pushed, first.undeliverable) == (1, 1, 0, 1)
        assert first.by_rule == {"overdue_in_a_row": 1}
        assert fake.requests() == []
        set_township_office(s, "T1", "东镇人大办公室", "13900000001")
        s.commit()
        again = scan(s, channel=robot, client=client)
        assert (again.found, again.raised, again.pushed, again.messages) == (1, 0, 1, 1)
        got = fake.accepted()
        assert len(got) == 1
        body = got[0].payload["markdown"]["text"]
        assert "东镇" in body and "上塘" in body and "连续 2 个巡查周期逾期" in body
        assert got[0].payload["at"]["atMobiles"] == ["13900000001"]
        third = scan(s, channel=robot, client=client)
        assert (third.raised, third.pushed) == (0, 0) and len(fake.requests()) == 1

        (warning_id,) = s.scalars(text("SELECT id FROM early_warning")).all()
        with pytest.raises(PermissionDenied):
            acknowledge(s, leader, warning_id)
        with pytest.raises(WarningRefused) as early:
            close(s, analyst, warning_id, "补巡完成")
        assert early.value.code == "warning_not_acknowledged"
        acknowledge(s, analyst, warning_id, "已转乡镇")
        with pytest.raises(WarningRefused) as twice:
            acknowledge(s, analyst, warning_id)
        assert twice.value.code == "warning_already_acknowledged"
        with pytest.raises(WarningRefused) as blank:
            close(s, analyst, warning_id, "   ")
        assert blank.value.code == "warning_note_required"
        close(s, analyst, warning_id, "代表已补巡")
        with pytest.raises(WarningRefused) as shut:
            close(s, analyst, warning_id, "again")
        assert shut.value.code == "warning_already_closed"
        with pytest.raises(WarningRefused) as missing:
            acknowledge(s, analyst, warning_id + 99)
        assert missing.value.code == "warning_not_found"
        s.commit()
        shown = warnings_for(s, leader, state="closed")
        assert list(shown["acknowledged_by"]) == ["analyst"]
        assert list(shown["close_note"]) == ["代表已补巡"]
        assert warnings_for(s, leader, state="open").empty
        assert len(warnings_for(s, leader, township_id=ids["T1"], rule="overdue_in_a_row")) == 1
        assert warnings_for(s, leader, rule="repeat_problem").empty
        with pytest.raises(PermissionDenied):
            warnings_for(s, SignedIn(0, "d", "deputy", ids["D1"], "张三"))
    # Closed, S1's run goes on (31 Jan missed too): the same key, never raised again; only
    # S2's first run (14 and 28 Jan) is new.
    with time_machine.travel(at(date(2026, 2, 5)), tick=False), Session(engine) as s:
        later = scan(s, channel=robot, client=client)
        assert (later.raised, later.pushed) == (1, 1)
        keys = s.scalars(text("SELECT key FROM early_warning ORDER BY id")).all()
        assert keys == [
            f"overdue_in_a_row:{ids['S1']}:2026-01-10",
            f"overdue_in_a_row:{ids['S2']}:2026-01-14",
        ]


def test_a_failed_push_is_tried_again_by_the_next_scan(
    engine: Engine, fake: FakeWebhook, client: httpx.Client
) -> None:
    robot = DingTalk(fake.dingtalk_url, SECRET)
    with time_machine.travel(at(date(2026, 1, 21)), tick=False), Session(engine) as s:
        build_county(s)
        set_township_office(s, "T1", "东镇人大办公室", "13900000001")
        s.commit()
        fake.fail_next(1)
        first = scan(s, channel=robot, client=client)
        assert (first.raised, first.pushed, first.failed) == (1, 0, 1)
        assert s.scalar(text("SELECT count(*) FROM early_warning WHERE pushed_at IS NULL")) == 1
        second = scan(s, channel=robot, client=client)
        assert (second.raised, second.pushed, second.failed) == (0, 1, 0)
        assert s.scalar(text("SELECT count(*) FROM early_warning WHERE pushed_at IS NULL")) == 0


# --------------------------------------------------------------------------- the rules file


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("[overdue_in_a_row\nwindows = 2", "warning_rules_not_toml"),
        ("[sunspots]\nenabled = true", "warning_rules_unknown_rule"),
        ("[repeat_problem]\nweeks = 3", "warning_rules_unknown_key"),
        ("[repeat_problem]\ndays = 0", "warning_rules_not_whole"),
        ("[repeat_problem]\ndays = -5", "warning_rules_not_whole"),
        ("[repeat_problem]\ndays = 1.5", "warning_rules_not_whole"),
        ('[repeat_problem]\ndays = "90"', "warning_rules_not_whole"),
        ("[repeat_problem]\ndays = true", "warning_rules_not_whole"),
        ('[repeat_problem]\nenabled = "yes"', "warning_rules_not_bool"),
        ("repeat_problem = 3", "warning_rules_not_table"),
        ("[flagged_deputy]\nflagged = 6\nlast = 5", "warning_rules_flagged_over_last"),
    ],
)
def test_a_bad_rules_file_is_refused_by_name(tmp_path: Path, content: str, code: str) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RulesError) as refused:
        load_rules(path)
    assert refused.value.code == code
    assert refused.value.params["source"] == str(path)


def test_a_rules_file_overlays_the_shipped_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("[repeat_problem]\ndays = 30\n[flagged_deputy]\nenabled = false\n")
    monkeypatch.setenv("SHUIJIAN_WARNING_RULES", str(path))
    rules = load_rules()
    assert rules["repeat_problem"]["days"] == 30
    assert not rules["flagged_deputy"].enabled and rules["flagged_deputy"]["last"] == 5
    assert rules["overdue_in_a_row"]["windows"] == 2  # left out: shipped
    with pytest.raises(RulesError) as missing:
        load_rules(tmp_path / "nowhere.toml")
    assert missing.value.code == "warning_rules_missing"


# --------------------------------------------------------------------------- the command line


def test_cli_scan_list_and_register(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from cli.main import app

    with Session(engine) as s:
        ids = build_county(s)
        ticket(s, ids, "S1", [*CONFIRMED, ("accept", "2026-01-04 10:00")])
        s.commit()
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SHUIJIAN_REMIND_CHANNEL", "none")
    runner = CliRunner()
    with time_machine.travel(at(date(2026, 1, 21)), tick=False):
        scanned = runner.invoke(app, ["warnings", "scan"])
        assert scanned.exit_code == 0, scanned.output
        assert "2 newly raised" in scanned.output  # overdue S1, registered S1 unpatrolled
        assert "push off" in scanned.output
        again = runner.invoke(app, ["warnings", "scan", "--date", "2026-01-21"])
        assert "0 newly raised" in again.output
        listed = runner.invoke(app, ["warnings", "list", "--rule", "overdue_in_a_row"])
        assert listed.exit_code == 0 and "上塘" in listed.output and "open" in listed.output
        register = runner.invoke(app, ["register", "list", "--state", "open"])
        assert register.exit_code == 0 and "上塘" in register.output
        bad = tmp_path / "bad.toml"
        bad.write_text("[sunspots]\n")
        refused = runner.invoke(app, ["warnings", "scan", "--rules", str(bad)])
        assert refused.exit_code != 0
        assert "sunspots" in refused.output and str(bad) in refused.output
        wrong = runner.invoke(app, ["warnings", "list", "--state", "sleeping"])
        assert wrong.exit_code != 0 and "Traceback" not in wrong.output
        day = runner.invoke(app, ["warnings", "scan", "--date", "21-01-2026"])
        assert day.exit_code != 0 and "Traceback" not in day.output


def test_days_are_local(engine: Engine) -> None:
    """A deadline of 20 Jan is missed from 21 Jan 00:00 in the county (16:00 UTC on 20 Jan)."""
    with Session(engine) as s:
        build_county(s)
        late = datetime(2026, 1, 20, 16, 30, tzinfo=UTC)
        with time_machine.travel(late, tick=False):
            assert scan(s, push=False).raised == 1
        assert s.scalar(text("SELECT raised_on FROM early_warning")) == date(2026, 1, 21)
        assert timedelta(0) < late - datetime(2026, 1, 20, 16, 0, tzinfo=UTC)


def test_a_long_push_lists_the_first_lines_and_counts_the_rest() -> None:
    from duty.reminders.message import MARKDOWN_LISTED, Recipient
    from reports.early_warning import WarningMessage

    office = Recipient(None, "T1", "东镇人大办公室", "13900000001", 1, "东镇", office=True)
    lines = tuple(f"第{i}条" for i in range(MARKDOWN_LISTED + 5))
    text_ = WarningMessage(office, date(2026, 1, 21), lines).markdown()
    assert f"第{MARKDOWN_LISTED - 1}条" in text_ and f"第{MARKDOWN_LISTED}条" not in text_
    assert "另有 5 条预警" in text_ and text_.endswith("@13900000001")
    sms = WarningMessage(office, date(2026, 1, 21), lines).plain()
    assert "第0条" in sms and str(len(lines)) in sms


def test_the_sms_hook_gets_the_office_phone_the_township_and_a_short_text(
    engine: Engine, client: httpx.Client
) -> None:
    from duty.reminders import HttpHook

    fake = FakeWebhook(token="tok").start()
    try:
        with time_machine.travel(at(date(2026, 1, 21)), tick=False), Session(engine) as s:
            build_county(s)
            set_township_office(s, "T1", "东镇人大办公室", "13900000001")
            s.commit()
            report = scan(s, channel=HttpHook(fake.sms_url, "tok"), client=client)
        assert (report.pushed, report.failed) == (1, 0)
        (got,) = fake.accepted()
        assert got.authorization == "Bearer tok"
        assert got.payload["to"] == "13900000001" and got.payload["township"] == "T1"
        assert "1 条新预警" in got.payload["text"] and "上塘" in got.payload["text"]
    finally:
        fake.stop()
