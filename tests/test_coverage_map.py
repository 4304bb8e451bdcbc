"""Coverage-gap map data on the demo county: shares rise with verified visits, dead corners."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine, text

from db.database import session_scope
from duty.coverage_map import CoverageMap, coverage_map
from tests.test_ingest import ingest, track_through
from tracks.synth import to_gpx_bytes

AS_OF = date(2026, 11, 26)
OCTOBER_15 = datetime(2026, 10, 15, 1, 0, tzinfo=UTC).timestamp()  # 09:00 in Shanghai


def _class3_sites(engine: Engine, n: int) -> list[tuple[int, int, int]]:
    """(site id, deputy id, small cell id) of n class-3 sites in different small cells."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT DISTINCT ON (s.grid_cell_id) s.id, a.deputy_id, s.grid_cell_id "
                "FROM site s JOIN assignment a ON a.site_id = s.id AND a.valid_to IS NULL "
                "WHERE s.site_class = 3 AND s.kind = 'pond' ORDER BY s.grid_cell_id, s.id"
            )
        ).all()
    return [tuple(r) for r in rows[:n]]


def _october(engine: Engine, level: int, township_id: int | None = None) -> CoverageMap:
    with session_scope(engine) as s:
        return coverage_map(s, 2026, 10, level, township_id, as_of=AS_OF)


def test_verified_visits_raise_the_cell_share(demo_copy: Engine) -> None:
    picked = _class3_sites(demo_copy, 2)
    before = _october(demo_copy, 3)
    for i, (site, dep, _) in enumerate(picked):
        lon, lat, t = track_through(demo_copy, site, seed=10 + i, start_s=OCTOBER_15 + i * 86400)
        result = ingest(demo_copy, to_gpx_bytes(lon, lat, t, name=f"t{i}"), f"t{i}.gpx", dep)
        assert site in set(result.visits["site_id"]) and not result.flags
    after = _october(demo_copy, 3)
    b = before.cells.set_index("cell_id")
    a = after.cells.set_index("cell_id")
    for site, _, cell in picked:
        assert a.loc[cell, "sites_on_time"] > b.loc[cell, "sites_on_time"]
        assert a.loc[cell, "share"] > b.loc[cell, "share"]
        row = after.sites.set_index("site_id").loc[site]
        assert bool(row["on_time"]) and str(row["last_visit"])[:7] == "2026-10"
        assert row["deputy_name"] != ""
    assert after.figures.sites_on_time == before.figures.sites_on_time + 2
    # Figures come from the site rows: every level holds every site once; shares are recomputed.
    for level in (1, 2):
        cells = _october(demo_copy, level).cells
        assert int(cells["sites"].sum()) == after.figures.sites
        assert int(cells["sites_on_time"].sum()) == after.figures.sites_on_time
    assert after.figures.share == after.figures.sites_on_time / after.figures.sites
    assert len(after.tracks) == 2


def test_dead_corners_are_listed_with_reasons(demo_engine: Engine) -> None:
    data = _october(demo_engine, 3)
    dead = data.dead_corners
    # No patrol at all in the demo database: every cell with a site missed its windows.
    assert len(dead) == data.figures.dead_corners[3] > 0
    assert ((dead["sites_missed"] > 0) | (dead["sites_unassigned"] > 0)).all()
    assert (data.cells.loc[data.cells["sites"] == 0, "dead_corner"] == False).all()  # noqa: E712
    assert data.figures.dead_corners[1] <= data.figures.dead_corners[2] <= len(dead)


def test_township_filter_narrows_cells_sites_and_figures(demo_engine: Engine) -> None:
    with demo_engine.connect() as conn:
        township, n_sites = conn.execute(
            text(
                "SELECT township_id, count(*) FROM site GROUP BY township_id "
                "ORDER BY township_id LIMIT 1"
            )
        ).one()
    whole = _october(demo_engine, 3)
    one = _october(demo_engine, 3, township)
    assert one.figures.sites == n_sites < whole.figures.sites
    assert len(one.sites) == n_sites
    assert 0 < len(one.cells) < len(whole.cells)
    assert int(one.cells["sites"].sum()) == n_sites
