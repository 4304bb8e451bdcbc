"""The one clock: "now" and "today" in the county's zone.

Every module asks this one for the time; nothing else reads the wall clock (a test in
tests/test_clock.py greps for it). Tests move the clock with time-machine, which patches the
one call below, so the whole suite can run as if it were any day (``SHUIJIAN_TEST_DATE``, see
tests/conftest.py). Database defaults such as ``now()`` are not used for anything that decides
a figure: services write ``clock.now()`` explicitly, so a moved clock moves them too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from core import settings


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone() -> ZoneInfo:
    """The county's time zone (setting ``timezone``, Asia/Shanghai by default)."""
    return _zone(settings.text("timezone"))


def now() -> datetime:
    """The current instant, timezone-aware in UTC (what timestamptz columns store)."""
    return datetime.now(UTC)


def local_now() -> datetime:
    """The current instant in the county's zone."""
    return now().astimezone(zone())


def today() -> date:
    """Today's date in the county's zone: a job on a UTC server at 07:00 local is not a day
    late, and a ticket of 1 Nov 07:00 (+08) belongs to November."""
    return local_now().date()


def yesterday() -> date:
    return today() - timedelta(days=1)


def local_midnight(day: date) -> datetime:
    """The instant a local day starts, as an aware datetime (period bounds in SQL)."""
    return datetime.combine(day, time.min, tzinfo=zone())


def local_date(instant: datetime) -> date:
    """The county's calendar date of an aware instant."""
    return instant.astimezone(zone()).date()


__all__ = [
    "local_date",
    "local_midnight",
    "local_now",
    "now",
    "today",
    "yesterday",
    "zone",
]
