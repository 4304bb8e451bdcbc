"""Daily patrol reminders for "未按时巡查": the deputy is told once when a site is due soon,
once when it is overdue, again every N days while it stays overdue, and after M days overdue
the township's people's congress office (乡镇人大办公室) is told once (``schedule.py``).

Why it is built this way:
- Each step of a deadline — (site, deadline, step, round) — is sent once per channel, and the
  database says so: ``reminder_item``'s primary key. A run inserts the rows of a message's
  steps before it sends (a claim), keeps them when the channel answered OK and rolls them back
  otherwise, so a failed send is simply tried again by the next run, and two runs at the same
  time cannot both send a step (the second waits on the first's uncommitted rows, then finds
  them taken). No advisory lock is needed for that.
- A step is a period, not a day (due soon; overdue round k = days overdue 1 + kN …; the
  escalation from day M on), so a day the job did not run is made up by the next one.
- One message per recipient and day: a deputy's due-soon and overdue sites together, a
  township office's escalations together. Each site's line names its step in Chinese.
- An escalation for a township without an office contact is logged as ``undeliverable`` and
  marks nothing, so it goes out on the first run after the contact is set.
- The only transaction open during a webhook call holds the message's new rows (and its log
  row); it lasts at most one timeout.
- Secrets (the robot's access token and signing secret, the SMS bearer token) come only from
  the environment and never reach a log line, a stored detail or a repr.

Channels: a DingTalk custom robot (markdown, signed with the documented HMAC-SHA256 scheme,
@-mentioning the deputy's or office's phone) and a generic HTTP / SMS-gateway hook (JSON POST).

The pieces: ``schedule.py`` (which steps are due), ``message.py`` (what people read),
``channels.py`` (where it goes), ``run.py`` (planning, claiming, sending, recording)."""

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
from duty.reminders.schedule import Schedule, Step

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
    "Schedule",
    "Step",
    "channel_from_settings",
    "channel_name",
    "dingtalk_sign",
    "remind",
    "signed_url",
]
