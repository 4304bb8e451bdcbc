"""Migrations up and down on a real PostGIS, and the constraints they create."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from db import migrate

DOMAIN_TABLES = {
    "county",
    "township",
    "grid_cell",
    "site",
    "deputy",
    "assignment",
    "app_user",
    "meta",
    "gpx_upload",
    "patrol",
    "patrol_feature",
    "patrol_flag",
    "patrol_review",
    "visit",
    "checklist_answer",
    "patrol_photo",
    "platform",
    "problem_category",
    "ticket_counter",
    "ticket",
    "ticket_event",
    "ticket_attachment",
    "ticket_follower",
    "outbox",
    "platform_update",
    "api_call_log",
    "reminder_log",
    "reminder_item",
}


def test_upgrade_downgrade_upgrade(bare_engine: Engine) -> None:
    assert migrate.current_revision(bare_engine) is None
    migrate.upgrade(bare_engine, "0001")
    assert migrate.current_revision(bare_engine) == "0001"
    migrate.upgrade(bare_engine)
    assert migrate.current_revision(bare_engine) == migrate.head_revision() == "0004"
    assert set(inspect(bare_engine).get_table_names()) >= DOMAIN_TABLES
    migrate.downgrade(bare_engine, "base")
    assert not DOMAIN_TABLES & set(inspect(bare_engine).get_table_names())
    migrate.upgrade(bare_engine, "0001")
    assert migrate.current_revision(bare_engine) == "0001"
    migrate.upgrade(bare_engine)
    assert migrate.current_revision(bare_engine) == "0004"


def test_spatial_indexes_exist_once(engine: Engine) -> None:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT tablename, indexdef FROM pg_indexes WHERE indexdef ILIKE '%USING gist%' "
                "AND schemaname = 'public'"
            )
        ).all()
    tables = sorted(t for t, _ in rows if "daterange" not in _)
    assert tables == ["county", "deputy", "grid_cell", "patrol", "site", "ticket", "township"]


def _site(conn, code: str, kind: str, wkt: str) -> None:
    conn.execute(
        text(
            "INSERT INTO site (code, name, kind, site_class, geom) "
            "VALUES (:c, :c, :k, 1, ST_GeomFromText(:w, 4326))"
        ),
        {"c": code, "k": kind, "w": wkt},
    )


def test_constraints_refuse_bad_rows(engine: Engine) -> None:
    poly = "POLYGON((118 29, 118.01 29, 118.01 29.01, 118 29))"
    with engine.begin() as conn:
        _site(conn, "P", "pond", poly)
        conn.execute(
            text(
                "INSERT INTO deputy (code, name, level) VALUES ('D1', '甲', 'county'), "
                "('D2', '乙', 'city')"
            )
        )
    bad_rows = [
        lambda c: _site(c, "F", "livestock_farm", poly),  # a farm must be a point
        lambda c: _site(c, "X", "lake", poly),  # unknown kind
        lambda c: c.execute(
            text(
                "INSERT INTO grid_cell (code, level, geom) VALUES ('M', 2, "
                "ST_Multi(ST_GeomFromText(:w, 4326)))"
            ),
            {"w": poly},
        ),
        lambda c: c.execute(
            text("INSERT INTO app_user (username, password_hash, role) VALUES ('d', 'x', 'deputy')")
        ),  # a deputy user needs a deputy
    ]
    for insert in bad_rows:
        with pytest.raises(IntegrityError), engine.begin() as conn:
            insert(conn)


def test_one_deputy_per_site_per_day_and_history_kept(engine: Engine) -> None:
    poly = "POLYGON((118 29, 118.01 29, 118.01 29.01, 118 29))"
    with engine.begin() as conn:
        _site(conn, "P", "pond", poly)
        conn.execute(
            text(
                "INSERT INTO deputy (code, name, level) VALUES ('D1', '甲', 'county'), "
                "('D2', '乙', 'city')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO assignment (deputy_id, site_id, valid_from, valid_to) "
                "SELECT d.id, s.id, :f, :t FROM deputy d, site s WHERE d.code = 'D1'"
            ),
            {"f": date(2026, 1, 1), "t": date(2026, 6, 1)},
        )
        # the handover: a new row from the day the old one ended
        conn.execute(
            text(
                "INSERT INTO assignment (deputy_id, site_id, valid_from) "
                "SELECT d.id, s.id, :f FROM deputy d, site s WHERE d.code = 'D2'"
            ),
            {"f": date(2026, 6, 1)},
        )
    with (
        pytest.raises(IntegrityError, match="assignment_one_deputy_per_day"),
        engine.begin() as conn,
    ):
        conn.execute(
            text(
                "INSERT INTO assignment (deputy_id, site_id, valid_from) "
                "SELECT d.id, s.id, :f FROM deputy d, site s WHERE d.code = 'D1'"
            ),
            {"f": date(2026, 3, 1)},
        )
