"""Least privilege in PostgreSQL: the app role cannot rewrite the append-only history, by any
of the three bypasses a superuser owner had (disable the trigger, replica mode, TRUNCATE), and
it can still do all of the app's work — a missing grant fails here, not in production.

Each test makes its own uniquely named owner and app roles with the server's superuser, hands
the database to the owner as ``shuijian db up`` does (db.roles), lets the owner grant the app
role exactly as after every migration, and drops both roles afterwards.
"""

from __future__ import annotations

import os
import secrets
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from db import migrate, roles
from db.database import session_scope

# Reads today's date (the tickets' and the throttle's clock), but the calendar's edges are the date
# rules' own tests': run again under the first two frozen dates only (tests/clock.py).
pytestmark = pytest.mark.clock_sample


@dataclass(frozen=True)
class Roles:
    owner: str
    app: str
    owner_engine: Engine
    app_engine: Engine


def _as(engine: Engine, user: str, password: str) -> Engine:
    url = make_url(engine.url).set(username=user, password=password)
    return create_engine(url, poolclass=NullPool)


@contextmanager
def two_roles(superuser: Engine, *, hand_over: bool = True) -> Iterator[Roles]:
    """An owner and an app role on ``superuser``'s database, made by db.roles; with
    ``hand_over`` the owner gets the database and its objects and grants the app role."""
    tag = uuid.uuid4().hex[:10]
    owner, app = f"t_owner_{tag}", f"t_app_{tag}"
    owner_pw, app_pw = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    database = superuser.url.database
    with superuser.begin() as conn:
        roles.ensure_roles(conn, owner, owner_pw, app, app_pw)
        conn.execute(text(f'ALTER DATABASE "{database}" OWNER TO {roles.ident(owner)}'))
        if hand_over:
            roles.transfer_ownership(conn, owner)
    made = Roles(owner, app, _as(superuser, owner, owner_pw), _as(superuser, app, app_pw))
    try:
        if hand_over:
            with made.owner_engine.begin() as conn:
                roles.grant_app(conn, app)
        yield made
    finally:
        made.owner_engine.dispose()
        made.app_engine.dispose()
        with superuser.begin() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE usename IN (:o, :a)"
                ),
                {"o": owner, "a": app},
            )
            conn.execute(text(f"REASSIGN OWNED BY {roles.ident(owner)} TO current_user"))
            conn.execute(text(f"DROP OWNED BY {roles.ident(owner)}, {roles.ident(app)}"))
            conn.execute(text(f"DROP ROLE {roles.ident(app)}"))
            conn.execute(text(f"DROP ROLE {roles.ident(owner)}"))


@pytest.fixture
def split(engine: Engine) -> Iterator[Roles]:
    with two_roles(engine) as made:
        yield made


def refused(engine: Engine, sql: str, match: str) -> None:
    with pytest.raises(DBAPIError, match=match), engine.begin() as conn:
        conn.execute(text(sql))


# ------------------------------------------------------------------ what the app role cannot do


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE ticket_event DISABLE TRIGGER ALL",
        "ALTER TABLE ticket_event DISABLE TRIGGER ticket_event_no_change",
        "ALTER TABLE ticket_event DISABLE TRIGGER ticket_event_no_truncate",
    ],
)
def test_the_app_role_cannot_disable_the_triggers(split: Roles, sql: str) -> None:
    refused(split.app_engine, sql, "must be owner")


def test_the_app_role_cannot_enter_replica_mode(split: Roles) -> None:
    """Replica mode skips every ordinary trigger: only a superuser may set it."""
    refused(split.app_engine, "SET session_replication_role = replica", "permission denied")
    refused(
        split.app_engine,
        "SELECT set_config('session_replication_role', 'replica', false)",
        "permission denied",
    )


@pytest.mark.parametrize(
    "sql",
    [
        "TRUNCATE ticket_event CASCADE",
        "TRUNCATE ticket_event",
        "TRUNCATE app_user CASCADE",  # would cascade into the log
        "UPDATE ticket_event SET comment = 'x'",
        "DELETE FROM ticket_event",
        "DELETE FROM ticket",  # would cascade into the log
        "UPDATE patrol_review SET reason = 'x'",
        "DELETE FROM site_class_change",
        "DELETE FROM login_attempt",
        "UPDATE audit_event SET actor = 'x'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
        "DROP TABLE ticket_event",
        "CREATE TABLE mine (i int)",
        "CREATE FUNCTION mine() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "CREATE VIEW mine AS SELECT 1 AS i",
        "ALTER TABLE ticket_event ADD COLUMN x int",
        "ALTER TABLE ticket_event OWNER TO CURRENT_USER",
        "UPDATE alembic_version SET version_num = 'x'",
    ],
)
def test_the_app_role_cannot_rewrite_history_or_the_schema(split: Roles, sql: str) -> None:
    refused(split.app_engine, sql, "permission denied|must be owner")


def test_truncate_is_refused_to_the_owner_too_unless_lifted_for_one_transaction(
    split: Roles,
) -> None:
    for sql in ("TRUNCATE ticket_event CASCADE", "TRUNCATE app_user CASCADE"):
        refused(split.owner_engine, sql, "append-only")
    with Session(split.owner_engine) as s, roles.truncate_guard_lifted(s):
        s.execute(text("TRUNCATE app_user RESTART IDENTITY CASCADE"))
    with split.owner_engine.connect() as conn:
        enabled = conn.execute(
            text("SELECT DISTINCT tgenabled FROM pg_trigger WHERE tgname LIKE '%\\_no\\_truncate'")
        ).all()
    assert enabled == [("O",)]  # the session ended without commit: guards back on
    with (
        pytest.raises(DBAPIError, match="must be owner"),
        Session(split.app_engine) as s,
        roles.truncate_guard_lifted(s),
    ):
        pass


def test_the_app_role_is_no_superuser_owns_nothing_and_has_only_its_grants(split: Roles) -> None:
    app = split.app
    with split.owner_engine.connect() as conn:
        attrs = conn.execute(
            text(
                "SELECT rolsuper, rolcreatedb, rolcreaterole, rolinherit, rolreplication, "
                "rolbypassrls, pg_has_role(:app, :owner, 'MEMBER') FROM pg_roles "
                "WHERE rolname = :app"
            ),
            {"app": app, "owner": split.owner},
        ).one()
        assert tuple(attrs) == (False, False, False, False, False, False, False)
        owned = conn.scalar(
            text(
                "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles "
                "WHERE rolname = :app)"
            ),
            {"app": app},
        )
        assert owned == 0
        assert not conn.scalar(
            text("SELECT has_schema_privilege(:app, 'public', 'CREATE')"), {"app": app}
        )
        tables = list(
            conn.scalars(
                text(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = "
                    "c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') "
                    "AND NOT c.relispartition AND c.relname <> 'spatial_ref_sys'"
                )
            )
        )
        assert set(roles.APPEND_ONLY) | set(roles.NO_DELETE) <= set(tables)
        faults = []
        for table in tables:
            has = {
                p
                for p in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES")
                + ("TRIGGER",)
                if conn.scalar(
                    text("SELECT has_table_privilege(:app, :t, :p)"),
                    {"app": app, "t": f"public.{table}", "p": p},
                )
            }
            if has != set(roles.privileges_for(table)):
                faults.append(f"{table}: {sorted(has)}")
        assert not faults, faults
        # A month's partition would bypass its parent's row-level security: no right at all.
        parts = list(
            conn.scalars(
                text(
                    "SELECT relname FROM pg_class WHERE relispartition "
                    "AND relnamespace = 'public'::regnamespace AND relkind = 'r'"
                )
            )
        )
        assert len(parts) >= 15
        for part in parts:
            assert not conn.scalar(
                text(
                    "SELECT has_table_privilege(:app, :t, 'SELECT') "
                    "OR has_table_privilege(:app, :t, 'INSERT') "
                    "OR has_table_privilege(:app, :t, 'UPDATE') "
                    "OR has_table_privilege(:app, :t, 'DELETE')"
                ),
                {"app": app, "t": f"public.{part}"},
            ), part
        views = conn.scalars(text("SELECT viewname FROM pg_views WHERE schemaname = 'public'"))
        for view in views:
            assert conn.scalar(
                text("SELECT has_table_privilege(:app, :t, 'SELECT')"),
                {"app": app, "t": f"public.{view}"},
            ), view


def test_every_append_only_table_carries_the_truncate_guard(engine: Engine) -> None:
    from importlib import import_module

    # 0012 guarded the append-only tables of its day; each later table's migration adds its own
    guarded = import_module("db.migrations.versions.0012_least_privilege").APPEND_ONLY
    guarded += import_module("db.migrations.versions.0013_audit_log").APPEND_ONLY
    guarded += import_module("db.migrations.versions.0014_grid_heads").APPEND_ONLY
    guarded += import_module("db.migrations.versions.0016_public_reports").APPEND_ONLY
    guarded += import_module("db.migrations.versions.0018_supervision_volunteers").APPEND_ONLY
    guarded += import_module("db.migrations.versions.0022_city_ranking").APPEND_ONLY
    guarded += import_module("db.migrations.versions.0023_month_partitions").APPEND_ONLY
    assert guarded == roles.APPEND_ONLY
    with engine.connect() as conn:
        assert roles.guarded_tables(conn) == sorted(roles.APPEND_ONLY)


def test_migrations_run_as_a_non_superuser_owner(bare_engine: Engine) -> None:
    """From an empty database with the extensions (made by the administrator), the owner
    alone migrates to head and back, and grants the app role after each upgrade."""
    with two_roles(bare_engine, hand_over=False) as made:
        migrate.upgrade(made.owner_engine, app_role=made.app)
        assert migrate.current_revision(made.app_engine) == migrate.head_revision()
        migrate.downgrade(made.owner_engine, "0011")
        migrate.upgrade(made.owner_engine, app_role=made.app)
        refused(made.app_engine, "TRUNCATE ticket_event", "permission denied")
        refused(made.owner_engine, "TRUNCATE ticket_event CASCADE", "append-only")
        with made.owner_engine.connect() as conn:
            superuser_owned = conn.execute(
                text(
                    "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = "
                    "c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'S') "
                    "AND c.relowner <> "
                    "(SELECT oid FROM pg_roles WHERE rolname = current_user) AND NOT EXISTS "
                    "(SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')"
                )
            ).all()
        assert superuser_owned == [], superuser_owned
        # the app role may not migrate: one sentence, not a traceback
        from core.errors import ConfigurationError

        with pytest.raises(ConfigurationError) as raised:
            migrate.downgrade(made.app_engine, "0011")
        assert raised.value.code == "schema_needs_owner"
        migrate.downgrade(made.owner_engine, "base")


def test_a_superuser_made_database_is_handed_to_the_owner(engine: Engine) -> None:
    """An existing checkout's database (every object the superuser's) moves to the owner,
    extension members (spatial_ref_sys) excepted; a second pass moves nothing."""
    with two_roles(engine) as made, engine.begin() as conn:
        assert roles.transfer_ownership(conn, made.owner) == 0
        owners = dict(
            conn.execute(
                text(
                    "SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'S') AND NOT EXISTS "
                    "(SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')"
                )
            ).all()
        )
        assert "spatial_ref_sys" not in owners and {"ticket_event", "ticket_state"} <= set(owners)
        assert {n for n, o in owners.items() if o != made.owner} == set()
        assert (
            conn.scalar(
                text(
                    "SELECT pg_get_userbyid(relowner) FROM pg_class "
                    "WHERE relname = 'spatial_ref_sys'"
                )
            )
            != made.owner
        )  # an extension member stays with the extension
        functions = set(
            conn.scalars(
                text(
                    "SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE proname IN "
                    "('ticket_event_append_only', 'refuse_truncate')"
                )
            )
        )
        assert functions == {made.owner}


# ------------------------------------------------------------------ what the app role must do


def test_the_app_role_does_the_apps_work(demo_copy: Engine) -> None:
    """Upload, review and record a patrol; report a ticket and take it through dispatch,
    feedback, re-inspection and rating; send the outbox; remind; sign in and unlock; change a
    site's class; lock, unlock and reassign (audited); read the due list, coverage,
    evaluation and public archive; call the API; take public reports through moderation."""
    from fastapi.testclient import TestClient

    from accounts.auth import create_user, hash_password, sign_in
    from accounts.throttle import unlock
    from api.app import create_app
    from api.keys import issue_key, set_endpoint
    from archive.public import public_patrols
    from core import clock
    from core.errors import AuthenticationFailed
    from core.photos import jpeg_with_exif
    from core.vocab import checklist_for
    from duty.coverage_map import coverage_map
    from duty.due import due_list
    from duty.reminders import DingTalk, remind
    from duty.site_class import change_site_class
    from reports.evaluation import evaluate_month
    from tests.test_ingest import NOW, deputy, signed_in, track_through
    from tickets.outbox import deliver_due
    from tickets.service import (
        Actor,
        NewProblem,
        Upload,
        get_ticket,
        platform_update,
        rate,
        reinspect,
        report_problem,
        status_of,
    )
    from tracks.ingest import ingest_gpx
    from tracks.records import save_record
    from tracks.review import review_patrol
    from tracks.synth import to_gpx_bytes

    with two_roles(demo_copy) as made:
        app = made.app_engine
        assert migrate.current_revision(app) == migrate.head_revision()  # `db status`

        # patrols: an upload with a visit, its checklist and notes; a flagged one reviewed
        dep, site = deputy(app, "D0001")
        uploader = signed_in(app, "d0001")
        lon, lat, t = track_through(app, site)
        with session_scope(app) as s:
            done = ingest_gpx(
                s, to_gpx_bytes(lon, lat, t), "p.gpx", deputy_id=dep, uploader=uploader, now=NOW
            )
        kind = _scalar(app, "SELECT kind FROM site WHERE id = :s", s=site)
        answers = {site: {item: False for item in checklist_for(kind)}}
        with session_scope(app) as s:
            save_record(s, done.patrol_id, uploader, answers=answers, notes="巡查正常")
        with session_scope(app) as s:  # saving again replaces the answers (an update)
            save_record(s, done.patrol_id, uploader, answers=answers, notes="复核")
        with session_scope(app) as s:
            flagged = ingest_gpx(s, to_gpx_bytes(lon, lat, None), "t.gpx", deputy_id=dep, now=NOW)
        analyst = signed_in(app, "analyst")
        with session_scope(app) as s:
            review_patrol(s, flagged.patrol_id, "reject", "无时间戳", analyst.user_id, "analyst")

        # tickets: report, accept, feedback, re-inspect with a photo, rate, closed
        reporter = Actor("reporter", deputy_id=dep)
        px, py = _scalar_row(
            app,
            "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM site "
            "WHERE id = :s",
            s=site,
        )
        with session_scope(app) as s:
            number = report_problem(
                s,
                NewProblem("dead_fish", "水面大量死鱼", px, py),
                reporter,
                reporter_deputy_id=dep,
                today=clock.today(),
            ).number
            platform = get_ticket(s, number).platform_code
        with session_scope(app) as s:
            platform_update(s, platform, number, "u-1", "accept", comment="已受理")
            platform_update(s, platform, number, "u-2", "feedback", comment="已处理")
        later = clock.now() + timedelta(minutes=5)
        photo = Upload("near.jpg", jpeg_with_exif(px, py, later))
        with session_scope(app) as s:
            ticket = get_ticket(s, number)
            checklist = {k: False for k in checklist_for(kind)}
            reinspect(s, ticket, reporter, resolved=True, checklist=checklist, photos=[photo])
            rate(s, ticket, reporter, "satisfied")
            assert status_of(s, ticket.id) == "closed"

        # the outbox: a platform's endpoint set, its dispatch message delivered (an update)
        with session_scope(app) as s:
            set_endpoint(s, platform, "http://platform.invalid/dispatch")
        ok = httpx.MockTransport(lambda request: httpx.Response(200, json={"errcode": 0}))
        with httpx.Client(transport=ok) as client:
            sent = deliver_due(app, now=clock.now() + timedelta(seconds=1), client=client)
            assert sent.sent >= 1 and sent.failed == 0
            # reminders: the first deputies' overdue sites, logged and claimed
            on = date(2026, 3, 15)
            robot = DingTalk("http://robot.invalid/robot/send?access_token=t", "SECtest")
            with app.connect() as conn:
                ids = list(conn.scalars(text("SELECT id FROM deputy ORDER BY code LIMIT 2")))
            report = remind(
                app,
                on,
                robot,
                client=client,
                now=datetime(2026, 3, 15, 0, 30, tzinfo=UTC),
                deputy_ids=ids,
                sleep=lambda _s: None,
            )
            assert report.failed == 0 and report.sent + report.escalated >= 1

        # accounts: sign in (appended attempts), a failure, an unlock; a new user
        with session_scope(app) as s:
            create_user(s, "roles_test", hash_password("pw-roles-test"), "analyst")
        with session_scope(app) as s:
            sign_in(s, "roles_test", "pw-roles-test", "10.0.0.9")
        with pytest.raises(AuthenticationFailed), session_scope(app) as s:
            sign_in(s, "roles_test", "wrong", "10.0.0.9")
        with session_scope(app) as s:
            unlock(s, "roles_test")

        # a site's class changed (appended history, the site updated)
        code, cls = _scalar_row(app, "SELECT code, site_class FROM site WHERE id = :s", s=site)
        with session_scope(app) as s:
            change_site_class(s, code, 1 if cls != 1 else 2, "reassessed", clock.today())

        # administration, each action appended to the audit log (the endpoint above and the
        # key below too, as the system's): an account locked and unlocked, the site handed on
        from accounts.admin import lock_user, unlock_user
        from duty.assignments import assign_deputy

        boss = signed_in(app, "admin")
        with session_scope(app) as s:
            lock_user(s, boss, "roles_test")
            unlock_user(s, boss, "roles_test")
        start = _scalar(app, "SELECT max(valid_from) FROM assignment WHERE site_id = :s", s=site)
        with session_scope(app) as s:
            assign_deputy(s, boss, code, "D0002", start + timedelta(days=1))
        assert _scalar(app, "SELECT count(*) FROM audit_event WHERE actor = 'user:admin'") == 3

        # the figures the pages and commands read
        today = clock.today()
        with session_scope(app) as s:
            due_list(s, today)
            coverage_map(s, today.year, today.month, 3, with_tracks=True)
            evaluate_month(s, today.year, today.month)
        public_patrols(app, today.replace(day=1), today, None)

        # the register and early warnings: synced, raised once, acknowledged and closed
        from reports.early_warning import acknowledge, close, scan

        with session_scope(app) as s:
            assert scan(s, today, push=False).raised >= 1
            assert scan(s, today, push=False).raised == 0
        assert _scalar(app, "SELECT count(*) FROM site_registration") >= 1
        warning = _scalar(app, "SELECT min(id) FROM early_warning")
        with session_scope(app) as s:
            acknowledge(s, analyst, warning, "收到")
            close(s, analyst, warning, "已处理")

        # the platform API: a key issued, a call logged
        with session_scope(app) as s:
            key = issue_key(s, platform)
        with TestClient(create_app(app)) as api:
            response = api.get(f"/open311/v2/requests/{number}.json", params={"api_key": key})
            assert response.status_code == 200, response.text
        assert _scalar(app, "SELECT count(*) FROM api_call_log") >= 1

        # the open interface (OGC API - Features): a client's key, every collection read
        from archive.clients import issue_client_key, revoke_client
        from archive.features import COLLECTIONS

        with session_scope(app) as s:
            ogc_key = issue_client_key(s, boss, "roles_ogc", "角色测试")
        with TestClient(create_app(app)) as api:
            for c in COLLECTIONS:
                for path in (f"/ogc/collections/{c.id}", f"/ogc/collections/{c.id}/items"):
                    response = api.get(path, headers={"X-API-Key": ogc_key})
                    assert response.status_code == 200, response.text
        with session_scope(app) as s:
            revoke_client(s, boss, "roles_ogc")
        # 有奖举报: codes, a wrong try (counted in its own transaction), reports, moderation
        # into tickets, the reward ledger and its audited export
        from data.demo_public import add_demo_public_reports
        from tests.test_public_reports import Inbox, submit
        from tickets import public_reports

        with pytest.raises(public_reports.PublicReportRefused):
            submit(app, Inbox(), code="000000x")
        assert _scalar(app, "SELECT max(attempts) FROM phone_code") == 1
        assert add_demo_public_reports(app, 1).accepted == 2
        with session_scope(app) as s:
            public_reports.export_ledger(s, boss, "csv", {})


def _scalar(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as conn:
        return conn.scalar(text(sql), params)


def _scalar_row(engine: Engine, sql: str, **params: object) -> tuple:
    with engine.connect() as conn:
        return tuple(conn.execute(text(sql), params).one())


# ------------------------------------------------------------------ the project-local cluster


@pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")), reason="the suite runs on another server"
)
def test_the_local_cluster_has_the_admin_the_owner_and_the_app_role() -> None:
    """``up()`` (run by the suite before this test) made both roles with their attributes,
    gave the database to the owner, and the app URL is the app role's."""
    from db import cluster
    from db.database import database_url, owner_url

    info = cluster.up()
    admin = create_engine(info.url(), poolclass=NullPool)
    try:
        with admin.connect() as conn:
            rows = {
                r[0]: tuple(r[1:])
                for r in conn.execute(
                    text(
                        "SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolinherit, "
                        "rolcanlogin FROM pg_roles WHERE rolname IN (:o, :a)"
                    ),
                    {"o": roles.OWNER_ROLE, "a": roles.APP_ROLE},
                )
            }
            assert rows == {
                roles.OWNER_ROLE: (False, False, False, True, True),
                roles.APP_ROLE: (False, False, False, False, True),
            }
            assert not conn.scalar(
                text("SELECT pg_has_role(:a, :o, 'MEMBER')"),
                {"a": roles.APP_ROLE, "o": roles.OWNER_ROLE},
            )
            assert (
                conn.scalar(
                    text("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = :d"),
                    {"d": cluster.DB_NAME},
                )
                == roles.OWNER_ROLE
            )
    finally:
        admin.dispose()
    if not os.environ.get("DATABASE_URL"):
        assert make_url(database_url()).username == roles.APP_ROLE
        assert make_url(owner_url()).username == roles.OWNER_ROLE
    for url in (info.owner_url(), info.app_url()):
        probe = create_engine(url, poolclass=NullPool)
        try:
            with probe.connect() as conn:
                assert conn.scalar(
                    text("SELECT NOT rolsuper FROM pg_roles WHERE rolname = current_user")
                )
        finally:
            probe.dispose()


def test_an_old_cluster_json_gets_the_two_roles_passwords_in_place(tmp_path) -> None:
    """A checkout's cluster.json from before the roles (port and the administrator's password
    only) is completed, kept private, and read back the same by every later process."""
    import json

    from db import cluster

    (tmp_path / "cluster.json").write_text(json.dumps({"port": 5999, "password": "admin-pw"}))
    first = cluster.load_info(tmp_path)
    assert first is not None and first.password == "admin-pw" and first.port == 5999
    assert first.owner_password and first.app_password
    assert first.owner_password != first.app_password
    assert (tmp_path / "cluster.json").stat().st_mode & 0o777 == 0o600
    again = cluster.load_info(tmp_path)
    assert (again.owner_password, again.app_password) == (first.owner_password, first.app_password)
    assert make_url(first.app_url()).username == roles.APP_ROLE
    assert make_url(first.owner_url()).username == roles.OWNER_ROLE
    assert make_url(first.url()).username == cluster.DB_USER


@pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")), reason="the suite runs on another server"
)
def test_two_processes_bring_up_one_new_cluster_together() -> None:
    """The test workers (pytest-xdist) of a fresh clone each call ``up()`` at once: one makes
    the cluster, the other waits for it (seen before the lock: initdb twice on one directory,
    "pg_wal: File exists", and every test of the run an error)."""
    import subprocess
    import sys
    import tempfile

    home = Path(tempfile.mkdtemp(prefix="shuijian-up-"))
    home.chmod(0o755)  # as root, initdb runs as postgres, who must reach it
    env = {**os.environ, "SHUIJIAN_HOME": str(home)}
    env.pop("DATABASE_URL", None)
    script = "from db import cluster; print(cluster.up().port)"
    root = str(Path(__file__).resolve().parent.parent)
    try:
        started = [
            subprocess.Popen(
                [sys.executable, "-c", script],
                cwd=root,
                env=env,
                text=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(2)
        ]
        results = [(p.wait(timeout=180), *p.communicate()) for p in started]
        assert [code for code, _, _ in results] == [0, 0], results
        assert len({out.strip() for _, out, _ in results}) == 1  # one cluster, one port
    finally:
        subprocess.run(
            [sys.executable, "-c", "from db import cluster; cluster.down()"],
            cwd=root,
            env=env,
            capture_output=True,
            timeout=120,
        )
        shutil.rmtree(home, ignore_errors=True)
