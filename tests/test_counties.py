"""Many counties in one database (migration 0020): a county's rows are seen and written in its
scope only — enforced by PostgreSQL's row-level security, tried here as the app role and as
a county's own login role, the way an adversary holding their SQL would try.

One database per module: two demo counties (the synthetic one of every test, and a second
that joins it as 邻县), the owner and app roles of ``tests/test_db_roles.two_roles``, and a
login role pinned to the first county.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError, ProgrammingError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from accounts.auth import authenticate
from accounts.scope import county_scope
from core.errors import PermissionDenied
from data.demo import generate_demo
from data.loader import (
    CITY_ACCOUNTS,
    DEPUTY_DEMO_PASSWORD,
    load_demo,
)
from db import roles, scope
from geo import overview
from geo.readers import read_vector_file
from tests.conftest import SHARED_DATA, _admin, _recreate, _url_for
from tests.test_db_roles import two_roles

pytestmark = pytest.mark.slow

SECOND = "330825"


@dataclass(frozen=True)
class City:
    superuser: Engine
    app: Engine
    pinned: Engine  # a login role pinned to the first county
    first: int
    second: int


def _scoped(url: object) -> Engine:
    engine = create_engine(url, poolclass=NullPool)
    scope.install(engine)
    return engine


@contextmanager
def built_city(server_url: str, template_db: str) -> Iterator[City]:
    """A database of two demo counties (the synthetic 示范县 and 邻县), the owner and app roles
    of ``two_roles`` and a login role pinned to the first county; dropped afterwards. Also the
    browser test's (tests/test_browser_counties.py), which serves the app as the app role."""
    name = f"t_city_{uuid.uuid4().hex[:10]}"
    with _admin(server_url) as conn:
        _recreate(conn, name, template_db)
    superuser = _scoped(_url_for(server_url, name))
    with Session(superuser) as s:
        load_demo(s, generate_demo(), "demo seed 2026")
        s.commit()
    # The neighbour has a real county's outline (龙游县, ../shared) where the data is there,
    # else a synthetic one beside the first.
    real = SHARED_DATA / "boundaries" / "longyou_county.geojson"
    with Session(superuser) as s:
        neighbour = generate_demo(
            7,
            boundary=read_vector_file(real) if real.is_file() else None,
            county_code=SECOND,
            county_name="邻县",
            code_prefix="B",
            centre=(118.9, 28.9),
        )
        load_demo(s, neighbour, "demo seed 7", joining="b-")
        s.commit()
    with superuser.connect() as conn:
        ids = dict(conn.execute(text("SELECT code, id FROM county")).all())
    first, second = ids["330822"], ids[SECOND]
    pinned_role = f"t_county_{uuid.uuid4().hex[:8]}"
    password = secrets.token_urlsafe(12)
    try:
        with two_roles(superuser) as made:
            with superuser.begin() as conn:
                roles.ensure_county_role(conn, pinned_role, password)
            with made.owner_engine.begin() as conn:
                roles.pin_county_role(conn, pinned_role, first)
            scope.install(made.app_engine)
            pinned = _scoped(make_url(superuser.url).set(username=pinned_role, password=password))
            try:
                yield City(superuser, made.app_engine, pinned, first, second)
            finally:
                pinned.dispose()
                with superuser.begin() as conn:
                    conn.execute(
                        text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE usename = :r"
                        ),
                        {"r": pinned_role},
                    )
                    conn.execute(text(f"DROP OWNED BY {roles.ident(pinned_role)}"))
                    conn.execute(text(f"DROP ROLE {roles.ident(pinned_role)}"))
    finally:
        superuser.dispose()
        with _admin(server_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def city(server_url: str, template_db: str) -> Iterator[City]:
    with built_city(server_url, template_db) as made:
        yield made


def _count(engine: Engine, sql: str, **params: object) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text(sql), params))


def test_every_row_carries_its_county(city: City) -> None:
    with city.superuser.connect() as conn:
        towns = dict(
            conn.execute(text("SELECT county_id, count(*) FROM township GROUP BY 1")).all()
        )
        sites = dict(conn.execute(text("SELECT county_id, count(*) FROM site GROUP BY 1")).all())
        users = dict(
            conn.execute(
                text("SELECT coalesce(county_id, 0), count(*) FROM app_user GROUP BY 1")
            ).all()
        )
        # a child row takes its parent's county, not the scope's (the trigger of 0020)
        mixed = conn.scalar(
            text(
                "SELECT count(*) FROM assignment a JOIN site s ON s.id = a.site_id "
                "WHERE a.county_id <> s.county_id"
            )
        )
    assert towns == {city.first: 14, city.second: 14}
    assert sites[city.first] == sites[city.second] == 537
    assert users[0] == len(CITY_ACCOUNTS)  # the city's accounts belong to no county
    assert users[city.first] == users[city.second]
    assert mixed == 0


@pytest.mark.parametrize("table", ["township", "site", "deputy", "app_user", "grid_cell"])
def test_the_app_role_sees_only_the_county_in_scope(city: City, table: str) -> None:
    with scope.within(city.first):
        mine = _count(city.app, f"SELECT count(*) FROM {table}")
        theirs = _count(
            city.app, f"SELECT count(*) FROM {table} WHERE county_id = :c", c=city.second
        )
    with scope.within(scope.ALL):
        everyone = _count(city.app, f"SELECT count(*) FROM {table}")
        first = _count(city.app, f"SELECT count(*) FROM {table} WHERE county_id = :c", c=city.first)
    with scope.within(None):
        nothing = _count(city.app, f"SELECT count(*) FROM {table}")
    assert theirs == 0 and nothing == 0
    assert mine == first > 0
    assert everyone > mine


def test_the_app_role_cannot_write_into_another_county(city: City) -> None:
    with scope.within(city.first):
        with city.app.begin() as conn:
            changed = conn.execute(
                text("UPDATE site SET name = name || '!' WHERE county_id = :c"), {"c": city.second}
            ).rowcount
        assert changed == 0
        # a row that names the other county is refused …
        with pytest.raises(DBAPIError, match="row-level security"), city.app.begin() as conn:
            conn.execute(
                text("INSERT INTO supervision_group (code, name, county_id) VALUES ('X', 'x', :c)"),
                {"c": city.second},
            )
        # … and so is one hung under the other county's row: it takes that row's county
        with city.superuser.connect() as conn:
            their_site = conn.scalar(
                text("SELECT id FROM site WHERE county_id = :c LIMIT 1"), {"c": city.second}
            )
        with pytest.raises(DBAPIError, match="row-level security"), city.app.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO site_class_change (site_id, site_class, basis, valid_from) "
                    "VALUES (:s, 1, 'farm_nearby', DATE '2026-01-01')"
                ),
                {"s": their_site},
            )


def test_a_pinned_county_role_ignores_what_it_asks_for(city: City) -> None:
    first_sites = _count(
        city.superuser, "SELECT count(*) FROM site WHERE county_id = :c", c=city.first
    )
    for asked in (scope.ALL, city.second, None):
        with scope.within(asked):
            assert _count(city.pinned, "SELECT count(*) FROM site") == first_sites
            assert _count(city.pinned, "SELECT count(*) FROM county") == 1
    with city.pinned.connect() as conn:
        conn.execute(text("SELECT set_config('shuijian.county', 'all', false)"))
        assert conn.scalar(text("SELECT count(DISTINCT county_id) FROM deputy")) == 1
        conn.rollback()
    # nor can it unpin itself, or become another role
    for statement in (
        "DELETE FROM county_db_role",
        "UPDATE county_db_role SET county_id = county_id",
        "SET ROLE shuijian_owner",
        "ALTER TABLE site DISABLE ROW LEVEL SECURITY",
    ):
        with pytest.raises((ProgrammingError, DBAPIError)), city.pinned.begin() as conn:
            conn.execute(text(statement))


def test_services_follow_the_scope(city: City) -> None:
    with scope.within(city.first):
        one = overview.key_figures(city.app)
        towns = overview.township_options(city.app)
    with scope.within(scope.ALL):
        both = overview.key_figures(city.app)
        counties = overview.county_options(city.app)
    assert one.townships == 14 and both.townships == 28
    assert len(towns) == 14
    # in the city's view a township is named with its county: two counties may share a name
    with scope.within(scope.ALL):
        everywhere = overview.township_options(city.app)
    names = [name for _, name in everywhere]
    assert len(set(names)) == len(names) == 28
    assert all(name.startswith(("示范县·", "邻县·")) for name in names)
    assert all("·" not in name for _, name in towns)
    assert [name for _, name in counties] == ["示范县", "邻县"]


def test_sign_in_finds_every_county_and_confines_each(city: City) -> None:
    with scope.within(scope.ALL), Session(city.app) as s:
        ours = authenticate(s, "d0001", DEPUTY_DEMO_PASSWORD)
        theirs = authenticate(s, "bd0001", DEPUTY_DEMO_PASSWORD)
        leader = authenticate(s, CITY_ACCOUNTS[0][0], CITY_ACCOUNTS[0][1])
    assert (ours.county_id, theirs.county_id) == (city.first, city.second)
    assert county_scope(ours) == city.first
    assert county_scope(leader) == scope.ALL
    assert county_scope(leader, city.second) == city.second
    with pytest.raises(PermissionDenied) as refused:
        county_scope(ours, city.second)
    assert refused.value.code == "outside_county"


def test_a_county_account_needs_a_county_and_a_city_account_none(city: City) -> None:
    with pytest.raises(DBAPIError, match="app_user_city_tie"), city.superuser.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO app_user (username, password_hash, role, county_id) "
                "VALUES ('c', 'x', 'leader', NULL)"
            )
        )
    with city.superuser.begin() as conn:
        # a city account takes no county, even one it names
        made = conn.execute(
            text(
                "INSERT INTO app_user (username, password_hash, role, county_id) "
                "VALUES ('c2', 'x', 'city_leader', :c) RETURNING county_id"
            ),
            {"c": city.first},
        ).scalar_one()
        assert made is None
        conn.rollback()


def test_a_process_default_reaches_the_database(city: City) -> None:
    """The command line's scope is the process's (``set_process_default``), not a block's."""
    try:
        scope.set_process_default(city.second)
        theirs = _count(city.app, "SELECT count(DISTINCT county_id) FROM township")
        setting = _count(city.app, "SELECT current_setting('shuijian.county')::int")
        scope.set_process_default(scope.ALL)
        everyone = _count(city.app, "SELECT count(DISTINCT county_id) FROM township")
    finally:
        scope.set_process_default(None)  # a test process says nothing
    assert (theirs, setting, everyone) == (1, city.second, 2)
