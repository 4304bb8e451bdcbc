"""The overview service against the demo county: figures, township filter, layers, filter SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from db.query import where_equal
from geo import overview

# Reads today's date: run again under each frozen date (tests/clock.py).
pytestmark = pytest.mark.clock


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ({}, ("TRUE", {})),
        ({"s.township_id": None}, ("TRUE", {})),
        ({"s.township_id": 3}, ("s.township_id = :township_id", {"township_id": 3})),
        ({"t.id": 7}, ("t.id = :id", {"id": 7})),
        (
            {"c.township_id": 2, "c.level": 3},
            ("c.township_id = :township_id AND c.level = :level", {"township_id": 2, "level": 3}),
        ),
        ({"c.township_id": None, "c.level": 1}, ("c.level = :level", {"level": 1})),
        ({"s.kind": "pond"}, ("s.kind = :kind", {"kind": "pond"})),
    ],
)
def test_where_equal(conditions: dict[str, object], expected: tuple[str, dict]) -> None:
    assert where_equal(conditions) == expected


def test_where_equal_never_inlines_values() -> None:
    where, params = where_equal({"s.kind": "x'; DROP TABLE site; --"})
    assert "DROP" not in where
    assert params == {"kind": "x'; DROP TABLE site; --"}


def test_county_figures(demo_engine: Engine) -> None:
    figures = overview.key_figures(demo_engine)
    assert figures.townships == 14
    assert figures.cells == {1: 15, 2: 192, 3: 932}
    assert figures.sites_by_kind["livestock_farm"] == 115
    assert figures.sites == sum(figures.sites_by_class.values()) == 537
    assert figures.deputies == 382
    assert figures.assigned_sites == figures.sites
    assert figures.share_assigned == pytest.approx(1.0)


def test_township_options_are_the_fourteen(demo_engine: Engine) -> None:
    options = overview.township_options(demo_engine)
    assert len(options) == 14
    assert len({name for _, name in options}) == 14


def test_township_filter_reduces_counts(demo_engine: Engine) -> None:
    county = overview.key_figures(demo_engine)
    per_township = [
        overview.key_figures(demo_engine, township_id)
        for township_id, _ in overview.township_options(demo_engine)
    ]
    first = per_township[0]
    assert first.townships == 1
    assert 0 < first.cells[3] < county.cells[3]
    assert 0 < first.sites < county.sites
    assert 0 < first.deputies < county.deputies
    # Every site lies in exactly one township, so the townships' sites add up to the county's.
    assert sum(f.sites for f in per_township) == county.sites
    assert sum(f.sites_by_kind["livestock_farm"] for f in per_township) == 115


def test_map_layers_county(demo_engine: Engine) -> None:
    layers = overview.map_layers(demo_engine)
    assert len(layers.county) == 1
    assert len(layers.townships) == 14
    assert {level: len(frame) for level, frame in layers.cells.items()} == {1: 15, 2: 192, 3: 932}
    assert len(layers.sites) == 537
    assert (layers.sites["deputy"] != "").all()
    assert layers.sites.crs.to_epsg() == 4326
    assert {"name", "kind", "site_class", "township", "cell", "deputy"} <= set(layers.sites)
    assert layers.cells[3]["site_count"].sum() == 537
    (south, west), (north, east) = layers.bounds
    assert 27 < south < north < 31 and 116 < west < east < 121


def test_map_layers_township_zooms_in(demo_engine: Engine) -> None:
    county = overview.map_layers(demo_engine)
    township_id, name = overview.township_options(demo_engine)[0]
    layers = overview.map_layers(demo_engine, township_id)
    assert len(layers.townships) == 14  # context stays complete
    assert 0 < len(layers.sites) < len(county.sites)
    assert set(layers.sites["township"]) == {name}
    (s, w), (n, e) = layers.bounds
    (cs, cw), (cn, ce) = county.bounds
    assert cs <= s < n <= cn and cw <= w < e <= ce
    assert (n - s) * (e - w) < (cn - cs) * (ce - cw)
