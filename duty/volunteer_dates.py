"""The volunteer teams' duty days: "每月2次(每月农历15日、月末)" — the 15th of the lunar month
and the last day of the Gregorian month.

The lunar calendar comes from ``lunardate`` (pure Python, tables for the lunar years
1900–2099 with their leap months, maintained): a Gregorian month holds one lunar
15th as a rule, none when a short February falls between two (the 15ths fall on the days
around it), two when a long month holds both ends of a lunar month. Each such day is a duty
day; the month's last day is one more unless it is itself a lunar 15th.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from lunardate import LunarDate

LUNAR_DAY = 15

KINDS = ("lunar_15", "month_end")


@dataclass(frozen=True)
class DutyDay:
    """One duty day and why it is one (``lunar_15``, ``month_end``, or both)."""

    day: date
    kinds: tuple[str, ...]
    lunar_month: int | None = None  # the lunar month of a lunar 15th
    leap: bool = False  # whether that lunar month is a leap month (闰月)


def month_duty_days(year: int, month: int) -> list[DutyDay]:
    """The duty days of one Gregorian month, in order."""
    last = calendar.monthrange(year, month)[1]
    found: dict[date, DutyDay] = {}
    for d in range(1, last + 1):
        day = date(year, month, d)
        lunar = LunarDate.from_solar_date(year, month, d)
        if lunar.day == LUNAR_DAY:
            found[day] = DutyDay(day, ("lunar_15",), lunar.month, bool(lunar.is_leap_month))
    end = date(year, month, last)
    if end in found:
        found[end] = DutyDay(
            end, ("lunar_15", "month_end"), found[end].lunar_month, found[end].leap
        )
    else:
        found[end] = DutyDay(end, ("month_end",))
    return [found[k] for k in sorted(found)]


def duty_days_between(first: date, last: date) -> list[DutyDay]:
    """Every duty day from ``first`` to ``last`` inclusive."""
    out: list[DutyDay] = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.extend(d for d in month_duty_days(y, m) if first <= d.day <= last)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def next_duty_day(after: date) -> DutyDay:
    """The first duty day on or after ``after``."""
    days = duty_days_between(after, after + timedelta(days=62))
    return days[0]
