"""The map HTML: offline (only vendored local links), every layer present, Tianditu with a key."""

from __future__ import annotations

import json
import re
from pathlib import Path

import folium
import geopandas as gpd
import pytest
from folium.plugins import MiniMap
from shapely.geometry import LineString, Point, box
from sqlalchemy import Engine

from core.errors import ConfigurationError
from geo import overview
from geo.overview import MapLayers
from layers.basemap import LOCAL_CSS, LOCAL_JS, localise, new_map
from layers.overview import overview_map

# Reads today's date: run again under each frozen date (tests/clock.py).
pytestmark = pytest.mark.clock

ROOT = Path(__file__).resolve().parent.parent
CDN_HOSTS = ("cdn.jsdelivr", "unpkg", "bootstrapcdn", "cdnjs", "code.jquery")
URL = re.compile(r"https?://[^\s\"'<>)]+")
ATTRIBUTION = re.compile(r'"attribution":\s*"(?:[^"\\]|\\.)*"')


def _frame(rows: dict[str, list], geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        rows, geometry=gpd.GeoSeries(geoms, crs=4326), crs=4326
    ).rename_geometry("geom")


@pytest.fixture
def layers() -> MapLayers:
    """A two-township county with one cell per level and one site of three kinds."""
    cell = {"id": [1], "code": ["C"], "name": ["C"], "township": ["甲镇"], "site_count": [3]}
    return MapLayers(
        county=_frame({"code": ["999999"], "name": ["测试县"]}, [box(118, 29, 118.2, 29.2)]),
        townships=_frame(
            {"id": [1, 2], "code": ["T1", "T2"], "name": ["甲镇", "乙乡"]},
            [box(118, 29, 118.1, 29.2), box(118.1, 29, 118.2, 29.2)],
        ),
        cells={
            level: _frame(cell | {"level": [level]}, [box(118, 29, 118.1, 29.1)])
            for level in (1, 2, 3)
        },
        sites=_frame(
            {
                "id": [1, 2, 3],
                "code": ["S1", "F1", "R1"],
                "name": ["前山塘", "兴旺养殖场", "东溪一段"],
                "kind": ["pond", "livestock_farm", "river_section"],
                "site_class": [1, 2, 3],
                "township": ["甲镇"] * 3,
                "cell": ["C"] * 3,
                "deputy": ["张三", "", "李四"],
            },
            [
                box(118.01, 29.01, 118.02, 29.02),
                Point(118.05, 29.05),
                LineString([(118.0, 29.0), (118.1, 29.1)]),
            ],
        ),
        bounds=((29.0, 118.0), (29.2, 118.2)),
    )


def _has(html: str, text: str) -> bool:
    """Text as typed, or as JSON escapes it (folium and the legend embed strings as JSON)."""
    return text in html or json.dumps(text)[1:-1] in html


def _urls_outside_attributions(html: str) -> list[str]:
    return URL.findall(ATTRIBUTION.sub("", html))


def test_map_is_offline(layers: MapLayers) -> None:
    html = overview_map(layers).get_root().render()
    assert _urls_outside_attributions(html) == []
    for host in CDN_HOSTS:
        assert host not in html
    assert f'src="{LOCAL_JS["leaflet"]}"' in html
    assert f'href="{LOCAL_CSS["leaflet_css"]}"' in html


def test_vendored_files_exist() -> None:
    for url in (*LOCAL_JS.values(), *LOCAL_CSS.values()):
        assert (ROOT / "static" / url.removeprefix("/app/static/")).is_file(), url
    assert (ROOT / "static/vendor/leaflet/images/layers.png").is_file()
    assert (ROOT / "static/vendor/leaflet/LICENSE").is_file()


def test_all_layers_present(layers: MapLayers) -> None:
    m = overview_map(layers)
    geojsons = [c for c in m._children.values() if isinstance(c, folium.GeoJson)]
    # County, townships, three grid levels, three site kinds: one GeoJson each.
    assert len(geojsons) == 8
    names = {g.layer_name for g in geojsons}
    assert {"县界", "乡镇（街道）", "大网格", "中网格", "小网格", "山塘", "养殖场", "河段"} == names
    shown = {g.layer_name: g.show for g in geojsons}
    assert shown["大网格"] and not shown["小网格"]
    html = m.get_root().render()
    assert "L.control.layers" in html
    assert "shuijian-legend" in html
    assert _has(html, "一类（每旬）")  # the legend
    assert _has(html, "兴旺养殖场") and _has(html, "未落实")  # a site without deputy says so
    assert "new L.CircleMarker" in html  # farms are circle markers, not CDN-icon markers


def test_english_labels(layers: MapLayers) -> None:
    html = overview_map(layers, lang="en").get_root().render()
    assert "Large cell" in html and "Livestock farm" in html and "Site class" in html
    assert not _has(html, "大网格")


def test_no_key_no_tiles(layers: MapLayers) -> None:
    html = overview_map(layers).get_root().render()
    assert "L.tileLayer" not in html
    assert "tianditu" not in html


def test_tianditu_with_key(layers: MapLayers) -> None:
    html = overview_map(layers, tianditu_key="test-key-123").get_root().render()
    assert "t{s}.tianditu.gov.cn/vec_w/wmts" in html
    assert "t{s}.tianditu.gov.cn/cva_w/wmts" in html
    assert "tk=test-key-123" in html
    for host in CDN_HOSTS:
        assert host not in html


def test_localise_refuses_an_unvendored_library() -> None:
    m = new_map(((29.0, 118.0), (29.2, 118.2)))
    MiniMap().add_to(m)
    with pytest.raises(ConfigurationError, match="vendor it"):
        localise(m)


def test_demo_map_renders_every_cell(demo_engine: Engine) -> None:
    m = overview_map(overview.map_layers(demo_engine))
    html = m.get_root().render()
    assert _urls_outside_attributions(html) == []
    geojsons = [c for c in m._children.values() if isinstance(c, folium.GeoJson)]
    assert len(geojsons) == 2 + 3 + 5
    assert len(html) < 8_000_000  # the page must stay light enough for a county's grid


def test_the_report_map_names_no_sites_layer_when_it_draws_none(layers: MapLayers) -> None:
    """有奖举报's map (no sites): the pin's line only, no 「我的点位」 and no title; a deputy's
    report map with sites keeps both."""
    from layers.tickets import report_legend_html, report_map

    no_sites = _frame({"code": [], "name": []}, [])
    for lang, words in (("zh", "我的点位"), ("en", "My sites")):
        html = report_map(no_sites, layers.county, layers.townships, lang).get_root().render()
        assert not _has(html, words)
        assert _has(html, "问题位置（图钉）" if lang == "zh" else "Problem location (pin)")
    mine = _frame({"code": ["S1"], "name": ["前山塘"]}, [Point(118.05, 29.05)])
    html = report_map(mine, layers.county, layers.townships).get_root().render()
    assert _has(html, "我的点位")
    assert "<b>问题位置</b>" in report_legend_html("zh")
    assert "<b>" not in report_legend_html("zh", sites=False)  # nothing to fold on a phone


def test_legends_shrink_and_fold_on_a_phone(layers: MapLayers) -> None:
    """Every legend: smaller in a phone-wide frame, folded to its title until tapped, and a
    click on it never reaches the map (a report map would take it for a place)."""
    from layers.basemap import MAP_CSS, PHONE_WIDTH_PX

    html = overview_map(layers).get_root().render()
    assert "L.DomEvent.disableClickPropagation(div)" in html
    assert "shuijian-legend-folded" in html
    assert f"@media (max-width: {PHONE_WIDTH_PX}px)" in MAP_CSS
    assert ".shuijian-legend-folded > div > :not(b) { display: none; }" in MAP_CSS
    assert PHONE_WIDTH_PX >= 390  # the phone of the browser walk


def test_the_supervision_map_draws_the_outlines(layers: MapLayers) -> None:
    from layers.supervision import supervision_map

    visit = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [118.05, 29.05]},
        "properties": {"group": "第一督查组", "place": "村口", "kind": "checkin"},
    }
    m = supervision_map(
        {"type": "FeatureCollection", "features": [visit]},
        layers.townships,
        layers.bounds,
        county=layers.county,
    )
    names = {c.layer_name for c in m._children.values() if isinstance(c, folium.GeoJson)}
    assert {"县界", "乡镇（街道）"} <= names
    html = m.get_root().render()
    assert _has(html, "甲镇") and _has(html, "乙乡")  # the township names, as on every map
