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

The pieces: ``message.py`` (what a deputy reads), ``channels.py`` (where it goes),
``run.py`` (planning, sending, recording)."""

from __future__ import annotations

from duty.reminders.channels import (
    CHANNEL_NAMES,
    Channel,
    Delivery,
    DingTalk,
    HttpHook,
    channel_from_settings,
    channel_name,
    dingtalk_sign,
    signed_url,
)
from duty.reminders.message import DueSite, Message, Recipient
from duty.reminders.run import ReminderReport, remind

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
]
