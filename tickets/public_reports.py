"""有奖举报: problems reported by anyone without an account, their moderation and rewards.

A reporter confirms a phone by a one-time code sent through the SMS hook (kept only as a
salted SHA-256, valid SHUIJIAN_PUBLIC_CODE_MINUTES, void after SHUIJIAN_PUBLIC_CODE_ATTEMPTS
wrong tries), sends a photo, a place (a map click or the photo's EXIF GPS, read by Pillow in
``core.photos``), a category and a description, and gets a random receipt code with which to
follow the report. Staff moderate: accepted, the report becomes a ticket through the same
``report_problem`` as a deputy's (source ``public``, no reporting deputy, so it never counts
as a deputy's report) and enters the reward ledger at the amount its rule gives
(``reports/rewards.toml``); rejected, with a reason. The phone is for the reward's payment:
nothing here that a reporter or the public reads ever carries it.

``moderation_scope`` is the one place that narrows what a moderator sees and acts on; today
every moderator has the county, and a township role gets its township there.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd
from geoalchemy2.shape import from_shape
from shapely import Point
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

import i18n
from accounts import audit
from accounts.audit import Actor as AuditActor
from accounts.auth import SignedIn
from accounts.scope import confined_to
from core import clock, settings
from core.errors import ShuijianError
from core.photos import inspect_photo
from db.models import PhoneCode, ProblemCategory, PublicReport, RewardEntry, Ticket
from db.query import county_clause
from tickets.service import Actor, NewProblem, Upload, locate, report_problem, status_of

SHIPPED_REWARDS = Path(__file__).resolve().parent.parent / "reports" / "rewards.toml"
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")  # a mainland mobile number: the SMS must reach it
RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed
RECEIPT_CHARS = 12  # 32^12 = 2^60: not guessable, even by a client hammering the status form
DESCRIPTION_MAX = 2000
STATUSES = ("pending", "accepted", "rejected")
LEDGER_COLUMNS = ["receipt", "date", "category", "amount", "phone"]

Sender = Callable[[str, str], bool]  # (phone, text) → sent


class PublicReportRefused(ShuijianError):
    """A public report, a code or a moderation is refused; the code names why."""


@dataclass(frozen=True)
class Submission:
    """What the public form sends. ``lon``/``lat`` from a map click; None: the photo's GPS."""

    phone: str
    code: str
    category_code: str
    description: str
    photo: Upload | None
    lon: float | None = None
    lat: float | None = None


@dataclass(frozen=True)
class PublicStatus:
    """What a receipt code shows: the report's state, never anyone's contact."""

    receipt: str
    status: str
    category_code: str
    created_at: datetime
    ticket_number: str | None
    ticket_status: str | None
    reject_reason: str | None
    reward: Decimal | None


@dataclass(frozen=True)
class RewardRules:
    """Reward per accepted report: a category's own amount, else the default (yuan)."""

    default: Decimal
    by_category: dict[str, Decimal]

    def amount_for(self, category_code: str) -> tuple[str, Decimal]:
        """(rule name, amount) for a category, as the ledger keeps it."""
        if category_code in self.by_category:
            return f"category:{category_code}", self.by_category[category_code]
        return "default", self.default


# ------------------------------------------------------------------ rules as data


def _amount(value: object, where: str, source: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = Decimal(-1)
    if isinstance(value, bool) or not amount.is_finite() or amount < 0:
        raise PublicReportRefused(
            f"{source}: {where} must be an amount of yuan (0 or more), not {value!r}",
            code="reward_rules_invalid",
            source=source,
            key=where,
        )
    return amount.quantize(Decimal("0.01"))


def parse_rewards(raw: dict[str, Any], source: str) -> RewardRules:
    """Rules from a parsed TOML table: ``default`` and a ``[category]`` table; any other key,
    or an amount that is not a number of yuan, is refused by name."""
    unknown = sorted(set(raw) - {"default", "category"})
    if unknown or "default" not in raw or not isinstance(raw.get("category", {}), dict):
        raise PublicReportRefused(
            f"{source}: needs default = amount and an optional [category] table; "
            f"unknown: {', '.join(unknown) or '-'}",
            code="reward_rules_invalid",
            source=source,
            key=", ".join(unknown) or "default",
        )
    by_category = {
        str(code): _amount(value, f"category.{code}", source)
        for code, value in raw.get("category", {}).items()
    }
    return RewardRules(_amount(raw["default"], "default", source), by_category)


def load_rewards(path: str | Path | None = None) -> RewardRules:
    """The rules file (SHUIJIAN_REWARD_RULES, else the shipped reports/rewards.toml)."""
    chosen = Path(path or settings.optional_text("reward_rules") or SHIPPED_REWARDS)
    try:
        raw = tomllib.loads(chosen.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PublicReportRefused(
            f"reward rules {chosen} cannot be read: {exc}",
            code="reward_rules_unreadable",
            source=str(chosen),
            detail=str(exc),
        ) from None
    return parse_rewards(raw, str(chosen))


# ------------------------------------------------------------------ the reporter's side


def normalise_phone(raw: str) -> str:
    """A mainland mobile number as 11 digits (spaces, hyphens and +86 dropped), or refused."""
    digits = re.sub(r"[\s\-()]", "", raw or "")
    digits = digits.removeprefix("+86").removeprefix("0086")
    if not PHONE_RE.match(digits):
        raise PublicReportRefused(
            "a mobile phone number of 11 digits starting with 1 is needed",
            code="public_phone_invalid",
        )
    return digits


def _hash(salt: str, phone: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{phone}:{code}".encode()).hexdigest()


def _since(session: Session, model: type, column: str, value: str, after: datetime) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(model)
            .where(getattr(model, column) == value, model.created_at >= after)
        )
        or 0
    )


def request_code(session: Session, phone: str, client: str, send: Sender) -> None:
    """Send a one-time code to ``phone`` through ``send`` (the SMS hook), at most
    SHUIJIAN_PUBLIC_CODES_PER_HOUR per phone and per client: each is a paid SMS, and a form
    that sends them freely is a way to flood someone's phone."""
    phone = normalise_phone(phone)
    now = clock.now()
    per_hour = settings.integer("public_codes_per_hour")
    hour_ago = now - timedelta(hours=1)
    if _since(session, PhoneCode, "phone", phone, hour_ago) >= per_hour:
        raise PublicReportRefused(
            "too many codes for this phone in the last hour",
            code="public_code_limit_phone",
            limit=per_hour,
        )
    if _since(session, PhoneCode, "client", client, hour_ago) >= per_hour:
        raise PublicReportRefused(
            "too many codes from this client in the last hour",
            code="public_code_limit_client",
            limit=per_hour,
        )
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(16)
    minutes = settings.integer("public_code_minutes")
    session.add(
        PhoneCode(
            phone=phone,
            client=client[:80],
            code_hash=_hash(salt, phone, code),
            salt=salt,
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
            attempts=0,
        )
    )
    session.flush()
    if not send(phone, i18n.text("public.sms_code", "zh", otp=code, minutes=minutes)):
        raise PublicReportRefused("the code could not be sent", code="public_sms_failed")


def _count_wrong_try(session: Session, code_id: int) -> None:
    """A wrong try counts even though the submission is refused and rolled back: it is
    written in a transaction of its own, or guessing would cost nothing."""
    with Session(session.get_bind()) as own:
        own.execute(
            update(PhoneCode).where(PhoneCode.id == code_id).values(attempts=PhoneCode.attempts + 1)
        )
        own.commit()


def _confirm_code(session: Session, phone: str, code: str) -> None:
    """The latest unused, unexpired code of the phone matches; else refused by reason."""
    now = clock.now()
    row = session.scalar(
        select(PhoneCode)
        .where(PhoneCode.phone == phone, PhoneCode.used_at.is_(None), PhoneCode.expires_at > now)
        .order_by(PhoneCode.id.desc())
        .limit(1)
    )
    if row is None:
        raise PublicReportRefused(
            "no valid code for this phone: send a new one", code="public_code_expired"
        )
    allowed = settings.integer("public_code_attempts")
    if row.attempts >= allowed:
        raise PublicReportRefused(
            "too many wrong codes: send a new one", code="public_code_attempts", limit=allowed
        )
    if not secrets.compare_digest(row.code_hash, _hash(row.salt, phone, (code or "").strip())):
        _count_wrong_try(session, row.id)
        raise PublicReportRefused(
            "the code is wrong",
            code="public_code_wrong",
            left=max(0, allowed - row.attempts - 1),
        )
    # Used once: the conditional update takes the row's lock, so of two submissions racing
    # with one code the second finds it used (READ COMMITTED re-reads the row) and is refused.
    used = session.execute(
        update(PhoneCode)
        .where(PhoneCode.id == row.id, PhoneCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        raise PublicReportRefused(
            "no valid code for this phone: send a new one", code="public_code_expired"
        )


def _new_receipt(session: Session) -> str:
    while True:
        raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_CHARS))
        receipt = "-".join(raw[i : i + 4] for i in range(0, RECEIPT_CHARS, 4))
        taken = session.scalar(select(PublicReport.id).where(PublicReport.receipt == receipt))
        if taken is None:
            return receipt


def submit_report(session: Session, submission: Submission, client: str) -> str:
    """Store a public report and return its receipt code. Everything is checked before
    anything is written (photo, category, text, place in the county, the limits per phone
    and per client), the one-time code last, so a bad photo does not use the code up."""
    phone = normalise_phone(submission.phone)
    if submission.photo is None or not submission.photo.data:
        raise PublicReportRefused("a photo of the problem is needed", code="public_photo_missing")
    info = inspect_photo(
        submission.photo.data, submission.photo.filename, settings.text("timezone")
    )
    category = session.get(ProblemCategory, submission.category_code)
    if category is None or not category.active:
        raise PublicReportRefused(
            f"unknown problem category {submission.category_code!r}",
            code="public_category_unknown",
            category=submission.category_code,
        )
    description = (submission.description or "").strip()
    if not description:
        raise PublicReportRefused("a description is needed", code="description_missing")
    if len(description) > DESCRIPTION_MAX:
        raise PublicReportRefused(
            "the description is too long", code="public_description_long", limit=DESCRIPTION_MAX
        )
    if submission.lon is not None and submission.lat is not None:
        lon, lat, source = float(submission.lon), float(submission.lat), "map"
    elif info.lon is not None and info.lat is not None:
        lon, lat, source = info.lon, info.lat, "exif"
    else:
        raise PublicReportRefused(
            "no location: click the map, or send a photo with GPS", code="public_location_missing"
        )
    township_id = None
    if -180 <= lon <= 180 and -90 <= lat <= 90:
        township_id, _ = locate(session, lon, lat)
    if township_id is None:
        raise PublicReportRefused(
            "the location lies outside the county",
            code="location_outside_county",
            lon=round(lon, 5),
            lat=round(lat, 5),
        )
    day_ago = clock.now() - timedelta(days=1)
    per_phone = settings.integer("public_reports_per_phone")
    if _since(session, PublicReport, "phone", phone, day_ago) >= per_phone:
        raise PublicReportRefused(
            "too many reports from this phone today", code="public_limit_phone", limit=per_phone
        )
    per_client = settings.integer("public_reports_per_client")
    if _since(session, PublicReport, "client", client, day_ago) >= per_client:
        raise PublicReportRefused(
            "too many reports from this client today", code="public_limit_client", limit=per_client
        )
    _confirm_code(session, phone, submission.code)
    receipt = _new_receipt(session)
    session.add(
        PublicReport(
            receipt=receipt,
            phone=phone,
            client=client[:80],
            category_code=category.code,
            description=description,
            township_id=township_id,
            location_source=source,
            photo=submission.photo.data,
            photo_name=info.filename[:255],
            photo_sha256=info.sha256,
            created_at=clock.now(),
            status="pending",
            geom=from_shape(Point(lon, lat), srid=4326),
        )
    )
    session.flush()
    return receipt


def normalise_receipt(raw: str) -> str:
    """A receipt as printed (three dashed groups of four), whatever case and separators
    were typed."""
    letters = re.sub(r"[^A-Za-z0-9]", "", raw or "").upper()
    return "-".join(letters[i : i + 4] for i in range(0, len(letters), 4))


def report_status(session: Session, receipt: str) -> PublicStatus:
    """The state of the report with this receipt: for the reporter, on the public page."""
    report = session.scalar(
        select(PublicReport).where(PublicReport.receipt == normalise_receipt(receipt))
    )
    if report is None:
        raise PublicReportRefused("no report with this receipt code", code="public_receipt_unknown")
    ticket = session.get(Ticket, report.ticket_id) if report.ticket_id else None
    reward = session.scalar(select(RewardEntry.amount).where(RewardEntry.report_id == report.id))
    return PublicStatus(
        receipt=report.receipt,
        status=report.status,
        category_code=report.category_code,
        created_at=report.created_at,
        ticket_number=ticket.number if ticket else None,
        ticket_status=status_of(session, ticket.id) if ticket else None,
        reject_reason=report.reject_reason,
        reward=reward,
    )


# ------------------------------------------------------------------ the staff's side


def moderation_scope(actor: AuditActor) -> int | None:
    """The township a moderator is confined to (township staff: their own, accounts.scope);
    None: the whole county (county roles and the command line's operator)."""
    return confined_to(actor) if isinstance(actor, SignedIn) else None


def _authorize(actor: AuditActor | None, action: str) -> AuditActor:
    audit.authorize(actor, action)
    assert actor is not None
    return actor


def list_reports(
    session: Session, actor: AuditActor | None, status: str | None = None
) -> pd.DataFrame:
    """Public reports in the moderator's scope, newest first, the phone masked (the full
    number is in the payment export only)."""
    actor = _authorize(actor, "moderate_public_report")
    if status is not None and status not in STATUSES:
        raise PublicReportRefused(
            f"status must be one of {', '.join(STATUSES)}",
            code="public_status_unknown",
            status=status,
            known=", ".join(STATUSES),
        )
    rows = session.execute(
        text(
            "SELECT r.id, r.receipt, r.created_at, r.category_code, r.description, "
            " tw.name AS township, r.status, r.location_source, "
            " left(r.phone, 3) || '****' || right(r.phone, 4) AS phone, "
            " t.number AS ticket, r.reject_reason, ST_X(r.geom) AS lon, ST_Y(r.geom) AS lat "
            "FROM public_report r "
            "LEFT JOIN township tw ON tw.id = r.township_id AND tw.county_id = r.county_id "
            "LEFT JOIN ticket t ON t.id = r.ticket_id AND t.county_id = r.county_id "
            f"WHERE {county_clause('r')} AND (CAST(:status AS text) IS NULL OR r.status = :status) "
            "AND (CAST(:township AS integer) IS NULL OR r.township_id = :township) "
            "ORDER BY r.created_at DESC, r.id DESC"
        ),
        {"status": status, "township": moderation_scope(actor)},
    ).all()
    columns = [
        "id",
        "receipt",
        "created_at",
        "category",
        "description",
        "township",
        "status",
        "location_source",
        "phone",
        "ticket",
        "reject_reason",
        "lon",
        "lat",
    ]
    return pd.DataFrame(rows, columns=columns)


def report_photo(session: Session, actor: AuditActor | None, report_id: int) -> bytes:
    """The report's photo, for the moderator to judge it."""
    actor = _authorize(actor, "moderate_public_report")
    return _pending_or_any(session, actor, report_id, pending=False).photo


def _pending_or_any(
    session: Session, actor: AuditActor, report_id: int, *, pending: bool = True
) -> PublicReport:
    report = session.get(PublicReport, report_id, with_for_update=pending)
    scope = moderation_scope(actor)
    if report is None or (scope is not None and report.township_id != scope):
        raise PublicReportRefused(
            f"no public report #{report_id}", code="public_report_not_found", report=report_id
        )
    if pending and report.status != "pending":
        raise PublicReportRefused(
            f"public report #{report_id} is already {report.status}",
            code="public_report_moderated",
            report=report_id,
            status=report.status,
        )
    return report


def _user_id(actor: AuditActor) -> int | None:
    return actor.user_id if isinstance(actor, SignedIn) else None


def accept(
    session: Session, actor: AuditActor | None, report_id: int, *, at: datetime | None = None
) -> Ticket:
    """Accept a pending report: a ticket through the same routing as a deputy's report
    (source ``public``, no reporting deputy), and its line in the reward ledger."""
    actor = _authorize(actor, "moderate_public_report")
    report = _pending_or_any(session, actor, report_id)
    rules = load_rewards()  # a bad rules file refuses before anything is written
    lon, lat = session.execute(
        text("SELECT ST_X(geom), ST_Y(geom) FROM public_report WHERE id = :id"), {"id": report.id}
    ).one()
    ticket = report_problem(
        session,
        NewProblem(
            category_code=report.category_code,
            description=report.description,
            lon=lon,
            lat=lat,
            photos=(Upload(report.photo_name, report.photo),),
        ),
        Actor("analyst", _user_id(actor)),
        reporter_deputy_id=None,
        source="public",
        at=at,
    )
    now = at or clock.now()
    report.status, report.ticket_id = "accepted", ticket.id
    report.moderated_at, report.moderated_by = now, _user_id(actor)
    rule, amount = rules.amount_for(report.category_code)
    session.add(RewardEntry(report_id=report.id, rule=rule, amount=amount, created_at=now))
    session.flush()
    audit.record(
        session,
        actor,
        "public_report_accept",
        f"public_report:{report.id}",
        {"ticket": ticket.number, "reward": str(amount)},
    )
    return ticket


def reject(
    session: Session,
    actor: AuditActor | None,
    report_id: int,
    reason: str,
    *,
    at: datetime | None = None,
) -> None:
    """Reject a pending report with a reason the reporter reads by their receipt."""
    actor = _authorize(actor, "moderate_public_report")
    if not (reason or "").strip():
        raise PublicReportRefused("a rejection needs a reason", code="public_reject_needs_reason")
    report = _pending_or_any(session, actor, report_id)
    report.status, report.reject_reason = "rejected", reason.strip()
    report.moderated_at, report.moderated_by = at or clock.now(), _user_id(actor)
    session.flush()
    audit.record(session, actor, "public_report_reject", f"public_report:{report.id}", {})


# ------------------------------------------------------------------ ledger and figures


def ledger(session: Session, actor: AuditActor | None) -> pd.DataFrame:
    """The reward ledger in the moderator's scope, oldest first: receipt, local date,
    category, amount, and the phone the reward is paid to."""
    actor = _authorize(actor, "export_reward_ledger")
    rows = session.execute(
        text(
            "SELECT r.receipt, (e.created_at AT TIME ZONE :tz)::date, r.category_code, "
            " e.amount, r.phone FROM reward_entry e "
            "JOIN public_report r ON r.id = e.report_id AND r.county_id = e.county_id "
            f"WHERE {county_clause('e')} "
            "AND (CAST(:township AS integer) IS NULL OR r.township_id = :township) "
            "ORDER BY e.created_at, e.id"
        ),
        {"tz": clock.zone().key, "township": moderation_scope(actor)},
    ).all()
    return pd.DataFrame(rows, columns=LEDGER_COLUMNS)


def export_ledger(
    session: Session, actor: AuditActor | None, fmt: str, headers: Mapping[str, str]
) -> bytes:
    """The ledger for payment as CSV (UTF-8 with BOM, which Excel opens) or xlsx, with the
    edge's column headers (``headers``: column → header) and the categories' Chinese names
    (the payment office's); the export is audited (who took the phone numbers, how many)."""
    if fmt not in ("csv", "xlsx"):
        raise PublicReportRefused(
            f"export format must be csv or xlsx, not {fmt!r}",
            code="ledger_format_unknown",
            format=fmt,
        )
    frame = ledger(session, actor)
    assert actor is not None
    total = sum(frame["amount"], Decimal(0))
    names = dict(session.execute(select(ProblemCategory.code, ProblemCategory.name_zh)).all())
    shown = frame.assign(
        category=[names.get(c, c) for c in frame["category"]],
        amount=frame["amount"].astype(float),
    ).rename(columns=dict(headers))
    if fmt == "csv":
        out = io.StringIO()
        shown.to_csv(out, index=False, quoting=csv.QUOTE_MINIMAL, float_format="%.2f")  # yuan
        data = ("\ufeff" + out.getvalue()).encode("utf-8")
    else:
        buffer = io.BytesIO()
        shown.to_excel(buffer, index=False, sheet_name="ledger")
        data = buffer.getvalue()
    audit.record(
        session,
        actor,
        "reward_ledger_export",
        "reward_entry",
        {"entries": len(frame), "total": str(total), "format": fmt},
    )
    return data


def public_report_counts(
    session: Session,
    start: datetime,
    end: datetime,
    township_id: int | None = None,
    as_of: datetime | None = None,
) -> dict[str, int]:
    """Public reports received in [start, end) by their status (before ``as_of``, if given:
    a report moderated later counts as pending, so a month's bulletin says the same whenever
    it is built), and in all: the figure shown beside the deputies' reports, never added to
    them."""
    rows = session.execute(
        text(
            "SELECT CASE WHEN CAST(:as_of AS timestamptz) IS NULL OR moderated_at < :as_of "
            "THEN status ELSE 'pending' END, count(*) FROM public_report "
            f"WHERE {county_clause()} AND created_at >= :s AND created_at < :e "
            "AND (CAST(:as_of AS timestamptz) IS NULL OR created_at < :as_of) "
            "AND (CAST(:tw AS integer) IS NULL OR township_id = :tw) GROUP BY 1"
        ),
        {"s": start, "e": end, "tw": township_id, "as_of": as_of},
    ).all()
    counts = dict.fromkeys(STATUSES, 0) | {status: int(n) for status, n in rows}
    counts["total"] = sum(counts[s] for s in STATUSES)
    return counts


__all__ = [
    "PublicReportRefused",
    "PublicStatus",
    "RewardRules",
    "Submission",
    "accept",
    "export_ledger",
    "ledger",
    "list_reports",
    "load_rewards",
    "moderation_scope",
    "normalise_phone",
    "public_report_counts",
    "reject",
    "report_status",
    "request_code",
    "submit_report",
]
