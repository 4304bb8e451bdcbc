"""Setting the one clock in tests: ``SHUIJIAN_TEST_DATE`` moves the whole run to a day.

``SHUIJIAN_TEST_DATE=2028-02-29`` (or ``2027-12-31T23:30``, a local time) makes the test
process, and every Streamlit server a browser test starts, believe it is that moment; time
then runs on from there (``tick``), so timeouts and durations still work. time-machine patches
the C-level clock calls, which is what ``core.clock`` reads; the database's own ``now()`` is
not moved, which is why no service relies on it.

``FROZEN_DATES`` is the set the README's test command runs the date-sensitive tests under
(``pytest -m clock``; ``-m clock_sample`` under the first two only): the first and last day of
a month and of a year, the 旬 boundaries (10th/11th, 20th/21st), 1 March after a short February
and 29 February of a leap year, and two local times on either side of UTC midnight.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ENV = "SHUIJIAN_TEST_DATE"
ANCHOR_ENV = "SHUIJIAN_TEST_CLOCK_ANCHOR"
DEFAULT_LOCAL_TIME = time(10, 0)
# The README's test command runs the ``clock`` tests under each of these days, the
# ``clock_sample`` ones under the first two, and the browser ones (either mark) under the first.
FROZEN_DATES: tuple[str, ...] = (
    "2027-01-01T00:30",  # New Year, 16:30 UTC the day (and year) before
    "2028-02-29",
    "2027-03-01",
    "2027-04-10",
    "2027-04-11",
    "2027-04-20",
    "2027-04-21",
    "2027-04-30",
    "2027-12-31T23:30",
)


def frozen_moment(value: str | None = None, zone: str = "Asia/Shanghai") -> datetime | None:
    """The aware moment ``SHUIJIAN_TEST_DATE`` names (a local date or date-time), or None."""
    value = value if value is not None else os.environ.get(ENV, "")
    if not value:
        return None
    if "T" in value:
        moment = datetime.fromisoformat(value)
    else:
        moment = datetime.combine(date.fromisoformat(value), DEFAULT_LOCAL_TIME)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment


def start_travel(value: str | None = None):
    """Move this process's clock to the configured moment; returns the traveller (or None).

    The first process (pytest) notes in ``SHUIJIAN_TEST_CLOCK_ANCHOR`` the real time at which
    its clock stood at the moment; a subprocess it starts later moves to the moment plus the
    real time elapsed since, so every process of the run reads one and the same clock."""
    moment = frozen_moment(value, os.environ.get("SHUIJIAN_TIMEZONE") or "Asia/Shanghai")
    if moment is None:
        return None
    import time as wall

    import time_machine

    real_now = wall.time()  # not yet moved in this process
    anchor = os.environ.get(ANCHOR_ENV)
    if anchor:
        moment += timedelta(seconds=max(0.0, real_now - float(anchor)))
    else:
        os.environ[ANCHOR_ENV] = repr(real_now)
    traveller = time_machine.travel(moment, tick=True)
    traveller.start()
    return traveller
