"""The one way to reach the database: URL resolution, engine and session factory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from core import settings
from core.errors import ConfigurationError
from db import scope


def normalise_url(url: str) -> str:
    """Force the psycopg 3 driver; SQLAlchemy would otherwise pick psycopg2."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend != "postgresql":
        raise ConfigurationError(
            f"DATABASE_URL must point at PostgreSQL with PostGIS, not {backend!r}",
            code="database_not_postgresql",
            backend=backend,
        )
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def database_url() -> str:
    """The app role's URL, for everything at run time: DATABASE_URL when set, else the
    project-local cluster's app role (the cluster started if needed)."""
    configured = settings.optional_text("database_url")
    if configured:
        return normalise_url(configured)
    from db import cluster

    return cluster.up().app_url()


def owner_url() -> str:
    """The owner's URL, for migrations and the demo: DATABASE_OWNER_URL when set; else, when
    only DATABASE_URL is set, that same URL (one role for everything: the single-role
    fallback); else the project-local cluster's owner role."""
    configured = settings.optional_text("database_owner_url") or settings.optional_text(
        "database_url"
    )
    if configured:
        return normalise_url(configured)
    from db import cluster

    return cluster.up().owner_url()


def role_of(url: str) -> str:
    """The user a URL connects as (the app role is the user of ``database_url()``)."""
    return str(make_url(url).username or "")


CONNECT_TIMEOUT_S = 5


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    # pre-ping: a connection dropped by a restarted server is replaced, not handed out;
    # a short connect timeout: an unreachable host is an outage message, not a hung page.
    engine = create_engine(
        url or database_url(),
        pool_pre_ping=True,
        future=True,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
    )
    event.listen(engine, "connect", _local_zone)
    scope.install(engine)
    return engine


def _local_zone(dbapi_connection: Any, _record: Any) -> None:
    """Every connection tells the database the county's zone (setting ``timezone``), which
    the ``verified_visit`` view reads to give each visit its local day."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('shuijian.timezone', %s, false)", (settings.text("timezone"),)
        )
    dbapi_connection.commit()


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=engine or get_engine(), expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A transaction: committed when the block ends, rolled back on any error."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
