"""Schema migrations with Alembic, configured in code so no alembic.ini is needed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from core.errors import ConfigurationError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def ensure_extensions(engine: Engine) -> None:
    """PostGIS and btree_gist must exist before the schema; say what to install if not."""
    with engine.begin() as conn:
        available = set(conn.scalars(text("SELECT name FROM pg_available_extensions")))
        if "postgis" not in available:
            raise ConfigurationError(
                "the PostgreSQL server has no PostGIS: install postgresql-<major>-postgis-3 "
                "on the database machine",
                code="server_has_no_postgis",
            )
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist"))


def upgrade(engine: Engine, revision: str = "head") -> None:
    ensure_extensions(engine)
    url = engine.url.render_as_string(hide_password=False)
    command.upgrade(alembic_config(url), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    url = engine.url.render_as_string(hide_password=False)
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("postgresql://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        exists = conn.scalar(text("SELECT to_regclass('alembic_version') IS NOT NULL"))
        if not exists:
            return None
        return conn.scalar(text("SELECT version_num FROM alembic_version"))
