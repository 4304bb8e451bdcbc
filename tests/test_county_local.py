"""Every county page names its county in SQL ([8/8] item 5: the road to Citus).

Distributed by ``county_id``, a query reaches one county's shard only if the query itself says
which county: the row-level security of migration 0020 reads the county from a setting, which
neither the planner's equivalences nor Citus's router see. So every page a county's account
opens (and a city account narrowed to one county) is run here through AppTest on a city of
two counties, every statement it sends to PostgreSQL is captured with its parameters, and
each SELECT, UPDATE and DELETE is EXPLAINed as the test superuser — whom row-level security
does not bind, so only the statement's own conditions show. Every scan of a county-owned
table must carry a condition on ``county_id`` (a filter, an index or recheck condition; an
equality the planner derived through a join counts, as PostgreSQL and Citus both use it).

Exempt: the reference tables (``db.tables.REFERENCE_TABLES``, no county of their own), and
the city's rollups (``db.tables.CITY_TABLES``) and everything else read while the database's
scope is the whole city (``all``): the city ranking's county table is one query over every
county on purpose.
"""

from __future__ import annotations

import json
import re
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
import streamlit as st
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from accounts.auth import SignedIn
from accounts.permissions import CITY_LEADER, may
from db import scope
from db.tables import CITY_TABLES, REFERENCE_TABLES
from tests.test_counties import City, built_city
from ui import session
from ui.page import PAGES, TICKET, PageSpec

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60
COUNTY_ROLES = ("leader", "analyst", "deputy", "admin", "township")
NARROWED = "city_leader→county"  # a city account that narrowed its view to one county
SCANS = {
    "Seq Scan",
    "Index Scan",
    "Index Only Scan",
    "Bitmap Heap Scan",
    "Tid Scan",
    "Tid Range Scan",
    "Sample Scan",
}
CONDITIONS = ("Filter", "Index Cond", "Recheck Cond", "TID Cond")
READS = re.compile(r"^\s*\(*\s*(SELECT|WITH|UPDATE|DELETE|TABLE)\b", re.IGNORECASE)


# Functions whose SQL text does not name its county yet, each a debt to pay before Citus: the
# list only shrinks. A statement from anywhere else that scans a county's table without its
# county fails the test; an entry here that no longer does fails it too (strike it out).
NOT_YET_LOCAL: frozenset[str] = frozenset()  # empty: every county page names its county


@dataclass
class Statement:
    sql: str
    params: Any
    scope: str  # the value of shuijian.county on its connection when it ran
    origin: str  # the project's function that sent it (file:function)


@dataclass
class Capture:
    """Every statement psycopg sends while on, with the connection's scope setting. Captured at
    the driver's cursor, below SQLAlchemy: ``db.query.query_frame`` fetches through the DBAPI
    cursor itself, past the engine's ``before_cursor_execute`` event."""

    on: bool = False
    statements: list[Statement] = field(default_factory=list)
    setting: dict[int, str] = field(default_factory=dict)  # id(connection) → shuijian.county

    def record(self, cursor: Any, query: Any, params: Any) -> None:
        if isinstance(query, bytes):
            query = query.decode()
        elif not isinstance(query, str):
            query = query.as_string(cursor.connection)
        key = id(cursor.connection)
        if "set_config" in query and params and scope.SETTING in _values(params):
            values = _values(params)
            self.setting[key] = str(values[values.index(scope.SETTING) + 1])
            return
        if self.on and "pg_catalog." not in query:
            # copied: a caller may reuse its parameters' container for the next statement
            copied = dict(params) if isinstance(params, dict) else params
            self.statements.append(Statement(query, copied, self.setting.get(key, ""), _origin()))


def _origin() -> str:
    """The innermost frame of the project's own code (not the database helpers, not this
    test): where the statement was written."""
    for frame in traceback.extract_stack()[::-1]:
        path = Path(frame.filename)
        if ROOT in path.parents and ".venv" not in path.parts and path.parent.name != "tests":
            if path.name == "query.py" and path.parent.name == "db":
                continue
            return f"{path.relative_to(ROOT)}:{frame.name}"
    return "?"


def _values(params: Any) -> list[Any]:
    return list(params.values()) if isinstance(params, dict) else list(params)


@pytest.fixture(scope="module")
def capture() -> Iterator[Capture]:
    made = Capture()
    execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany

    def patched_execute(self: Any, query: Any, params: Any = None, **kw: Any) -> Any:
        made.record(self, query, params)
        return execute(self, query, params, **kw)

    def patched_many(self: Any, query: Any, params_seq: Any, **kw: Any) -> Any:
        params_seq = list(params_seq)
        for params in params_seq[:1]:
            made.record(self, query, params)
        return executemany(self, query, params_seq, **kw)

    psycopg.Cursor.execute = patched_execute  # type: ignore[method-assign]
    psycopg.Cursor.executemany = patched_many  # type: ignore[method-assign]
    try:
        yield made
    finally:
        psycopg.Cursor.execute = execute  # type: ignore[method-assign]
        psycopg.Cursor.executemany = executemany  # type: ignore[method-assign]


@pytest.fixture(scope="module")
def city(server_url: str, template_db: str) -> Iterator[City]:
    with built_city(server_url, template_db) as made:
        yield made


def _users(city: City) -> dict[str, SignedIn]:
    """One account of the first county per county role (the deputy with the most sites, the
    township account of the township with the most sites), and the city's leader."""
    sql = """
        SELECT DISTINCT ON (u.role) u.id, u.username, u.role, u.deputy_id, u.display_name,
               u.township_id, u.county_id
        FROM app_user u
        LEFT JOIN assignment a ON a.deputy_id = u.deputy_id AND a.valid_to IS NULL
        LEFT JOIN site s ON s.township_id = u.township_id
        WHERE u.is_active AND (u.county_id = :c OR u.role = :city)
        GROUP BY u.id
        ORDER BY u.role, count(a.id) + count(s.id) DESC, u.id
    """
    with city.superuser.connect() as conn:
        rows = conn.execute(text(sql), {"c": city.first, "city": CITY_LEADER}).all()
    found = {
        r.role: SignedIn(
            r.id, r.username, r.role, r.deputy_id, r.display_name, r.township_id, r.county_id
        )
        for r in rows
    }
    assert set(COUNTY_ROLES) <= set(found), found
    return found


def _ticket(city: City) -> str | None:
    with city.superuser.connect() as conn:
        return conn.scalar(
            text("SELECT number FROM ticket WHERE county_id = :c ORDER BY id DESC LIMIT 1"),
            {"c": city.first},
        )


def _runs(city: City) -> Iterator[tuple[PageSpec, str, SignedIn, dict[str, Any]]]:
    """(page, role label, user, extra session state) for every page a county role may open,
    and every page a city account opens narrowed to the first county. Not the open pages
    (the public archive, 有奖举报, the published ranking): they run in the city's scope
    whoever is signed in (``streamlit_app.py``), the deployment's public face."""
    users = _users(city)
    for page in PAGES:
        for role in COUNTY_ROLES:
            if page.action is None or may(role, page.action):
                yield page, role, users[role], {}
        if page.action is None or may(CITY_LEADER, page.action):
            yield page, NARROWED, users[CITY_LEADER], {session.CITY_COUNTY: city.first}


def _run(page: PageSpec, user: SignedIn, state: dict[str, Any], query: dict[str, str]) -> AppTest:
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / page.path), default_timeout=TIMEOUT)
    at.session_state[session.USER] = user
    for key, value in state.items():
        at.session_state[key] = value
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def _county_tables(conn: psycopg.Connection) -> set[str]:
    rows = conn.execute(
        "SELECT c.table_name FROM information_schema.columns c "
        "JOIN information_schema.tables t USING (table_schema, table_name) "
        "WHERE c.table_schema = 'public' AND c.column_name = 'county_id' "
        "AND t.table_type = 'BASE TABLE'"
    ).fetchall()
    return {r[0] for r in rows}


def _scans(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _scans(child)


def _conditions(node: dict[str, Any]) -> str:
    """Every condition of a scan, with its bitmap index scans' below it."""
    return " ".join(str(n.get(k, "")) for n in _scans(node) for k in CONDITIONS)


def _unscoped(plan: dict[str, Any], county_owned: set[str]) -> list[str]:
    """The county-owned tables a plan scans without a condition on county_id."""
    return [
        f"{node['Node Type']} on {node['Relation Name']}"
        for node in _scans(plan)
        if node["Node Type"] in SCANS
        and node.get("Relation Name") in county_owned
        and "county_id" not in _conditions(node)
    ]


def test_the_orm_names_the_county_in_scope(city: City, capture: Capture) -> None:
    """``db.scope``'s ORM listener, seen as the superuser (whom row-level security does not
    confine, so only the statement's own condition keeps the other county out): a county's
    scope gets its county on every entity — joined, through a relationship — the city's all,
    and an INSERT is left as written."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session, aliased

    from db.models import GridCell, Site, SupervisionGroup, Township

    def counts() -> tuple[int, int, int]:
        with Session(city.superuser) as s:
            sites = s.scalar(select(func.count()).select_from(Site).join(Township))
            parent = aliased(GridCell)
            nested = s.scalar(
                select(func.count()).select_from(GridCell).join(parent, GridCell.parent)
            )
            cell = s.scalars(select(GridCell).where(GridCell.parent_id.is_not(None))).first()
            assert cell is not None and cell.parent is not None  # a relationship's lazy load
            return int(sites or 0), int(nested or 0), cell.parent.county_id

    with city.superuser.connect() as conn:
        per_county = dict(
            conn.execute(text("SELECT county_id, count(*) FROM site GROUP BY 1")).all()
        )
    capture.statements.clear()
    capture.on = True
    try:
        with scope.within(city.second):
            theirs = counts()
        lazy = [st.sql for st in capture.statements if "grid_cell.id = %(" in st.sql]
        with scope.within(scope.ALL):
            everyone = counts()
        with scope.within(city.first), Session(city.superuser) as s:
            capture.statements.clear()
            s.add(SupervisionGroup(code="ORM-X", name="x"))
            s.flush()
            inserted = [st.sql for st in capture.statements if "INSERT" in st.sql]
            s.rollback()
    finally:
        capture.on = False
    assert theirs[0] == per_county[city.second] and theirs[2] == city.second
    assert everyone[0] == sum(per_county.values())
    assert everyone[1] > theirs[1] > 0
    assert lazy and all("county_id" in sql for sql in lazy)
    assert inserted and all("WHERE" not in sql for sql in inserted)


def test_the_reference_tables_are_every_table_without_a_county(city: City) -> None:
    """The one list (``db.tables``) names every table that carries no county_id: a new table
    is a county's (it carries ``county_id``) or says it is the deployment's."""
    url = city.superuser.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as conn:
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            ).fetchall()
        }
        owned = _county_tables(conn)
    assert not (REFERENCE_TABLES | CITY_TABLES) & {"alembic_version", "spatial_ref_sys"}
    mine = tables - {"alembic_version", "spatial_ref_sys"}
    assert mine - owned <= REFERENCE_TABLES | CITY_TABLES, "a table of no county is not listed"
    assert mine >= REFERENCE_TABLES | CITY_TABLES, "a listed table does not exist"
    assert "county_db_role" in owned  # a pin names a county; the table is the deployment's


def test_every_county_page_names_its_county(
    city: City, capture: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", city.app.url.render_as_string(hide_password=False))
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    ticket = _ticket(city)
    checked: dict[tuple[str, str], tuple[str, str, str]] = {}  # statement → where first seen
    failures: list[str] = []
    owing: set[str] = set()  # entries of NOT_YET_LOCAL seen scanning without their county
    pages: set[str] = set()
    url = city.superuser.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as explain:
        county_owned = _county_tables(explain) - CITY_TABLES - REFERENCE_TABLES
        try:
            for page, role, user, state in _runs(city):
                query = {"number": ticket} if page is TICKET and ticket else {}
                capture.statements.clear()
                capture.on = True
                try:
                    at = _run(page, user, state, query)
                finally:
                    capture.on = False
                assert not at.exception, f"{page.path} as {role}: {at.exception[0].value}"
                pages.add(page.path)
                for statement in capture.statements:
                    if statement.scope == scope.ALL or not READS.match(statement.sql):
                        continue
                    key = (statement.sql, repr(statement.params))
                    if key in checked:
                        continue
                    checked[key] = (page.path, role, statement.scope)
                    explain.execute(
                        "SELECT set_config(%s, %s, false)", (scope.SETTING, statement.scope)
                    )
                    try:
                        plan = explain.execute(
                            "EXPLAIN (FORMAT JSON) " + statement.sql, statement.params
                        ).fetchone()[0]
                    except psycopg.Error as error:
                        failures.append(
                            f"{page.path} as {role}: cannot EXPLAIN ({error}):\n"
                            f"    {' '.join(statement.sql.split())[:600]}"
                        )
                        continue
                    if isinstance(plan, str):
                        plan = json.loads(plan)
                    missing = _unscoped(plan[0]["Plan"], county_owned)
                    if missing and statement.origin in NOT_YET_LOCAL:
                        owing.add(statement.origin)
                    elif missing:
                        failures.append(
                            f"{page.path} as {role} (scope {statement.scope or 'none'}): "
                            f"{', '.join(sorted(set(missing)))} without county_id in "
                            f"{statement.origin}:\n"
                            f"    {' '.join(statement.sql.split())[:600]}"
                        )
        finally:
            st.cache_data.clear()
            st.cache_resource.clear()
    print(
        f"{len(checked)} statements of {len(pages)} pages explained; "
        f"{len(owing)} functions still owe their county"
    )
    assert len(pages) >= 20 and len(checked) > 200
    assert not failures, f"{len(failures)} of {len(checked)} statements:\n" + "\n".join(failures)
    assert not NOT_YET_LOCAL - owing, f"now local, strike out: {sorted(NOT_YET_LOCAL - owing)}"
