"""Demo tickets: made through the service, at every step, with their story times."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from core.vocab import CHECKLIST_CATEGORY
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
    with demo_copy.connect() as conn:
        platforms = set(conn.scalars(text("SELECT DISTINCT platform_code FROM ticket")))
    assert platforms == {"zongzhi", "bianmin", "zhifa", "shichang"}  # all four platforms


def test_demo_problems_come_from_checklist_yeses(demo_copy: Engine) -> None:
    """Patrols first: every duty visit gets its record (one in ten left incomplete), and the
    tickets seen on patrol are a "yes" of that patrol's checklist at that site."""
    from data.demo_tracks import add_demo_patrols

    add_demo_patrols(demo_copy, 2026, date(2026, 11, 25), months=1, limit=25)
    summary = add_demo_tickets(demo_copy, 2026, date(2026, 11, 1), date(2026, 11, 25))
    with demo_copy.connect() as conn:
        linked = conn.execute(
            text(
                "SELECT t.category_code, array_agg(c.item) FROM ticket t "
                "JOIN checklist_answer c ON c.patrol_id = t.patrol_id AND c.site_id = t.site_id "
                "AND c.answer WHERE t.patrol_id IS NOT NULL GROUP BY t.id"
            )
        ).all()
        records, complete = conn.execute(
            text(
                "SELECT count(DISTINCT (v.patrol_id, v.site_id)), count(DISTINCT (c.patrol_id, "
                "c.site_id)) FROM visit v LEFT JOIN checklist_answer c ON c.patrol_id = "
                "v.patrol_id AND c.site_id = v.site_id WHERE v.is_assigned"
            )
        ).one()
    assert summary.tickets > 0 and linked
    assert all(category in {CHECKLIST_CATEGORY[i] for i in yes} for category, yes in linked)
    assert 0.8 * records <= complete < records  # most visits recorded, some left incomplete
