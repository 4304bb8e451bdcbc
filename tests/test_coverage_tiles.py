"""The coverage map's vector tiles (duty/coverage_tiles.py, ui/vector_tiles.py) on the demo
county: a tile decodes, holds the cells of its square with the page's status, another county's
cells stay out (as the app role, under row-level security), and the route refuses who may not
see it and numbers that name no tile, in a sentence."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date

import mapbox_vector_tile
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool
from starlette.applications import Starlette
from starlette.testclient import TestClient

from accounts import sessions
from accounts.auth import authenticate
from db import scope
from db.database import get_engine, session_scope
from duty.coverage_map import coverage_map
from duty.coverage_tiles import (
    LAYER,
    TileAddress,
    TileRequestError,
    cell_status,
    coverage_tile,
    level_at,
    tile_address,
)
from tests.test_db_roles import two_roles
from ui import vector_tiles

AS_OF = date(2026, 11, 26)
Z = 12


def _tile_of(lon: float, lat: float, z: int) -> TileAddress:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return TileAddress(z, x, y)


def _busy_cell(engine: Engine) -> tuple[int, float, float]:
    """A small cell holding sites: its id and a point inside it."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT c.id, ST_X(ST_PointOnSurface(c.geom)), ST_Y(ST_PointOnSurface(c.geom)) "
                "FROM grid_cell c WHERE c.level = 3 AND EXISTS "
                "(SELECT 1 FROM site s WHERE s.grid_cell_id = c.id) ORDER BY c.code LIMIT 1"
            )
        ).one()
    return int(row[0]), float(row[1]), float(row[2])


def _features(data: bytes) -> dict[int, dict]:
    layers = mapbox_vector_tile.decode(data)
    return {f["id"]: f["properties"] for f in layers[LAYER]["features"]}


def test_a_tile_holds_its_cells_with_the_pages_status(demo_engine: Engine) -> None:
    cell, lon, lat = _busy_cell(demo_engine)
    address = _tile_of(lon, lat, Z)
    with session_scope(demo_engine) as s:
        page = coverage_map(s, 2026, 10, 3, as_of=AS_OF, with_tracks=False).cells
        status = cell_status(s, "month", 2026, 10, AS_OF)
        data = coverage_tile(s, status, 3, address)
        large = coverage_tile(s, status, 3, _tile_of(lon, lat, 7))
    features = _features(data)
    assert cell in features
    expected = page.set_index("cell_id")
    assert len(features) > 1
    for cell_id, props in features.items():
        row = expected.loc[cell_id]
        assert props["code"] == row["code"] and props["level"] == 3
        assert props["sites"] == row["sites"] and props["on_time"] == row["sites_on_time"]
        assert props["dead"] == bool(row["dead_corner"])
        if row["sites"]:
            assert props["share"] == pytest.approx(row["share"], abs=1e-4)
        else:
            assert "share" not in props  # no sites: no share, drawn grey
    # Zoomed out, the same request draws the large cells (level_at), not slivers.
    assert {p["level"] for p in _features(large).values()} == {1}
    # Nowhere near the county: an empty tile.
    with session_scope(demo_engine) as s:
        assert coverage_tile(s, status, 3, TileAddress(Z, 0, 0)) == b""


def test_tile_numbers_and_levels_are_checked() -> None:
    assert tile_address("12", "3412", "1700.pbf") == TileAddress(12, 3412, 1700)
    for bad in (("a", "0", "0"), ("3", "8", "0"), ("23", "0", "0"), ("-1", "0", "0")):
        with pytest.raises(TileRequestError):
            tile_address(*bad)
    assert [level_at(3, z) for z in (5, 9, 11)] == [1, 2, 3]
    assert level_at(1, 15) == 1
    with pytest.raises(TileRequestError):
        level_at(4, 12)


@pytest.fixture
def two_counties(demo_copy: Engine) -> Iterator[tuple[Engine, int, int, TileAddress]]:
    """The demo county and a second one whose only cell lies on the first one's busy tile;
    yields the app role's engine, both county ids and that tile."""
    cell, lon, lat = _busy_cell(demo_copy)
    address = _tile_of(lon, lat, Z)
    with demo_copy.begin() as conn:
        first = conn.scalar(text("SELECT min(id) FROM county"))
        second = conn.scalar(
            text(
                "INSERT INTO county (code, name, geom) VALUES ('339999', '他县', "
                "ST_Multi(ST_Buffer(ST_Point(:x, :y, 4326), 0.01))) RETURNING id"
            ),
            {"x": lon, "y": lat},
        )
        parent = None
        for level, code in ((1, "OTHER-L1"), (2, "OTHER-M1"), (3, "OTHER-S1")):
            parent = conn.scalar(
                text(
                    "INSERT INTO grid_cell (code, level, parent_id, geom, county_id) VALUES "
                    "(:code, :level, :parent, "
                    "ST_Multi(ST_Buffer(ST_Point(:x, :y, 4326), 0.002)), :c) RETURNING id"
                ),
                {"code": code, "level": level, "parent": parent, "x": lon, "y": lat, "c": second},
            )
    with two_roles(demo_copy) as made:
        app = create_engine(made.app_engine.url, poolclass=NullPool)
        scope.install(app)
        try:
            yield app, first, second, address
        finally:
            app.dispose()


def test_another_countys_cells_stay_out_of_the_tile(two_counties) -> None:
    app, first, second, address = two_counties
    found = {}
    for county in (first, second, scope.ALL):
        with scope.within(county), Session(app) as s:
            status = cell_status(s, "month", 2026, 10, AS_OF)
            found[county] = {
                p["code"] for p in _features(coverage_tile(s, status, 3, address)).values()
            }
    assert "OTHER-S1" not in found[first] and len(found[first]) > 1
    assert found[second] == {"OTHER-S1"}
    assert "OTHER-S1" in found[scope.ALL] and found[first] < found[scope.ALL]


# ----------------------------------------------------------------------------- the route
@pytest.fixture
def site(demo_copy: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("DATABASE_URL", demo_copy.url.render_as_string(hide_password=False))
    get_engine.cache_clear()
    vector_tiles._engine_for.cache_clear()
    vector_tiles.STATUS.clear()
    app = Starlette(routes=vector_tiles.routes())
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        yield client
    vector_tiles._engine_for.cache_clear()
    vector_tiles.STATUS.clear()
    get_engine.cache_clear()


def _cookie(engine: Engine, username: str, password: str) -> dict[str, str]:
    with scope.within(scope.ALL), session_scope(engine) as s:
        user = authenticate(s, username, password)
        return {sessions.COOKIE: sessions.begin(s, user, None)}


def test_the_route_serves_signed_in_coverage_roles_only(site: TestClient, demo_copy) -> None:
    _, lon, lat = _busy_cell(demo_copy)
    a = _tile_of(lon, lat, Z)
    url = f"/vtiles/coverage/{a.z}/{a.x}/{a.y}?view=month&month=2026-10&level=3"
    assert site.get(url).status_code == 401
    site.cookies.update(_cookie(demo_copy, "d0001", "deputy-demo"))
    assert site.get(url).status_code == 403  # deputies have no coverage page
    site.cookies.update(_cookie(demo_copy, "leader", "leader-demo"))
    tile = site.get(url)
    assert tile.status_code == 200, tile.text
    assert tile.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert tile.headers["cache-control"].startswith("private")
    assert _features(tile.content)
    again = site.get(url, headers={"If-None-Match": tile.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert site.get(f"/vtiles/coverage/{Z}/0/0?month=2026-10").status_code == 204
    # A county account cannot reach another county by the URL.
    assert site.get(f"{url}&county=99999").status_code == 403
    for bad, words in (
        ("/vtiles/coverage/3/9/0?month=2026-10", "does not exist"),
        ("/vtiles/coverage/x/0/0", "whole number"),
        (f"{url}&level=7", "level"),
        (f"/vtiles/coverage/{a.z}/{a.x}/{a.y}?month=2026-13", "YYYY-MM"),
    ):
        response = site.get(bad)
        assert response.status_code == 400 and words in response.text, (bad, response.text)
        assert "Traceback" not in response.text


def test_a_township_account_gets_its_own_township_only(site: TestClient, demo_copy) -> None:
    with demo_copy.connect() as conn:
        own, other = conn.execute(
            text(
                "SELECT u.township_id, (SELECT min(id) FROM township t "
                "WHERE t.id <> u.township_id) FROM app_user u WHERE u.username = 'tz01'"
            )
        ).one()
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
                "FROM grid_cell WHERE level = 3 AND township_id = :t ORDER BY code LIMIT 1"
            ),
            {"t": own},
        ).one()
    a = _tile_of(lon, lat, Z)
    site.cookies.update(_cookie(demo_copy, "tz01", "township-demo"))
    url = f"/vtiles/coverage/{a.z}/{a.x}/{a.y}?month=2026-10"
    assert site.get(f"{url}&township={other}").status_code == 403
    tile = site.get(url)
    assert tile.status_code == 200
    with demo_copy.connect() as conn:
        towns = {
            r[0]
            for r in conn.execute(
                text("SELECT township_id FROM grid_cell WHERE id = ANY(:ids)"),
                {"ids": list(_features(tile.content))},
            )
        }
    assert own in towns  # its own cells (and only cells holding its sites besides)
