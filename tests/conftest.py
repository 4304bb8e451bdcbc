"""Real PostGIS for every database test.

One server per session (TEST_DATABASE_URL, else the project-local cluster), a template database
migrated to head, and a fresh database cloned from it per test (~0.1 s), dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
# Invented holidays for 2027–2028 (a test fixture, not official data): the suite runs as if
# today were in those years, which chinesecalendar does not know yet.
TEST_HOLIDAYS = ROOT / "tests" / "data" / "holidays-test.toml"
SHARED_DATA = ROOT.parent / "shared" / "data"
# Named per test process, so two test runs on one server (two developers, CI) never collide.
_RUN = f"{os.getpid()}"
TEMPLATE = f"shuijian_test_template_{_RUN}"
POSTGIS_ONLY = f"shuijian_test_postgis_{_RUN}"
DEMO_DB = f"shuijian_test_demo_{_RUN}"


def pytest_configure(config: pytest.Config) -> None:
    """Move the clock before anything is collected when SHUIJIAN_TEST_DATE is set."""
    from tests.clock import start_travel

    start_travel()
    # Set for the whole run (Streamlit servers the browser tests start inherit it), and on
    # purpose over any value of the developer's shell: the tests' calendar is this fixture.
    os.environ["SHUIJIAN_HOLIDAYS"] = str(TEST_HOLIDAYS)
    # Errors the tests provoke on purpose are logged beside the run, not in the checkout.
    if not os.environ.get("SHUIJIAN_LOG_DIR"):
        import tempfile

        os.environ["SHUIJIAN_LOG_DIR"] = tempfile.mkdtemp(prefix="shuijian-test-logs-")


def pytest_report_header(config: pytest.Config) -> str:
    from core import clock

    return f"shuijian clock: {clock.local_now().isoformat(timespec='minutes')}"


def _server_url() -> str:
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        from db.database import normalise_url

        return normalise_url(configured)
    from db import cluster

    return cluster.up().url()


def _url_for(base: str, database: str) -> str:
    return make_url(base).set(database=database).render_as_string(hide_password=False)


def _admin(base: str) -> psycopg.Connection:
    url = make_url(base).set(drivername="postgresql", database="postgres")
    return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)


def _recreate(conn: psycopg.Connection, name: str, template: str | None = None) -> None:
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    suffix = f' TEMPLATE "{template}"' if template else ""
    conn.execute(f'CREATE DATABASE "{name}"{suffix}')


@pytest.fixture(scope="session")
def server_url() -> str:
    return _server_url()


@pytest.fixture(scope="session")
def template_db(server_url: str) -> Iterator[str]:
    """PostGIS-only and migrated-to-head templates, rebuilt once per test session."""
    from db import migrate

    with _admin(server_url) as conn:
        _recreate(conn, POSTGIS_ONLY)
    engine = create_engine(_url_for(server_url, POSTGIS_ONLY))
    migrate.ensure_extensions(engine)
    engine.dispose()
    with _admin(server_url) as conn:
        _recreate(conn, TEMPLATE, POSTGIS_ONLY)
    engine = create_engine(_url_for(server_url, TEMPLATE))
    migrate.upgrade(engine)
    engine.dispose()
    yield TEMPLATE
    with _admin(server_url) as conn:
        for name in (DEMO_DB, TEMPLATE, POSTGIS_ONLY):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _fresh(server_url: str, template: str) -> Iterator[Engine]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    with _admin(server_url) as conn:
        _recreate(conn, name, template)
    engine = create_engine(_url_for(server_url, name))
    try:
        yield engine
    finally:
        engine.dispose()
        with _admin(server_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def engine(server_url: str, template_db: str) -> Iterator[Engine]:
    """An empty database at the current schema, for this test only."""
    yield from _fresh(server_url, template_db)


@pytest.fixture
def bare_engine(server_url: str, template_db: str) -> Iterator[Engine]:
    """A database with PostGIS but no schema, for migration tests."""
    yield from _fresh(server_url, POSTGIS_ONLY)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as s:
        yield s


@pytest.fixture(scope="session")
def demo_url(server_url: str, template_db: str) -> str:
    """A database holding the default demo county, built once per session; treat as read-only."""
    from data.demo import generate_demo
    from data.loader import load_demo

    with _admin(server_url) as conn:
        _recreate(conn, DEMO_DB, template_db)
    url = _url_for(server_url, DEMO_DB)
    engine = create_engine(url)
    with Session(engine) as s:
        load_demo(s, generate_demo(), "demo seed 2026")
        s.commit()
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def demo_engine(demo_url: str) -> Iterator[Engine]:
    # NullPool: no idle connection may linger, or the demo database could not be cloned.
    engine = create_engine(demo_url, poolclass=NullPool)
    yield engine
    engine.dispose()


@pytest.fixture
def demo_copy(server_url: str, demo_url: str) -> Iterator[Engine]:
    """A writable copy of the demo database for this test only."""
    with _admin(server_url) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (DEMO_DB,),
        )
    yield from _fresh(server_url, DEMO_DB)


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent (a user's clone has none)")
    return SHARED_DATA


@pytest.fixture
def server(demo_copy: Engine) -> Iterator[str]:
    """A Streamlit server on a writable copy of the demo database (browser tests; a module
    may define its own ``server`` that prepares the copy first)."""
    from tests.browser import require_chromium, streamlit_server

    require_chromium()
    with streamlit_server(demo_copy.url.render_as_string(hide_password=False)) as url:
        yield url


@pytest.fixture(autouse=True)
def _no_engine_left_behind() -> Iterator[None]:
    """The command line's engine is cached by URL (``db.database.get_engine``); one a test
    left would name a database dropped since, and the next test's command would call the
    database unavailable (seen: the city ranking's command after a township test's)."""
    yield
    from db.database import get_engine

    get_engine.cache_clear()
