"""The reminders people receive, as markdown for DingTalk and as a short text for SMS: a
deputy's sites due soon or overdue, or (an escalation) a township office's sites overdue past
the limit. Each site's line names its step; the words are the catalogue's, in Chinese."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import i18n

log = logging.getLogger("shuijian.reminders")

CHANNEL_NAMES: tuple[str, ...] = ("dingtalk", "http")
REMINDED_STATUSES: tuple[str, ...] = ("due_soon", "overdue")
TIMEOUT_S = 10.0
"""Seconds to wait for a webhook's answer before counting the send as failed."""
DETAIL_CHARS = 300  # how much of a hook's error answer is kept in reminder_log.detail
MARKDOWN_LISTED = 30  # sites listed in one DingTalk message; the rest are counted
SMS_LISTED = 5  # sites named in one SMS (they are short and paid per segment)
NO_PHONE = "no contact phone: an SMS needs the deputy's mobile number (deputy.contact)"
NO_OFFICE = (
    "no township office contact: escalations need one (shuijian township-office set, or "
    "shuijian import township-offices); tried again next run"
)
LANG = "zh"  # reminders go out in Chinese: their readers are the county's deputies and offices


def _zh(code: str, **params: object) -> str:
    return i18n.text(code, LANG, **params)


def _date(d: date) -> str:
    return i18n.day(d, LANG)


def no_township() -> str:
    """How an escalation names sites that lie in no township (they have no office)."""
    return _zh("reminder.no_township")


def _short_date(d: date) -> str:
    return _zh("reminder.short_date", month=d.month, day=d.day)


@dataclass(frozen=True)
class DueSite:
    """One site of a reminder at one step of its deadline (``round``: the n-th overdue period,
    0 otherwise), with the deputy who answers for it."""

    site_id: int
    site_code: str
    site_name: str
    site_class: int
    deadline: date
    status: str
    days_left: int
    step: str = "due_soon"
    round: int = 0
    deputy_id: int = 0
    deputy_name: str = ""
    again: bool = False  # an earlier overdue step of this deadline was sent already

    @property
    def key(self) -> tuple[int, date, str, int]:
        """What reminder_item keeps once per channel: (site, deadline, step, round)."""
        return (self.site_id, self.deadline, self.step, self.round)

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left)

    def step_text(self) -> str:
        """The step in words: 即将到期 / 已逾期 N 天 (再次提醒) / 逾期 N 天，提请督办."""
        if self.step == "due_soon":
            return _zh("reminder.step.due_soon")
        if self.step == "escalation":
            return _zh("reminder.step.escalation", days=self.days_overdue)
        code = "reminder.step.overdue_again" if self.again else "reminder.step.overdue"
        return _zh(code, days=self.days_overdue)

    def class_text(self) -> str:
        return _zh(f"reminder.class.{self.site_class}") if 1 <= self.site_class <= 3 else ""

    def as_json(self) -> dict[str, Any]:
        """The site as kept in reminder_log.sites (what exactly the recipient was told)."""
        return {
            "site_id": self.site_id,
            "site_code": self.site_code,
            "deadline": self.deadline.isoformat(),
            "status": self.status,
            "step": self.step,
            "round": self.round,
            "days_left": self.days_left,
            "deputy_id": self.deputy_id,
        }


@dataclass(frozen=True)
class Recipient:
    """Who a message is for: a deputy (``deputy_id``; ``code`` and ``name`` are theirs) or a
    township office (``office``; ``code`` is the township's, ``name`` the office's). ``phone``
    is the contact, None when unknown; an office without one is no office contact at all."""

    deputy_id: int | None
    code: str
    name: str
    phone: str | None
    township_id: int | None = None
    township: str = ""
    office: bool = False

    @property
    def reachable(self) -> bool:
        """False only for an escalation to a township without an office contact."""
        return not self.office or self.phone is not None


@dataclass(frozen=True)
class Message:
    """One recipient's reminder on one day: the steps not yet sent for their deadlines."""

    recipient: Recipient
    on: date
    sites: tuple[DueSite, ...]

    @property
    def overdue(self) -> int:
        return sum(s.status == "overdue" for s in self.sites)

    def only(self, keys: set[tuple[int, date, str, int]]) -> Message:
        """The same message with only the sites whose step is in ``keys`` (those this run
        claimed; a concurrent run has the others)."""
        return replace(self, sites=tuple(s for s in self.sites if s.key in keys))

    @property
    def title(self) -> str:
        if self.recipient.office:
            return _zh(
                "reminder.escalation_title", township=self.recipient.township, count=len(self.sites)
            )
        return _zh("reminder.title", count=len(self.sites))

    def markdown(self) -> str:
        """DingTalk markdown; the phone is written as @phone so the mention is highlighted."""
        lines = self._office_markdown() if self.recipient.office else self._deputy_markdown()
        if self.recipient.phone:
            lines += ["", f"@{self.recipient.phone}"]
        return "\n".join(lines)

    def _deputy_markdown(self) -> list[str]:
        overdue = _zh("reminder.intro_overdue", count=self.overdue) if self.overdue else ""
        lines = [
            _zh("reminder.heading", date=_date(self.on)),
            "",
            _zh("reminder.intro", name=self.recipient.name, count=len(self.sites), overdue=overdue),
            "",
        ]
        for site in self.sites[:MARKDOWN_LISTED]:
            if site.status == "overdue":
                when = ""
            elif site.days_left == 0:
                when = _zh("reminder.due_today")
            else:
                when = _zh("reminder.days_left", days=site.days_left)
            lines.append(
                _zh(
                    "reminder.line",
                    step=site.step_text(),
                    site=site.site_name,
                    site_class=site.class_text(),
                    deadline=_date(site.deadline),
                    when=when,
                )
            )
        lines += self._more(MARKDOWN_LISTED)
        return [*lines, "", _zh("reminder.closing")]

    def _office_markdown(self) -> list[str]:
        lines = [
            _zh("reminder.escalation_heading", date=_date(self.on)),
            "",
            _zh(
                "reminder.escalation_intro",
                office=self.recipient.name,
                township=self.recipient.township,
                count=len(self.sites),
            ),
            "",
        ]
        for site in self.sites[:MARKDOWN_LISTED]:
            lines.append(
                _zh(
                    "reminder.escalation_line",
                    step=site.step_text(),
                    site=site.site_name,
                    site_class=site.class_text(),
                    deputy=site.deputy_name,
                    deadline=_date(site.deadline),
                )
            )
        lines += self._more(MARKDOWN_LISTED)
        return [*lines, "", _zh("reminder.escalation_closing")]

    def _more(self, listed: int) -> list[str]:
        extra = len(self.sites) - listed
        return [_zh("reminder.more", count=extra)] if extra > 0 else []

    def plain(self) -> str:
        """Short plain text for an SMS gateway: the first few sites, then a count."""
        separator = _zh("reminder.sms_separator")
        more = (
            _zh("reminder.sms_more", count=len(self.sites)) if len(self.sites) > SMS_LISTED else ""
        )
        shown = self.sites[:SMS_LISTED]
        if self.recipient.office:
            named = separator.join(
                _zh(
                    "reminder.escalation_sms_site",
                    site=s.site_name,
                    deputy=s.deputy_name,
                    step=s.step_text(),
                )
                for s in shown
            )
            return _zh(
                "reminder.escalation_sms",
                office=self.recipient.name,
                date=_date(self.on),
                township=self.recipient.township,
                sites=named,
                more=more,
            )
        named = separator.join(
            _zh(
                "reminder.sms_site",
                site=s.site_name,
                step=s.step_text(),
                deadline=_short_date(s.deadline),
            )
            for s in shown
        )
        return _zh(
            "reminder.sms", name=self.recipient.name, date=_date(self.on), sites=named, more=more
        )
