"""Daily patrol reminders: one message per deputy listing their sites due soon or overdue.

Why it is built this way:
- Each (site, deadline) is reminded once per channel. ``reminder_item`` holds the pairs whose
  message got through, so a second run the same day (a cron retry, a manual run) sends nothing
  new, while a later deadline (the site was visited) is a new pair and so a new reminder.
- A pair is recorded only after the channel answered OK, in the same transaction as the
  ``reminder_log`` row of that send. A failed send leaves only its log row, so its sites are
  simply tried again by the next run.
- No data transaction is open while a webhook is called (a slow robot holds no row locks);
  only a transaction-level advisory lock per channel is held for the run, so two overlapping
  runs cannot both send the same reminders.
- Secrets (the robot's access token and signing secret, the SMS bearer token) come only from
  the environment and never reach a log line, a stored detail or a repr.

Channels: a DingTalk custom robot (markdown, signed with the documented HMAC-SHA256 scheme,
@-mentioning the deputy's phone) and a generic HTTP / SMS-gateway hook (JSON POST).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
import zlib
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar, Protocol
from urllib.parse import quote_plus

import httpx
import pandas as pd
from sqlalchemy import Engine, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from core import clock, settings
from core.errors import ConfigurationError
from db.database import session_factory
from db.models import Deputy, ReminderItem, ReminderLog
from duty.due import DEFAULT_VISITS_SQL, due_list
from duty.windows import STATUS_LABELS

log = logging.getLogger("shuijian.reminders")

CHANNEL_NAMES: tuple[str, ...] = ("dingtalk", "http")
REMINDED_STATUSES: tuple[str, ...] = ("due_soon", "overdue")
TIMEOUT_S = 10.0
"""Seconds to wait for a webhook's answer before counting the send as failed."""
DETAIL_CHARS = 300  # how much of a hook's error answer is kept in reminder_log.detail
MARKDOWN_LISTED = 30  # sites listed in one DingTalk message; the rest are counted
SMS_LISTED = 5  # sites named in one SMS (they are short and paid per segment)
CLASS_SHORT: dict[int, str] = {1: "一类", 2: "二类", 3: "三类"}
NO_PHONE = "no contact phone: an SMS needs the deputy's mobile number (deputy.contact)"


# --------------------------------------------------------------------------- messages


@dataclass(frozen=True)
class DueSite:
    """One site of a reminder, with the deadline that makes it due."""

    site_id: int
    site_code: str
    site_name: str
    site_class: int
    deadline: date
    status: str
    days_left: int

    def as_json(self) -> dict[str, Any]:
        """The site as kept in reminder_log.sites (what exactly the deputy was told)."""
        return {
            "site_id": self.site_id,
            "site_code": self.site_code,
            "deadline": self.deadline.isoformat(),
            "status": self.status,
        }


@dataclass(frozen=True)
class Recipient:
    """A deputy to remind; ``phone`` is the deputy's contact, None when unknown."""

    deputy_id: int
    code: str
    name: str
    phone: str | None


def _cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _when(site: DueSite) -> str:
    if site.status == "overdue":
        return f"逾期 {-site.days_left} 天"
    return "今天到期" if site.days_left == 0 else f"还剩 {site.days_left} 天"


@dataclass(frozen=True)
class Message:
    """The reminder of one deputy on one day: the sites not yet reminded for their deadline."""

    recipient: Recipient
    on: date
    sites: tuple[DueSite, ...]

    @property
    def overdue(self) -> int:
        return sum(s.status == "overdue" for s in self.sites)

    @property
    def title(self) -> str:
        return f"巡查提醒：{len(self.sites)} 个点位"

    def markdown(self) -> str:
        """DingTalk markdown; the phone is written as @phone so the mention is highlighted."""
        overdue = f"（其中 {self.overdue} 个已逾期）" if self.overdue else ""
        lines = [
            f"#### 巡查提醒（{_cn_date(self.on)}）",
            "",
            f"{self.recipient.name}代表：您负责的 {len(self.sites)} 个点位需要巡查{overdue}：",
            "",
        ]
        for site in self.sites[:MARKDOWN_LISTED]:
            label = STATUS_LABELS[site.status][0]
            lines.append(
                f"- **{label}** {site.site_name}（{CLASS_SHORT.get(site.site_class, '')}，"
                f"截止 {_cn_date(site.deadline)}，{_when(site)}）"
            )
        if len(self.sites) > MARKDOWN_LISTED:
            lines.append(f"- ……另有 {len(self.sites) - MARKDOWN_LISTED} 个点位")
        lines += ["", "请尽快巡查并上传轨迹。"]
        if self.recipient.phone:
            lines += ["", f"@{self.recipient.phone}"]
        return "\n".join(lines)

    def plain(self) -> str:
        """Short plain text for an SMS gateway: the first few sites, then a count."""
        named = "；".join(
            f"{s.site_name}（{STATUS_LABELS[s.status][0]}，截止{s.deadline.month}月{s.deadline.day}日）"
            for s in self.sites[:SMS_LISTED]
        )
        more = f"等{len(self.sites)}个点位" if len(self.sites) > SMS_LISTED else ""
        return (
            f"【水监】{self.recipient.name}代表，截至{_cn_date(self.on)}，您负责的点位需要巡查："
            f"{named}{more}。请尽快巡查并上传轨迹。"
        )


# --------------------------------------------------------------------------- channels


@dataclass(frozen=True)
class Delivery:
    """What a channel made of one send: OK or not, and a secret-free line saying why."""

    ok: bool
    detail: str


class Channel(Protocol):
    """A way to reach deputies. ``name`` keys reminder_item, so it must be stable."""

    name: str
    needs_phone: bool
    min_interval_s: float

    def send(self, client: httpx.Client, message: Message, now: datetime) -> Delivery: ...


def _redact(line: str, secrets: Iterable[str | None]) -> str:
    """Cut a line to size and blank every secret in it (an exception may quote the URL)."""
    for secret in secrets:
        if secret:
            line = line.replace(secret, "***")
    return line[:DETAIL_CHARS]


def _post(
    client: httpx.Client,
    url: str,
    body: dict[str, Any],
    headers: Mapping[str, str],
    secrets: Iterable[str | None],
) -> httpx.Response | Delivery:
    """POST JSON; a network failure becomes a failed Delivery instead of an exception."""
    try:
        return client.post(url, json=body, headers=dict(headers), timeout=TIMEOUT_S)
    except httpx.HTTPError as exc:
        return Delivery(False, _redact(f"{type(exc).__name__}: {exc}", secrets))


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The ``sign`` query value of DingTalk's signing scheme, already URL-encoded:
    urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")))."""
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return quote_plus(base64.b64encode(digest))


def signed_url(webhook: str, secret: str | None, timestamp_ms: int) -> str:
    """The webhook with ``timestamp`` and ``sign`` appended (unchanged without a secret)."""
    if not secret:
        return webhook
    joiner = "&" if "?" in webhook else "?"
    return f"{webhook}{joiner}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


@dataclass(frozen=True)
class DingTalk:
    """A DingTalk custom robot. OK means HTTP 200 *and* errcode 0: DingTalk answers 200 to a
    bad signature or a rate limit too, with the reason in errcode/errmsg."""

    webhook: str = field(repr=False)
    secret: str | None = field(default=None, repr=False)
    min_interval_s: float = 0.0
    name: ClassVar[str] = "dingtalk"
    needs_phone: ClassVar[bool] = False

    def body(self, message: Message) -> dict[str, Any]:
        phone = message.recipient.phone
        return {
            "msgtype": "markdown",
            "markdown": {"title": message.title, "text": message.markdown()},
            "at": {"atMobiles": [phone] if phone else [], "isAtAll": False},
        }

    def send(self, client: httpx.Client, message: Message, now: datetime) -> Delivery:
        timestamp_ms = int(now.timestamp() * 1000)
        secrets = (self.webhook, self.secret, self.webhook.partition("?")[2])
        answer = _post(
            client,
            signed_url(self.webhook, self.secret, timestamp_ms),
            self.body(message),
            {},
            secrets,
        )
        if isinstance(answer, Delivery):
            return answer
        if answer.status_code != 200:
            return Delivery(False, _redact(f"HTTP {answer.status_code}: {answer.text}", secrets))
        try:
            payload = answer.json()
        except ValueError:
            return Delivery(False, _redact(f"HTTP 200, not JSON: {answer.text}", secrets))
        errcode = payload.get("errcode") if isinstance(payload, dict) else None
        errmsg = payload.get("errmsg", "") if isinstance(payload, dict) else ""
        if errcode == 0:
            return Delivery(True, "errcode 0")
        return Delivery(False, _redact(f"errcode {errcode}: {errmsg}", secrets))


@dataclass(frozen=True)
class HttpHook:
    """A generic HTTP / SMS-gateway hook: POST {to, deputy, text}; any 2xx is OK."""

    url: str = field(repr=False)
    token: str | None = field(default=None, repr=False)
    min_interval_s: float = 0.0
    name: ClassVar[str] = "http"
    needs_phone: ClassVar[bool] = True

    def send(self, client: httpx.Client, message: Message, now: datetime) -> Delivery:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = {
            "to": message.recipient.phone,
            "deputy": message.recipient.code,
            "text": message.plain(),
        }
        secrets = (self.token, self.url.partition("?")[2])
        answer = _post(client, self.url, body, headers, secrets)
        if isinstance(answer, Delivery):
            return answer
        line = f"HTTP {answer.status_code}"
        if answer.is_success:
            return Delivery(True, line)
        return Delivery(False, _redact(f"{line}: {answer.text}", secrets))


def channel_name(name: str | None = None) -> str | None:
    """The channel asked for, else SHUIJIAN_REMIND_CHANNEL; None when reminders are off."""
    chosen = (name or settings.get("remind_channel") or "none").strip().lower()
    if chosen == "none":
        return None
    if chosen not in CHANNEL_NAMES:
        raise ConfigurationError(
            f"reminder channel {chosen!r} is unknown: choose dingtalk, http or none "
            "(SHUIJIAN_REMIND_CHANNEL or --channel)"
        )
    return chosen


def channel_from_settings(name: str | None = None) -> Channel | None:
    """Build the configured channel from the environment; None when reminders are off."""
    chosen = channel_name(name)
    if chosen == "dingtalk":
        webhook = settings.get("dingtalk_webhook")
        if not webhook:
            raise ConfigurationError(
                "DingTalk reminders need SHUIJIAN_DINGTALK_WEBHOOK (the robot's webhook URL)"
            )
        per_minute = settings.get("dingtalk_per_minute")
        interval = 60.0 / per_minute if per_minute > 0 else 0.0
        return DingTalk(webhook, settings.get("dingtalk_secret"), min_interval_s=interval)
    if chosen == "http":
        url = settings.get("sms_webhook")
        if not url:
            raise ConfigurationError("HTTP / SMS reminders need SHUIJIAN_SMS_WEBHOOK (a URL)")
        return HttpHook(url, settings.get("sms_token"))
    return None


# --------------------------------------------------------------------------- the run


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


def today() -> date:
    """Today in the county's time zone (a cron job on a UTC server would be a day off)."""
    return clock.today()


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


__all__ = [
    "CHANNEL_NAMES",
    "Channel",
    "Delivery",
    "DingTalk",
    "DueSite",
    "HttpHook",
    "Message",
    "Recipient",
    "ReminderReport",
    "channel_from_settings",
    "channel_name",
    "dingtalk_sign",
    "remind",
    "signed_url",
    "today",
]
