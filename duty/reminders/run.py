"""A reminder run: plan the steps due from the due list, claim each message's steps in the
database, send it, and keep the claim only when it got through."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import httpx
import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from core import clock
from db.database import session_factory
from db.models import Deputy, ReminderItem, ReminderLog, Site, Township, TownshipOffice
from duty.due import DEFAULT_VISITS_SQL, due_list
from duty.reminders.channels import Channel, Delivery, channel_from_settings, channel_name
from duty.reminders.message import (
    NO_OFFICE,
    NO_PHONE,
    REMINDED_STATUSES,
    TIMEOUT_S,
    DueSite,
    Message,
    Recipient,
    log,
    no_township,
)
from duty.reminders.schedule import OFFICE_STEPS, Schedule


@dataclass
class ReminderReport:
    """Counts of one run. Messages: ``sent`` (to deputies) and ``escalated`` (to township
    offices) got through, ``failed`` did not (either kind), ``no_contact`` deputies skipped
    for want of a phone, ``undeliverable`` escalations for a township without an office
    contact. ``skipped_already_sent`` counts site steps due today that an earlier (or a
    concurrent) run already sent; ``deputies`` deputies with a site due soon or overdue."""

    channel: str = "none"
    sent: int = 0
    escalated: int = 0
    skipped_already_sent: int = 0
    failed: int = 0
    deputies: int = 0
    no_contact: int = 0
    undeliverable: int = 0
    dry_run: bool = False
    messages: list[Message] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """False when something must be tried again: a failed send or an escalation that
        has nobody to go to (both are logged and retried by the next run)."""
        return self.failed == 0 and self.undeliverable == 0

    def summary(self) -> str:
        """One line for cron mail and logs."""
        if self.channel == "none":
            return "reminders are off (SHUIJIAN_REMIND_CHANNEL=none): nothing sent"
        steps = sum(len(m.sites) for m in self.messages)
        if self.dry_run:
            offices = sum(m.recipient.office for m in self.messages)
            return (
                f"dry run via {self.channel}: would send {len(self.messages)} message(s) "
                f"({offices} to township offices) covering {steps} site step(s); "
                f"{self.skipped_already_sent} already reminded; {self.deputies} deputies with "
                "sites due"
            )
        return (
            f"reminders via {self.channel}: {self.sent} sent, {self.failed} failed, "
            f"{self.no_contact} skipped (no phone); {self.escalated} escalated to township "
            f"offices, {self.undeliverable} undeliverable (no office contact); "
            f"{self.skipped_already_sent} already reminded; {self.deputies} deputies with "
            "sites due"
        )


def remind(
    sessions: Engine | sessionmaker[Session],
    on: date,
    channel: Channel | str | None = None,
    *,
    client: httpx.Client | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
    township_id: int | None = None,
    deputy_ids: Collection[int] | None = None,
    visits_sql: str = DEFAULT_VISITS_SQL,
    visits_params: Mapping[str, Any] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    repeat_days: int | None = None,
    escalate_days: int | None = None,
) -> ReminderReport:
    """Send the reminder steps due on ``on`` (``duty.reminders.schedule``): one message per
    deputy with their sites due soon or overdue, one per township office with its sites to
    escalate, leaving out steps already sent through this channel. Optionally only one
    township's sites or the given deputies'. ``channel``: a Channel, a name, or None for the
    setting; ``repeat_days``/``escalate_days``: None for the settings. ``now`` fixes the send
    time (signature timestamp, sent_at); ``dry_run`` composes the messages (report.messages)
    and neither sends nor logs. Network errors never raise: they are logged as failed sends
    and counted in ``failed``."""
    factory = sessions if isinstance(sessions, sessionmaker) else session_factory(sessions)
    if channel is None or isinstance(channel, str):
        name = channel_name(channel)
        if name is None:
            return ReminderReport(dry_run=dry_run)
        chosen = None if dry_run else channel_from_settings(name)
    else:
        name, chosen = channel.name, channel
    schedule = Schedule.from_settings(repeat_days, escalate_days)
    report = ReminderReport(channel=name, dry_run=dry_run)
    with factory() as session:
        plan = _plan(
            session, on, name, schedule, township_id, deputy_ids, visits_sql, visits_params, report
        )
    if dry_run:
        report.messages = plan
        return report
    assert chosen is not None
    own_client = client is None
    http = client or httpx.Client(timeout=TIMEOUT_S)
    try:
        _send_all(factory, chosen, http, plan, now, sleep, report)
    finally:
        if own_client:
            http.close()
    return report


def _plan(
    session: Session,
    on: date,
    channel: str,
    schedule: Schedule,
    township_id: int | None,
    deputy_ids: Collection[int] | None,
    visits_sql: str,
    visits_params: Mapping[str, Any] | None,
    report: ReminderReport,
) -> list[Message]:
    """The messages to send: per deputy their due steps, then per township office its
    escalations, each without the steps already sent through this channel."""
    frame = due_list(
        session, on, township_id=township_id, visits_sql=visits_sql, visits_params=visits_params
    )
    frame = frame[frame["status"].isin(REMINDED_STATUSES)]
    if deputy_ids is not None:
        frame = frame[frame["deputy_id"].isin(list(deputy_ids))]
    if frame.empty:
        return []
    site_ids = [int(i) for i in frame["site_id"].unique()]
    sent = set(
        session.execute(
            select(
                ReminderItem.site_id, ReminderItem.deadline, ReminderItem.step, ReminderItem.round
            ).where(ReminderItem.channel == channel, ReminderItem.site_id.in_(site_ids))
        )
    )
    overdue_before = {(site, deadline) for site, deadline, step, _ in sent if step == "overdue"}
    report.deputies = int(frame["deputy_id"].nunique())
    frame = frame.sort_values("deputy_code", kind="stable")  # each deputy's sites by deadline
    for_deputy: dict[int, list[DueSite]] = defaultdict(list)
    for_township: dict[int | None, list[DueSite]] = defaultdict(list)
    township_of = dict(
        session.execute(select(Site.id, Site.township_id).where(Site.id.in_(site_ids))).all()
    )
    for row in frame.itertuples(index=False):
        for step in schedule.steps(str(row.status), int(row.days_left)):
            site = _due_site(row, step.step, step.round)
            if step.step == "overdue" and (site.site_id, site.deadline) in overdue_before:
                site = replace(site, again=True)
            if site.key in sent:
                report.skipped_already_sent += 1
            elif step.step in OFFICE_STEPS:
                for_township[township_of.get(site.site_id)].append(site)
            else:
                for_deputy[site.deputy_id].append(site)
    return _deputy_messages(session, on, for_deputy) + _office_messages(session, on, for_township)


def _due_site(row: Any, step: str, round_: int) -> DueSite:
    return DueSite(
        site_id=int(row.site_id),
        site_code=str(row.site_code),
        site_name=str(row.site_name),
        site_class=int(row.site_class),
        deadline=pd.Timestamp(row.deadline).date(),
        status=str(row.status),
        days_left=int(row.days_left),
        step=step,
        round=round_,
        deputy_id=int(row.deputy_id),
        deputy_name=str(row.deputy_name),
    )


def _deputy_messages(
    session: Session, on: date, for_deputy: dict[int, list[DueSite]]
) -> list[Message]:
    """One message per deputy, in the order of their codes."""
    if not for_deputy:
        return []
    who = session.execute(
        select(Deputy.id, Deputy.code, Deputy.name, Deputy.contact).where(
            Deputy.id.in_(list(for_deputy))
        )
    ).all()
    messages = [
        Message(
            Recipient(int(i), str(code), str(name), (contact or "").strip() or None),
            on,
            tuple(for_deputy[int(i)]),
        )
        for i, code, name, contact in who
    ]
    return sorted(messages, key=lambda m: m.recipient.code)


def _office_messages(
    session: Session, on: date, for_township: dict[int | None, list[DueSite]]
) -> list[Message]:
    """One message per township office, in the order of the townships' codes. A township
    without an office contact (or a site in no township) still gets its message, with no
    phone: it is logged as undeliverable and tried again by the next run."""
    if not for_township:
        return []
    ids = [t for t in for_township if t is not None]
    townships = {
        int(t): (str(code), str(name))
        for t, code, name in session.execute(
            select(Township.id, Township.code, Township.name).where(Township.id.in_(ids))
        )
    }
    offices = {
        o.township_id: o
        for o in session.scalars(select(TownshipOffice).where(TownshipOffice.township_id.in_(ids)))
    }
    messages = []
    for township_id, sites in for_township.items():
        code, township = townships.get(township_id, ("", no_township()))
        office = offices.get(township_id) if township_id is not None else None
        recipient = Recipient(
            deputy_id=None,
            code=code,
            name=office.name if office else township,
            phone=(office.phone.strip() or None) if office else None,
            township_id=township_id,
            township=township,
            office=True,
        )
        messages.append(Message(recipient, on, tuple(sites)))
    return sorted(messages, key=lambda m: (m.recipient.township_id is None, m.recipient.code))


def _send_all(
    factory: sessionmaker[Session],
    channel: Channel,
    client: httpx.Client,
    plan: list[Message],
    now: datetime | None,
    sleep: Callable[[float], None],
    report: ReminderReport,
) -> None:
    """Send each message in its own transaction, so a crash loses at most the one in flight
    (its claims roll back and the next run sends it again)."""
    last_send: float | None = None
    for message in plan:
        when = now or clock.now()
        who = message.recipient
        if not who.reachable:
            _log(factory, channel.name, message, Delivery(False, NO_OFFICE), "undeliverable", when)
            report.messages.append(message)
            report.undeliverable += 1
            log.warning("escalation for township %s undeliverable: %s", who.code, NO_OFFICE)
            continue
        if channel.needs_phone and not who.phone:
            _log(factory, channel.name, message, Delivery(False, NO_PHONE), "skipped", when)
            report.messages.append(message)
            report.no_contact += 1
            log.info("reminder to %s skipped: %s", who.code, NO_PHONE)
            continue
        if last_send is not None and channel.min_interval_s > 0:
            wait = channel.min_interval_s - (time.monotonic() - last_send)
            if wait > 0:
                sleep(wait)
        outcome = _claim_and_send(factory, channel, client, message, when)
        if outcome is None:  # a concurrent run sent every step of it
            report.skipped_already_sent += len(message.sites)
            continue
        last_send = time.monotonic()
        mine, delivery = outcome
        report.messages.append(mine)
        report.skipped_already_sent += len(message.sites) - len(mine.sites)
        if delivery.ok:
            if who.office:
                report.escalated += 1
            else:
                report.sent += 1
            continue
        report.failed += 1
        _log(factory, channel.name, mine, delivery, "failed", when)
        log.warning(
            "reminder to %s via %s failed (retried next run): %s",
            who.code,
            channel.name,
            delivery.detail,
        )


def _claim_and_send(
    factory: sessionmaker[Session],
    channel: Channel,
    client: httpx.Client,
    message: Message,
    when: datetime,
) -> tuple[Message, Delivery] | None:
    """Claim the message's steps (insert their reminder_item rows), send what was claimed, and
    commit only on success. The uncommitted rows hold the unique key: a concurrent run that
    plans the same steps waits on them and then finds them taken (or free again, after a
    failure). None when nothing was left to claim. The transaction stays open for one webhook
    call (at most ``TIMEOUT_S``); besides its new rows it holds only the key-share locks of
    their foreign keys, which block nothing but deleting those sites, deputies or townships."""
    with factory() as session:
        entry = _entry(channel.name, message, Delivery(True, ""), "sent", when)
        session.add(entry)
        session.flush()
        claimed = _claim(session, channel.name, message, entry.id, when)
        if not claimed:
            session.rollback()
            return None
        mine = message if len(claimed) == len(message.sites) else message.only(claimed)
        entry.sites = [s.as_json() for s in mine.sites]
        delivery = channel.send(client, mine, when)
        if not delivery.ok:
            session.rollback()
            return mine, delivery
        entry.detail = delivery.detail
        session.commit()
        return mine, delivery


def _claim(
    session: Session, channel: str, message: Message, log_id: int, when: datetime
) -> set[tuple[int, date, str, int]]:
    """Insert the message's steps, in key order (two runs never wait on each other in a
    cycle); return the keys this run got."""
    rows = [
        {
            "site_id": s.site_id,
            "deadline": s.deadline,
            "channel": channel,
            "step": s.step,
            "round": s.round,
            "deputy_id": s.deputy_id,
            "first_sent_at": when,
            "log_id": log_id,
        }
        for s in sorted(message.sites, key=lambda s: s.key)
    ]
    got = session.execute(
        insert(ReminderItem)
        .values(rows)
        .on_conflict_do_nothing()
        .returning(
            ReminderItem.site_id, ReminderItem.deadline, ReminderItem.step, ReminderItem.round
        )
    )
    return {(int(a), b, str(c), int(d)) for a, b, c, d in got}


def _entry(
    channel: str, message: Message, delivery: Delivery, status: str, when: datetime
) -> ReminderLog:
    who = message.recipient
    return ReminderLog(
        recipient="office" if who.office else "deputy",
        deputy_id=None if who.office else who.deputy_id,
        township_id=who.township_id if who.office else None,
        channel=channel,
        on_date=message.on,
        sent_at=when,
        ok=delivery.ok,
        status=status,
        detail=delivery.detail,
        sites=[s.as_json() for s in message.sites],
    )


def _log(
    factory: sessionmaker[Session],
    channel: str,
    message: Message,
    delivery: Delivery,
    status: str,
    when: datetime,
) -> None:
    """Log an attempt that marks nothing (failed, skipped, undeliverable): its steps stay
    due, so the next run tries them again."""
    with factory.begin() as session:
        session.add(_entry(channel, message, delivery, status, when))
