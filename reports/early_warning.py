"""预警管理, early warnings: the rules of reports/warnings.toml run over the database, each
warning raised once (its ``key`` is unique), pushed to the township's people's congress office
through the reminder channel, acknowledged and closed with a note.

Why it is built this way:
- Detection is a set of plain functions, one per rule kind, each returning candidates with a
  key that names what the warning is about (a run of missed windows by its first deadline, a
  repeated problem by its later ticket, a flagged deputy by their latest patrol, a gap in a
  registered site's patrols by its start); the insert's ON CONFLICT DO NOTHING makes a second
  scan raise nothing already raised, even two scans at once.
- The push is separate from the raise: a warning whose township has no office contact, or
  whose send failed, keeps ``pushed_at`` empty and goes out with the next scan.
- Acknowledging and closing record who and when, and closing needs a note; both are refused
  out of order, and to roles the permission table does not name (``act_on_warning``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import pandas as pd
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

import i18n
from accounts.auth import SignedIn
from accounts.permissions import require
from accounts.scope import confined_to, narrow
from core import clock, settings
from core.errors import ShuijianError
from db.models import EarlyWarning, Township, TownshipOffice
from db.query import county_clause, query_frame, township_label
from duty.register import sync_register
from duty.reminders.channels import Channel, Delivery, channel_from_settings, channel_name
from duty.reminders.message import MARKDOWN_LISTED, TIMEOUT_S, Recipient
from duty.windows import following_deadline, missed_deadlines
from reports.warning_rules import NOT_YET_FED, RULES, Rules, load_rules
from water.quality import summons

STATES: tuple[str, ...] = ("open", "acknowledged", "closed")
"""A warning's state; labelled ``warning_state.<code>`` in the catalogue."""


class WarningRefused(ShuijianError):
    """An acknowledgement or closing that the warning's state or the note does not allow."""


@dataclass(frozen=True)
class Candidate:
    """A warning a rule found; raised only if its key is new."""

    key: str
    rule: str
    township_id: int | None
    site_id: int | None = None
    deputy_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _day(value: Any) -> date:
    return pd.Timestamp(value).date()


# --------------------------------------------------------------------------- the rules

_DUTIES_SQL = """
SELECT a.id AS duty_id, a.site_id, a.deputy_id, s.site_class, s.township_id,
       a.valid_from, a.valid_to
FROM assignment a JOIN site s ON s.id = a.site_id
WHERE a.valid_from <= :on AND (a.valid_to IS NULL OR a.valid_to > :since)
"""
_VISITS_SQL = """
SELECT site_id, deputy_id, visit_date FROM verified_visit WHERE visit_date <= :on
"""


def overdue_in_a_row(
    session: Session, on: date, windows: int, lookback_days: int
) -> list[Candidate]:
    """Sites whose duty missed ``windows`` deadlines in a row (duty.windows' chain: each miss
    followed by the next window's), one warning per run, keyed by the run's first deadline;
    runs whose latest miss is before on − lookback_days are left alone."""
    since = on - timedelta(days=lookback_days)
    duties = query_frame(session, _DUTIES_SQL, {"on": on, "since": since})
    if duties.empty:
        return []
    visits = query_frame(session, _VISITS_SQL, {"on": on})
    any_deputy = settings.text("duty_visits") == "any"
    by_site: dict[int, list[date]] = defaultdict(list)
    by_duty: dict[tuple[int, int], list[date]] = defaultdict(list)
    for site_id, deputy_id, day in visits.itertuples(index=False):
        by_site[int(site_id)].append(_day(day))
        by_duty[(int(site_id), int(deputy_id))].append(_day(day))
    found: list[Candidate] = []
    for duty in duties.itertuples(index=False):
        start = _day(duty.valid_from)
        end = None if pd.isna(duty.valid_to) else _day(duty.valid_to) - timedelta(days=1)
        seen = by_site[duty.site_id] if any_deputy else by_duty[(duty.site_id, duty.deputy_id)]
        inside = [d for d in seen if d >= start and (end is None or d <= end)]
        missed = missed_deadlines(
            int(duty.site_class), inside, start, end or on, start, as_of=on, tracking_end=end
        )
        for run in _runs(missed, int(duty.site_class)):
            if len(run) >= windows and run[-1] >= since:
                found.append(
                    Candidate(
                        f"overdue_in_a_row:{duty.site_id}:{run[0].isoformat()}",
                        "overdue_in_a_row",
                        None if pd.isna(duty.township_id) else int(duty.township_id),
                        site_id=int(duty.site_id),
                        deputy_id=int(duty.deputy_id),
                        details={
                            "first_deadline": run[0].isoformat(),
                            "last_deadline": run[-1].isoformat(),
                            "windows": len(run),
                        },
                    )
                )
    return found


def _runs(missed: list[date], site_class: int) -> list[list[date]]:
    """Missed deadlines split into runs of consecutive windows."""
    runs: list[list[date]] = []
    for deadline in missed:
        if runs and following_deadline(site_class, runs[-1][-1]) == deadline:
            runs[-1].append(deadline)
        else:
            runs.append([deadline])
    return runs


_REPEAT_SQL = """
WITH live AS (
    SELECT t.id, t.number, t.site_id, t.category_code, t.township_id,
           (t.created_at AT TIME ZONE :zone)::date AS day
    FROM ticket t JOIN ticket_state st ON st.ticket_id = t.id
    WHERE t.site_id IS NOT NULL AND st.status <> 'withdrawn'
      AND (t.created_at AT TIME ZONE :zone)::date <= :on
)
SELECT later.id AS ticket_id, later.number, later.site_id, later.category_code,
       later.township_id, later.day, earlier.number AS earlier_number, earlier.day AS earlier_day
FROM live later
JOIN LATERAL (
    SELECT e.number, e.day FROM live e
    WHERE e.site_id = later.site_id AND e.category_code = later.category_code
      AND e.id <> later.id AND e.day <= later.day AND e.day >= later.day - :days
      AND (e.day < later.day OR e.id < later.id)
    ORDER BY e.day DESC, e.id DESC LIMIT 1
) earlier ON true
WHERE later.day >= :on - :days
"""


def repeat_problem(session: Session, on: date, days: int) -> list[Candidate]:
    """A ticket (not withdrawn) of the same category at the same site as another one at most
    ``days`` days earlier; keyed by the later ticket, raised while it is recent."""
    frame = query_frame(
        session, _REPEAT_SQL, {"on": on, "days": days, "zone": settings.text("timezone")}
    )
    return [
        Candidate(
            f"repeat_problem:{r.ticket_id}",
            "repeat_problem",
            None if pd.isna(r.township_id) else int(r.township_id),
            site_id=int(r.site_id),
            details={
                "category": str(r.category_code),
                "ticket": str(r.number),
                "earlier_ticket": str(r.earlier_number),
                "days_apart": (_day(r.day) - _day(r.earlier_day)).days,
            },
        )
        for r in frame.itertuples(index=False)
    ]


_FLAGGED_SQL = """
WITH ranked AS (
    SELECT p.deputy_id, p.id AS patrol_id, st.flagged,
           row_number() OVER (PARTITION BY p.deputy_id
                              ORDER BY coalesce(p.started_at, p.created_at) DESC, p.id DESC) AS n
    FROM patrol p JOIN patrol_state st ON st.patrol_id = p.id
    WHERE coalesce(p.started_at, p.created_at) < :until
)
SELECT r.deputy_id, d.township_id, max(r.patrol_id) FILTER (WHERE r.n = 1) AS latest,
       count(*) FILTER (WHERE r.flagged) AS flagged, count(*) AS patrols
FROM ranked r JOIN deputy d ON d.id = r.deputy_id
WHERE r.n <= :last
GROUP BY r.deputy_id, d.township_id
HAVING count(*) FILTER (WHERE r.flagged) >= :flagged
   AND NOT EXISTS (SELECT 1 FROM early_warning w WHERE w.rule = 'flagged_deputy'
                   AND w.deputy_id = r.deputy_id AND w.closed_at IS NULL)
"""


def flagged_deputy(session: Session, on: date, flagged: int, last: int) -> list[Candidate]:
    """Deputies ``flagged`` of whose last ``last`` patrols (up to the end of ``on``) were
    flagged; keyed by the latest patrol, and not while an earlier one is unclosed."""
    until = clock.local_midnight(on + timedelta(days=1))
    frame = query_frame(session, _FLAGGED_SQL, {"until": until, "flagged": flagged, "last": last})
    return [
        Candidate(
            f"flagged_deputy:{r.deputy_id}:{r.latest}",
            "flagged_deputy",
            None if pd.isna(r.township_id) else int(r.township_id),
            deputy_id=int(r.deputy_id),
            details={"flagged": int(r.flagged), "patrols": int(r.patrols)},
        )
        for r in frame.itertuples(index=False)
    ]


_UNPATROLLED_SQL = """
SELECT r.id AS registration_id, r.site_id, s.township_id, r.opened_on,
       (SELECT max(v.visit_date) FROM verified_visit v
         WHERE v.site_id = r.site_id AND v.visit_date <= :on) AS last_visit
FROM site_registration r JOIN site s ON s.id = r.site_id
WHERE r.closed_at IS NULL AND r.opened_on <= :on
"""


def registered_unpatrolled(session: Session, on: date, days: int) -> list[Candidate]:
    """Registered sites with no verified visit for ``days`` days, counted from the later of
    the last visit and the registration; keyed by the gap's start (once per gap)."""
    frame = query_frame(session, _UNPATROLLED_SQL, {"on": on})
    found = []
    for r in frame.itertuples(index=False):
        start = _day(r.opened_on)
        if not pd.isna(r.last_visit):
            start = max(start, _day(r.last_visit))
        if (on - start).days >= days:
            found.append(
                Candidate(
                    f"registered_unpatrolled:{r.registration_id}:{start.isoformat()}",
                    "registered_unpatrolled",
                    None if pd.isna(r.township_id) else int(r.township_id),
                    site_id=int(r.site_id),
                    details={"since": start.isoformat(), "days": (on - start).days},
                )
            )
    return found


def water_quality(session: Session, on: date, misses: int) -> list[Candidate]:
    """Townships whose cross-sections missed their target ``misses`` months in a row
    (``water.quality``: the section assesses its upstream township; a month without a sample
    breaks the run), counting months up to ``on``'s; keyed by the township and the run's first
    month, so a run that goes on is still one warning."""
    return [
        Candidate(
            f"water_quality:{run.township_id}:{run.first.isoformat()}",
            "water_quality",
            run.township_id,
            details={
                "township": run.township,
                "first_month": run.first.isoformat(),
                "last_month": run.last.isoformat(),
                "misses": len(run.months),
                "sections": "、".join(f"{code} {name}" for code, name in run.sections),
            },
        )
        for run in summons(session, at_least=misses, until=on)
    ]


DETECTORS: dict[str, Callable[..., list[Candidate]]] = {
    "overdue_in_a_row": overdue_in_a_row,
    "repeat_problem": repeat_problem,
    "flagged_deputy": flagged_deputy,
    "registered_unpatrolled": registered_unpatrolled,
    "water_quality": water_quality,
}


def detect(session: Session, on: date, rules: Rules) -> list[Candidate]:
    """Every candidate of the enabled rules on ``on``; rules not yet fed find nothing."""
    found: list[Candidate] = []
    for rule in rules.enabled():
        if rule.kind in NOT_YET_FED:
            continue
        found += DETECTORS[rule.kind](session, on, **rule.params)
    return found


# --------------------------------------------------------------------------- raising and pushing


@dataclass
class ScanReport:
    """Counts of one scan: warnings found (``found``), newly raised (``raised``), pushed to
    township offices (``pushed`` warnings in ``messages`` messages), failed sends
    (``failed``), warnings whose township has no office contact (``undeliverable``)."""

    on: date
    channel: str = "none"
    found: int = 0
    raised: int = 0
    pushed: int = 0
    messages: int = 0
    failed: int = 0
    undeliverable: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        rules = ", ".join(f"{k} {v}" for k, v in sorted(self.by_rule.items())) or "none"
        push = (
            "push off (SHUIJIAN_REMIND_CHANNEL=none)"
            if self.channel == "none"
            else (
                f"{self.pushed} pushed via {self.channel} in {self.messages} message(s), "
                f"{self.failed} failed, {self.undeliverable} without an office contact"
            )
        )
        return (
            f"warnings on {self.on}: {self.found} found, {self.raised} newly raised "
            f"({rules}); {push}"
        )


def raise_warnings(session: Session, on: date, candidates: list[Candidate]) -> list[int]:
    """Insert the candidates whose key is new; the ids of those raised now."""
    if not candidates:
        return []
    now = clock.now()
    rows = [
        {
            "key": c.key,
            "rule": c.rule,
            "township_id": c.township_id,
            "site_id": c.site_id,
            "deputy_id": c.deputy_id,
            "raised_on": on,
            "raised_at": now,
            "details": c.details,
        }
        for c in candidates
    ]
    got = session.execute(
        insert(EarlyWarning)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(EarlyWarning.id)
    )
    return [int(i) for i in got.scalars()]


def scan(
    session: Session,
    on: date | None = None,
    rules: Rules | None = None,
    channel: Channel | str | None = None,
    *,
    client: httpx.Client | None = None,
    push: bool = True,
) -> ScanReport:
    """Bring the register up to date, raise the new warnings of ``on`` (default today) and,
    unless ``push`` is off, push every warning not yet pushed to its township office
    (``channel``: a Channel, a name, or None for SHUIJIAN_REMIND_CHANNEL). Commits the raise
    before pushing, so a failed push loses nothing."""
    on = on or clock.today()
    rules = rules or load_rules()
    sync_register(session)
    found = detect(session, on, rules)
    raised = raise_warnings(session, on, found)
    session.commit()
    report = ScanReport(on=on, found=len(found), raised=len(raised))
    if raised:
        kinds = session.scalars(select(EarlyWarning.rule).where(EarlyWarning.id.in_(raised)))
        for kind in kinds:
            report.by_rule[kind] = report.by_rule.get(kind, 0) + 1
    if not push:
        return report
    if channel is None or isinstance(channel, str):
        name = channel_name(channel)
        if name is None:
            return report
        chosen = channel_from_settings(name)
    else:
        chosen = channel
    assert chosen is not None
    report.channel = chosen.name
    own = client is None
    http = client or httpx.Client(timeout=TIMEOUT_S)
    try:
        push_pending(session, chosen, http, report)
    finally:
        if own:
            http.close()
    return report


@dataclass(frozen=True)
class WarningMessage:
    """One township office's new warnings, in the reminder channels' shape (``recipient``,
    ``title``, ``markdown()``, ``plain()``); the words are the catalogue's, in Chinese."""

    recipient: Recipient
    on: date
    lines: tuple[str, ...]

    @property
    def title(self) -> str:
        return i18n.text("warning_push.title", "zh", township=self.recipient.township)

    def markdown(self) -> str:
        head = [
            i18n.text("warning_push.heading", "zh", date=i18n.day(self.on, "zh")),
            "",
            i18n.text(
                "warning_push.intro",
                "zh",
                office=self.recipient.name,
                township=self.recipient.township,
                count=len(self.lines),
            ),
            "",
        ]
        body = [f"- {line}" for line in self.lines[:MARKDOWN_LISTED]]
        if len(self.lines) > MARKDOWN_LISTED:  # a robot message has a size limit
            body.append(
                i18n.text("warning_push.more", "zh", count=len(self.lines) - MARKDOWN_LISTED)
            )
        tail = ["", i18n.text("warning_push.closing", "zh")]
        if self.recipient.phone:
            tail += ["", f"@{self.recipient.phone}"]
        return "\n".join(head + body + tail)

    def plain(self) -> str:
        return i18n.text(
            "warning_push.sms",
            "zh",
            office=self.recipient.name,
            township=self.recipient.township,
            count=len(self.lines),
            first=self.lines[0] if self.lines else "",
        )


def warning_line(
    rule: str, details: dict[str, Any], site: str, deputy: str
) -> tuple[str, dict[str, Any]]:
    """One warning as a catalogue code and its parameters: the edges word it (the push in
    Chinese, the page in its language)."""
    days = {k: _as_day(v) for k, v in details.items()}  # JSON keeps days as ISO text
    return f"warning_line.{rule}", {"site": site, "deputy": deputy, **days}


def _as_day(value: Any) -> Any:
    """An ISO day from a warning's details as a date, so the catalogue words it per language."""
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _zh_line(code: str, params: dict[str, Any]) -> str:
    """The push goes out in Chinese: its readers are the township offices."""
    return i18n.text(code, "zh", **params)


_PENDING_SQL = """
SELECT w.id, w.rule, w.township_id, w.details, s.name AS site, d.name AS deputy
FROM early_warning w
LEFT JOIN site s ON s.id = w.site_id
LEFT JOIN deputy d ON d.id = w.deputy_id
WHERE w.pushed_at IS NULL AND w.closed_at IS NULL
ORDER BY w.township_id, w.id
"""


def push_pending(
    session: Session, channel: Channel, client: httpx.Client, report: ScanReport
) -> None:
    """One message per township office with its unpushed warnings; a success marks them
    pushed (committed per message), a failure or a township without an office contact
    leaves them for the next scan."""
    pending = query_frame(session, _PENDING_SQL)
    if pending.empty:
        return
    ids = [int(t) for t in pending["township_id"].dropna().unique()]
    townships = dict(
        session.execute(select(Township.id, Township.name).where(Township.id.in_(ids))).all()
    )
    codes = dict(
        session.execute(select(Township.id, Township.code).where(Township.id.in_(ids))).all()
    )
    offices = {
        o.township_id: o
        for o in session.scalars(select(TownshipOffice).where(TownshipOffice.township_id.in_(ids)))
    }
    for township_id, group in pending.groupby(pending["township_id"].fillna(-1), sort=True):
        tid = int(township_id)
        office = offices.get(tid)
        if office is None or not office.phone.strip():
            report.undeliverable += len(group)
            continue
        recipient = Recipient(
            deputy_id=None,
            code=str(codes.get(tid, "")),
            name=office.name,
            phone=office.phone.strip(),
            township_id=tid,
            township=str(townships.get(tid, "")),
            office=True,
        )
        lines = tuple(
            _zh_line(
                *warning_line(
                    str(r.rule),
                    dict(r.details or {}),
                    "" if pd.isna(r.site) else str(r.site),
                    "" if pd.isna(r.deputy) else str(r.deputy),
                )
            )
            for r in group.itertuples(index=False)
        )
        message = WarningMessage(recipient, report.on, lines)
        now = clock.now()
        delivery: Delivery = channel.send(client, message, now)  # type: ignore[arg-type]
        if not delivery.ok:
            report.failed += 1
            continue
        for warning in session.scalars(
            select(EarlyWarning).where(EarlyWarning.id.in_([int(i) for i in group["id"]]))
        ):
            warning.pushed_at = now
            warning.push_detail = f"{channel.name}: {delivery.detail}"
        session.commit()
        report.pushed += len(group)
        report.messages += 1


# --------------------------------------------------------------------------- acting on warnings


def _warning(session: Session, user: SignedIn, warning_id: int) -> EarlyWarning:
    """The warning to act on; another township's is as unknown to township staff as a
    missing one (its existence is not theirs to learn)."""
    warning = session.get(EarlyWarning, warning_id, with_for_update=True)
    own = confined_to(user)
    if warning is None or (own is not None and warning.township_id != own):
        raise WarningRefused(
            f"no warning {warning_id}", code="warning_not_found", warning=warning_id
        )
    return warning


def acknowledge(session: Session, user: SignedIn, warning_id: int, note: str = "") -> None:
    """Acknowledge an open warning (签收): who and when kept, with an optional note."""
    require(user, "act_on_warning")
    warning = _warning(session, user, warning_id)
    if warning.acknowledged_at is not None:
        raise WarningRefused(
            f"warning {warning_id} is already acknowledged",
            code="warning_already_acknowledged",
            warning=warning_id,
        )
    warning.acknowledged_at = clock.now()
    warning.acknowledged_by = user.user_id
    warning.acknowledge_note = note.strip() or None
    session.flush()


def close(session: Session, user: SignedIn, warning_id: int, note: str) -> None:
    """Close an acknowledged warning with a note saying what was done."""
    require(user, "act_on_warning")
    warning = _warning(session, user, warning_id)
    if not note or not note.strip():
        raise WarningRefused("closing a warning needs a note", code="warning_note_required")
    if warning.closed_at is not None:
        raise WarningRefused(
            f"warning {warning_id} is already closed",
            code="warning_already_closed",
            warning=warning_id,
        )
    if warning.acknowledged_at is None:
        raise WarningRefused(
            f"warning {warning_id} must be acknowledged before it is closed",
            code="warning_not_acknowledged",
            warning=warning_id,
        )
    warning.closed_at = clock.now()
    warning.closed_by = user.user_id
    warning.close_note = note.strip()
    session.flush()


_LIST_SQL = f"""
SELECT w.id, w.rule, w.raised_on, w.township_id, {township_label("tw")} AS township,
       s.code AS site_code, s.name AS site, d.name AS deputy, w.details,
       CASE WHEN w.closed_at IS NOT NULL THEN 'closed'
            WHEN w.acknowledged_at IS NOT NULL THEN 'acknowledged' ELSE 'open' END AS state,
       w.pushed_at, w.acknowledged_at, ua.username AS acknowledged_by, w.acknowledge_note,
       w.closed_at, uc.username AS closed_by, w.close_note
FROM early_warning w
LEFT JOIN township tw ON tw.id = w.township_id AND tw.county_id = w.county_id
LEFT JOIN site s ON s.id = w.site_id AND s.county_id = w.county_id
LEFT JOIN deputy d ON d.id = w.deputy_id AND d.county_id = w.county_id
LEFT JOIN app_user ua ON ua.id = w.acknowledged_by AND {{user_county_a}}
LEFT JOIN app_user uc ON uc.id = w.closed_by AND {{user_county_c}}
WHERE {{county}} AND {{where}}
ORDER BY w.closed_at IS NOT NULL, w.acknowledged_at IS NOT NULL, w.raised_on DESC, w.id DESC
"""


def warnings_frame(
    session: Session,
    township_id: int | None = None,
    rule: str | None = None,
    state: str | None = None,
) -> pd.DataFrame:
    """The warnings, open first, newest first; filters: township, rule kind, state."""
    where, params = ["TRUE"], {}
    if township_id is not None:
        where.append("w.township_id = :township_id")
        params["township_id"] = township_id
    if rule is not None:
        if rule not in RULES:
            raise ValueError(f"unknown warning rule {rule!r}")
        where.append("w.rule = :rule")
        params["rule"] = rule
    if state is not None:
        conditions = {
            "open": "w.acknowledged_at IS NULL AND w.closed_at IS NULL",
            "acknowledged": "w.acknowledged_at IS NOT NULL AND w.closed_at IS NULL",
            "closed": "w.closed_at IS NOT NULL",
        }
        if state not in conditions:
            raise ValueError(f"unknown warning state {state!r}")
        where.append(conditions[state])
    # a city account (no county) may have acknowledged or closed it: its name is seen in the
    # city's scope only (row-level security), so the users are matched by the scope's county
    sql = _LIST_SQL.format(
        county=county_clause("w"),
        user_county_a=county_clause("ua"),
        user_county_c=county_clause("uc"),
        where=" AND ".join(where),
    )
    return query_frame(session, sql, params)


def warnings_for(
    session: Session,
    user: SignedIn,
    township_id: int | None = None,
    rule: str | None = None,
    state: str | None = None,
) -> pd.DataFrame:
    """The warnings as a signed-in user may read them (``read_warnings``)."""
    require(user, "read_warnings")
    return warnings_frame(session, narrow(user, township_id, "warning"), rule, state)


def refresh_demo(session: Session, on: date) -> ScanReport:
    """The demo's register and warnings as of its last day: synced and raised, not pushed
    (the demo has no channel)."""
    return scan(session, on, push=False)
