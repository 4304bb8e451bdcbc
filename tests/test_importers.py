"""Importers on a real PostGIS: good files load; each bad file is refused whole, naming the
feature and the fault, and the database is exactly as it was before."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely import Polygon, box
from sqlalchemy import Engine, text

from core.errors import ImportRefused
from db.database import session_scope
from geo.importers import (
    import_assignments,
    import_cells,
    import_county,
    import_deputies,
    import_sites,
    import_townships,
)
from geo.readers import read_vector, read_vector_file
from tests import factories

TABLES = ("county", "township", "grid_cell", "site", "deputy", "assignment")


def snapshot(engine: Engine) -> dict[str, list]:
    """Every stored row of the domain tables, geometry as text: 'unchanged' means equal."""
    out = {}
    with engine.connect() as conn:
        for table in TABLES:
            rows = conn.execute(
                text(
                    f"SELECT to_jsonb(t) - 'geom' - 'home' - 'created_at', "
                    f"ST_AsText(COALESCE(to_jsonb(t)->>'geom', to_jsonb(t)->>'home')::geometry) "
                    f"FROM {table} t ORDER BY id"
                )
            ).all()
            out[table] = [(json.dumps(r[0], sort_keys=True, default=str), r[1]) for r in rows]
    return out


def write(gdf: gpd.GeoDataFrame, path: Path, driver: str | None = None) -> Path:
    gdf.to_file(path, driver=driver)
    return path


def load_good(engine: Engine, tmp_path: Path) -> None:
    county = write(factories.county(), tmp_path / "county.geojson")
    towns = write(factories.townships(), tmp_path / "townships.geojson")
    cells = write(factories.cells(), tmp_path / "cells.gpkg", driver="GPKG")
    sites = write(factories.sites().to_crs(factories.UTM), tmp_path / "sites.gpkg", driver="GPKG")
    deputies = tmp_path / "deputies.csv"
    deputies.write_text(factories.deputies_csv(), encoding="utf-8")
    with session_scope(engine) as s:
        import_county(s, read_vector_file(county), "county.geojson", "999999", "测试县")
        import_townships(s, read_vector_file(towns), "townships.geojson")
        import_cells(s, read_vector_file(cells), "cells.gpkg")
        import_sites(s, read_vector_file(sites), "sites.gpkg")
        import_deputies(s, read_vector_file(deputies), "deputies.csv")
        import_assignments(
            s,
            pd.read_csv(pd.io.common.StringIO(factories.ASSIGNMENTS_CSV), dtype=str),
            "assignments.csv",
        )


def refused(engine: Engine, importer, frame, source: str = "bad-file") -> ImportRefused:
    before = snapshot(engine)
    with pytest.raises(ImportRefused) as info, session_scope(engine) as s:
        importer(s, frame, source)
    assert snapshot(engine) == before, "a refused file changed the database"
    return info.value


def test_good_files_load_and_locate_sites(engine: Engine, tmp_path: Path) -> None:
    load_good(engine, tmp_path)
    with engine.connect() as conn:
        counts = dict(
            conn.execute(text("SELECT level, count(*) FROM grid_cell GROUP BY level")).all()
        )
        assert counts == {1: 2, 2: 4, 3: 8}
        located = conn.execute(
            text(
                "SELECT s.code, c.code, t.name FROM site s "
                "JOIN grid_cell c ON c.id = s.grid_cell_id "
                "JOIN township t ON t.id = s.township_id ORDER BY s.code"
            )
        ).all()
        assert located == [
            ("F1", "L1M0S1", "西乡"),
            ("S1", "L0M0S0", "东镇"),
            ("S2", "L1M1S0", "西乡"),
        ]
        # the GeoPackage in UTM was converted: stored coordinates are degrees (117.5°E)
        lon = conn.scalar(text("SELECT ST_X(ST_Centroid(geom)) FROM site WHERE code = 'S2'"))
        assert 117 < lon < 118
        kinds = dict(conn.execute(text("SELECT code, kind FROM site")).all())
        assert kinds["S2"] == "reservoir"  # Chinese label 水库 accepted
        levels = dict(conn.execute(text("SELECT code, level FROM deputy")).all())
        assert levels == {"D1": "county", "D2": "township"}
        assert conn.scalar(text("SELECT count(*) FROM assignment")) == 3


def test_missing_crs_is_refused(engine: Engine, tmp_path: Path) -> None:
    shp = tmp_path / "towns.shp"
    factories.townships().to_crs(factories.UTM).to_file(shp)
    shp.with_suffix(".prj").unlink()
    err = refused(engine, import_townships, read_vector_file(shp), "towns.shp")
    assert "no coordinate reference system" in str(err)


def test_wrong_crs_is_refused(engine: Engine) -> None:
    metres_labelled_degrees = (
        factories.townships().to_crs(factories.UTM).set_crs(4326, allow_override=True)
    )
    err = refused(engine, import_townships, metres_labelled_degrees)
    assert "declared CRS is wrong" in str(err)
    assert "feature 1, code T1" in str(err)


def test_unrepairable_polygon_is_refused_and_repairable_one_repaired(engine: Engine) -> None:
    towns = factories.townships()
    bowtie = towns.copy()
    x0, y0, x1, y1 = bowtie.geometry.iloc[1].bounds
    bowtie.loc[1, "geometry"] = Polygon([(x0, y0), (x1, y0), (x0, y1), (x1, y1)])
    err = refused(engine, import_townships, bowtie)
    assert "invalid polygon that cannot be repaired safely" in str(err)
    assert "code T2" in str(err) and "Self-intersection" in str(err)

    spiky = towns.copy()
    x0, y0, x1, y1 = spiky.geometry.iloc[0].bounds
    mid = (y0 + y1) / 2
    spiky.loc[0, "geometry"] = Polygon(
        [
            (x0, y0),
            (x1, y0),
            (x1, y1),
            (x0, y1),
            (x0, mid),
            ((x0 + x1) / 2, mid),
            (x0, mid + 1e-9),
            (x0, y0),
        ]
    )
    with session_scope(engine) as s:
        factories.ensure_county(s)
        report = import_townships(s, spiky, "spiky")
    assert report.count == 2 and "repaired invalid polygon" in report.warnings[0]


def test_missing_column_is_refused(engine: Engine) -> None:
    err = refused(engine, import_cells, factories.cells().drop(columns=["level"]))
    assert "missing column(s): level" in str(err)


def test_cell_outside_its_parent_is_refused(engine: Engine, tmp_path: Path) -> None:
    load_good(engine, tmp_path)
    stray = factories.cells().iloc[[3]].copy()  # a small cell of L0M0 ...
    stray["code"] = "STRAY"
    stray["parent_code"] = "L1M1"  # ... claimed by a medium cell far away
    err = refused(engine, import_cells, stray)
    assert "outside its parent 'L1M1'" in str(err) and "code STRAY" in str(err)


def test_orphan_and_unknown_parent_are_refused(engine: Engine) -> None:
    cells = factories.cells()
    orphan = cells.copy()
    orphan.loc[orphan["code"] == "L0M1", "parent_code"] = None
    assert "orphan" in str(refused(engine, import_cells, orphan))
    unknown = cells.copy()
    unknown.loc[unknown["code"] == "L0M1", "parent_code"] = "NOPE"
    assert "parent cell 'NOPE' is neither in the file nor stored" in str(
        refused(engine, import_cells, unknown)
    )


def test_duplicate_upload_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    load_good(engine, tmp_path)
    err = refused(engine, import_townships, factories.townships())
    assert "already stored" in str(err)
    err = refused(engine, import_sites, factories.sites())
    assert "already stored" in str(err)


def test_bad_site_rows_are_refused(engine: Engine) -> None:
    sites = factories.sites()
    bad_class = sites.copy()
    bad_class.loc[0, "site_class"] = 4
    assert "site_class must be 1, 2 or 3" in str(refused(engine, import_sites, bad_class))
    bad_kind = sites.copy()
    bad_kind.loc[1, "kind"] = "swimming pool"
    assert "unknown site kind 'swimming pool'" in str(refused(engine, import_sites, bad_kind))
    farm_polygon = sites.copy()
    farm_polygon.loc[2, "geometry"] = box(*sites.geometry.iloc[0].bounds)
    assert "livestock farms are points" in str(refused(engine, import_sites, farm_polygon))


def test_gbk_csv_and_unknown_township(engine: Engine, tmp_path: Path) -> None:
    load_good(engine, tmp_path)
    path = tmp_path / "more.csv"
    path.write_bytes("code,name,level,township\nD9,王五,省,东镇\n".encode("gbk"))
    with session_scope(engine) as s:
        assert import_deputies(s, read_vector_file(path), "more.csv").count == 1
    path.write_bytes("code,name,level,township\nD10,赵六,乡,北街道\n".encode("gbk"))
    err = refused(engine, import_deputies, read_vector_file(path), "more.csv")
    assert "unknown township '北街道'" in str(err)


def test_unreadable_files_name_the_problem() -> None:
    with pytest.raises(ImportRefused, match="empty"):
        read_vector(b"", "x.geojson")
    with pytest.raises(ImportRefused, match="not a readable geojson file"):
        read_vector(b"this is not json", "x.geojson")
    with pytest.raises(ImportRefused, match="unsupported file type .xlsx"):
        read_vector(b"PK..", "x.xlsx")
    with pytest.raises(ImportRefused, match="column 'lon' is not a number"):
        read_vector(b"code,lon,lat\nA,east,29\n", "x.csv")


def test_cli_import_refusal_exits_nonzero(engine: Engine, tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from cli.main import app
    from db import database

    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    database.get_engine.cache_clear()
    path = write(factories.cells().drop(columns=["level"]), tmp_path / "cells.geojson")
    result = CliRunner().invoke(app, ["import", "cells", str(path)])
    assert result.exit_code == 1
    assert "missing column(s): level" in result.output
    good = write(factories.townships(), tmp_path / "towns.geojson")
    result = CliRunner().invoke(app, ["import", "townships", str(good)])
    assert result.exit_code == 1
    assert "no county is stored yet; import the county outline first" in result.output
    outline = write(factories.county(), tmp_path / "county.geojson")
    result = CliRunner().invoke(app, ["import", "county", str(outline)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, ["import", "townships", str(good)])
    assert result.exit_code == 0, result.output
    assert "imported 2 townships" in result.output
    database.get_engine.cache_clear()
