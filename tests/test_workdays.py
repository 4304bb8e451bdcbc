"""Working days count China's statutory holidays and 调休 make-up workdays (DESIGN.md).

chinesecalendar knows the State Council's notices up to 2026; later years come from the
operator's holiday file (SHUIJIAN_HOLIDAYS) or are refused with a sentence that says what to
do, never guessed as Monday–Friday. The suite itself runs with tests/data/holidays-test.toml,
an invented 2027–2028 (tests/conftest.py); the tests here that need "no file" unset it.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

import i18n
from cli.main import app
from cli.tickets import HOLIDAY_HORIZON_DAYS
from core import clock
from db.database import session_scope
from reports.evaluation import reinspection_counts
from tests.conftest import TEST_HOLIDAYS
from tests.test_tickets import a_site
from tickets.calendar import add_working_days
from tickets.holidays import (
    HolidayFileRefused,
    HolidaysUnknown,
    holiday_calendar,
    is_workday,
    package_years,
)
from tickets.service import Actor, NewProblem, report_problem

YEAR_2027 = """
[2027]
holidays = [[2027-01-01, 2027-01-03], [2027-10-01, 2027-10-07]]
workdays = [2027-10-09]
"""


@pytest.fixture
def no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """The package alone, as in production without SHUIJIAN_HOLIDAYS."""
    monkeypatch.delenv("SHUIJIAN_HOLIDAYS", raising=False)


def holiday_file(tmp_path: Path, body: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "holidays.toml"
    path.write_text(body, encoding="utf-8")
    monkeypatch.setenv("SHUIJIAN_HOLIDAYS", str(path))
    return path


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# --------------------------------------------------------------------------- the package


def test_national_day_week_2026(no_file: None) -> None:
    # 国办发明电〔2025〕: 10月1日至7日放假调休，9月20日（周日）、10月10日（周六）上班;
    # 中秋节 9月25日至27日. (1–8 October was 2025's arrangement, checked below.)
    assert not any(is_workday(d) for d in days(date(2026, 10, 1), date(2026, 10, 7)))
    assert is_workday(date(2026, 10, 8))
    assert is_workday(date(2026, 9, 20)) and is_workday(date(2026, 10, 10))  # Sun, Sat
    assert not any(is_workday(d) for d in days(date(2026, 9, 25), date(2026, 9, 27)))
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)  # the 调休 Saturday
    assert add_working_days(date(2026, 9, 18), 1) == date(2026, 9, 20)  # Fri → the 调休 Sunday
    assert add_working_days(date(2026, 9, 24), 1) == date(2026, 9, 28)  # over 中秋
    # 2025: 国庆、中秋 1–8 October, 9月28日（周日）、10月11日（周六）上班.
    assert add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert add_working_days(date(2025, 9, 30), 3) == date(2025, 10, 11)


def test_spring_festival_2026(no_file: None) -> None:
    # 春节 2月15日（腊月二十八）至23日放假调休，共9天；2月14日（周六）、2月28日（周六）上班.
    assert not any(is_workday(d) for d in days(date(2026, 2, 15), date(2026, 2, 23)))
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)  # Fri → 调休 Saturday
    assert add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 24)  # over the nine days
    assert add_working_days(date(2026, 2, 13), 5) == date(2026, 2, 27)


def test_a_make_up_saturday_counts_as_a_workday(no_file: None) -> None:
    saturday = date(2026, 2, 28)
    assert saturday.weekday() == 5 and is_workday(saturday)
    assert add_working_days(date(2026, 2, 27), 1) == saturday
    assert not is_workday(date(2026, 3, 7))  # an ordinary Saturday
    # Ordinary weeks are unchanged: Friday → Monday.
    assert add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)


def test_a_year_no_calendar_knows_is_refused_with_a_clear_sentence(no_file: None) -> None:
    first, last = package_years()
    assert (first, last) == (2004, 2026)  # chinesecalendar 1.11.0; a new release moves this
    for start in (date(2040, 3, 2), date(2003, 6, 2)):
        with pytest.raises(HolidaysUnknown) as caught:
            add_working_days(start, 1)
        error = caught.value
        assert error.code == "holidays_year_unknown" and error.params["year"] == start.year
        zh, en = i18n.describe(error, "zh"), i18n.describe(error, "en")
        for sentence in (zh, en):
            assert str(start.year) in sentence and "SHUIJIAN_HOLIDAYS" in sentence
            assert "2004–2026" in sentence
        assert "国务院办公厅" in zh and "State Council" in en
    # A deadline that crosses into an unknown year is refused too, not guessed.
    with pytest.raises(HolidaysUnknown, match="2027"):
        add_working_days(date(2026, 12, 30), 2)
    assert add_working_days(date(2026, 12, 30), 1) == date(2026, 12, 31)


# --------------------------------------------------------------------------- the file


def test_a_holiday_file_adds_a_year(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    holiday_file(tmp_path, YEAR_2027, monkeypatch)
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)  # over 元旦
    assert add_working_days(date(2027, 9, 30), 1) == date(2027, 10, 8)
    assert add_working_days(date(2027, 10, 8), 1) == date(2027, 10, 9)  # the 调休 Saturday
    calendar = holiday_calendar()
    assert calendar.known() == "2004–2026, 2027"
    assert calendar.known_until() == date(2027, 12, 31)
    with pytest.raises(HolidaysUnknown, match="2028"):
        add_working_days(date(2027, 12, 31), 1)


def test_a_file_year_replaces_the_package_and_edits_are_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = holiday_file(
        tmp_path,
        "[2026]\nholidays = [2026-01-01]\nworkdays = [2026-02-28]\n",
        monkeypatch,
    )
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 16)  # no 春节 in this 2026
    assert add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)  # 2025 still the package's
    path.write_text(
        '[2026]\nholidays = ["2026-01-01", ["2026-02-16", "2026-02-20"]]\nworkdays = []\n',
        encoding="utf-8",
    )
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)


def test_the_suite_runs_on_a_marked_test_fixture() -> None:
    assert os.environ["SHUIJIAN_HOLIDAYS"] == str(TEST_HOLIDAYS)
    assert "TEST FIXTURE" in TEST_HOLIDAYS.read_text(encoding="utf-8")
    calendar = holiday_calendar(TEST_HOLIDAYS)
    assert sorted(calendar.file_years) == [2027, 2028]
    # Every frozen date of tests/clock.py, plus a ticket's longest deadline, is countable.
    for day in (date(2027, 1, 1), date(2027, 12, 31), date(2028, 2, 29)):
        assert add_working_days(day, 10) > day


BAD_FILES = [
    ("holidays = [", "holidays_not_toml"),
    ("note = 'x'\nyear2027 = 1\n", "holidays_not_a_year"),
    ("2027 = [2027-01-01]\n", "holidays_not_table"),
    ("[2027]\nholidays = [2027-01-01]\nworkdays = []\nholiday = []\n", "holidays_unknown_key"),
    ("[2027]\nholidays = [2027-01-01]\n", "holidays_missing_key"),
    ("[2027]\nholidays = [2027-01-01, 'May Day']\nworkdays = []\n", "holidays_bad_entry"),
    ("[2027]\nholidays = [2027-01-01T00:00:00]\nworkdays = []\n", "holidays_bad_entry"),
    ("[2027]\nholidays = [[2027-10-07, 2027-10-01]]\nworkdays = []\n", "holidays_bad_entry"),
    ("[2027]\nholidays = '2027-01-01'\nworkdays = []\n", "holidays_bad_entry"),
    ("[2027]\nholidays = [2026-12-31]\nworkdays = []\n", "holidays_wrong_year"),
    ("[2027]\nholidays = [[2027-12-30, 2028-01-02]]\nworkdays = []\n", "holidays_wrong_year"),
    ("[2027]\nholidays = []\nworkdays = []\n", "holidays_none"),
    ("[2027]\nholidays = [2027-10-09]\nworkdays = [2027-10-09]\n", "holidays_conflict"),
    ("[2027]\nholidays = [2027-10-01]\nworkdays = [2027-10-08]\n", "holidays_workday_not_weekend"),
]


@pytest.mark.parametrize(("body", "code"), BAD_FILES, ids=[c for _, c in BAD_FILES])
def test_a_bad_holiday_file_is_refused_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, code: str
) -> None:
    path = holiday_file(tmp_path, body, monkeypatch)
    with pytest.raises(HolidayFileRefused) as caught:
        add_working_days(date(2026, 11, 27), 1)  # the file is refused even for a known year
    error = caught.value
    assert error.code == code and str(path) in str(error)
    for lang in i18n.LANGS:
        sentence = i18n.describe(error, lang)
        assert str(path) in sentence and "?" not in sentence, sentence


def test_a_missing_holiday_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nowhere.toml"
    monkeypatch.setenv("SHUIJIAN_HOLIDAYS", str(missing))
    with pytest.raises(HolidayFileRefused, match="does not exist") as caught:
        add_working_days(date(2026, 11, 27), 1)
    assert caught.value.code == "holidays_file_missing"
    assert str(missing) in i18n.describe(caught.value, "zh")


def test_the_holidays_command_says_what_is_known(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    holiday_file(tmp_path, YEAR_2027, monkeypatch)
    result = runner.invoke(app, ["holidays"])
    assert "chinesecalendar 1.11.0: 2004–2026" in result.output
    assert "2027" in result.output and "up to 2027-12-31" in result.output
    late = (date(2027, 12, 31) - clock.today()).days < HOLIDAY_HORIZON_DAYS
    assert result.exit_code == (1 if late else 0), result.output
    monkeypatch.delenv("SHUIJIAN_HOLIDAYS")
    result = runner.invoke(app, ["holidays"])
    assert "none" in result.output and "up to 2026-12-31" in result.output
    late = (date(2026, 12, 31) - clock.today()).days < HOLIDAY_HORIZON_DAYS
    assert result.exit_code == (1 if late else 0), result.output
    bad = tmp_path / "bad.toml"
    bad.write_text("[2027]\nholidays = []\nworkdays = []\n", encoding="utf-8")
    result = runner.invoke(app, ["holidays", "--file", str(bad)])
    assert result.exit_code == 2 and str(bad) in result.output


# --------------------------------------------------------------------------- where it is used


def test_re_inspection_deadlines_skip_national_day(no_file: None) -> None:
    feedbacks = pd.DataFrame(
        {
            "deputy_id": [1, 1],
            "fed_back_on": [date(2026, 9, 30), date(2026, 9, 30)],
            # 5 working days after 30 Sep 2026: 8, 9, 10 (Sat, 调休), 12, 13 October.
            "reinspected_on": [date(2026, 10, 13), date(2026, 10, 14)],
        }
    )
    counts = reinspection_counts(feedbacks, 5, date(2026, 11, 1))
    assert counts.loc[1, "reinspections_due"] == 2
    assert counts.loc[1, "reinspections_on_time"] == 1


def test_a_ticket_before_national_day_is_due_after_it(demo_copy: Engine, no_file: None) -> None:
    site, deputy, lon, lat, _ = a_site(demo_copy)
    with session_scope(demo_copy) as s:
        ticket = report_problem(
            s,
            NewProblem("dead_fish", "水面大量死鱼", lon, lat, site_id=site),
            Actor("reporter", deputy_id=deputy),
            reporter_deputy_id=deputy,
            today=date(2026, 9, 30),
        )
        assert ticket.deadline == date(2026, 10, 9)  # 2 working days: 8 and 9 October


def test_a_report_whose_deadline_no_calendar_knows_stores_nothing(
    demo_copy: Engine, no_file: None
) -> None:
    """What the running app does from late December 2026 until 2027 is added."""
    site, deputy, lon, lat, _ = a_site(demo_copy)
    with pytest.raises(HolidaysUnknown, match="2027"), session_scope(demo_copy) as s:
        report_problem(
            s,
            NewProblem("encroachment", "塘边新建棚房", lon, lat, site_id=site),
            Actor("reporter", deputy_id=deputy),
            reporter_deputy_id=deputy,
            today=date(2026, 12, 24),
        )
    with demo_copy.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM ticket")) == 0


def test_a_demonstration_may_ask_for_weekdays_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the known years the default refuses; SHUIJIAN_HOLIDAYS_UNKNOWN=weekdays (set by
    the README's demo command) counts Monday–Friday instead."""
    from tickets.holidays import HolidaysUnknown, holiday_calendar

    monkeypatch.delenv("SHUIJIAN_HOLIDAYS", raising=False)
    far = date(2031, 3, 7)  # a Friday
    with pytest.raises(HolidaysUnknown):
        holiday_calendar().is_workday(far)
    monkeypatch.setenv("SHUIJIAN_HOLIDAYS_UNKNOWN", "weekdays")
    assert holiday_calendar().is_workday(far)
    assert not holiday_calendar().is_workday(date(2031, 3, 8))
