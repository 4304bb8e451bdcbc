"""Time partitions (migration 0023, db.partitions, ``shuijian db partitions``): rows land in
their month, the app role cannot reach a partition past the parent's row-level security, a
month older than its retention is archived (every row, checked) and dropped whole."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from db import partitions
from db.roles import APP_ROLE
from db.scope import ALL, within


def _audit(conn, at: str, n: int = 1) -> None:
    for i in range(n):
        conn.execute(
            text(
                "INSERT INTO audit_event (at, actor, action, target, details) "
                "VALUES (CAST(:at AS timestamptz), 'cli:test', 'test', :t, '{}')"
            ),
            {"at": at, "t": f"row {i}\nwith a newline"},
        )


def _home(conn, table: str, at: str) -> str:
    key = partitions.PARTITIONED[table]
    return conn.scalar(
        text(
            f"SELECT tableoid::regclass::text FROM {table} WHERE {key} = CAST(:at AS timestamptz)"
        ),
        {"at": at},
    )


def test_the_growing_tables_are_partitioned_by_month_with_a_default(engine: Engine) -> None:
    with engine.connect() as conn:
        for table in partitions.PARTITIONED:
            kind, strategy = conn.execute(
                text(
                    "SELECT c.relkind, p.partstrat FROM pg_class c "
                    "JOIN pg_partitioned_table p ON p.partrelid = c.oid WHERE c.relname = :t"
                ),
                {"t": table},
            ).one()
            assert (kind, strategy) == ("p", "r")
            assert conn.scalar(text("SELECT to_regclass(:d)"), {"d": f"{table}_default"})
            # the migration made the server's current month and the next three
            months = {p.month for p in partitions.month_partitions(conn, table)}
            now = conn.scalar(text("SELECT (now() AT TIME ZONE 'UTC')::date"))
            first = now.replace(day=1)
            assert {partitions.add_months(first, k) for k in range(4)} <= months


def test_no_partition_is_reachable_by_the_app_role_and_each_keeps_the_policy(
    engine: Engine,
) -> None:
    with engine.begin() as conn:
        conn.execute(text("SELECT shuijian_month_partition('visit', DATE '2031-03-01')"))
        parts = conn.execute(
            text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
                "(SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) "
                "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class parent ON parent.oid = i.inhparent "
                "WHERE parent.relname IN ('visit', 'patrol_track', 'audit_event')"
            )
        ).all()
        assert len(parts) >= 3 * 5
        has_app = conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE})
        for name, rls, forced, policies in parts:
            assert rls and forced and policies >= 1, name
            if has_app:
                for right in ("SELECT", "INSERT", "UPDATE", "DELETE"):
                    assert not conn.scalar(
                        text("SELECT has_table_privilege(:r, :t, :p)"),
                        {"r": APP_ROLE, "t": name, "p": right},
                    ), (name, right)


def test_rows_land_in_their_month_and_unmade_months_in_the_default(engine: Engine) -> None:
    with within(ALL), engine.begin() as conn:
        assert conn.scalar(
            text("SELECT shuijian_month_partition('audit_event', '2031-05-20')")
        ) == ("created")
        _audit(conn, "2031-05-31 23:59:59+00")
        _audit(conn, "2031-06-01 00:00:00+00")  # June has no partition yet
        _audit(conn, "2001-01-01 08:00:00+08")
        assert _home(conn, "audit_event", "2031-05-31 23:59:59+00") == "audit_event_203105"
        assert _home(conn, "audit_event", "2031-06-01 00:00:00+00") == "audit_event_default"
        assert _home(conn, "audit_event", "2001-01-01 00:00:00+00") == "audit_event_default"
        # June's rows wait in the default partition: June is not made over them
        made = partitions.ensure_ahead(conn, date(2031, 5, 6), ahead=2)
        assert made["audit_event"] == {
            "2031-05": "exists",
            "2031-06": "in_default",
            "2031-07": "created",
        }
        assert made["visit"]["2031-07"] == "created"
        assert partitions.ensure_ahead(conn, date(2031, 5, 6), ahead=2)["visit"]["2031-07"] == (
            "exists"
        )
        # and every row is still read through the parent
        assert conn.scalar(text("SELECT count(*) FROM audit_event WHERE actor = 'cli:test'")) == 3


def test_an_unknown_table_is_refused(engine: Engine) -> None:
    with engine.begin() as conn, pytest.raises(Exception, match="not partitioned by month"):
        conn.execute(text("SELECT shuijian_month_partition('ticket', DATE '2031-01-01')"))


def test_expired_months_are_archived_whole_then_dropped(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with within(ALL), engine.begin() as conn:
        for month in ("2030-01-01", "2030-02-01", "2030-03-01"):
            conn.execute(text("SELECT shuijian_month_partition('audit_event', :m)"), {"m": month})
        _audit(conn, "2030-01-15 10:00:00+00", n=3)
        _audit(conn, "2030-03-15 10:00:00+00", n=2)
    monkeypatch.setenv("SHUIJIAN_KEEP_AUDIT_MONTHS", "12")
    monkeypatch.setenv("SHUIJIAN_ARCHIVE_DIR", str(tmp_path))
    with engine.connect() as conn:
        # On 2031-03-06 twelve months back is March 2030: January and February have expired.
        gone = partitions.expired(conn, date(2031, 3, 6))
    # (with the months the migration made around the server's own date, all earlier)
    assert {p.table for p in gone} == {"audit_event"}
    assert all(p.ends <= date(2030, 3, 1) for p in gone)
    assert [p.name for p in gone if p.month.year == 2030] == [
        "audit_event_203001",
        "audit_event_203002",
    ]

    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    from cli.main import app
    from core import clock

    monkeypatch.setattr(clock, "today", lambda: date(2031, 3, 6))
    dry = CliRunner().invoke(app, ["db", "partitions", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would archive and drop audit_event_203001" in dry.output
    assert not list(tmp_path.iterdir())

    done = CliRunner().invoke(app, ["db", "partitions", "--ahead", "0"])
    assert done.exit_code == 0, done.output
    assert "archived audit_event_203001" in done.output
    manifest = json.loads((tmp_path / "audit_event_203001.json").read_text("utf-8"))
    assert manifest["rows"] == 3 and manifest["month"] == "2030-01"
    with gzip.open(tmp_path / "audit_event_203001.csv.gz", "rt", encoding="utf-8") as handle:
        body = handle.read()
    assert body.startswith("id,at,actor") and body.count("with a newline") == 3
    with within(ALL), engine.connect() as conn:
        assert conn.scalar(text("SELECT to_regclass('audit_event_203001')")) is None
        assert conn.scalar(text("SELECT to_regclass('audit_event_203003')")) is not None
        assert conn.scalar(text("SELECT count(*) FROM audit_event WHERE actor = 'cli:test'")) == 2


def test_a_negative_retention_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.errors import ConfigurationError

    monkeypatch.setenv("SHUIJIAN_KEEP_TRACK_MONTHS", "-1")
    with pytest.raises(ConfigurationError, match="SHUIJIAN_KEEP_TRACK_MONTHS"):
        partitions.retention_months("patrol_track")
