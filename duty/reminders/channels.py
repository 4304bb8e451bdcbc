"""Where reminders go: a DingTalk custom robot (signed with HMAC-SHA256) or a generic HTTP /
SMS-gateway hook. Secrets come only from the environment and never reach a log line."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol
from urllib.parse import quote_plus

import httpx

from core import settings
from core.errors import ConfigurationError
from duty.reminders.message import CHANNEL_NAMES, DETAIL_CHARS, TIMEOUT_S, Message, log


@dataclass(frozen=True)
class Delivery:
    """What a channel made of one send: OK or not, and a secret-free line saying why."""

    ok: bool
    detail: str


class Channel(Protocol):
    """A way to reach deputies and township offices. ``name`` keys reminder_item, so it must
    be stable."""

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
    """A generic HTTP / SMS-gateway hook: POST {to, deputy, text} (an escalation: {to,
    township, text}, the township's code; a grid head's: {to, cell, text}); any 2xx is OK."""

    url: str = field(repr=False)
    token: str | None = field(default=None, repr=False)
    min_interval_s: float = 0.0
    name: ClassVar[str] = "http"
    needs_phone: ClassVar[bool] = True

    def send(self, client: httpx.Client, message: Message, now: datetime) -> Delivery:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        # the recipient's kind names its code: a deputy's, a township's or (grid heads) a cell's
        who = getattr(message, "hook_key", "township" if message.recipient.office else "deputy")
        body = {"to": message.recipient.phone, who: message.recipient.code, "text": message.plain()}
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
    chosen = (name or settings.optional_text("remind_channel") or "none").strip().lower()
    if chosen == "none":
        return None
    if chosen not in CHANNEL_NAMES:
        raise ConfigurationError(
            f"reminder channel {chosen!r} is unknown: choose dingtalk, http or none "
            "(SHUIJIAN_REMIND_CHANNEL or --channel)",
            code="unknown_reminder_channel",
            channel=chosen,
        )
    return chosen


def channel_from_settings(name: str | None = None) -> Channel | None:
    """Build the configured channel from the environment; None when reminders are off."""
    chosen = channel_name(name)
    if chosen == "dingtalk":
        webhook = settings.optional_text("dingtalk_webhook")
        if not webhook:
            raise ConfigurationError(
                "DingTalk reminders need SHUIJIAN_DINGTALK_WEBHOOK (the robot's webhook URL)",
                code="dingtalk_webhook_missing",
            )
        per_minute = settings.integer("dingtalk_per_minute")
        interval = 60.0 / per_minute if per_minute > 0 else 0.0
        return DingTalk(webhook, settings.optional_text("dingtalk_secret"), min_interval_s=interval)
    if chosen == "http":
        url = settings.optional_text("sms_webhook")
        if not url:
            raise ConfigurationError(
                "HTTP / SMS reminders need SHUIJIAN_SMS_WEBHOOK (a URL)", code="sms_webhook_missing"
            )
        return HttpHook(url, settings.optional_text("sms_token"))
    return None


def sms_text_sender() -> Callable[[str, str], bool]:
    """A sender of one plain text to one phone through the SMS hook (SHUIJIAN_SMS_WEBHOOK):
    the public report's one-time code goes out this way, whatever channel the reminders
    use, since only an SMS proves the reporter holds the phone. POSTs {"to", "text"}; True
    on any 2xx. The hook is read when a text is sent, so a bad phone number is refused
    first; its URL and token never reach a log line or an error."""

    def send(phone: str, text: str) -> bool:
        url = settings.optional_text("sms_webhook")
        if not url:
            # the operator reads the setting's name here; the citizen only that it failed
            log.warning("one-time code not sent: SHUIJIAN_SMS_WEBHOOK is not set")
            raise ConfigurationError(
                "public reports need SHUIJIAN_SMS_WEBHOOK to send the one-time code",
                code="public_sms_unconfigured",
            )
        token = settings.optional_text("sms_token")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        secrets = (token, url.partition("?")[2])
        with httpx.Client(timeout=TIMEOUT_S) as client:
            answer = _post(client, url, {"to": phone, "text": text}, headers, secrets)
        if isinstance(answer, Delivery):
            log.warning("one-time code not sent: %s", answer.detail)
            return False
        if not answer.is_success:
            log.warning(
                "one-time code not sent: %s", _redact(f"HTTP {answer.status_code}", secrets)
            )
        return answer.is_success

    return send
