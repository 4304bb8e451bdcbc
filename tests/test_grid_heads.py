"""Grid heads (网格长): import from CSV and Excel with history, refusals by line and column,
the permission rows, the coverage map's popup per role, and the dead-corner reminder sent once
per gap and round through the fake SMS gateway.

On tests/factories.py's county: S1 (class 1, D1) lies in small cell L0M0S0, S2 (class 2, D2)
in L1M1S0, F1 (class 3) in L1M0S1; here F1 has no deputy, so it is a dead corner throughout.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import httpx
import pandas as pd
import pytest
import time_machine
from sqlalchemy import Engine, text
from typer.testing import CliRunner

import i18n
from accounts.audit import Operator, audit_events
from accounts.auth import SignedIn
from accounts.permissions import PERMISSIONS, may
from core.errors import ImportRefused, PermissionDenied
from core.vocab import ROLES
from db.database import session_scope
from duty.coverage_map import coverage_map, today_coverage_map
from duty.grid_heads import current_heads, import_grid_heads, list_grid_heads
from duty.reminders import HttpHook
from duty.reminders.grid_heads import remind_grid_heads
from geo.importers import (
    import_assignments,
    import_cells,
    import_county,
    import_deputies,
    import_sites,
    import_townships,
)
from geo.readers import read_table, read_vector
from layers.coverage import coverage_map_figure
from tests import factories
from tests.fake_webhook import FakeWebhook
from tests.test_admin import page_database  # noqa: F401, F811  (a fixture)

ZONE = ZoneInfo("Asia/Shanghai")
TOKEN = "sms-token-for-grid-heads"
OPERATOR = Operator("tester")
HEADS_CSV = (
    "cell,name,phone,valid_from\n"
    "L0M0S0,王一,139 0000 1001,2026-01-01\n"
    "L1M0S1,赵二,13900001002,2026-01-01\n"
)


def user(role: str) -> SignedIn:
    return SignedIn(1, f"{role}-user", role, 1 if role == "deputy" else None, role)


def _at(day: date) -> time_machine.travel:
    return time_machine.travel(datetime.combine(day, time(8, 30), tzinfo=ZONE), tick=False)


@pytest.fixture
def tiny(engine: Engine) -> Engine:
    """The factories' county loaded on 1 January 2026 (the sites' first class day), with D1
    holding S1 and D2 holding S2 from then; F1 is held by nobody."""
    deputies = read_vector(factories.deputies_csv().encode(), "deputies.csv")
    assignments = pd.DataFrame(
        {"deputy_code": ["D1", "D2"], "site_code": ["S1", "S2"], "valid_from": ["2026-01-01"] * 2}
    )
    with _at(date(2026, 1, 1)), session_scope(engine) as s:
        import_county(s, factories.county(), "county", "999999", "测试县")
        import_townships(s, factories.townships(), "townships")
        import_cells(s, factories.cells(), "cells")
        import_sites(s, factories.sites(), "sites")
        import_deputies(s, deputies, "deputies.csv")
        import_assignments(s, assignments, "assignments.csv")
    return engine


def _import(engine: Engine, data: bytes, name: str, actor=OPERATOR, day: date | None = None):
    frame = read_table(data, name)
    with session_scope(engine) as s:
        return import_grid_heads(s, actor, frame, name, day)


def _heads(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.code, h.name, h.phone, h.valid_from, h.valid_to FROM grid_head h "
                "JOIN grid_cell c ON c.id = h.grid_cell_id ORDER BY c.code, h.valid_from"
            )
        ).all()
    return [tuple(r) for r in rows]


def _xlsx(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    return buffer.getvalue()


# ------------------------------------------------------------------------------ the import


def test_import_csv_is_idempotent_and_a_new_head_closes_the_period(tiny: Engine) -> None:
    first = _import(tiny, HEADS_CSV.encode(), "heads.csv")
    assert (first.added, first.changed, first.unchanged) == (2, 0, 0)
    assert _heads(tiny) == [
        ("L0M0S0", "王一", "13900001001", date(2026, 1, 1), None),
        ("L1M0S1", "赵二", "13900001002", date(2026, 1, 1), None),
    ]
    again = _import(tiny, HEADS_CSV.encode(), "heads.csv")
    assert (again.added, again.changed, again.unchanged) == (0, 0, 2)
    assert len(_heads(tiny)) == 2

    changed = "cell,name,phone,valid_from\nl0m0s0,钱三,13900001003,2026-03-01\n"  # any case
    result = _import(tiny, changed.encode(), "change.csv")
    assert (result.added, result.changed, result.unchanged) == (0, 1, 0)
    assert _heads(tiny)[:2] == [
        ("L0M0S0", "王一", "13900001001", date(2026, 1, 1), date(2026, 3, 1)),
        ("L0M0S0", "钱三", "13900001003", date(2026, 3, 1), None),
    ]
    with session_scope(tiny) as s:
        current = list_grid_heads(s, OPERATOR, "L0M0S0")
        history = list_grid_heads(s, OPERATOR, "L0M0S0", history=True)
        on_feb = current_heads(s, date(2026, 2, 15), "admin")
        events = audit_events(s, OPERATOR, actions=["grid_head_import"])
    assert current["name"].tolist() == ["钱三"]
    assert history["name"].tolist() == ["钱三", "王一"]  # newest first
    assert "王一" in on_feb["head_name"].tolist()  # the head of that day, not today's
    # two imports changed something, the idempotent one is not audited
    assert events["target"].tolist() == ["change.csv", "heads.csv"]
    assert events["details"].iloc[0] == {"added": 0, "changed": 1, "unchanged": 0}


def test_import_excel_with_a_default_first_day(tiny: Engine) -> None:
    frame = pd.DataFrame(
        {
            "cell_code": ["L0M1S0", "L1M1S1"],
            "name": ["孙四", "周五"],
            "phone": [13900001004, "13900001005"],
        }
    )
    result = _import(tiny, _xlsx(frame), "heads.xlsx", day=date(2026, 2, 1))
    assert (result.added, result.changed) == (2, 0)
    assert _heads(tiny) == [
        ("L0M1S0", "孙四", "13900001004", date(2026, 2, 1), None),
        ("L1M1S1", "周五", "13900001005", date(2026, 2, 1), None),
    ]


BAD_ROWS = [
    # (csv body after the header, code, line, column)
    ("L0M0S0,王一,13900001001,\nL9,赵二,13900001002,", "grid_head_unknown_cell", 3, "cell"),
    ("L0M0,王一,13900001001,", "grid_head_not_small", 2, "cell"),
    ("L0M0S0,王一,13900001001,\nL0M0S0,赵二,13900001002,", "grid_head_duplicate_cell", 3, "cell"),
    ("L0M0S0,,13900001001,", "grid_head_empty", 2, "name"),
    ("L0M0S0,王一,电话号码,", "grid_head_bad_phone", 2, "phone"),
    ("L0M0S0,王一,13900001001,下个月", "grid_head_bad_date", 2, "valid_from"),
    ("L0M0S0," + "长" * 41 + ",13900001001,", "grid_head_name_too_long", 2, "name"),
]


@pytest.mark.parametrize(("body", "code", "line", "column"), BAD_ROWS)
def test_a_bad_csv_row_is_refused_by_line_and_column(
    tiny: Engine, body: str, code: str, line: int, column: str
) -> None:
    data = f"cell,name,phone,valid_from\n{body}\n".encode()
    with pytest.raises(ImportRefused) as info:
        _import(tiny, data, "bad.csv")
    error = info.value
    assert error.code == code
    assert (error.params["line"], error.params["column"]) == (line, column)
    zh, en = i18n.describe(error, "zh"), i18n.describe(error, "en")
    assert f"第 {line} 行" in zh and f"“{column}”" in zh and zh.startswith("bad.csv：未导入")
    assert f"line {line}" in en and f"'{column}'" in en
    assert _heads(tiny) == []  # nothing of the file, not even its good first row


def test_a_bad_excel_row_is_refused_and_nothing_is_stored(tiny: Engine) -> None:
    frame = pd.DataFrame(  # a county's own sheet, headed in Chinese
        {"网格编码": ["L0M0S0", "L1M0S1"], "姓名": ["王一", "赵二"], "手机": ["13900001001", "12"]}
    )
    with pytest.raises(ImportRefused) as info:
        _import(tiny, _xlsx(frame), "heads.xlsx")
    assert info.value.code == "grid_head_bad_phone" and info.value.params["line"] == 3
    assert "第 3 行“手机”列：“12”不是电话号码" in i18n.describe(info.value, "zh")
    assert _heads(tiny) == []


def test_a_new_head_must_start_after_the_current_one(tiny: Engine) -> None:
    _import(tiny, HEADS_CSV.encode(), "heads.csv")
    late = "cell,name,phone,valid_from\nL1M0S1,冯六,13900001006,2026-05-01\n"
    early = "cell,name,phone,valid_from\nL0M0S0,钱三,13900001003,2026-01-01\n"
    with pytest.raises(ImportRefused) as info:
        _import(tiny, (late + early.split("\n", 1)[1]).encode(), "both.csv")
    assert info.value.code == "grid_head_not_after" and info.value.params["line"] == 3
    assert "2026" in i18n.describe(info.value, "zh")
    assert len(_heads(tiny)) == 2  # the good first row (L1M0S1) was not stored either


def test_unreadable_tables_are_refused_by_name(tiny: Engine) -> None:
    for data, name, code in (
        (b"cell,name\n", "heads.txt", "unsupported_table_type"),
        (b"", "heads.csv", "empty_file"),
        (b"not a workbook", "heads.xlsx", "unreadable_file"),
        ("cell,name\nL0M0S0,王一\n".encode(), "heads.csv", "missing_columns"),
    ):
        with pytest.raises(ImportRefused) as info:
            _import(tiny, data, name)
        assert info.value.code == code
        assert "?" not in i18n.describe(info.value, "zh")


# ------------------------------------------------------------------------- permission rows


def test_the_permission_rows(tiny: Engine) -> None:
    assert PERMISSIONS["manage_grid_heads"] == ("admin",)
    assert PERMISSIONS["read_grid_head_contact"] == ("analyst", "admin")
    for role in ROLES:
        if not may(role, "manage_grid_heads"):
            with pytest.raises(PermissionDenied):
                _import(tiny, HEADS_CSV.encode(), "heads.csv", actor=user(role))
    assert _heads(tiny) == []
    with tiny.begin() as conn:  # the audit row names the admin's account
        admin_id = conn.scalar(
            text(
                "INSERT INTO app_user (username, password_hash, role) "
                "VALUES ('admin-user', 'x', 'admin') RETURNING id"
            )
        )
    admin = SignedIn(admin_id, "admin-user", "admin", None, "admin")
    assert _import(tiny, HEADS_CSV.encode(), "heads.csv", actor=admin).added == 2
    for role in ROLES:
        with session_scope(tiny) as s:
            if may(role, "read_grid_head_contact"):
                assert len(list_grid_heads(s, user(role))) == 2
            else:
                with pytest.raises(PermissionDenied):
                    list_grid_heads(s, user(role))


@pytest.mark.parametrize("role", ROLES)
def test_the_cell_popup_names_the_head_and_only_some_see_the_phone(tiny: Engine, role: str) -> None:
    _import(tiny, HEADS_CSV.encode(), "heads.csv")
    with session_scope(tiny) as s:
        viewer = user(role)
        if role == "township":  # township staff see their own township's cells
            home = s.scalar(text("SELECT township_id FROM grid_cell WHERE code = 'L0M0S0'"))
            viewer = SignedIn(1, "tz", role, None, role, home)
        march, feb = date(2026, 3, 1), date(2026, 2, 1)
        data = coverage_map(s, 2026, 2, 3, as_of=march, with_tracks=False, viewer=viewer)
        today = today_coverage_map(s, 3, as_of=feb, with_tracks=False, viewer=viewer)
        large = coverage_map(s, 2026, 2, 1, as_of=march, with_tracks=False, viewer=viewer)
    for frame in (data.cells, today.cells):
        row = frame.set_index("code").loc["L0M0S0"]
        assert row["head_name"] == "王一"
        assert (row["head_phone"] == "13900001001") == may(role, "read_grid_head_contact")
        assert pd.isna(frame.set_index("code").loc["L0M1S0", "head_name"])  # no head there
    html = coverage_map_figure(data, "zh").get_root().render()
    assert _in_map("王一", html) and _in_map("网格长", html)
    assert ("13900001001" in html) == (role in ("analyst", "admin"))
    assert not _in_map("网格长", coverage_map_figure(large, "zh").get_root().render())


def _in_map(words: str, html: str) -> bool:
    """The map's script holds text as written or JSON-escaped."""
    return words in html or json.dumps(words)[1:-1] in html


# ------------------------------------------------------------------- the dead-corner reminder


@pytest.fixture
def fake() -> Iterator[FakeWebhook]:
    server = FakeWebhook(token=TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=5) as c:
        yield c


def _remind(engine: Engine, on: date, fake: FakeWebhook, client: httpx.Client):
    with _at(on):
        return remind_grid_heads(engine, on, HttpHook(fake.sms_url, TOKEN), client=client)


def _sent(fake: FakeWebhook) -> list[tuple[str, str]]:
    return [(r.payload["cell"], r.payload["text"]) for r in fake.accepted()]


def test_a_dead_corner_reaches_its_head_once_per_round(
    tiny: Engine, fake: FakeWebhook, client: httpx.Client
) -> None:
    """S1's deadline is 10 January: overdue from the 11th, a gap of L0M0S0; F1 has no deputy
    since its first day (1 January): a gap of L1M0S1 throughout. N = 3 (the default)."""
    _import(tiny, HEADS_CSV.encode(), "heads.csv")
    first = _remind(tiny, date(2026, 1, 11), fake, client)
    assert (first.sent, first.failed, first.already) == (2, 0, 0)
    sent = dict(_sent(fake))
    assert set(sent) == {"L0M0S0", "L1M0S1"}
    assert "王一网格长" in sent["L0M0S0"] and "上塘（逾期未巡查" in sent["L0M0S0"]
    assert "红星养殖场（无联系代表）" in sent["L1M0S1"]
    assert {r.payload["to"] for r in fake.accepted()} == {"13900001001", "13900001002"}

    again = _remind(tiny, date(2026, 1, 11), fake, client)  # the same day again
    assert (again.sent, again.already) == (0, 2) and len(fake.accepted()) == 2
    assert _remind(tiny, date(2026, 1, 12), fake, client).sent == 0  # same rounds
    # 13 Jan: F1's gap (since 1 Jan) enters round 4; S1's (since 11 Jan) is still in round 0
    third = _remind(tiny, date(2026, 1, 13), fake, client)
    assert [m.recipient.code for m in third.messages] == ["L1M0S1"]
    assert third.messages[0].sites[0].round == 4
    assert "再次提醒" in _sent(fake)[-1][1]
    # 14 Jan: S1 round 1; the SMS gateway fails once: nothing is kept, the rerun sends it
    fake.fail_next(1)
    failed = _remind(tiny, date(2026, 1, 14), fake, client)
    assert (failed.sent, failed.failed) == (0, 1) and not failed.ok
    retried = _remind(tiny, date(2026, 1, 14), fake, client)
    assert (retried.sent, retried.failed) == (1, 0)
    with tiny.connect() as conn:
        kept = conn.execute(
            text(
                "SELECT s.code, r.cause, r.since, r.round FROM grid_head_reminder r "
                "JOIN site s ON s.id = r.site_id ORDER BY 1, 4"
            )
        ).all()
    assert [tuple(r) for r in kept] == [
        ("F1", "unassigned", date(2026, 1, 1), 3),
        ("F1", "unassigned", date(2026, 1, 1), 4),
        ("S1", "overdue", date(2026, 1, 11), 0),
        ("S1", "overdue", date(2026, 1, 11), 1),
    ]


def test_a_dead_corner_without_a_head_is_named_and_sends_nothing(
    tiny: Engine, fake: FakeWebhook, client: httpx.Client
) -> None:
    only_s1 = "cell,name,phone,valid_from\nL0M0S0,王一,13900001001,2026-01-01\n"
    _import(tiny, only_s1.encode(), "heads.csv")
    report = _remind(tiny, date(2026, 1, 11), fake, client)
    assert report.sent == 1 and report.no_head == ["L1M0S1"]
    assert "1 dead-corner cell(s) without a grid head: L1M0S1" in report.summary()


def test_the_command_line(
    tiny: Engine, fake: FakeWebhook, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    from cli.main import app
    from db import database

    url = tiny.url.render_as_string(hide_password=False)
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SHUIJIAN_REMIND_CHANNEL", "http")
    monkeypatch.setenv("SHUIJIAN_SMS_WEBHOOK", fake.sms_url)
    monkeypatch.setenv("SHUIJIAN_SMS_TOKEN", TOKEN)
    database.get_engine.cache_clear()
    good, bad = tmp_path / "heads.csv", tmp_path / "bad.csv"
    good.write_text(HEADS_CSV, encoding="utf-8")
    bad.write_text("cell,name,phone\nL0M0S0,王一,x\n", encoding="utf-8")
    runner = CliRunner()
    try:
        done = runner.invoke(app, ["grid-heads", "import", str(good)])
        assert done.exit_code == 0 and "2 grid head(s) added" in done.output, done.output
        listed = runner.invoke(app, ["grid-heads", "list", "--cell", "L1M0S1"])
        assert listed.exit_code == 0 and "赵二" in listed.output and "王一" not in listed.output
        refused = runner.invoke(app, ["grid-heads", "import", str(bad)])
        assert refused.exit_code == 1 and "line 2, column 'phone'" in refused.output
        assert "Traceback" not in refused.output
        none = runner.invoke(app, ["grid-heads", "list", "--cell", "L0M1S0"])
        assert none.exit_code == 1 and "no grid head for cell L0M1S0" in none.output
        with _at(date(2026, 1, 11)):
            dry = runner.invoke(app, ["grid-heads", "remind", "--dry-run"])
            sent = runner.invoke(app, ["grid-heads", "remind"])
        assert dry.exit_code == 0 and "would send 2 message(s)" in dry.output, dry.output
        assert sent.exit_code == 0 and "sent 2 message(s)" in sent.output, sent.output
        assert TOKEN not in sent.output
        assert len(fake.accepted()) == 2
    finally:
        database.get_engine(url).dispose()
        database.get_engine.cache_clear()


def test_the_app_role_imports_changes_and_reminds_but_deletes_nothing(
    tiny: Engine, fake: FakeWebhook, client: httpx.Client
) -> None:
    """Least privilege (db/roles.py): grid_head is a record (no DELETE), grid_head_reminder
    is append-only; the app role still does the whole job."""
    from tests.test_db_roles import refused, two_roles

    with two_roles(tiny) as made:
        app = made.app_engine
        assert _import(app, HEADS_CSV.encode(), "heads.csv").added == 2
        change = "cell,name,phone,valid_from\nL0M0S0,钱三,13900001003,2026-01-05\n"
        assert _import(app, change.encode(), "change.csv").changed == 1
        assert _remind(app, date(2026, 1, 11), fake, client).sent == 2
        refused(app, "DELETE FROM grid_head", "permission denied")
        refused(app, "UPDATE grid_head_reminder SET round = 9", "permission denied")
        refused(app, "DELETE FROM grid_head_reminder", "permission denied")
        refused(app, "TRUNCATE grid_head_reminder", "permission denied")
    assert "钱三网格长" in dict(_sent(fake))["L0M0S0"]


def test_the_admin_section_lists_heads_with_history(page_database: Engine) -> None:  # noqa: F811
    """The demo's heads on the administration page: one per small cell, a cell filter, the
    former heads of a replaced one; each in its language."""
    from tests.test_admin import _page

    with page_database.connect() as conn:
        replaced = conn.scalar(
            text(
                "SELECT c.code FROM grid_head h JOIN grid_cell c ON c.id = h.grid_cell_id "
                "WHERE h.valid_to IS NOT NULL ORDER BY 1 LIMIT 1"
            )
        )
    at = _page(page_database, "admin")
    at.radio(key="shuijian_admin_section").set_value("grid_heads").run()
    assert not at.exception, at.exception
    assert len(at.dataframe[0].value) == 932 and "网格长" in at.dataframe[0].value.columns
    at.text_input(key="shuijian_admin_heads_cell").set_value(replaced.lower()).run()
    assert len(at.dataframe[0].value) == 1
    at.checkbox(key="shuijian_admin_heads_history").check().run()
    shown = at.dataframe[0].value
    assert len(shown) == 2 and shown["截止日"].tolist()[1] != "—"
    english = _page(page_database, "admin", english=True)
    english.radio(key="shuijian_admin_section").set_value("grid_heads").run()
    assert "Grid head" in english.dataframe[0].value.columns


# ------------------------------------------------------------------------ schema and demo


def test_the_schema_keeps_one_head_per_cell_and_day_and_migrates_down(bare_engine: Engine) -> None:
    from sqlalchemy.exc import IntegrityError

    from db import migrate

    migrate.upgrade(bare_engine)
    poly = "MULTIPOLYGON(((118 29, 118.01 29, 118.01 29.01, 118 29)))"
    with bare_engine.begin() as conn:
        factories.ensure_county(conn)
        conn.execute(
            text(
                "INSERT INTO grid_cell (code, level, geom) "
                "VALUES ('C', 1, ST_GeomFromText(:w, 4326))"
            ),
            {"w": poly},
        )
        conn.execute(
            text(
                "INSERT INTO grid_head (grid_cell_id, name, phone, valid_from, valid_to) "
                "SELECT id, '甲', '13900000001', '2026-01-01', '2026-03-01' FROM grid_cell"
            )
        )
    for values in (
        "'乙', '13900000002', '2026-02-01', NULL",  # overlaps the first period
        "' ', '13900000002', '2026-04-01', NULL",  # no name
        "'乙', '13900000002', '2026-04-01', '2026-04-01'",  # an empty period
    ):
        with pytest.raises(IntegrityError), bare_engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO grid_head (grid_cell_id, name, phone, valid_from, valid_to) "
                    f"SELECT id, {values} FROM grid_cell"
                )
            )
    with bare_engine.begin() as conn:  # the handover: from the day the first period ended
        conn.execute(
            text(
                "INSERT INTO grid_head (grid_cell_id, name, phone, valid_from) "
                "SELECT id, '乙', '13900000002', '2026-03-01' FROM grid_cell"
            )
        )
    migrate.downgrade(bare_engine, "0013")
    with bare_engine.connect() as conn:
        left = conn.scalar(text("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'grid_head%'"))
    assert left == 0 and migrate.current_revision(bare_engine) == "0013"
    migrate.upgrade(bare_engine)
    assert migrate.current_revision(bare_engine) == migrate.head_revision()


def test_the_demo_has_a_head_for_every_small_cell_and_some_history(demo_engine: Engine) -> None:
    with demo_engine.connect() as conn:
        cells = conn.scalar(text("SELECT count(*) FROM grid_cell WHERE level = 3"))
        current = conn.execute(
            text(
                "SELECT count(*), count(DISTINCT h.grid_cell_id), bool_and(c.level = 3) "
                "FROM grid_head h JOIN grid_cell c ON c.id = h.grid_cell_id "
                "WHERE h.valid_to IS NULL"
            )
        ).one()
        replaced = conn.scalar(text("SELECT count(*) FROM grid_head WHERE valid_to IS NOT NULL"))
        shared = conn.scalar(
            text(
                "SELECT count(*) FROM grid_head h WHERE h.phone IN "
                "(SELECT contact FROM deputy WHERE contact IS NOT NULL "
                "UNION SELECT phone FROM township_office)"
            )
        )
        audited = conn.scalar(text("SELECT count(*) FROM audit_event"))
    assert cells == 932 and tuple(current) == (932, 932, True)
    assert replaced == 12 and shared == 0
    assert audited == 0  # loading the demo is no administrative action
