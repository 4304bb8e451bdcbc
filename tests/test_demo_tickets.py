"""Demo tickets: made through the service, at every step, with their story times."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from data.demo_tickets import add_demo_tickets
from tickets.figures import ticket_rates


def test_demo_tickets_cover_the_lifecycle(demo_copy: Engine) -> None:
    summary = add_demo_tickets(demo_copy, 2026, date(2026, 10, 1), date(2026, 11, 25))
    assert summary.tickets >= 15
    with demo_copy.connect() as conn:
        statuses = set(conn.scalars(text("SELECT status FROM ticket_state")))
        assert {"closed", "accepted"} <= statuses or {"closed", "assigned"} <= statuses
        first, last = conn.execute(text("SELECT min(at), max(at) FROM ticket_event")).one()
        assert first.date() >= date(2026, 9, 30) and last.date() <= date(2026, 11, 26)
        # every event follows the previous one of its ticket in time
        disorder = conn.scalar(
            text(
                "SELECT count(*) FROM (SELECT at, "
                "lag(at) OVER (PARTITION BY ticket_id ORDER BY id) AS prev "
                "FROM ticket_event) e WHERE at < prev"
            )
        )
        assert disorder == 0
        photos = conn.scalar(text("SELECT count(*) FROM ticket_attachment WHERE geom IS NOT NULL"))
        assert photos >= summary.tickets
    with Session(demo_copy) as s:
        county = ticket_rates(s, by="county").iloc[0]
    assert county.dispatched == summary.tickets
    assert 0 < county.handling_rate <= 1
