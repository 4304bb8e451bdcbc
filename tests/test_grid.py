"""check-grid: the integrity rules of DESIGN.md on a hand-made grid, and on the demo county."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from db.database import session_scope
from geo.grid import grid_report
from tests.test_importers import load_good

# Reads today's date, but the calendar's edges are the date rules' own tests': run again under the
# first two frozen dates only (tests/clock.py).
pytestmark = pytest.mark.clock_sample


def _report(engine: Engine, expected=(2, 4, 8)):
    with Session(engine) as s:
        return grid_report(s, expected)


def test_good_grid_has_no_faults(engine: Engine, tmp_path: Path) -> None:
    load_good(engine, tmp_path)
    report = _report(engine)
    assert report.counts() == (2, 4, 8)
    assert report.ok, report.faults
    assert report.levels[2].gap_m2 < 1 and report.levels[2].overlapping_pairs == 0


def test_faults_are_found(engine: Engine, tmp_path: Path) -> None:
    load_good(engine, tmp_path)
    with session_scope(engine) as s:
        # a small cell moved 300 m east: a gap where it was, an overlap where it went,
        # and it now sticks out of its parent
        s.execute(
            text("UPDATE grid_cell SET geom = ST_Translate(geom, 0.003, 0) WHERE code = 'L0M0S0'")
        )
    report = _report(engine, expected=(2, 4, 9))
    text_faults = "\n".join(report.faults)
    assert "cell counts per level are 2/4/8, expected 2/4/9" in text_faults
    assert "level 3 (small cell) does not cover the county" in text_faults
    assert re.search(r"level 3 \(small cell\) has \d+ overlapping pair\(s\)", text_faults)
    assert "1 cell(s) outside their parent: L0M0S0" in text_faults


def test_check_grid_cli_exit_codes(engine: Engine, tmp_path: Path, monkeypatch) -> None:
    from cli.main import app
    from db import database

    load_good(engine, tmp_path)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    database.get_engine.cache_clear()
    try:
        ok = CliRunner().invoke(app, ["check-grid", "--expect", "2/4/8"])
        assert ok.exit_code == 0, ok.output
        assert "counts: 2/4/8" in ok.output and "no faults" in ok.output
        bad = CliRunner().invoke(app, ["check-grid"])  # default 15/192/932
        assert bad.exit_code == 1
        assert "expected 15/192/932" in bad.output
    finally:
        database.get_engine.cache_clear()


def test_demo_county_grid_integrity(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        report = grid_report(s, (15, 192, 932))
    assert report.counts() == (15, 192, 932)
    assert report.ok, report.faults
    for level in report.levels:
        assert abs(level.union_area_m2 - report.county_area_m2) / report.county_area_m2 < 1e-4
        assert level.overlapping_pairs == 0
    assert 1_045e6 < report.county_area_m2 < 1_155e6  # ~1,100 km²


def test_demo_county_contents(demo_engine: Engine) -> None:
    with demo_engine.connect() as conn:
        q = lambda sql: conn.scalar(text(sql))  # noqa: E731
        assert q("SELECT count(*) FROM township") == 14
        assert q("SELECT count(*) FROM deputy") == 382
        assert q("SELECT count(*) FROM site WHERE kind = 'livestock_farm'") == 115
        assert 400 <= q("SELECT count(*) FROM site WHERE kind <> 'livestock_farm'") <= 450
        assert q("SELECT count(*) FROM site WHERE grid_cell_id IS NULL OR township_id IS NULL") == 0
        # every site has exactly one current deputy, every deputy at least one site
        assert (
            q(
                "SELECT count(*) FROM site s WHERE (SELECT count(*) FROM assignment a "
                "WHERE a.site_id = s.id AND a.valid_to IS NULL) <> 1"
            )
            == 0
        )
        assert (
            q(
                "SELECT count(*) FROM deputy d WHERE NOT EXISTS "
                "(SELECT 1 FROM assignment a WHERE a.deputy_id = d.id)"
            )
            == 0
        )
        # each small cell lies in the township it names
        assert (
            q(
                "SELECT count(*) FROM grid_cell c JOIN township t ON t.id = c.township_id "
                "WHERE ST_Area(ST_Difference(c.geom, t.geom)::geography) > 1"
            )
            == 0
        )
        assert q("SELECT count(*) FROM app_user WHERE role = 'deputy'") == 382


@pytest.mark.slow
def test_demo_on_real_changshan_outline(shared_data: Path, engine: Engine, monkeypatch) -> None:
    from cli.main import app
    from db import database

    boundary = shared_data / "boundaries" / "changshan_county.geojson"
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    database.get_engine.cache_clear()
    try:
        # as the test server's superuser, whom row-level security does not bind: one county
        refused = CliRunner().invoke(app, ["demo", "--boundary", str(boundary)])
        assert refused.exit_code == 2 and "bypasses row-level security" in refused.output
        result = CliRunner().invoke(app, ["demo", "--boundary", str(boundary), "--counties", "1"])
        assert result.exit_code == 0, result.output
        again = CliRunner().invoke(app, ["demo", "--boundary", str(boundary), "--counties", "1"])
        assert "already loaded" in again.output
        checked = CliRunner().invoke(app, ["check-grid"])
        assert checked.exit_code == 0, checked.output
        assert "counts: 15/192/932" in checked.output
        with engine.connect() as conn:
            area = conn.scalar(text("SELECT ST_Area(geom::geography) FROM county"))
        assert abs(area / 1e6 - 1097.8) < 1.0  # the real outline, not the synthetic one
        other = CliRunner().invoke(app, ["demo", "--counties", "1"])
        assert other.exit_code == 1 and "--reset" in other.output
    finally:
        database.get_engine.cache_clear()
