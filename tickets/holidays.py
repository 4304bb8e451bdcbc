"""Which days are working days in China: statutory holidays and 调休 make-up workdays.

The `chinesecalendar` package knows the State Council's notices up to its release (1.11.0:
2004–2026). The notice for the next year comes out each November, often before a new release,
so an operator may add years in a TOML file named by ``SHUIJIAN_HOLIDAYS`` (format in the
README, "Working days"); a year in the file replaces the package's for that year. A day of a
year that neither knows is refused with :class:`HolidaysUnknown`, never guessed as
Monday–Friday: a deadline that looks right but is not is worse than a clear refusal.

The file is read again whenever it changes on disk, so a running app picks up a new year
without a restart.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import chinese_calendar

from core import settings
from core.errors import ConfigurationError

YEAR_KEYS = ("holidays", "workdays", "note")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class HolidaysUnknown(ConfigurationError):
    """No holiday calendar holds this year: the operator must add it (or upgrade)."""

    code = "holidays_year_unknown"


class HolidayFileRefused(ConfigurationError):
    """The holiday file is unreadable or breaks its format; refused as a whole, by name."""

    def __init__(self, source: str, fault: str, *, code: str, **params: object) -> None:
        self.source = source
        super().__init__(f"holiday file {source}: {fault}", code=code, source=source, **params)


@dataclass(frozen=True)
class YearDays:
    """One year of a notice: days off on weekdays and weekends alike, and make-up workdays."""

    holidays: frozenset[date]
    workdays: frozenset[date]


@dataclass(frozen=True)
class HolidayCalendar:
    """The package's years overlaid with the file's; answers only for years it knows."""

    file_years: Mapping[int, YearDays]
    source: str | None = None

    def knows(self, year: int) -> bool:
        first, last = package_years()
        return year in self.file_years or first <= year <= last

    def is_workday(self, day: date) -> bool:
        """A make-up workday, or a Monday–Friday that is no holiday; HolidaysUnknown for a
        year no calendar holds."""
        listed = self.file_years.get(day.year)
        if listed is not None:
            return day in listed.workdays or (day.weekday() < 5 and day not in listed.holidays)
        if not self.knows(day.year):
            if settings.text("holidays_unknown") == "weekdays":
                return day.weekday() < 5  # asked for by name: a demonstration, not a guess
            raise HolidaysUnknown(
                f"no statutory holiday calendar for {day.year} (known: {self.known()}); add "
                f"the year to the holiday file named by SHUIJIAN_HOLIDAYS, or upgrade "
                f"chinesecalendar",
                year=day.year,
                known=self.known(),
            )
        return bool(chinese_calendar.is_workday(day))

    def known(self) -> str:
        """The years known, as people read them: "2004–2026, 2027, 2028"."""
        first, last = package_years()
        extra = [str(y) for y in sorted(self.file_years) if not first <= y <= last]
        return ", ".join([f"{first}–{last}", *extra])

    def known_until(self) -> date:
        """The last day of the unbroken run of known years that follows the package's."""
        year = package_years()[1]
        while year + 1 in self.file_years:
            year += 1
        return date(year, 12, 31)


@lru_cache(maxsize=1)
def package_years() -> tuple[int, int]:
    """First and last year the installed chinesecalendar knows."""
    days = chinese_calendar.holidays
    return min(days).year, max(days).year


def package_version() -> str:
    return version("chinesecalendar")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise HolidayFileRefused(
            str(path), "does not exist", code="holidays_file_missing"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise HolidayFileRefused(
            str(path), f"is not valid TOML: {exc}", code="holidays_not_toml", detail=str(exc)
        ) from None


def _day(value: object) -> date | None:
    """A TOML local date, or a quoted YYYY-MM-DD; anything else (a date-time too) is None."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _days(entries: object, source: str, year: int, key: str) -> set[date]:
    """Dates and inclusive [first, last] ranges of one list, each inside ``year``."""
    if not isinstance(entries, list):
        raise HolidayFileRefused(
            source,
            f"[{year}] {key} must be a list of dates",
            code="holidays_bad_entry",
            year=year,
            key=key,
            value=repr(entries),
        )
    found: set[date] = set()
    for entry in entries:
        if isinstance(entry, list) and len(entry) == 2:
            first, last = _day(entry[0]), _day(entry[1])
            span = (
                [first + timedelta(days=i) for i in range((last - first).days + 1)]
                if first is not None and last is not None and first <= last
                else None
            )
        else:
            single = _day(entry)
            span = [single] if single is not None else None
        if span is None:
            raise HolidayFileRefused(
                source,
                f"[{year}] {key}: {entry!r} is neither a date nor a [first, last] range",
                code="holidays_bad_entry",
                year=year,
                key=key,
                value=repr(entry),
            )
        outside = [d for d in span if d.year != year]
        if outside:
            raise HolidayFileRefused(
                source,
                f"[{year}] {key}: {outside[0]} lies outside {year}",
                code="holidays_wrong_year",
                year=year,
                key=key,
                day=outside[0].isoformat(),
            )
        found.update(span)
    return found


def _year(key: str, table: object, source: str) -> YearDays:
    year = int(key)
    if not isinstance(table, dict):
        raise HolidayFileRefused(
            source, f"{key} must be a table [{key}]", code="holidays_not_table", year=year
        )
    unknown = sorted(set(table) - set(YEAR_KEYS))
    if unknown:
        raise HolidayFileRefused(
            source,
            f"[{key}] unknown key(s) {', '.join(unknown)}; known keys: {', '.join(YEAR_KEYS)}",
            code="holidays_unknown_key",
            year=year,
            keys=", ".join(unknown),
            known=", ".join(YEAR_KEYS),
        )
    for needed in ("holidays", "workdays"):
        if needed not in table:
            raise HolidayFileRefused(
                source,
                f"[{key}] lacks {needed} (write {needed} = [] when there are none)",
                code="holidays_missing_key",
                year=year,
                key=needed,
            )
    holidays = _days(table["holidays"], source, year, "holidays")
    workdays = _days(table["workdays"], source, year, "workdays")
    if not holidays:
        raise HolidayFileRefused(
            source, f"[{key}] lists no holiday", code="holidays_none", year=year
        )
    both = sorted(holidays & workdays)
    if both:
        raise HolidayFileRefused(
            source,
            f"{both[0]} is both a holiday and a workday",
            code="holidays_conflict",
            day=both[0].isoformat(),
        )
    weekdays = sorted(d for d in workdays if d.weekday() < 5)
    if weekdays:
        raise HolidayFileRefused(
            source,
            f"make-up workday {weekdays[0]} is a Monday–Friday (调休 workdays are weekend days)",
            code="holidays_workday_not_weekend",
            day=weekdays[0].isoformat(),
        )
    return YearDays(frozenset(holidays), frozenset(workdays))


def parse_holidays(raw: Mapping[str, Any], source: str) -> dict[int, YearDays]:
    """Years from a mapping ``{"2027": {"holidays": [...], "workdays": [...]}, "note": ...}``;
    anything off the format is refused naming the file, the year and the entry."""
    years: dict[int, YearDays] = {}
    for key, value in raw.items():
        if key == "note":
            continue
        if not re.fullmatch(r"\d{4}", key):
            raise HolidayFileRefused(
                source,
                f"unknown key {key!r}: write one table per year, like [2027]",
                code="holidays_not_a_year",
                key=key,
            )
        years[int(key)] = _year(key, value, source)
    return years


@lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int, size: int) -> HolidayCalendar:
    # Keyed by modification time and size: an edited file is read again, an unchanged one not.
    return HolidayCalendar(parse_holidays(_read_toml(Path(path)), path), path)


def holiday_calendar(path: str | Path | None = None) -> HolidayCalendar:
    """The package's calendar with the file ``path`` (default: the setting
    ``SHUIJIAN_HOLIDAYS``; unset: the package alone)."""
    chosen = str(path) if path is not None else settings.optional_text("holidays")
    if not chosen:
        return HolidayCalendar({})
    try:
        stat = os.stat(chosen)
    except FileNotFoundError:
        raise HolidayFileRefused(chosen, "does not exist", code="holidays_file_missing") from None
    return _load(chosen, stat.st_mtime_ns, stat.st_size)


def is_workday(day: date) -> bool:
    """Whether ``day`` is a working day in China (HolidaysUnknown past the known years)."""
    return holiday_calendar().is_workday(day)


__all__ = [
    "HolidayCalendar",
    "HolidayFileRefused",
    "HolidaysUnknown",
    "YearDays",
    "holiday_calendar",
    "is_workday",
    "package_version",
    "package_years",
    "parse_holidays",
]
