"""In-memory checks of the synthetic demo county: counts, tiling, nesting, sites, assignments.

The generator feeds the demo database and the UI, so its geometric promises (each grid
level tiles the county, children nest in parents) are what other modules rely on.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from data.demo import DEFAULT_SEED, DemoCounty, generate_demo
from geo.crs import utm_epsg_for

CHANGSHAN = Path("/work/shared/data/boundaries/changshan_county.geojson")
WATER = ["pond", "reservoir", "small_water", "river_section"]


def _metric(demo: DemoCounty) -> int:
    """UTM zone of the county centroid, the CRS the generator promises exact tiling in."""
    c = demo.county.geometry.iloc[0].centroid
    return utm_epsg_for(c.x, c.y)


def _max_overlap(geoms: np.ndarray) -> float:
    """Largest pairwise intersection area, using an STRtree to find candidate pairs."""
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    keep = a < b
    if not keep.any():
        return 0.0
    return float(shapely.area(shapely.intersection(geoms[a[keep]], geoms[b[keep]])).max())


def _check_tiling(demo: DemoCounty) -> None:
    """Every grid level and the township layer tile the county; children nest in parents."""
    epsg = _metric(demo)
    county = demo.county.to_crs(epsg).geometry.iloc[0]
    area = county.area
    cells = demo.cells.to_crs(epsg)
    layers = {0: demo.townships.to_crs(epsg)} | {lv: cells[cells.level == lv] for lv in (1, 2, 3)}
    for lv, layer in layers.items():
        geoms = layer.geometry.to_numpy()
        assert shapely.is_valid(geoms).all(), lv
        assert (shapely.get_type_id(geoms) == 6).all(), f"level {lv} not MultiPolygon"
        union = shapely.union_all(geoms)
        assert abs(union.area - area) / area < 1e-4, lv
        assert shapely.difference(union, county).area < 1.0
        assert _max_overlap(geoms) < 1.0, lv
    by_code = cells.set_index("code").geometry
    child = cells[cells.level > 1]
    parents = by_code.loc[child.parent_code].to_numpy()
    assert shapely.area(shapely.difference(child.geometry.to_numpy(), parents)).max() < 1.0
    towns = demo.townships.to_crs(epsg).set_index("code").geometry
    in_town = towns.loc[cells.township_code].to_numpy()
    assert shapely.area(shapely.difference(cells.geometry.to_numpy(), in_town)).max() < 1.0


def _check_counts(demo: DemoCounty) -> None:
    assert len(demo.county) == 1
    assert len(demo.townships) == 14
    assert demo.townships.name.is_unique and demo.townships.code.is_unique
    names = demo.townships.name
    assert (
        names.str.endswith("街道").sum(),
        names.str.endswith("镇").sum(),
        names.str.endswith("乡").sum(),
    ) == (3, 6, 5)
    assert demo.cells.level.value_counts().to_dict() == {1: 15, 2: 192, 3: 932}
    kinds = demo.sites.kind.value_counts()
    assert kinds["livestock_farm"] == 115
    assert 400 <= kinds[WATER].sum() <= 450
    assert len(demo.deputies) == 382


@pytest.fixture(scope="module")
def demo() -> DemoCounty:
    return generate_demo()


def test_crs_and_columns(demo: DemoCounty) -> None:
    for gdf in (demo.county, demo.townships, demo.cells, demo.sites, demo.deputies):
        assert gdf.crs is not None and gdf.crs.to_epsg() == 4326
        assert gdf.geometry.name == "geometry"
    assert list(demo.cells.columns) == [
        "code",
        "name",
        "level",
        "parent_code",
        "township_code",
        "geometry",
    ]
    assert list(demo.sites.columns) == [
        "code",
        "name",
        "kind",
        "site_class",
        "class_basis",
        "class_from",
        "geometry",
    ]
    assert demo.county.code.iloc[0] == "330822"
    assert demo.seed == DEFAULT_SEED == 2026


def test_counts(demo: DemoCounty) -> None:
    _check_counts(demo)


def test_outline_shape(demo: DemoCounty) -> None:
    epsg = _metric(demo)
    shape = demo.county.to_crs(epsg).geometry.iloc[0]
    assert shape.is_valid and len(shape.geoms) == 1
    poly = shape.geoms[0]
    assert len(poly.interiors) == 0
    assert abs(poly.area / 1.1e9 - 1) < 0.05
    assert poly.convex_hull.area > 1.02 * poly.area  # not convex
    c = demo.county.geometry.iloc[0].centroid
    assert abs(c.x - 118.5) < 0.2 and abs(c.y - 28.9) < 0.2


def test_grid_hierarchy(demo: DemoCounty) -> None:
    cells = demo.cells
    assert cells.code.is_unique
    level = cells.set_index("code").level
    top = cells[cells.level == 1]
    assert top.parent_code.map(lambda p: p is None).all()
    assert set(top.township_code) == set(demo.townships.code)
    assert top.township_code.value_counts().max() == 2
    for lv in (2, 3):
        layer = cells[cells.level == lv]
        assert (level.loc[layer.parent_code].to_numpy() == lv - 1).all()
        parents = cells.set_index("code").township_code.loc[layer.parent_code].to_numpy()
        assert (parents == layer.township_code.to_numpy()).all()
        assert cells[cells.level == lv - 1].code.isin(layer.parent_code).all()
    assert cells.name.str.contains("网格").all()


def test_tiling(demo: DemoCounty) -> None:
    _check_tiling(demo)


def test_sites(demo: DemoCounty) -> None:
    epsg = _metric(demo)
    sites = demo.sites.to_crs(epsg)
    county = demo.county.to_crs(epsg).geometry.iloc[0]
    assert sites.code.is_unique and sites.code.str.fullmatch(r"S\d{4}").all()
    assert shapely.within(sites.geometry.to_numpy(), county).all()
    water = sites[sites.kind.isin(WATER)].geometry.to_numpy()
    assert shapely.is_valid(water).all()
    assert set(shapely.get_type_id(water)) <= {3, 6}
    areas = shapely.area(water)
    assert areas.min() >= 0.2e4 and areas.max() <= 50e4
    tree = shapely.STRtree(water)
    a, b = tree.query(water, predicate="intersects")
    assert (a == b).all()
    farms = sites[sites.kind == "livestock_farm"].geometry.to_numpy()
    assert (shapely.get_type_id(farms) == 0).all()
    assert len(tree.query(farms, predicate="dwithin", distance=100.0)[0]) == 0
    # Classes follow the stated pollution basis, each site's basis giving its class.
    rule = {
        "large_farm": 1,
        "farm_nearby": 1,
        "farm": 2,
        "village_nearby": 2,
        "reservoir": 2,
        "low_risk": 3,
    }
    assert (demo.sites.class_basis.map(rule) == demo.sites.site_class).all()
    is_farm = demo.sites.kind == "livestock_farm"
    assert set(demo.sites.class_basis[is_farm]) <= {"large_farm", "farm"}
    assert set(demo.sites.site_class) == {1, 2, 3}
    near = sites[sites.class_basis == "farm_nearby"].geometry.to_numpy()
    farm_points = shapely.STRtree(farms)
    assert len(np.unique(farm_points.query(near, "dwithin", 500.0)[0])) == len(near)
    rivers = sites[sites.kind == "river_section"]
    assert len(rivers) > 0
    width = 2 * rivers.area / rivers.length  # perimeter ≈ 2 × length for thin strips
    assert width.between(14, 31).all()


def test_deputies(demo: DemoCounty) -> None:
    dep = demo.deputies
    assert dep.code.is_unique and dep.code.iloc[0] == "D0001"
    assert dep.contact.str.fullmatch(r"1\d{10}").all()
    assert (dep.geometry.geom_type == "Point").all()
    # The seed's 382 are county and township deputies (县、乡两级代表).
    assert set(dep.level) == {"county", "township"}
    shares = dep.level.value_counts(normalize=True)
    assert abs(shares["township"] - 0.6) < 0.03
    joined = gpd.sjoin(dep, demo.townships, predicate="within", how="left")
    assert (joined.township_code == joined.code_right).all()


def test_assignments(demo: DemoCounty) -> None:
    asg = demo.assignments
    assert list(asg.columns) == ["deputy_code", "site_code", "valid_from"]
    assert asg.site_code.is_unique
    assert set(asg.site_code) == set(demo.sites.code)
    assert set(asg.deputy_code) == set(demo.deputies.code)
    assert (asg.valid_from == date(2026, 1, 1)).all()


def test_township_offices(demo: DemoCounty) -> None:
    """One office per township, named after it, with a contact person and a mobile number no
    deputy has (escalations must not @-mention a deputy)."""
    offices = demo.offices
    assert list(offices.columns) == ["township", "name", "contact", "phone"]
    assert offices["township"].tolist() == demo.townships["code"].tolist()
    for name, office in zip(demo.townships["name"], offices["name"], strict=True):
        suffix = "人大工委办公室" if name.endswith("街道") else "人大办公室"
        assert office == f"{name}{suffix}"
    assert offices["phone"].str.fullmatch(r"1\d{10}").all() and offices["phone"].is_unique
    assert not set(offices["phone"]) & set(demo.deputies["contact"])
    assert offices["contact"].str.len().between(2, 3).all()


def test_deterministic(demo: DemoCounty) -> None:
    again = generate_demo(DEFAULT_SEED)
    assert again.cells.geometry.to_wkb().tolist() == demo.cells.geometry.to_wkb().tolist()
    assert again.sites.geometry.to_wkb().tolist() == demo.sites.geometry.to_wkb().tolist()
    for attr in ("townships", "sites", "deputies"):
        left = getattr(demo, attr).drop(columns="geometry")
        right = getattr(again, attr).drop(columns="geometry")
        assert left.equals(right), attr
    assert demo.assignments.equals(again.assignments)
    assert demo.offices.equals(again.offices)
    other = generate_demo(7)
    assert not other.county.geometry.iloc[0].equals(demo.county.geometry.iloc[0])


def test_changshan_boundary() -> None:
    if not CHANGSHAN.exists():
        pytest.skip(f"{CHANGSHAN} not available")
    boundary = gpd.read_file(CHANGSHAN)
    demo = generate_demo(boundary=boundary, county_name="常山县")
    _check_counts(demo)
    _check_tiling(demo)
    epsg = _metric(demo)
    outline = boundary.to_crs(epsg).union_all()
    county = demo.county.to_crs(epsg).geometry.iloc[0]
    assert shapely.symmetric_difference(outline, county).area < 1e-6 * outline.area
    assert len(demo.assignments) == len(demo.sites)
    assert set(demo.assignments.deputy_code) == set(demo.deputies.code)
