"""Maps a person can read offline: the app serves an MBTiles basemap itself, past the gate;
every map names its townships (sites from zoom 13), has a metric-only scale, is fitted to
what it shows, draws tickets and located problems as legible symbols, and reaches outside
the machine only where a setting says so."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import folium
import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from db.database import session_scope
from duty.coverage_map import coverage_map
from geo import mbtiles
from geo.overview import MapLayers
from layers import basemap
from layers.coverage import coverage_map_figure, township_shapes
from layers.overview import overview_map
from layers.patrols import patrol_map
from layers.public import public_map
from layers.tickets import chosen_point, report_map, ticket_map, tickets_map
from ui import gate, tiles

PNG = b"\x89PNG\r\n\x1a\n" + b"tile-0-0"
PNG_SOUTH = b"\x89PNG\r\n\x1a\n" + b"tile-1-1"
URL = re.compile(r"https?://[^\s\"'<>)\\]+")
ATTRIBUTION = re.compile(r'"attribution":\s*"(?:[^"\\]|\\.)*"')
SETTINGS_ENV = (
    "SHUIJIAN_TILE_URL",
    "SHUIJIAN_TILE_ATTRIBUTION",
    "SHUIJIAN_MBTILES",
    "TIANDITU_KEY",
)


def make_mbtiles(path: Path, fmt: str = "png") -> Path:
    """A two-tile MBTiles file at zoom 1: XYZ (1, 0, 0) and (1, 1, 1), stored in TMS rows."""
    with sqlite3.connect(path) as conn:
        conn.executescript(
            "CREATE TABLE metadata (name text, value text);"
            "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, "
            "tile_data blob);"
        )
        conn.executemany(
            "INSERT INTO metadata VALUES (?, ?)",
            [
                ("name", "测试底图"),
                ("format", fmt),
                ("minzoom", "1"),
                ("maxzoom", "1"),
                ("bounds", "118.0,29.0,118.2,29.2"),
                ("attribution", '<a href="https://example.org">某测绘院</a>'),
            ],
        )
        # TMS row = 2**z - 1 - y: the north-west tile (y 0) is row 1.
        conn.execute("INSERT INTO tiles VALUES (1, 0, 1, ?)", (PNG,))
        conn.execute("INSERT INTO tiles VALUES (1, 1, 0, ?)", (PNG_SOUTH,))
    conn.close()
    return path


@pytest.fixture(autouse=True)
def no_basemap_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for env in SETTINGS_ENV:
        monkeypatch.delenv(env, raising=False)


@pytest.fixture
def tile_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = make_mbtiles(tmp_path / "county.mbtiles")
    monkeypatch.setenv("SHUIJIAN_MBTILES", str(path))
    return path


def _stand_in(request) -> PlainTextResponse:  # noqa: ANN001 - Streamlit's place in the test
    return PlainTextResponse(f"PAGE {request.url.path}")


@pytest.fixture
def client() -> Iterator[TestClient]:
    """The gate and the tile route in front of a stand-in for Streamlit, as web.py mounts
    them (no session cookie: tiles must not need one)."""
    app = Starlette(
        routes=[*gate.routes(), *tiles.routes(), Route("/{path:path}", _stand_in)],
        middleware=[Middleware(gate.SignInGate)],
    )
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as c:
        yield c


# ----------------------------------------------------------------------------- the route
def test_tiles_are_served_over_http_past_the_gate(client: TestClient, tile_file: Path) -> None:
    north_west = client.get("/tiles/1/0/0")
    assert north_west.status_code == 200  # not a redirect to the sign-in form
    assert north_west.content == PNG
    assert north_west.headers["content-type"] == "image/png"
    assert "max-age" in north_west.headers["cache-control"]
    # XYZ y counts from the north, MBTiles rows from the south: the flip is right.
    assert client.get("/tiles/1/1/1").content == PNG_SOUTH
    assert client.get("/tiles/1/0/0.png").content == PNG
    assert client.head("/tiles/1/0/0").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/tiles/1/1/0",  # no such tile in the file
        "/tiles/1/2/0",  # x out of range at zoom 1
        "/tiles/1/0/-1",
        "/tiles/a/0/0",
        "/tiles/1/0/0x1",
        "/tiles/99/0/0",
        "/tiles/1/0/１",  # a full-width digit is no ASCII number
    ],
)
def test_a_missing_or_malformed_tile_is_404(client: TestClient, tile_file: Path, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.content == b""


def test_no_file_configured_or_a_broken_file_is_404(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert client.get("/tiles/1/0/0").status_code == 404
    monkeypatch.setenv("SHUIJIAN_MBTILES", str(tmp_path / "missing.mbtiles"))
    assert client.get("/tiles/1/0/0").status_code == 404
    assert not (tmp_path / "missing.mbtiles").exists()  # read-only: never created


def test_the_content_type_follows_the_metadata_format(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for fmt, kind in (("jpg", "image/jpeg"), ("webp", "image/webp"), ("pbf", "x-protobuf")):
        path = make_mbtiles(tmp_path / f"t.{fmt}.mbtiles", fmt)
        monkeypatch.setenv("SHUIJIAN_MBTILES", str(path))
        assert kind in client.get("/tiles/1/0/0").headers["content-type"]


def test_the_file_is_opened_read_only(tile_file: Path) -> None:
    conn = mbtiles.connect(tile_file)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        conn.execute("DELETE FROM tiles")
    conn.close()


def test_web_app_mounts_the_tile_route(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHUIJIAN_GATE", "1")  # web.py sets it; restored after the test
    import web

    paths = [getattr(r, "path", None) for r in web.app._user_routes]
    assert tiles.TILE_PATH in paths
    assert gate.page_name("/tiles/12/3/4") is None  # passes the gate


# ----------------------------------------------------------------------------- the maps
def _frame(rows: dict[str, list], geoms: list) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geoms, crs=4326), crs=4326)
    return frame.rename_geometry("geom")


TOWNSHIPS = {"id": [1, 2], "code": ["T1", "T2"], "name": ["甲镇", "乙乡"]}
TOWNSHIP_SHAPES = [box(118, 29, 118.1, 29.2), box(118.1, 29, 118.2, 29.2)]


@pytest.fixture
def layers() -> MapLayers:
    cell = {"id": [1], "code": ["C"], "name": ["C"], "township": ["甲镇"], "site_count": [2]}
    return MapLayers(
        county=_frame({"code": ["999999"], "name": ["测试县"]}, [box(118, 29, 118.2, 29.2)]),
        townships=_frame(TOWNSHIPS, TOWNSHIP_SHAPES),
        cells={lv: _frame(cell | {"level": [lv]}, [box(118, 29, 118.1, 29.1)]) for lv in (1, 2, 3)},
        sites=_frame(
            {
                "id": [1, 2],
                "code": ["S1", "R1"],
                "name": ["前山塘", "东溪一段"],
                "kind": ["pond", "river_section"],
                "site_class": [1, 3],
                "township": ["甲镇"] * 2,
                "cell": ["C"] * 2,
                "deputy": ["张三", "李四"],
            },
            [box(118.01, 29.01, 118.02, 29.02), LineString([(118.0, 29.0), (118.1, 29.1)])],
        ),
        bounds=((29.0, 118.0), (29.2, 118.2)),
    )


def _tickets(overdue: bool = False) -> gpd.GeoDataFrame:
    return _frame(
        {
            "number": ["T-1", "T-2"],
            "category_zh": ["水面漂浮物", "排污口"],
            "category_en": ["Floating litter", "Outfall"],
            "platform_zh": ["河长制平台", "环保平台"],
            "platform_en": ["River chief", "Environment"],
            "status": ["reported", "accepted"],
            "deadline": [date(2026, 12, 10), date(2026, 12, 1)],
            "overdue": [False, overdue],
        },
        [Point(118.05, 29.05), Point(118.15, 29.1)],
    )


def _outside_urls(html: str) -> list[str]:
    return URL.findall(ATTRIBUTION.sub("", html))


def _has(html: str, text: str) -> bool:
    """Text as typed, or as JSON (folium) or Jinja's tojson (our elements) embed it."""
    as_json = json.dumps(text)[1:-1]
    safe = as_json.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    return text in html or as_json in html or safe in html


def test_the_overview_names_townships_and_sites_with_a_metric_scale(layers: MapLayers) -> None:
    html = overview_map(layers).get_root().render()
    assert _has(html, "<span>甲镇</span>") and _has(html, "<span>乙乡</span>")
    assert "shuijian-label-township" in html
    assert _has(html, "<span>前山塘</span>") and "shuijian-label-site" in html
    assert "shuijian-near" in html and f">= {basemap.SITE_LABEL_ZOOM}" in html
    assert _has(html, "乡镇名称") and _has(html, "点位名称")  # toggles in the layer control
    assert "L.control.scale({imperial: false" in html
    assert "imperial: true" not in html and '"imperial"' not in html
    assert "fitBounds" in html and "ResizeObserver" in html
    assert '"zoomSnap": 0.25' in html
    assert _outside_urls(html) == []
    english = overview_map(layers, lang="en").get_root().render()
    assert "Township names" in english


def test_labels_are_escaped() -> None:
    townships = _frame({"name": ["<b>镇</b>"]}, [box(118, 29, 118.1, 29.1)])
    html = basemap.new_map(None, townships=townships).get_root().render()
    assert _has(html, "&lt;b&gt;镇&lt;/b&gt;") and not _has(html, "<b>镇</b>")


def test_without_bounds_the_map_fits_the_townships() -> None:
    townships = _frame(TOWNSHIPS, TOWNSHIP_SHAPES)
    html = basemap.new_map(None, townships=townships).get_root().render()
    assert "[[29.0, 118.0], [29.2, 118.2]]" in html


def test_every_map_is_fitted_and_named(layers: MapLayers) -> None:
    """Every builder fits its view and, given the outlines, names the townships."""
    townships = layers.townships
    track = _frame(
        {"patrol_id": [7], "deputy_name": ["张三"], "started": ["2026-11-01 09:00"]},
        [LineString([(118.01, 29.01), (118.03, 29.02)])],
    )
    visited = _frame({"code": ["S1"], "name": ["前山塘"]}, [box(118.01, 29.01, 118.02, 29.02)])
    public_track = _frame(
        {"patrol_no": ["P-1"], "deputy_name": ["张三"], "date": ["2026-11-01"]},
        [LineString([(118.01, 29.01), (118.03, 29.02)])],
    )
    public_sites = _frame(
        {"name": ["前山塘"], "kind": ["pond"], "visits": [2]}, [box(118.01, 29.01, 118.02, 29.02)]
    )
    maps = {
        "tickets": tickets_map(_tickets(), layers.county, townships, bounds=layers.bounds),
        "ticket": ticket_map(_tickets().iloc[:1], townships=townships),
        "report": report_map(visited, layers.county, townships),
        "patrol": patrol_map(track, visited, townships=townships),
        "public": public_map(public_track, public_sites, townships=townships),
    }
    for name, m in maps.items():
        html = m.get_root().render()
        assert "fitBounds" in html, name
        assert _has(html, "<span>甲镇</span>"), name
        assert "L.control.scale({imperial: false" in html, name
        assert _outside_urls(html) == [], name


def test_the_issues_map_fills_its_frame_with_the_county(layers: MapLayers) -> None:
    html = tickets_map(_tickets(), layers.county, layers.townships, bounds=layers.bounds)
    rendered = html.get_root().render()
    assert "[[29.0, 118.0], [29.2, 118.2]]" in rendered  # the county (or the filter), not less
    assert "new ResizeObserver" in rendered  # fitted again once the frame has its size


def test_tickets_and_problems_are_distinct_symbols(layers: MapLayers) -> None:
    html = tickets_map(_tickets(overdue=True), layers.county, layers.townships).get_root().render()
    assert "iconRootAlias.DivIcon" in html and _has(html, "<svg")  # triangles, not dots
    assert "new L.CircleMarker" not in html
    assert _has(html, "交办单状态") and _has(html, "逾期（黑边）")
    assert "#e31a1c" in html and "#fdbf6f" in html  # the status colours
    assert _has(html, 'stroke="#000000" stroke-width="5.5"')  # the overdue edge
    pin = folium.Map(tiles=None)
    chosen_point((118.05, 29.05)).add_to(pin)
    pin_html = pin.get_root().render()
    assert "L.divIcon" in pin_html and _has(pin_html, "<svg") and "circle" in pin_html
    legend = report_map(_frame({"code": [], "name": []}, []), layers.county, layers.townships)
    assert _has(legend.get_root().render(), "问题位置（图钉）")


def test_the_coverage_map_names_townships_from_its_cells(demo_engine: Engine) -> None:
    with session_scope(demo_engine) as s:
        data = coverage_map(s, 2026, 10, 3, None, as_of=date(2026, 11, 26))
    names = set(township_shapes(data.cells)["name"])
    assert len(names) == 14
    html = coverage_map_figure(data).get_root().render()
    for name in names:
        assert _has(html, f"<span>{name}</span>")
    assert "fitBounds" in html and "L.control.scale({imperial: false" in html
    assert _outside_urls(html) == []


# ----------------------------------------------------------------------------- basemaps
def test_no_setting_no_tiles(layers: MapLayers) -> None:
    html = overview_map(layers).get_root().render()
    assert "L.tileLayer" not in html
    assert "shuijian-blank" in html
    assert basemap.basemap_kind() == "none" and not basemap.has_basemap()


def test_the_mbtiles_file_is_the_basemap(layers: MapLayers, tile_file: Path) -> None:
    html = overview_map(layers, tianditu_key="key-1").get_root().render()
    assert basemap.basemap_kind("key-1") == "mbtiles"
    assert '"/tiles/{z}/{x}/{y}?v=' in html
    assert '"maxNativeZoom": 1' in html  # zooms past the file by enlarging its deepest tiles
    assert "tianditu" not in html  # before the key
    assert _has(html, "某测绘院") and "example.org" not in html  # attribution as plain text
    assert _outside_urls(html) == []


def test_a_vector_mbtiles_is_not_drawn(
    layers: MapLayers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHUIJIAN_MBTILES", str(make_mbtiles(tmp_path / "v.mbtiles", "pbf")))
    assert "L.tileLayer" not in overview_map(layers).get_root().render()


def test_the_tile_url_setting_comes_first(
    layers: MapLayers, tile_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "http://gis.intranet.lan/tdt/vec/{z}/{x}/{y}.png"
    monkeypatch.setenv("SHUIJIAN_TILE_URL", url)
    monkeypatch.setenv("SHUIJIAN_TILE_ATTRIBUTION", "县自然资源局 <内网>")
    html = overview_map(layers, tianditu_key="key-1").get_root().render()
    assert basemap.basemap_kind("key-1") == "url"
    assert f'"{url}"' in html
    assert "/tiles/{z}/{x}/{y}" not in html and "tianditu" not in html
    assert _has(html, "县自然资源局 &lt;内网&gt;")
    assert _outside_urls(html) == [url]  # the configured one only


def test_tianditu_only_with_a_key_and_nothing_else(layers: MapLayers) -> None:
    html = overview_map(layers, tianditu_key="key-1").get_root().render()
    assert basemap.basemap_kind("key-1") == "tianditu"
    assert "tianditu.gov.cn/vec_w" in html and "tk=key-1" in html
    assert {u.split("/")[2] for u in _outside_urls(html)} == {"t{s}.tianditu.gov.cn"}
