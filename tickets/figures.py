"""Figures from the event log: 处置率, on-time and satisfaction per township, platform or county,
and the tickets overdue on a day. Counted from events, never from a stored status."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from core import clock, settings

RATES_SQL = """
WITH t AS (
  SELECT t.id, t.township_id, t.platform_code, t.deadline, t.created_at,
    EXISTS (SELECT 1 FROM ticket_event e WHERE e.ticket_id = t.id AND e.action = 'dispatch')
      AS dispatched,
    (SELECT min(e.at) FROM ticket_event e WHERE e.ticket_id = t.id AND e.to_status = 'fed_back')
      AS handled_at,
    EXISTS (SELECT 1 FROM ticket_event e WHERE e.ticket_id = t.id AND e.to_status = 'closed')
      AS closed,
    (SELECT e.payload->>'rating' FROM ticket_event e WHERE e.ticket_id = t.id
       AND e.action = 'rate' ORDER BY e.id DESC LIMIT 1) AS rating
  FROM ticket t
  WHERE t.created_at >= :start AND t.created_at < :end
)
SELECT {group} AS key, count(*) FILTER (WHERE dispatched) AS dispatched,
  count(handled_at) AS handled,
  count(*) FILTER (WHERE handled_at IS NOT NULL AND
    (handled_at AT TIME ZONE :tz)::date <= deadline) AS on_time,
  count(*) FILTER (WHERE closed) AS closed,
  count(rating) AS rated,
  count(*) FILTER (WHERE rating IN ('satisfied', 'basically_satisfied')) AS satisfied
FROM t {join} GROUP BY 1 ORDER BY 1
"""


def ticket_rates(
    session: Session, by: str = "township", start: date | None = None, end: date | None = None
) -> pd.DataFrame:
    """处置率 (handled / dispatched), on-time rate (handled by the deadline / handled) and
    satisfaction (满意 + 基本满意 / rated), per township or platform, from the event log."""
    if by == "township":
        group, join = "tw.name", "LEFT JOIN township tw ON tw.id = t.township_id"
    elif by == "platform":
        group, join = "p.name_zh", "JOIN platform p ON p.code = t.platform_code"
    else:
        group, join = "'全县'", ""
    params = {
        "start": datetime.combine(start or date(2000, 1, 1), datetime.min.time(), UTC),
        "end": datetime.combine(end or date(2100, 1, 1), datetime.min.time(), UTC),
        "tz": settings.text("timezone"),
    }
    rows = session.execute(text(RATES_SQL.format(group=group, join=join)), params).all()
    frame = pd.DataFrame(
        rows, columns=["key", "dispatched", "handled", "on_time", "closed", "rated", "satisfied"]
    )
    frame["handling_rate"] = frame["handled"] / frame["dispatched"].where(frame["dispatched"] > 0)
    frame["on_time_rate"] = frame["on_time"] / frame["handled"].where(frame["handled"] > 0)
    frame["satisfaction"] = frame["satisfied"] / frame["rated"].where(frame["rated"] > 0)
    return frame


def overdue_tickets(session: Session, today: date | None = None) -> pd.DataFrame:
    """Tickets past their deadline that the platform has not yet fed back on."""
    rows = session.execute(
        text(
            "SELECT t.number, c.name_zh, p.name_zh, tw.name, s.status, t.deadline "
            "FROM ticket t JOIN ticket_state s ON s.ticket_id = t.id "
            "JOIN problem_category c ON c.code = t.category_code "
            "JOIN platform p ON p.code = t.platform_code "
            "LEFT JOIN township tw ON tw.id = t.township_id "
            "WHERE s.status IN ('reported', 'assigned', 'accepted') AND t.deadline < :today "
            "ORDER BY t.deadline"
        ),
        {"today": today or clock.today()},
    ).all()
    return pd.DataFrame(
        rows, columns=["number", "category", "platform", "township", "status", "deadline"]
    )
