"""Ticket dates and numbers: deadlines in working days, and numbers like
`330822-202611-0007` (county code, local month, sequence under a row lock).

Working days are China's (`tickets.holidays`): statutory holidays are skipped and 调休 make-up
workdays count, as the State Council publishes them; a deadline that reaches a year no calendar
knows is refused with `HolidaysUnknown` rather than guessed."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from core import settings
from tickets.holidays import holiday_calendar


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (start itself never counts: a ticket of a
    Friday with 1 working day is due on Monday). Raises HolidaysUnknown when a day it must
    step on lies in a year no holiday calendar holds."""
    calendar = holiday_calendar()
    d = start
    left = days
    while left > 0:
        d += timedelta(days=1)
        if calendar.is_workday(d):
            left -= 1
    return d


def next_ticket_number(session: Session, when: date, county_code: str | None = None) -> str:
    """`330822-202611-0007`: county code, month, sequence (each county its own, 0020); a row
    lock keeps numbers unique."""
    prefix = f"{county_code or settings.text('county_code')}-{when:%Y%m}"
    seq = session.scalar(
        text(
            "INSERT INTO ticket_counter (month, last) VALUES (:m, 1) "
            "ON CONFLICT (month) DO UPDATE SET last = ticket_counter.last + 1 RETURNING last"
        ),
        {"m": prefix},
    )
    return f"{prefix}-{seq:04d}"
