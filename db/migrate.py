"""Schema migrations with Alembic, configured in code so no alembic.ini is needed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from core.errors import ConfigurationError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


EXTENSIONS = ("postgis", "btree_gist")


def ensure_extensions(engine: Engine) -> None:
    """PostGIS and btree_gist must exist before the schema; say what to install if not.

    Only the missing ones are created: PostGIS is no trusted extension, so a non-superuser
    owner cannot create it, and on a managed server the administrator creates both once."""
    with engine.begin() as conn:
        available = set(conn.scalars(text("SELECT name FROM pg_available_extensions")))
        if "postgis" not in available:
            raise ConfigurationError(
                "the PostgreSQL server has no PostGIS: install postgresql-<major>-postgis-3 "
                "on the database machine",
                code="server_has_no_postgis",
            )
        installed = set(conn.scalars(text("SELECT extname FROM pg_extension")))
    for name in EXTENSIONS:
        if name in installed:
            continue
        try:
            with engine.begin() as conn:
                conn.execute(text(f"CREATE EXTENSION IF NOT EXISTS {name}"))
        except DBAPIError as exc:
            if not _lacks_privilege(exc):
                raise
            raise ConfigurationError(
                f"extension {name} is missing and {engine.url.username} may not create it: "
                f"run CREATE EXTENSION {name}; in the database as the server's administrator",
                code="extension_needs_admin",
                extension=name,
                user=str(engine.url.username),
            ) from None


def _lacks_privilege(exc: DBAPIError) -> bool:
    return isinstance(exc.orig, psycopg.errors.InsufficientPrivilege)


def _as_owner(engine: Engine, step: Callable[[], None]) -> None:
    """Run a schema change; a refusal for lack of rights says to migrate as the owner."""
    try:
        step()
    except DBAPIError as exc:
        if not _lacks_privilege(exc):
            raise
        raise ConfigurationError(
            f"{engine.url.username} may not change the schema ({exc.orig}): run "
            "`shuijian db migrate` as the owner (DATABASE_OWNER_URL)",
            code="schema_needs_owner",
            user=str(engine.url.username),
        ) from None


def upgrade(engine: Engine, revision: str = "head", app_role: str | None = None) -> None:
    """Bring the schema to ``revision`` as ``engine``'s user (the owner), then give
    ``app_role`` its rights on whatever the migrations made (db.roles.grant_app)."""
    ensure_extensions(engine)
    url = engine.url.render_as_string(hide_password=False)
    _as_owner(engine, lambda: command.upgrade(alembic_config(url), revision))
    if app_role:
        from db import roles

        with engine.begin() as conn:
            roles.grant_app(conn, app_role)
            roles.grant_county_roles(conn)


def downgrade(engine: Engine, revision: str = "base") -> None:
    url = engine.url.render_as_string(hide_password=False)
    _as_owner(engine, lambda: command.downgrade(alembic_config(url), revision))


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("postgresql://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        exists = conn.scalar(text("SELECT to_regclass('alembic_version') IS NOT NULL"))
        if not exists:
            return None
        return conn.scalar(text("SELECT version_num FROM alembic_version"))
