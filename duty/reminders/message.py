"""The reminder a deputy receives: their sites due soon or overdue, as markdown for DingTalk
and as a short text for SMS."""

from __future__ import annotations

import logging
from dataclasses import dataclass
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
CLASS_SHORT: dict[int, str] = {1: "一类", 2: "二类", 3: "三类"}
NO_PHONE = "no contact phone: an SMS needs the deputy's mobile number (deputy.contact)"


def _status_zh(status: str) -> str:
    """Reminders go out in Chinese: their receivers are the county's deputies."""
    return i18n.label("site_status", status, "zh")


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
            label = _status_zh(site.status)
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
            f"{s.site_name}（{_status_zh(s.status)}，截止{s.deadline.month}月{s.deadline.day}日）"
            for s in self.sites[:SMS_LISTED]
        )
        more = f"等{len(self.sites)}个点位" if len(self.sites) > SMS_LISTED else ""
        return (
            f"【水监】{self.recipient.name}代表，截至{_cn_date(self.on)}，您负责的点位需要巡查："
            f"{named}{more}。请尽快巡查并上传轨迹。"
        )
