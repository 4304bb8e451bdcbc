"""Ticket dates and numbers: deadlines in working days, and numbers like
`330822-202611-0007` (county code, local month, sequence under a row lock)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from core import settings


def add_working_days(start: date, days: int) -> date:
    """Monday–Friday only; public holidays are not modelled (no official calendar here)."""
    d = start
    left = days
    while left > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            left -= 1
    return d


def next_ticket_number(session: Session, when: date, county_code: str | None = None) -> str:
    """`330822-202611-0007`: county code, month, sequence; a row lock keeps numbers unique."""
    month = f"{when:%Y%m}"
    seq = session.scalar(
        text(
            "INSERT INTO ticket_counter (month, last) VALUES (:m, 1) "
            "ON CONFLICT (month) DO UPDATE SET last = ticket_counter.last + 1 RETURNING last"
        ),
        {"m": month},
    )
    return f"{county_code or settings.text('county_code')}-{month}-{seq:04d}"
