"""Least privilege in PostgreSQL: who may do what to the app's tables, in one place.

Three roles. An *administrator* (the local cluster's initdb superuser, a managed server's
admin) creates the roles, the database and the extensions, and nothing else. The *owner* owns
the database, its schema and every table; it runs the migrations. The *app* role is what the
running app connects as (pages, API, sender, reminders, ingestion): not a superuser, not the
owner, no DDL, and on the append-only tables only SELECT and INSERT, so it can neither rewrite
history nor turn off the triggers that guard it (``ALTER TABLE … DISABLE TRIGGER`` needs the
owner, ``session_replication_role`` a superuser, ``TRUNCATE`` its own grant).

``grant_app`` is applied by the owner after every migration (idempotent), so a table a later
migration adds gets its rights without anyone remembering to.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from core.errors import ConfigurationError

OWNER_ROLE = "shuijian_owner"
APP_ROLE = "shuijian_app"

# History and evidence: written once, never changed. The app gets SELECT and INSERT only, and
# migration 0012 (0013 for audit_event, 0014 for grid_head_reminder, 0016 for reward_entry,
# 0018 for supervision and volunteer records, 0022 for the city's published rankings, 0023 for
# patrol_track) puts a
# statement-level trigger on each that refuses TRUNCATE (even the owner's). Checked against
# the code: nothing updates or deletes these rows.
APPEND_ONLY: tuple[str, ...] = (
    "ticket_event",  # the ticket lifecycle (also a row trigger since 0003)
    "ticket_attachment",  # photos and proofs attached to events
    "platform_update",  # a platform's pushes, once per update id
    "api_call_log",  # every call to the platform API
    "gpx_upload",  # the original GPX files
    "patrol_flag",  # plausibility flags found at upload
    "patrol_review",  # analysts' decisions; the latest counts
    "visit",  # visits proven by a track
    "site_class_change",  # a site's class history
    "login_attempt",  # every sign-in attempt and unlock
    "reminder_item",  # each reminder step sent (its key is the claim)
    "privacy_zone",  # a deputy's home zone, drawn once: a redraw would let months be averaged
    "privacy_place",  # zones around recurring start/end places, likewise drawn once
    "audit_event",  # administrative actions: who did what to which account, site, platform
    "grid_head_reminder",  # each dead corner told to its grid head, once per round (the claim)
    "reward_entry",  # 有奖举报: the reward ledger, one entry per accepted public report
    "supervision_visit",  # a supervision group's inspection visits (check-in or track)
    "supervision_finding",  # what those visits found
    "volunteer_visit",  # visits proven by a volunteer's track
    "city_ranking_publication",  # 一月一通报: a month's ranking as published (0022)
    "city_ranking",  # its lines, one per county, frozen: what the public reads
    "patrol_track",  # a patrol's points (0023; a month archived and dropped whole, if ever)
)

# The records the history hangs on: updated, never deleted by the app. Deleting one would
# cascade into (or null out) the history above, so the app gets no DELETE on them.
NO_DELETE: tuple[str, ...] = (
    "county",
    "township",
    "grid_cell",
    "site",
    "deputy",
    "assignment",
    "app_user",
    "patrol",
    "ticket",
    "platform",
    "problem_category",
    "grid_head",  # a cell's heads with their periods: closed, never deleted
    "ogc_client",  # a revoked client keeps its row: the call log still names it
    "site_registration",  # the problem register's periods (挂号销号): closed, never deleted
    "early_warning",  # warnings raised once, acknowledged and closed with a note
    "public_report",  # 有奖举报: moderated in place, never erased (the ledger points at it)
    "supervision_group",
    "supervision_member",  # closed (valid_to), never deleted: who led a past visit
    "supervision_assignment",  # a group's townships over time
    "volunteer_team",
    "volunteer_member",
    "volunteer_patrol",  # a volunteer's track: evidence, like patrol
    "water_section",  # 交接断面: the sections the samples and the 约谈 list hang on
    "water_sample",  # a month's result: replaced only on request, the old values audited
)

# Read by the app (``shuijian db status``, the head check), written by migrations only.
# county_db_role pins a county's login role to its county: a role that could delete its own
# row would no longer be pinned (0020), so it is written by the owner alone.
# counted_visit is a summary its owner's triggers keep (0027): the app reads it, never writes.
READ_ONLY: tuple[str, ...] = ("alembic_version", "county_db_role", "counted_visit")

# Every other table (the outbox, checklist answers, reminder log, counters, and tables later
# migrations add) gets SELECT, INSERT, UPDATE and DELETE.
ORDINARY = ("SELECT", "INSERT", "UPDATE", "DELETE")

_ME = "(SELECT oid FROM pg_roles WHERE rolname = current_user)"


def ident(name: str) -> str:
    """A role, table or database name for SQL text, double-quoted as PostgreSQL quotes it
    (statements like GRANT and CREATE ROLE take no parameters); exact case, as a login
    name in a URL is."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A string literal for statements that take no parameters (CREATE ROLE … PASSWORD)."""
    return "'" + value.replace("'", "''") + "'"


def privileges_for(table: str) -> tuple[str, ...]:
    """What the app may do to one table."""
    if table in READ_ONLY:
        return ("SELECT",)
    if table in APPEND_ONLY:
        return ("SELECT", "INSERT")
    if table in NO_DELETE:
        return ("SELECT", "INSERT", "UPDATE")
    return ORDINARY


def ensure_roles(
    conn: Connection, owner: str, owner_password: str, app: str, app_password: str
) -> None:
    """Create (or bring back in line) the owner and app login roles, as an administrator.

    Neither is a superuser or may create databases or roles; the app role does not inherit
    and is no member of the owner, so it never acts with the owner's rights. Serialised by an
    advisory lock: several processes may start the local cluster at once."""
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('shuijian roles'))"))
    common = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
    for role, password, extra in (
        (owner, owner_password, "INHERIT"),
        (app, app_password, "NOINHERIT"),
    ):
        exists = conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
        verb = "ALTER" if exists else "CREATE"
        conn.execute(
            text(f"{verb} ROLE {ident(role)} {common} {extra} PASSWORD {literal(password)}")
        )
    member = conn.scalar(
        text("SELECT pg_has_role(:app, :owner, 'MEMBER')"), {"app": app, "owner": owner}
    )
    if member:
        conn.execute(text(f"REVOKE {ident(owner)} FROM {ident(app)}"))


def transfer_ownership(conn: Connection, owner: str) -> int:
    """Hand every object of schema ``public`` that the connected role owns to ``owner``
    (an existing database, migrated when one superuser did everything). Extension members
    (PostGIS's spatial_ref_sys, its functions) stay with the extension's owner; a sequence
    that belongs to a table moves with its table. Returns how many objects moved."""
    me = conn.scalar(text("SELECT current_user"))
    if me == owner:
        return 0
    not_extension = (
        "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '{cat}'::regclass "
        "AND d.objid = {oid} AND d.deptype = 'e')"
    )
    relations = conn.execute(
        text(
            "SELECT c.relname, c.relkind FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            f"WHERE n.nspname = 'public' AND c.relowner = {_ME} "
            "AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') "
            "AND "
            + not_extension.format(cat="pg_class", oid="c.oid")
            + " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass"
            " AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass"
            " AND d.deptype IN ('a', 'i') AND c.relkind = 'S')"
            " ORDER BY c.relkind = 'S', c.relname"
        )
    ).all()
    kinds = {"v": "VIEW", "m": "MATERIALIZED VIEW", "f": "FOREIGN TABLE", "S": "SEQUENCE"}
    moved = 0
    for name, kind in relations:
        conn.execute(
            text(f"ALTER {kinds.get(kind, 'TABLE')} public.{ident(name)} OWNER TO {ident(owner)}")
        )
        moved += 1
    routines = conn.scalars(
        text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            f"WHERE n.nspname = 'public' AND p.proowner = {_ME} AND "
            + not_extension.format(cat="pg_proc", oid="p.oid")
        )
    ).all()
    for signature in routines:
        # regprocedure text is already a quoted, schema-qualified signature when needed
        conn.execute(text(f"ALTER ROUTINE {signature} OWNER TO {ident(owner)}"))
        moved += 1
    return moved


def grant_app(conn: Connection, app: str) -> None:
    """Give the app role exactly its rights on every table, view and sequence of schema
    public that the connected role owns (run by the owner after each migration). Rights are
    revoked first, so a table that becomes append-only loses UPDATE. Nothing is granted when
    the app and the connected role are one (the single-role fallback) or the app role is a
    superuser (rights would mean nothing)."""
    me = conn.scalar(text("SELECT current_user"))
    superuser = conn.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = :r"), {"r": app})
    if superuser is None:
        raise ConfigurationError(
            f"the app role {app!r} does not exist on the database server",
            code="app_role_missing",
            role=app,
        )
    if app == me or superuser:
        return
    # two commands starting at once would otherwise collide ("tuple concurrently updated")
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('shuijian grants'))"))
    role = ident(app)
    # No one but the owner creates objects here (PostgreSQL 15 already says so; older servers
    # grant CREATE on public to everyone). A non-owner's REVOKE only warns.
    conn.execute(text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
    conn.execute(text(f"REVOKE CREATE ON SCHEMA public FROM {role}"))
    conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
    owned = conn.execute(
        text(
            "SELECT c.relname, c.relkind FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND pg_has_role(c.relowner, 'USAGE') "
            "AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND NOT c.relispartition "
            "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
            "AND d.objid = c.oid AND d.deptype = 'e') ORDER BY c.relname"
        )
    ).all()
    for name, kind in owned:
        target = f"public.{ident(name)}"
        if kind == "S":
            conn.execute(text(f"REVOKE ALL ON SEQUENCE {target} FROM {role}"))
            conn.execute(text(f"GRANT USAGE, SELECT ON SEQUENCE {target} TO {role}"))
            continue
        granted = ("SELECT",) if kind in ("v", "m") else privileges_for(name)
        conn.execute(text(f"REVOKE ALL ON TABLE {target} FROM {role}"))
        conn.execute(text(f"GRANT {', '.join(granted)} ON TABLE {target} TO {role}"))


def guarded_tables(conn: Connection) -> list[str]:
    """The tables that carry the TRUNCATE guard of migrations 0012 and 0013."""
    return list(
        conn.scalars(
            text(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = c.relname || '_no_truncate' ORDER BY c.relname"
            )
        )
    )


@contextmanager
def truncate_guard_lifted(session: Session) -> Iterator[None]:
    """Turn the TRUNCATE guards off for one deliberate wipe (``shuijian demo --reset``), in
    the session's transaction: only the owner may (``ALTER TABLE … DISABLE TRIGGER``), and a
    failure rolls the switch back with everything else."""
    conn = session.connection()
    tables = guarded_tables(conn)
    for table in tables:
        conn.execute(
            text(f"ALTER TABLE {ident(table)} DISABLE TRIGGER {ident(table + '_no_truncate')}")
        )
    yield
    for table in tables:
        conn.execute(
            text(f"ALTER TABLE {ident(table)} ENABLE TRIGGER {ident(table + '_no_truncate')}")
        )


def county_role_name(county_code: str) -> str:
    """The login role of one county's own deployment (``shuijian db county-role``)."""
    if not county_code.isalnum():
        raise ConfigurationError(
            f"a county code is letters and digits, not {county_code!r}",
            code="county_code_invalid",
            code_given=county_code,
        )
    return f"shuijian_county_{county_code.lower()}"


def ensure_county_role(conn: Connection, role: str, password: str) -> None:
    """Create (or bring back in line) a county's login role, as an administrator: like the
    app role, no superuser, no BYPASSRLS, member of nothing."""
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('shuijian roles'))"))
    exists = conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
    verb = "ALTER" if exists else "CREATE"
    conn.execute(
        text(
            f"{verb} ROLE {ident(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
            f"NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD {literal(password)}"
        )
    )


def pin_county_role(conn: Connection, role: str, county_id: int) -> None:
    """As the owner: pin ``role`` to one county (row-level security then ignores the scope
    setting for it, migration 0020) and give it the app role's rights."""
    conn.execute(
        text(
            "INSERT INTO county_db_role (role_name, county_id) VALUES (:r, :c) "
            "ON CONFLICT (role_name) DO UPDATE SET county_id = excluded.county_id"
        ),
        {"r": role, "c": county_id},
    )
    grant_app(conn, role)


def grant_county_roles(conn: Connection) -> int:
    """Give every pinned county role the app role's rights again (after a migration added
    tables). Returns how many roles were granted."""
    if not conn.scalar(text("SELECT to_regclass('county_db_role') IS NOT NULL")):
        return 0
    names = list(conn.scalars(text("SELECT role_name FROM county_db_role ORDER BY role_name")))
    for name in names:
        grant_app(conn, name)
    return len(names)
