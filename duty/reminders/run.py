"""A reminder run: plan the messages from the due list, send each, and record what got through
(once per site, deadline and channel; an advisory lock per channel)."""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import httpx
import pandas as pd
from sqlalchemy import Engine, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from core import clock
from db.database import session_factory
from db.models import Deputy, ReminderItem, ReminderLog
from duty.due import DEFAULT_VISITS_SQL, due_list
from duty.reminders.channels import Channel, Delivery, channel_from_settings, channel_name
from duty.reminders.message import (
    NO_PHONE,
    REMINDED_STATUSES,
    TIMEOUT_S,
    DueSite,
    Message,
    Recipient,
    log,
)


@dataclass
class ReminderReport:
    """Counts of one run. ``sent``/``failed``/``no_contact`` count messages (deputies);
    ``skipped_already_sent`` counts sites already reminded for their current deadline;
    ``deputies`` counts deputies with at least one site due soon or overdue."""

    channel: str = "none"
    sent: int = 0
    skipped_already_sent: int = 0
    failed: int = 0
    deputies: int = 0
    no_contact: int = 0
    dry_run: bool = False
    messages: list[Message] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def summary(self) -> str:
        """One line for cron mail and logs."""
        if self.channel == "none":
            return "reminders are off (SHUIJIAN_REMIND_CHANNEL=none): nothing sent"
        sites = sum(len(m.sites) for m in self.messages)
        if self.dry_run:
            return (
                f"dry run via {self.channel}: would send {len(self.messages)} message(s) "
                f"covering {sites} site(s); {self.skipped_already_sent} site(s) already "
                f"reminded; {self.deputies} deputies with sites due"
            )
        return (
            f"reminders via {self.channel}: {self.sent} sent, {self.failed} failed, "
            f"{self.no_contact} skipped (no phone); {self.skipped_already_sent} site(s) already "
            f"reminded; {self.deputies} deputies with sites due"
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
) -> ReminderReport:
    """Remind every deputy (or those of one township / the given ids) of their sites due soon
    or overdue on ``on``, one message each, skipping sites already reminded for the same
    deadline through this channel. ``channel``: a Channel, a name, or None for the setting.
    ``now`` fixes the send time (signature timestamp, sent_at); ``dry_run`` composes the
    messages (report.messages) and neither sends nor logs. Network errors never raise: they
    are logged as failed sends and counted in ``failed``."""
    factory = sessions if isinstance(sessions, sessionmaker) else session_factory(sessions)
    if channel is None or isinstance(channel, str):
        name = channel_name(channel)
        if name is None:
            return ReminderReport(dry_run=dry_run)
        chosen = None if dry_run else channel_from_settings(name)
    else:
        name, chosen = channel.name, channel
    report = ReminderReport(channel=name, dry_run=dry_run)
    lock = factory()
    try:
        if not dry_run:
            # Held until the run ends: a second run waits, then finds everything recorded.
            lock.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(name)})
        with factory() as session:
            plan = _plan(
                session, on, name, township_id, deputy_ids, visits_sql, visits_params, report
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
    finally:
        lock.rollback()
        lock.close()


def _lock_key(channel: str) -> int:
    return zlib.crc32(f"shuijian.remind.{channel}".encode())


def _plan(
    session: Session,
    on: date,
    channel: str,
    township_id: int | None,
    deputy_ids: Collection[int] | None,
    visits_sql: str,
    visits_params: Mapping[str, Any] | None,
    report: ReminderReport,
) -> list[Message]:
    """The messages to send: per deputy, due sites not yet reminded for their deadline."""
    frame = due_list(
        session, on, township_id=township_id, visits_sql=visits_sql, visits_params=visits_params
    )
    frame = frame[frame["status"].isin(REMINDED_STATUSES)]
    if deputy_ids is not None:
        frame = frame[frame["deputy_id"].isin(list(deputy_ids))]
    if frame.empty:
        return []
    site_ids = [int(i) for i in frame["site_id"].unique()]
    reminded = set(
        session.execute(
            select(ReminderItem.site_id, ReminderItem.deadline).where(
                ReminderItem.channel == channel, ReminderItem.site_id.in_(site_ids)
            )
        )
    )
    deputies = [int(i) for i in frame["deputy_id"].unique()]
    phones = {
        deputy_id: (contact or "").strip() or None
        for deputy_id, contact in session.execute(
            select(Deputy.id, Deputy.contact).where(Deputy.id.in_(deputies))
        )
    }
    messages: list[Message] = []
    for deputy_id, rows in frame.sort_values("deputy_code", kind="stable").groupby(
        "deputy_id", sort=False
    ):
        sites = [_due_site(row) for row in rows.itertuples(index=False)]
        fresh = tuple(s for s in sites if (s.site_id, s.deadline) not in reminded)
        report.deputies += 1
        report.skipped_already_sent += len(sites) - len(fresh)
        if fresh:
            first = rows.iloc[0]
            recipient = Recipient(
                int(deputy_id),
                str(first["deputy_code"]),
                str(first["deputy_name"]),
                phones.get(int(deputy_id)),
            )
            messages.append(Message(recipient, on, fresh))
    return messages


def _due_site(row: Any) -> DueSite:
    return DueSite(
        site_id=int(row.site_id),
        site_code=str(row.site_code),
        site_name=str(row.site_name),
        site_class=int(row.site_class),
        deadline=pd.Timestamp(row.deadline).date(),
        status=str(row.status),
        days_left=int(row.days_left),
    )


def _send_all(
    factory: sessionmaker[Session],
    channel: Channel,
    client: httpx.Client,
    plan: list[Message],
    now: datetime | None,
    sleep: Callable[[float], None],
    report: ReminderReport,
) -> None:
    """Send each message and record it at once, so a crash loses at most the one in flight."""
    last_send: float | None = None
    for message in plan:
        report.messages.append(message)
        when = now or clock.now()
        if channel.needs_phone and not message.recipient.phone:
            _record(factory, channel.name, message, Delivery(False, NO_PHONE), "skipped", when)
            report.no_contact += 1
            log.info("reminder to %s skipped: %s", message.recipient.code, NO_PHONE)
            continue
        if last_send is not None and channel.min_interval_s > 0:
            wait = channel.min_interval_s - (time.monotonic() - last_send)
            if wait > 0:
                sleep(wait)
        last_send = time.monotonic()
        delivery = channel.send(client, message, when)
        _record(factory, channel.name, message, delivery, "sent" if delivery.ok else "failed", when)
        if delivery.ok:
            report.sent += 1
        else:
            report.failed += 1
            log.warning(
                "reminder to %s via %s failed (retried next run): %s",
                message.recipient.code,
                channel.name,
                delivery.detail,
            )


def _record(
    factory: sessionmaker[Session],
    channel: str,
    message: Message,
    delivery: Delivery,
    status: str,
    when: datetime,
) -> None:
    """Log the attempt; on success mark its (site, deadline) pairs, in one transaction."""
    with factory.begin() as session:
        entry = ReminderLog(
            deputy_id=message.recipient.deputy_id,
            channel=channel,
            on_date=message.on,
            sent_at=when,
            ok=delivery.ok,
            status=status,
            detail=delivery.detail,
            sites=[s.as_json() for s in message.sites],
        )
        session.add(entry)
        session.flush()
        if delivery.ok:
            session.execute(
                insert(ReminderItem)
                .values(
                    [
                        {
                            "site_id": s.site_id,
                            "deadline": s.deadline,
                            "channel": channel,
                            "deputy_id": message.recipient.deputy_id,
                            "first_sent_at": when,
                            "log_id": entry.id,
                        }
                        for s in message.sites
                    ]
                )
                .on_conflict_do_nothing()
            )
