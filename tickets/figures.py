"""Figures from the event log: 处置率, 办结率, on-time and satisfaction per township, platform
or county, and the tickets overdue on a day. Counted from events, never from a stored status.

The definitions, each one here and nowhere else (pages and the bulletin word them from the
catalogue, ``figure_def.*``):

- Dispatched (交办): tickets created in the period that have a 交办 event. The period is local
  days in the county's zone (``core.clock``): a ticket of 1 Nov 07:00 (+08), numbered 202611,
  is November's, though it is 31 Oct 23:00 UTC.
- Handled (已处置): dispatched tickets whose current state is 反馈 (``fed_back``) or later
  and that were not reopened since: no ``reinspect_fail`` (the re-inspection found it
  unresolved) and no ``reopen`` (a 不满意 rating) after the last feedback. A first feedback
  that was undone does not count.
- 处置率 = handled / dispatched. Over all dispatched tickets it is the 交办处置率; per
  platform (the platform a ticket is routed to now) the 平台处置率.
- On time (按期处置): handled tickets whose accepted feedback — the last one, which nothing
  undid — fell on or before the deadline (local date). On-time rate = on time / handled.
- Closed (办结): the current state is 办结, reached only through a re-inspection that found it
  fixed and a 满意 or 基本满意 rating. 办结率 = closed / dispatched.
- Satisfaction = (满意 + 基本满意) / rated, by each ticket's latest rating.

``as_of`` (a local date) counts only the events before it began, so a month's bulletin says
the same whenever it is built again; without it every event so far counts.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from accounts.auth import SignedIn
from accounts.scope import narrow
from core import clock
from db.query import county_clause, township_label
from tickets.lifecycle import FED_BACK_OR_LATER, UNDOING_MOVES

FAR_PAST, FAR_FUTURE = date(2000, 1, 1), date(2100, 1, 1)

RATES_SQL = """
WITH t AS (
  SELECT t.id, t.township_id, t.county_id, t.platform_code, t.deadline,
    EXISTS (SELECT 1 FROM ticket_event e WHERE e.ticket_id = t.id AND e.county_id = t.county_id
      AND e.action = 'dispatch' AND e.at < :as_of) AS dispatched,
    st.to_status AS status,
    fb.at AS feedback_at,
    fb.id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ticket_event u WHERE u.ticket_id = t.id
      AND u.county_id = t.county_id AND u.id > fb.id AND u.action = ANY(:undoing)
      AND u.at < :as_of) AS feedback_stands,
    (SELECT e.payload->>'rating' FROM ticket_event e WHERE e.ticket_id = t.id
       AND e.county_id = t.county_id AND e.action = 'rate' AND e.at < :as_of
       ORDER BY e.id DESC LIMIT 1) AS rating
  FROM ticket t
  LEFT JOIN LATERAL (SELECT e.to_status FROM ticket_event e WHERE e.ticket_id = t.id
    AND e.county_id = t.county_id AND e.at < :as_of ORDER BY e.id DESC LIMIT 1) st ON true
  LEFT JOIN LATERAL (SELECT e.id, e.at FROM ticket_event e WHERE e.ticket_id = t.id
    AND e.county_id = t.county_id AND e.action = 'feedback' AND e.at < :as_of
    ORDER BY e.id DESC LIMIT 1) fb ON true
  WHERE {county} AND t.created_at >= :start AND t.created_at < :end
    AND (CAST(:township_id AS integer) IS NULL OR t.township_id = :township_id)
    AND (CAST(:platform_code AS text) IS NULL OR t.platform_code = :platform_code)
    AND (CAST(:category_code AS text) IS NULL OR t.category_code = :category_code)
), h AS (
  SELECT t.*, dispatched AND status = ANY(:handled_states) AND feedback_stands AS handled
  FROM t
)
SELECT {group} AS key, count(*) FILTER (WHERE dispatched) AS dispatched,
  count(*) FILTER (WHERE handled) AS handled,
  count(*) FILTER (WHERE handled AND (feedback_at AT TIME ZONE :tz)::date <= deadline)
    AS on_time,
  count(*) FILTER (WHERE dispatched AND status = 'closed') AS closed,
  count(rating) AS rated,
  count(*) FILTER (WHERE rating IN ('satisfied', 'basically_satisfied')) AS satisfied
FROM h t {join} GROUP BY 1 ORDER BY 1
"""
RATE_COUNTS = ("dispatched", "handled", "on_time", "closed", "rated", "satisfied")


def ticket_rates(
    session: Session,
    by: str = "township",
    start: date | None = None,
    end: date | None = None,
    as_of: date | None = None,
    *,
    township_id: int | None = None,
    platform_code: str | None = None,
    category_code: str | None = None,
    viewer: SignedIn | None = None,
) -> pd.DataFrame:
    """Per township (its name), platform (its code) or the county (``by``), for tickets
    created on the local days
    [start, end): the counts of RATE_COUNTS and handling_rate (处置率: 交办处置率 county-wide,
    平台处置率 per platform), on_time_rate, closing_rate (办结率) and satisfaction, as the
    module's docstring defines them. A township, platform or category narrows the tickets
    counted, so a page's figures follow its filters (none: every ticket); a township account
    (``viewer``) counts its own township's only (``accounts.scope.narrow``)."""
    township_id = narrow(viewer, township_id, "ticket figures")
    if by == "township":
        group = township_label("tw")
        join = "LEFT JOIN township tw ON tw.id = t.township_id AND tw.county_id = t.county_id"
    elif by == "platform":
        group, join = "t.platform_code", ""
    else:
        group, join = "'county'", ""
    params = {
        "start": clock.local_midnight(start or FAR_PAST),
        "end": clock.local_midnight(end or FAR_FUTURE),
        "as_of": clock.local_midnight(as_of or FAR_FUTURE),
        "tz": clock.zone().key,
        "undoing": list(UNDOING_MOVES),
        "handled_states": list(FED_BACK_OR_LATER),
        "township_id": township_id,
        "platform_code": platform_code,
        "category_code": category_code,
    }
    rows = session.execute(
        text(RATES_SQL.format(county=county_clause("t"), group=group, join=join)), params
    ).all()
    frame = pd.DataFrame(rows, columns=["key", *RATE_COUNTS])
    dispatched = frame["dispatched"].where(frame["dispatched"] > 0)
    frame["handling_rate"] = frame["handled"] / dispatched
    frame["on_time_rate"] = frame["on_time"] / frame["handled"].where(frame["handled"] > 0)
    frame["closing_rate"] = frame["closed"] / dispatched
    frame["satisfaction"] = frame["satisfied"] / frame["rated"].where(frame["rated"] > 0)
    return frame


def county_rates(
    session: Session,
    start: date | None = None,
    end: date | None = None,
    as_of: date | None = None,
    *,
    township_id: int | None = None,
    platform_code: str | None = None,
    category_code: str | None = None,
    viewer: SignedIn | None = None,
) -> pd.Series:
    """The one row of ``ticket_rates`` over every ticket counted (the county's, or those a
    township, platform or category leaves), with zeros and
    no rates when nothing was dispatched, for a page's key figures and the bulletin's summary."""
    frame = ticket_rates(
        session,
        "county",
        start,
        end,
        as_of,
        township_id=township_id,
        platform_code=platform_code,
        category_code=category_code,
        viewer=viewer,
    )
    if len(frame):
        return frame.iloc[0]
    empty = {c: 0 for c in RATE_COUNTS}
    rates = ("handling_rate", "on_time_rate", "closing_rate", "satisfaction")
    return pd.Series({"key": "county", **empty, **{r: float("nan") for r in rates}})


def overdue_tickets(session: Session, today: date | None = None) -> pd.DataFrame:
    """Tickets past their deadline that the platform has not yet fed back on."""
    rows = session.execute(
        text(
            "SELECT t.number, c.name_zh, p.name_zh, tw.name, s.status, t.deadline "
            "FROM ticket t JOIN ticket_state s ON s.ticket_id = t.id AND s.county_id = t.county_id "
            "JOIN problem_category c ON c.code = t.category_code "
            "JOIN platform p ON p.code = t.platform_code "
            "LEFT JOIN township tw ON tw.id = t.township_id AND tw.county_id = t.county_id "
            f"WHERE {county_clause('t')} AND s.status IN ('reported', 'assigned', 'accepted') "
            "AND t.deadline < :today "
            "ORDER BY t.deadline"
        ),
        {"today": today or clock.today()},
    ).all()
    return pd.DataFrame(
        rows, columns=["number", "category", "platform", "township", "status", "deadline"]
    )
