"""Dead corners to grid heads: a small cell that holds a site overdue now, or a site without a
deputy, is a dead corner (死角, ``duty.today``); its grid head (网格长, ``duty.grid_heads``) is
told through the same channel as the deputies' reminders, once per gap per reminder round.

A *gap* is one site of the cell with its cause since a day: ``overdue`` since the day after
its deadline, ``unassigned`` since the last deputy's period ended (for a site never assigned,
since its first class day, else since the head took office). Rounds follow the deputies'
schedule: round k starts on day 1 + kN of the gap (N = ``SHUIJIAN_REMINDER_REPEAT_DAYS``), so
a head hears of a gap when it opens and again every N days while it stays open. A visit gives
the site a new deadline and an assignment ends the unassigned gap: a later gap is a new one.

Exactly once, as for the deputies (``reminder_item``): ``grid_head_reminder`` has one row per
(site, cause, since, channel, round), inserted before the send and committed only when the
channel answered OK; a failed send rolls the claim back and the next run tries again; a second
run at the same time waits on the first's rows and then finds them taken. One message per head
and day lists every gap of the cell not yet told this round.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import httpx
import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

import i18n
from core import clock
from db.database import session_factory
from db.models import GridHeadReminder
from db.query import query_frame
from duty.reminders.channels import Channel, channel_from_settings, channel_name
from duty.reminders.message import LANG, MARKDOWN_LISTED, SMS_LISTED, TIMEOUT_S, Recipient, log
from duty.reminders.schedule import Schedule
from duty.today import site_today_status

CAUSES: tuple[str, ...] = ("overdue", "unassigned")

# Each small cell's head on :on, with the cell's code and township.
_HEADS_SQL = """
SELECT h.id AS head_id, h.grid_cell_id, h.name, h.phone, h.valid_from,
       c.code AS cell, c.township_id, coalesce(t.name, '') AS township
FROM grid_head h JOIN grid_cell c ON c.id = h.grid_cell_id
LEFT JOIN township t ON t.id = c.township_id
WHERE h.valid_from <= :on AND (h.valid_to IS NULL OR h.valid_to > :on)
"""

# Since when each site is without a deputy: the end of its last period, else its first class
# day (when it came under supervision).
_UNASSIGNED_SINCE_SQL = """
SELECT s.id AS site_id, s.code, s.name,
       coalesce(
         (SELECT max(a.valid_to) FROM assignment a WHERE a.site_id = s.id AND a.valid_to <= :on),
         (SELECT min(k.valid_from) FROM site_class_change k
          WHERE k.site_id = s.id AND k.valid_from <= :on)
       ) AS unassigned_since
FROM site s WHERE s.id = ANY(:ids)
"""


@dataclass(frozen=True)
class Gap:
    """One site of a head's cell that nobody watches in time, at one reminder round."""

    site_id: int
    site_code: str
    site_name: str
    cause: str
    since: date
    round: int
    deadline: date | None = None
    again: bool = False  # an earlier round of this gap was told already

    @property
    def key(self) -> tuple[int, str, date, int]:
        """What grid_head_reminder keeps once per channel."""
        return (self.site_id, self.cause, self.since, self.round)

    def cause_text(self) -> str:
        deadline = i18n.day(self.deadline, LANG) if self.deadline else ""
        return i18n.text(f"reminder.grid_head.cause.{self.cause}", LANG, deadline=deadline)

    def as_json(self) -> dict[str, object]:
        return {
            "site_code": self.site_code,
            "cause": self.cause,
            "since": self.since.isoformat(),
            "round": self.round,
        }


@dataclass(frozen=True)
class GridHeadMessage:
    """One head's message on one day: the gaps of their cell not yet told this round. It
    quacks like ``duty.reminders.message.Message`` for the channels (recipient, title,
    markdown, plain); the SMS hook names the cell (``hook_key``)."""

    recipient: Recipient
    head_id: int
    cell_id: int
    on: date
    sites: tuple[Gap, ...]
    hook_key: str = "cell"

    def _zh(self, code: str, **params: object) -> str:
        return i18n.text(f"reminder.grid_head.{code}", LANG, **params)

    @property
    def title(self) -> str:
        return self._zh("title", cell=self.recipient.code, count=len(self.sites))

    def _again(self, gap: Gap) -> str:
        return self._zh("again") if gap.again else ""

    def markdown(self) -> str:
        who = self.recipient
        lines = [
            self._zh("heading", date=i18n.day(self.on, LANG)),
            "",
            self._zh(
                "intro", name=who.name, cell=who.code, township=who.township, count=len(self.sites)
            ),
            "",
        ]
        lines += [
            self._zh("line", cause=g.cause_text(), again=self._again(g), site=g.site_name)
            for g in self.sites[:MARKDOWN_LISTED]
        ]
        extra = len(self.sites) - MARKDOWN_LISTED
        if extra > 0:
            lines.append(i18n.text("reminder.more", LANG, count=extra))
        lines += ["", self._zh("closing")]
        if who.phone:
            lines += ["", f"@{who.phone}"]
        return "\n".join(lines)

    def plain(self) -> str:
        separator = i18n.text("reminder.sms_separator", LANG)
        named = separator.join(
            self._zh("sms_site", site=g.site_name, cause=g.cause_text() + self._again(g))
            for g in self.sites[:SMS_LISTED]
        )
        more = (
            i18n.text("reminder.sms_more", LANG, count=len(self.sites))
            if len(self.sites) > SMS_LISTED
            else ""
        )
        return self._zh(
            "sms",
            name=self.recipient.name,
            date=i18n.day(self.on, LANG),
            cell=self.recipient.code,
            sites=named,
            more=more,
        )


@dataclass
class GridHeadReport:
    """One run: messages ``sent`` and ``failed`` (retried next run), gaps ``already`` told this
    round, ``no_head``: small cells with a dead corner and no head on the day (by code)."""

    channel: str = "none"
    sent: int = 0
    failed: int = 0
    already: int = 0
    no_head: list[str] = field(default_factory=list)
    dry_run: bool = False
    messages: list[GridHeadMessage] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def summary(self) -> str:
        if self.channel == "none":
            return "grid heads: reminders are off (SHUIJIAN_REMIND_CHANNEL=none)"
        gaps = sum(len(m.sites) for m in self.messages)
        verb = "would send" if self.dry_run else "sent"
        sent = len(self.messages) if self.dry_run else self.sent
        headless = f"; {len(self.no_head)} dead-corner cell(s) without a grid head" + (
            f": {', '.join(self.no_head[:10])}" if self.no_head else ""
        )
        return (
            f"grid heads via {self.channel}: {verb} {sent} message(s) covering {gaps} gap(s), "
            f"{self.failed} failed, {self.already} gap(s) already told this round{headless}"
        )


def _round(on: date, since: date, repeat_days: int) -> int:
    return max(0, (on - since).days) // repeat_days


def plan_gaps(session: Session, on: date, channel: str, repeat_days: int) -> GridHeadReport:
    """The messages due on ``on``: per head, the gaps of their cell not yet told through
    ``channel`` in the current round."""
    report = GridHeadReport(channel=channel)
    status = site_today_status(session, on)
    # the first state of TODAY_STATUSES that holds: an unassigned site has no deadline
    gaps = status[status["today"].isin(CAUSES) & status["grid_cell_id"].notna()]
    if gaps.empty:
        return report
    heads = query_frame(session, _HEADS_SQL, {"on": on}).set_index("grid_cell_id")
    sites = query_frame(
        session, _UNASSIGNED_SINCE_SQL, {"on": on, "ids": [int(i) for i in gaps["site_id"]]}
    ).set_index("site_id")
    told = set(
        session.execute(
            select(
                GridHeadReminder.site_id,
                GridHeadReminder.cause,
                GridHeadReminder.since,
                GridHeadReminder.round,
            ).where(
                GridHeadReminder.channel == channel,
                GridHeadReminder.site_id.in_([int(i) for i in gaps["site_id"]]),
            )
        )
    )
    opened = {key[:3] for key in told}  # gaps told in some round already
    per_cell: dict[int, list[Gap]] = defaultdict(list)
    headless: set[str] = set()
    cell_codes = dict(
        query_frame(
            session,
            "SELECT id, code FROM grid_cell WHERE id = ANY(:ids)",
            {"ids": [int(c) for c in gaps["grid_cell_id"].unique()]},
        ).itertuples(index=False)
    )
    for row in gaps.sort_values("site_id").itertuples(index=False):
        cell_id = int(row.grid_cell_id)
        if cell_id not in heads.index:
            headless.add(str(cell_codes.get(cell_id, cell_id)))
            continue
        site = sites.loc[int(row.site_id)]
        if row.today == "overdue":
            deadline = pd.Timestamp(row.deadline).date()
            since, shown = deadline + timedelta(days=1), deadline
        else:
            start = site["unassigned_since"]
            since = (
                pd.Timestamp(start).date()
                if pd.notna(start)
                else pd.Timestamp(heads.loc[cell_id, "valid_from"]).date()
            )
            shown = None
        gap = Gap(
            int(row.site_id),
            str(site["code"]),
            str(site["name"]),
            str(row.today),
            since,
            _round(on, since, repeat_days),
            shown,
        )
        if gap.key in told:
            report.already += 1
        else:
            per_cell[cell_id].append(replace(gap, again=gap.key[:3] in opened))
    report.no_head = sorted(headless)
    for cell_id in sorted(per_cell, key=lambda c: str(heads.loc[c, "cell"])):
        head = heads.loc[cell_id]
        township_id = head["township_id"]
        recipient = Recipient(
            deputy_id=None,
            code=str(head["cell"]),
            name=str(head["name"]),
            phone=str(head["phone"]),
            township_id=None if pd.isna(township_id) else int(township_id),
            township=str(head["township"]),
        )
        report.messages.append(
            GridHeadMessage(recipient, int(head["head_id"]), cell_id, on, tuple(per_cell[cell_id]))
        )
    return report


def remind_grid_heads(
    sessions: Engine | sessionmaker[Session],
    on: date,
    channel: Channel | str | None = None,
    *,
    client: httpx.Client | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
    repeat_days: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> GridHeadReport:
    """Tell each grid head of the dead corners of their cell due on ``on`` (see the module).
    ``channel``: a Channel, a name, or None for the setting (reminders off: nothing done).
    Network errors never raise: they count as ``failed`` and are tried again next run."""
    factory = sessions if isinstance(sessions, sessionmaker) else session_factory(sessions)
    if channel is None or isinstance(channel, str):
        name = channel_name(channel)
        if name is None:
            return GridHeadReport(dry_run=dry_run)
        chosen = None if dry_run else channel_from_settings(name)
    else:
        name, chosen = channel.name, channel
    schedule = Schedule.from_settings(repeat_days, None)
    with factory() as session:
        plan = plan_gaps(session, on, name, schedule.repeat_days)
    plan.dry_run = dry_run
    if dry_run:
        return plan
    assert chosen is not None
    own_client = client is None
    http = client or httpx.Client(timeout=TIMEOUT_S)
    report = GridHeadReport(channel=name, already=plan.already, no_head=plan.no_head)
    last_send: float | None = None
    try:
        for message in plan.messages:
            if last_send is not None and chosen.min_interval_s > 0:
                wait = chosen.min_interval_s - (time.monotonic() - last_send)
                if wait > 0:
                    sleep(wait)
            outcome = _claim_and_send(factory, chosen, http, message, now or clock.now())
            if outcome is None:
                report.already += len(message.sites)
                continue
            last_send = time.monotonic()
            mine, ok, detail = outcome
            report.messages.append(mine)
            report.already += len(message.sites) - len(mine.sites)
            if ok:
                report.sent += 1
            else:
                report.failed += 1
                log.warning(
                    "grid head reminder for cell %s via %s failed (retried next run): %s",
                    message.recipient.code,
                    name,
                    detail,
                )
    finally:
        if own_client:
            http.close()
    return report


def _claim_and_send(
    factory: sessionmaker[Session],
    channel: Channel,
    client: httpx.Client,
    message: GridHeadMessage,
    when: datetime,
) -> tuple[GridHeadMessage, bool, str] | None:
    """Claim the message's gaps (in key order), send what this run got, keep the claim only
    on success. None when a concurrent run had claimed every gap."""
    with factory() as session:
        rows = [
            {
                "site_id": g.site_id,
                "cause": g.cause,
                "since": g.since,
                "channel": channel.name,
                "round": g.round,
                "grid_head_id": message.head_id,
                "grid_cell_id": message.cell_id,
                "on_date": message.on,
                "sent_at": when,
            }
            for g in sorted(message.sites, key=lambda g: g.key)
        ]
        got = session.execute(
            insert(GridHeadReminder)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(
                GridHeadReminder.site_id,
                GridHeadReminder.cause,
                GridHeadReminder.since,
                GridHeadReminder.round,
            )
        )
        claimed = {(int(a), str(b), c, int(d)) for a, b, c, d in got}
        if not claimed:
            session.rollback()
            return None
        mine = GridHeadMessage(
            message.recipient,
            message.head_id,
            message.cell_id,
            message.on,
            tuple(g for g in message.sites if g.key in claimed),
        )
        delivery = channel.send(client, mine, when)  # type: ignore[arg-type]
        if not delivery.ok:
            session.rollback()
            return mine, False, delivery.detail
        session.commit()
        return mine, True, delivery.detail


__all__ = ["CAUSES", "Gap", "GridHeadMessage", "GridHeadReport", "plan_gaps", "remind_grid_heads"]
