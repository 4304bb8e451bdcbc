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
    "township_office",
    "site_class_change",
    "login_attempt",
    "privacy_zone",
    "sign_in_session",
    "audit_event",
    "grid_head",
    "grid_head_reminder",
    "ogc_client",
    "site_registration",
    "early_warning",
    "phone_code",
    "public_report",
    "reward_entry",
    "supervision_group",
    "supervision_member",
    "supervision_assignment",
    "supervision_visit",
    "supervision_finding",
    "volunteer_team",
    "volunteer_member",
    "volunteer_patrol",
    "volunteer_visit",
    "water_section",
    "water_sample",
}


def test_upgrade_downgrade_upgrade(bare_engine: Engine) -> None:
    assert migrate.current_revision(bare_engine) is None
    migrate.upgrade(bare_engine, "0001")
    assert migrate.current_revision(bare_engine) == "0001"
    migrate.upgrade(bare_engine)
    assert migrate.current_revision(bare_engine) == migrate.head_revision() == "0027"
    assert set(inspect(bare_engine).get_table_names()) >= DOMAIN_TABLES
    migrate.downgrade(bare_engine, "base")
    assert not DOMAIN_TABLES & set(inspect(bare_engine).get_table_names())
    migrate.upgrade(bare_engine, "0001")
    assert migrate.current_revision(bare_engine) == "0001"
    migrate.upgrade(bare_engine)
    assert migrate.current_revision(bare_engine) == migrate.head_revision()


def test_spatial_indexes_exist_once(engine: Engine) -> None:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                # a partitioned table's index is listed once, on the table, not per month
                "SELECT tablename, indexdef FROM pg_indexes i "
                "JOIN pg_class c ON c.oid = to_regclass('public.' || i.tablename) "
                "WHERE indexdef ILIKE '%USING gist%' AND schemaname = 'public' "
                "AND NOT c.relispartition"
            )
        ).all()
    tables = sorted(t for t, _ in rows if "daterange" not in _)
    assert tables == [
        "county",
        "deputy",
        "grid_cell",
        "patrol_track",
        "site",
        "supervision_visit",
        "ticket",
        "township",
        "volunteer_patrol",
        "water_section",
    ]


def _site(conn, code: str, kind: str, wkt: str) -> None:
    # Every site is a county's (0020); the database's one county is the default.
    conn.execute(
        text(
            "INSERT INTO county (code, name, geom) SELECT '330000', '县', "
            "ST_Multi(ST_MakeEnvelope(117, 28, 119, 30, 4326)) "
            "WHERE NOT EXISTS (SELECT 1 FROM county)"
        )
    )
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


def test_0005_keeps_old_reminders_as_steps_and_each_step_once(bare_engine: Engine) -> None:
    """Rows of the one-reminder-per-deadline schema become due_soon / overdue round 0 by the
    day they were sent; the new key refuses a step twice; downgrading keeps one per pair."""
    migrate.upgrade(bare_engine, "0004")
    poly = "POLYGON((118 29, 118.01 29, 118.01 29.01, 118 29))"
    with bare_engine.begin() as conn:
        _site(conn, "P1", "pond", poly)
        _site(conn, "P2", "pond", poly)
        conn.execute(text("INSERT INTO deputy (code, name, level) VALUES ('D1', '甲', 'county')"))
        for site, on in (("P1", date(2026, 3, 8)), ("P2", date(2026, 3, 12))):
            conn.execute(
                text(
                    "WITH l AS (INSERT INTO reminder_log (deputy_id, channel, on_date, ok, "
                    "status) SELECT id, 'dingtalk', :on, true, 'sent' FROM deputy RETURNING "
                    "id, deputy_id) INSERT INTO reminder_item (site_id, deadline, channel, "
                    "deputy_id, first_sent_at, log_id) SELECT s.id, :deadline, 'dingtalk', "
                    "l.deputy_id, now(), l.id FROM l, site s WHERE s.code = :site"
                ),
                {"on": on, "deadline": date(2026, 3, 10), "site": site},
            )
    migrate.upgrade(bare_engine)
    with bare_engine.connect() as conn:
        steps = conn.execute(
            text(
                "SELECT s.code, i.step, i.round FROM reminder_item i JOIN site s "
                "ON s.id = i.site_id ORDER BY s.code"
            )
        ).all()
    assert [tuple(r) for r in steps] == [("P1", "due_soon", 0), ("P2", "overdue", 0)]
    copy_step = (
        "INSERT INTO reminder_item (site_id, deadline, channel, step, round, deputy_id, "
        "first_sent_at, log_id) SELECT site_id, deadline, channel, :step, :round, deputy_id, "
        "now(), log_id FROM reminder_item WHERE step = 'overdue' AND round = 0"
    )
    with pytest.raises(IntegrityError, match="reminder_item_pkey"), bare_engine.begin() as conn:
        conn.execute(text(copy_step), {"step": "overdue", "round": 0})
    with pytest.raises(IntegrityError, match="round_of_overdue"), bare_engine.begin() as conn:
        conn.execute(text(copy_step), {"step": "escalation", "round": 1})
    with bare_engine.begin() as conn:
        conn.execute(text(copy_step), {"step": "overdue", "round": 1})
        conn.execute(text(copy_step), {"step": "escalation", "round": 0})
        conn.execute(
            text(
                "INSERT INTO reminder_log (recipient, channel, on_date, ok, status, detail) "
                "VALUES ('office', 'dingtalk', '2026-03-20', false, 'undeliverable', 'none')"
            )
        )
    with pytest.raises(IntegrityError, match="deputy_iff_deputy"), bare_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO reminder_log (recipient, channel, on_date, ok, status) "
                "VALUES ('deputy', 'dingtalk', '2026-03-20', false, 'failed')"
            )
        )
    migrate.downgrade(bare_engine, "0004")
    with bare_engine.connect() as conn:
        kept = conn.execute(
            text("SELECT s.code FROM reminder_item i JOIN site s ON s.id = i.site_id ORDER BY 1")
        ).all()
        logs = conn.scalar(text("SELECT count(*) FROM reminder_log"))
    assert [r[0] for r in kept] == ["P1", "P2"] and logs == 2
