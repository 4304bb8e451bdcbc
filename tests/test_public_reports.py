"""有奖举报: the whole flow through the services, as the public page and the moderators drive it —
a code by SMS, a report with photo and place, moderation into a ticket by the deputies'
routing, the receipt's status without contact, the reward ledger and its audited export —
and every refusal: no photo, a bad image, a place outside the county, a wrong, expired or
exhausted code, the limits per phone and per client, roles that may not moderate."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select, text

from accounts.auth import SignedIn
from core import clock
from core.errors import PermissionDenied
from core.photos import PhotoRefused, jpeg_with_exif
from db.database import session_scope
from db.models import PhoneCode, PublicReport, RewardEntry, Ticket
from tickets import public_reports as pr
from tickets.figures import county_rates
from tickets.service import Upload, status_of

# Reads today's date (codes expire, limits count the last day): run again under frozen dates.
pytestmark = pytest.mark.clock

ROLES = ("leader", "analyst", "deputy", "admin")
PHONE = "138 0013 8000"
DIGITS = "13800138000"
HEADERS = {c: c for c in pr.LEDGER_COLUMNS}


class Inbox:
    """The SMS hook, as the tests see it: every text sent, by phone."""

    def __init__(self, ok: bool = True) -> None:
        self.sent: list[tuple[str, str]] = []
        self.ok = ok

    def __call__(self, phone: str, body: str) -> bool:
        self.sent.append((phone, body))
        return self.ok

    def code(self) -> str:
        import re

        return re.search(r"\d{6}", self.sent[-1][1]).group(0)


def staff(engine: Engine, role: str) -> SignedIn:
    with engine.connect() as conn:
        uid = conn.scalar(text("SELECT id FROM app_user WHERE role = :r LIMIT 1"), {"r": role})
    return SignedIn(uid or 1, f"{role}-user", role, None, role)


def inside(engine: Engine) -> tuple[float, float]:
    """A point inside the county, near a site (so the ticket gets a site and its deputy)."""
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM site "
                "WHERE kind = 'pond' ORDER BY id LIMIT 1"
            )
        ).one()


def photo(lon: float | None = None, lat: float | None = None) -> Upload:
    return Upload("scene.jpg", jpeg_with_exif(lon, lat, clock.now() - timedelta(minutes=5)))


def submit(
    engine: Engine,
    inbox: Inbox,
    *,
    phone: str = PHONE,
    client: str = "10.0.0.1",
    upload: Upload | None = None,
    where: tuple[float | None, float | None] | None = None,
    category: str = "sewage",
    description: str = "黑水从管口流进塘里",
    code: str | None = None,
) -> str:
    with session_scope(engine) as s:
        pr.request_code(s, phone, client, inbox)
    lon, lat = where if where is not None else inside(engine)
    with session_scope(engine) as s:
        return pr.submit_report(
            s,
            pr.Submission(
                phone=phone,
                code=code if code is not None else inbox.code(),
                category_code=category,
                description=description,
                photo=upload if upload is not None else photo(),
                lon=lon,
                lat=lat,
            ),
            client,
        )


def test_the_whole_flow_report_accept_ticket_ledger(demo_copy: Engine) -> None:
    inbox = Inbox()
    receipt = submit(demo_copy, inbox)
    assert inbox.sent[0][0] == DIGITS and "验证码" in inbox.sent[0][1]
    with session_scope(demo_copy) as s:
        code_row = s.scalar(select(PhoneCode))
        assert inbox.code() not in code_row.code_hash and code_row.used_at is not None
        status = pr.report_status(s, receipt.lower().replace("-", " "))
        assert status.status == "pending" and status.ticket_number is None
        assert DIGITS not in repr(status)
    analyst = staff(demo_copy, "analyst")
    with session_scope(demo_copy) as s:
        pending = pr.list_reports(s, analyst, "pending")
        assert len(pending) == 1 and pending.iloc[0]["phone"] == "138****8000"
        report_id = int(pending.iloc[0]["id"])
        ticket = pr.accept(s, analyst, report_id)
        number = ticket.number
    with session_scope(demo_copy) as s:
        ticket = s.scalar(select(Ticket).where(Ticket.number == number))
        # the same routing as a deputy's report: category → platform, dispatched at once
        assert ticket.source == "public" and ticket.reporter_deputy_id is None
        assert ticket.platform_code == "zhifa" and status_of(s, ticket.id) == "assigned"
        assert s.scalar(text("SELECT count(*) FROM outbox WHERE ticket_id = :t"), {"t": ticket.id})
        assert s.scalar(
            text("SELECT count(*) FROM ticket_attachment WHERE ticket_id = :t"), {"t": ticket.id}
        )
        status = pr.report_status(s, receipt)
        assert status.status == "accepted" and status.ticket_number == number
        assert status.reward == Decimal("100.00")  # rewards.toml: sewage
        entry = s.scalar(select(RewardEntry))
        assert entry.rule == "category:sewage"
        frame = pr.ledger(s, analyst)
        assert list(frame["receipt"]) == [receipt] and list(frame["phone"]) == [DIGITS]
        data = pr.export_ledger(s, analyst, "csv", HEADERS)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0]["receipt"] == receipt and rows[0]["phone"] == DIGITS
    assert rows[0]["category"] == "污水直排/排污口" and rows[0]["amount"] == "100.00"
    with session_scope(demo_copy) as s:
        xlsx = pr.export_ledger(s, staff(demo_copy, "admin"), "xlsx", HEADERS)
        actions = list(s.scalars(text("SELECT action FROM audit_event ORDER BY id")))
    assert xlsx[:2] == b"PK"
    assert actions == ["public_report_accept", "reward_ledger_export", "reward_ledger_export"]


def test_public_tickets_are_no_deputys_reports(demo_copy: Engine) -> None:
    """Figures count public reports apart: the evaluation counts problems by reporting deputy,
    and a public report has none; the count of public reports is its own figure."""
    inbox = Inbox()
    submit(demo_copy, inbox)
    analyst = staff(demo_copy, "analyst")
    with session_scope(demo_copy) as s:
        report_id = s.scalar(select(PublicReport.id))
        pr.accept(s, analyst, report_id)
    with session_scope(demo_copy) as s:
        deputy_reports = s.scalar(
            text(
                "SELECT count(*) FROM ticket WHERE source = 'public' AND reporter_deputy_id "
                "IS NOT NULL"
            )
        )
        assert deputy_reports == 0
        day = clock.today()
        counts = pr.public_report_counts(
            s, clock.local_midnight(day), clock.local_midnight(day + timedelta(days=1))
        )
        assert counts == {"pending": 0, "accepted": 1, "rejected": 0, "total": 1}
        assert county_rates(s).dispatched >= 1


def test_reject_needs_a_reason_and_the_reporter_reads_it(demo_copy: Engine) -> None:
    receipt = submit(demo_copy, Inbox())
    analyst = staff(demo_copy, "analyst")
    with session_scope(demo_copy) as s:
        report_id = s.scalar(select(PublicReport.id))
    with session_scope(demo_copy) as s, pytest.raises(pr.PublicReportRefused) as info:
        pr.reject(s, analyst, report_id, "  ")
    assert info.value.code == "public_reject_needs_reason"
    with session_scope(demo_copy) as s:
        pr.reject(s, analyst, report_id, "照片与描述不符")
    with session_scope(demo_copy) as s:
        status = pr.report_status(s, receipt)
        assert status.status == "rejected" and status.reject_reason == "照片与描述不符"
        assert status.reward is None
    with session_scope(demo_copy) as s, pytest.raises(pr.PublicReportRefused) as info:
        pr.accept(s, analyst, report_id)  # moderated once only
    assert info.value.code == "public_report_moderated"
    with session_scope(demo_copy) as s:
        assert s.scalar(select(func.count()).select_from(RewardEntry)) == 0


@pytest.mark.parametrize("role", ROLES)
def test_only_the_rows_roles_moderate_and_export(demo_copy: Engine, role: str) -> None:
    submit(demo_copy, Inbox())
    user = staff(demo_copy, role)
    with session_scope(demo_copy) as s:
        report_id = s.scalar(select(PublicReport.id))
    allowed = role in ("analyst", "admin")
    for call in (
        lambda s: pr.list_reports(s, user),
        lambda s: pr.reject(s, user, report_id, "重复举报"),
        lambda s: pr.export_ledger(s, user, "csv", HEADERS),
    ):
        with session_scope(demo_copy) as s:
            if allowed:
                call(s)
            else:
                with pytest.raises(PermissionDenied) as info:
                    call(s)
                assert info.value.code == "not_allowed"
    with session_scope(demo_copy) as s, pytest.raises(PermissionDenied):
        pr.accept(s, None, report_id)  # nobody signed in
    with session_scope(demo_copy) as s:
        status = s.scalar(select(PublicReport.status))
    assert status == ("rejected" if allowed else "pending")


def _refused(engine: Engine, **kwargs) -> pr.PublicReportRefused | PhotoRefused:
    with pytest.raises((pr.PublicReportRefused, PhotoRefused)) as info:
        submit(engine, Inbox(), **kwargs)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(PublicReport)) == 0
    return info.value


def test_bad_input_is_refused_by_name_and_stores_nothing(demo_copy: Engine, monkeypatch) -> None:
    monkeypatch.setenv("SHUIJIAN_PUBLIC_CODES_PER_HOUR", "100")
    with session_scope(demo_copy) as s, pytest.raises(pr.PublicReportRefused) as info:
        pr.request_code(s, "12345", "c", Inbox())
    assert info.value.code == "public_phone_invalid"
    assert _refused(demo_copy, upload=Upload("x.jpg", b"")).code == "public_photo_missing"
    assert _refused(demo_copy, upload=Upload("x.jpg", b"GIF89a....")).code == "not_a_photo"
    broken = Upload("x.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 40)
    assert _refused(demo_copy, upload=broken).code == "photo_unreadable"
    assert _refused(demo_copy, where=(100.0, 20.0)).code == "location_outside_county"
    assert _refused(demo_copy, where=(None, None)).code == "public_location_missing"
    assert _refused(demo_copy, category="nonsense").code == "public_category_unknown"
    assert _refused(demo_copy, description="   ").code == "description_missing"
    with session_scope(demo_copy) as s, pytest.raises(pr.PublicReportRefused) as info:
        pr.report_status(s, "AAAA-BBBB-CCCC")
    assert info.value.code == "public_receipt_unknown"


def test_the_place_comes_from_the_photos_gps(demo_copy: Engine) -> None:
    lon, lat = inside(demo_copy)
    receipt = submit(demo_copy, Inbox(), upload=photo(lon, lat), where=(None, None))
    with session_scope(demo_copy) as s:
        report = s.scalar(select(PublicReport).where(PublicReport.receipt == receipt))
        assert report.location_source == "exif" and report.township_id is not None


def test_wrong_expired_and_exhausted_codes(demo_copy: Engine, monkeypatch) -> None:
    monkeypatch.setenv("SHUIJIAN_PUBLIC_CODE_ATTEMPTS", "2")
    assert _refused(demo_copy, code="000000x").code == "public_code_wrong"
    with session_scope(demo_copy) as s:
        assert s.scalar(select(PhoneCode.attempts).order_by(PhoneCode.id.desc()).limit(1)) == 1
    inbox = Inbox()
    with session_scope(demo_copy) as s:
        pr.request_code(s, PHONE, "c2", inbox)
    good = inbox.code()
    lon, lat = inside(demo_copy)

    def send(code: str) -> str:
        with session_scope(demo_copy) as s:
            return pr.submit_report(
                s, pr.Submission(PHONE, code, "sewage", "漂浮物", photo(), lon, lat), "c2"
            )

    for _ in range(2):
        with pytest.raises(pr.PublicReportRefused) as info:
            send("999999" if good != "999999" else "111111")
        assert info.value.code == "public_code_wrong"
    with pytest.raises(pr.PublicReportRefused) as info:
        send(good)  # the right code, too late: two wrong tries voided it
    assert info.value.code == "public_code_attempts"
    with session_scope(demo_copy) as s:
        pr.request_code(s, "13900139000", "c3", inbox)
    fresh = inbox.code()
    later = clock.now() + timedelta(minutes=11)
    monkeypatch.setattr(clock, "now", lambda: later)
    with pytest.raises(pr.PublicReportRefused) as info, session_scope(demo_copy) as s:
        pr.submit_report(
            s, pr.Submission("13900139000", fresh, "sewage", "x", photo(), lon, lat), "c3"
        )
    assert info.value.code == "public_code_expired"


def test_limits_per_phone_and_per_client(demo_copy: Engine, monkeypatch) -> None:
    monkeypatch.setenv("SHUIJIAN_PUBLIC_REPORTS_PER_PHONE", "1")
    monkeypatch.setenv("SHUIJIAN_PUBLIC_REPORTS_PER_CLIENT", "2")
    monkeypatch.setenv("SHUIJIAN_PUBLIC_CODES_PER_HOUR", "2")
    submit(demo_copy, Inbox(), phone="13700137000", client="a")
    assert _count(demo_copy) == 1
    with pytest.raises(pr.PublicReportRefused) as info:
        submit(demo_copy, Inbox(), phone="13700137000", client="b")
    assert info.value.code == "public_limit_phone" and info.value.params["limit"] == 1
    submit(demo_copy, Inbox(), phone="13600136000", client="a")
    with pytest.raises(pr.PublicReportRefused) as info:
        submit(demo_copy, Inbox(), phone="13500135000", client="a")
    assert info.value.code == "public_code_limit_client"  # two codes from "a" this hour
    monkeypatch.setenv("SHUIJIAN_PUBLIC_CODES_PER_HOUR", "10")
    with pytest.raises(pr.PublicReportRefused) as info:
        submit(demo_copy, Inbox(), phone="13500135000", client="a")
    assert info.value.code == "public_limit_client"
    assert _count(demo_copy) == 2


def _count(engine: Engine) -> int:
    with session_scope(engine) as s:
        return int(s.scalar(select(func.count()).select_from(PublicReport)))


def test_a_failed_sms_stores_no_code(demo_copy: Engine) -> None:
    with pytest.raises(pr.PublicReportRefused) as info, session_scope(demo_copy) as s:
        pr.request_code(s, PHONE, "c", Inbox(ok=False))
    assert info.value.code == "public_sms_failed"
    with session_scope(demo_copy) as s:
        assert s.scalar(select(func.count()).select_from(PhoneCode)) == 0


def test_reward_rules_are_data_and_bad_ones_are_refused(tmp_path, monkeypatch) -> None:
    rules = pr.load_rewards()
    assert rules.amount_for("sewage") == ("category:sewage", Decimal("100.00"))
    assert rules.amount_for("petition") == ("default", Decimal("20.00"))
    bad = tmp_path / "r.toml"
    for body, code in (
        ("default = -1", "reward_rules_invalid"),
        ("default = 5\nbonus = 1", "reward_rules_invalid"),
        ('default = 5\n[category]\nsewage = "lots"', "reward_rules_invalid"),
        ("default = ", "reward_rules_unreadable"),
    ):
        bad.write_text(body, encoding="utf-8")
        monkeypatch.setenv("SHUIJIAN_REWARD_RULES", str(bad))
        with pytest.raises(pr.PublicReportRefused) as info:
            pr.load_rewards()
        assert info.value.code == code


def test_export_format_is_checked(demo_copy: Engine) -> None:
    with session_scope(demo_copy) as s, pytest.raises(pr.PublicReportRefused) as info:
        pr.export_ledger(s, staff(demo_copy, "admin"), "pdf", HEADERS)
    assert info.value.code == "ledger_format_unknown"


def test_the_demo_has_public_reports_in_every_state(demo_copy: Engine) -> None:
    from data.demo_public import add_demo_public_reports

    made = add_demo_public_reports(demo_copy, 2026)
    assert (made.reports, made.accepted, made.rejected) == (6, 2, 1)
    assert add_demo_public_reports(demo_copy, 2026).reports == 0  # once only
    with session_scope(demo_copy) as s:
        statuses = sorted(s.scalars(select(PublicReport.status)))
        sources = set(s.scalars(select(PublicReport.location_source)))
        tickets = s.scalar(text("SELECT count(*) FROM ticket WHERE source = 'public'"))
        ledger = s.scalar(select(func.count()).select_from(RewardEntry))
    assert statuses == ["accepted"] * 2 + ["pending"] * 3 + ["rejected"]
    assert sources == {"map", "exif"} and tickets == 2 and ledger == 2


def test_the_evaluation_never_counts_a_public_report_as_a_deputys(demo_copy: Engine) -> None:
    from reports.evaluation import evaluate_month

    day = clock.today()
    with session_scope(demo_copy) as s:
        before = evaluate_month(s, day.year, day.month)
    submit(demo_copy, Inbox())
    with session_scope(demo_copy) as s:
        pr.accept(s, staff(demo_copy, "analyst"), int(s.scalar(select(PublicReport.id))))
    with session_scope(demo_copy) as s:
        after = evaluate_month(s, day.year, day.month)
    columns = ["problems_reported", "problems_confirmed"]
    assert after[columns].sum().to_dict() == before[columns].sum().to_dict()


def test_the_command_line_lists_moderates_and_exports(
    demo_copy: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    from typer.testing import CliRunner

    from cli.main import app
    from db import database

    receipt = submit(demo_copy, Inbox())
    submit(demo_copy, Inbox(), phone="13900139000", client="other")
    monkeypatch.setenv("DATABASE_URL", demo_copy.url.render_as_string(hide_password=False))
    monkeypatch.setenv("USER", "opsperson")
    monkeypatch.setenv("LOGNAME", "opsperson")
    database.get_engine.cache_clear()
    try:
        runner = CliRunner()
        listed = runner.invoke(app, ["public-reports", "list", "--status", "pending"])
        assert listed.exit_code == 0, listed.output
        assert receipt in listed.output and "138****8000" in listed.output
        assert DIGITS not in listed.output
        with session_scope(demo_copy) as s:
            first, second = sorted(s.scalars(select(PublicReport.id)))
        bad = runner.invoke(app, ["public-reports", "list", "--status", "maybe"])
        assert bad.exit_code == 1 and "is unknown" in bad.output
        accepted = runner.invoke(app, ["public-reports", "accept", str(first)])
        assert accepted.exit_code == 0 and "accepted: ticket" in accepted.output
        again = runner.invoke(app, ["public-reports", "accept", str(first)])
        assert again.exit_code == 1 and "already reviewed" in again.output
        missing = runner.invoke(app, ["public-reports", "accept", "9999"])
        assert missing.exit_code == 1 and "does not exist" in missing.output
        rejected = runner.invoke(
            app, ["public-reports", "reject", str(second), "--reason", "重复举报"]
        )
        assert rejected.exit_code == 0, rejected.output
        out = tmp_path / "ledger.csv"
        exported = runner.invoke(app, ["public-reports", "ledger-export", str(out)])
        assert exported.exit_code == 0, exported.output
        rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
        assert [r["Receipt"] for r in rows] == [receipt] and rows[0]["Phone for payment"] == DIGITS
        wrong = runner.invoke(app, ["public-reports", "ledger-export", str(tmp_path / "x.pdf")])
        assert wrong.exit_code == 1 and "csv or xlsx" in wrong.output
        outputs = (listed, bad, accepted, again, missing, rejected, exported, wrong)
        assert "Traceback" not in "".join(r.output for r in outputs)
    finally:
        database.get_engine.cache_clear()
    with session_scope(demo_copy) as s:
        actors = set(s.scalars(text("SELECT actor FROM audit_event")))
    assert actors == {"cli:opsperson"}


def test_a_code_confirms_one_report_only(demo_copy: Engine) -> None:
    inbox = Inbox()
    submit(demo_copy, inbox)
    lon, lat = inside(demo_copy)
    again = pr.Submission(PHONE, inbox.code(), "sewage", "再报一次", photo(), lon, lat)
    with pytest.raises(pr.PublicReportRefused) as info, session_scope(demo_copy) as s:
        pr.submit_report(s, again, "10.0.0.1")
    assert info.value.code == "public_code_expired"


def test_a_demo_reset_wipes_the_public_reports_too(demo_copy: Engine) -> None:
    """``shuijian demo --reset`` truncates the domain with CASCADE: the reports and the
    append-only ledger go with their tickets, the ledger's guard lifted for that one wipe."""
    from data.demo_public import add_demo_public_reports
    from data.loader import wipe
    from db.roles import truncate_guard_lifted

    add_demo_public_reports(demo_copy, 2026)
    with session_scope(demo_copy) as s, pytest.raises(Exception, match="TRUNCATE"):
        s.execute(text("TRUNCATE reward_entry"))
    with session_scope(demo_copy) as s, truncate_guard_lifted(s):
        wipe(s)
    with session_scope(demo_copy) as s:
        assert s.scalar(select(func.count()).select_from(PublicReport)) == 0
        assert s.scalar(select(func.count()).select_from(RewardEntry)) == 0


def test_the_bulletin_counts_public_reports_apart(demo_copy: Engine) -> None:
    from data.demo_public import add_demo_public_reports
    from reports.bulletin.data import bulletin_data
    from reports.bulletin.text import sections

    add_demo_public_reports(demo_copy, 2026)
    day = clock.today()
    with session_scope(demo_copy) as s:
        data = bulletin_data(s, day.year, day.month, as_of=day + timedelta(days=1))
        before = bulletin_data(s, day.year, day.month, as_of=day)  # nothing received yet
    assert data.public_reports == {
        "pending": 3,
        "accepted": 2,
        "rejected": 1,
        "total": 6,
    }
    assert before.public_reports["total"] == 0
    body = "".join(p for section in sections(data) for p in section.paragraphs)
    assert "群众有奖举报6件，受理交办2件，不予受理1件，待审核3件" in body
