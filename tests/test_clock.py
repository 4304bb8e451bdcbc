"""One clock: only core/clock.py reads the wall clock, and it answers in the county's zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine

from core import clock
from tests.clock import FROZEN_DATES, frozen_moment

# Reads today's date: run again under each frozen date (tests/clock.py).
pytestmark = pytest.mark.clock

ROOT = Path(__file__).resolve().parent.parent
WALL_CLOCK = re.compile(r"datetime\.now\(|date\.today\(|datetime\.utcnow\(|datetime\.today\(")
ALLOWED = {Path("core/clock.py")}


def _sources() -> list[Path]:
    skip = {".venv", ".git", "tests", "test-artifacts", ".shuijian", "build"}
    return [
        p.relative_to(ROOT) for p in ROOT.rglob("*.py") if not skip & set(p.relative_to(ROOT).parts)
    ]


def test_only_the_clock_module_reads_the_wall_clock() -> None:
    offenders = [
        f"{path}:{n}"
        for path in _sources()
        if path not in ALLOWED
        for n, line in enumerate((ROOT / path).read_text(encoding="utf-8").splitlines(), 1)
        if WALL_CLOCK.search(line)
    ]
    assert offenders == [], "read the time through core.clock: " + ", ".join(offenders)


def test_no_test_reads_the_wall_clock_directly() -> None:
    """Tests ask core.clock too, so SHUIJIAN_TEST_DATE moves them with everything else."""
    offenders = [
        f"{p.name}:{n}"
        for p in (ROOT / "tests").glob("*.py")
        if p.name != "test_clock.py"
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if WALL_CLOCK.search(line)
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("utc", "local_day"),
    [
        (datetime(2026, 12, 31, 16, 30, tzinfo=UTC), date(2027, 1, 1)),  # 00:30 in Shanghai
        (datetime(2026, 10, 31, 23, 0, tzinfo=UTC), date(2026, 11, 1)),  # 07:00, a new month
        (datetime(2028, 2, 28, 16, 0, tzinfo=UTC), date(2028, 2, 29)),
        (datetime(2027, 4, 10, 15, 59, tzinfo=UTC), date(2027, 4, 10)),  # 23:59, 上旬's end
    ],
)
def test_today_is_the_countys_day_not_utcs(utc: datetime, local_day: date) -> None:
    with time_machine.travel(utc, tick=False):
        assert clock.now() == utc and clock.now().tzinfo is not None
        assert clock.today() == local_day
        assert clock.local_now().utcoffset().total_seconds() == 8 * 3600
        assert clock.yesterday() < clock.today()
        assert clock.local_date(clock.now()) == local_day


def test_the_zone_follows_the_setting(monkeypatch) -> None:
    monkeypatch.setenv("SHUIJIAN_TIMEZONE", "Europe/Ljubljana")
    with time_machine.travel(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), tick=False):
        assert clock.today() == date(2027, 1, 1)
    monkeypatch.setenv("SHUIJIAN_TIMEZONE", "America/Los_Angeles")
    with time_machine.travel(datetime(2027, 1, 1, 5, 0, tzinfo=UTC), tick=False):
        assert clock.today() == date(2026, 12, 31)


def test_local_midnight_bounds_a_local_day() -> None:
    start = clock.local_midnight(date(2026, 11, 1))
    assert start.astimezone(UTC) == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)


def test_frozen_dates_cover_the_boundaries_the_rules_turn_on() -> None:
    days = {frozen_moment(v).date() for v in FROZEN_DATES}
    assert {d.day for d in days} >= {1, 10, 11, 20, 21, 30, 31, 29}
    assert date(2028, 2, 29) in days and date(2027, 3, 1) in days and date(2027, 1, 1) in days
    new_year = frozen_moment("2027-01-01T00:30")
    assert new_year.astimezone(UTC).date() == date(2026, 12, 31)  # UTC is still last year


def test_a_frozen_run_is_on_its_day(request) -> None:
    """Under SHUIJIAN_TEST_DATE the whole process is on that day (conftest moved it)."""
    moment = frozen_moment()
    if moment is None:
        assert abs((clock.now() - datetime.now(UTC)).total_seconds()) < 5
    else:
        assert clock.today() == moment.date()
