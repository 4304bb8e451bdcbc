"""A tiny county built by hand (4 km square, 2 townships, 2/4/8 cells) for importer tests."""

from __future__ import annotations

import geopandas as gpd
import shapely
from shapely import box

UTM = 32650
X0, Y0 = 550_000.0, 3_197_000.0  # near 117.5°E, 28.9°N
SIZE = 4_000.0


def _frame(rows: list[dict]) -> gpd.GeoDataFrame:
    """Densified before projecting, so edges that cells share keep shared vertices in degrees."""
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=UTM)
    gdf["geometry"] = shapely.segmentize(gdf.geometry.to_numpy(), 500.0)
    return gdf.to_crs(4326)


def county() -> gpd.GeoDataFrame:
    return _frame(
        [{"code": "999999", "name": "测试县", "geometry": box(X0, Y0, X0 + SIZE, Y0 + SIZE)}]
    )


def townships() -> gpd.GeoDataFrame:
    half = SIZE / 2
    return _frame(
        [
            {"code": "T1", "name": "东镇", "geometry": box(X0, Y0, X0 + half, Y0 + SIZE)},
            {"code": "T2", "name": "西乡", "geometry": box(X0 + half, Y0, X0 + SIZE, Y0 + SIZE)},
        ]
    )


def cells() -> gpd.GeoDataFrame:
    """2 large (halves), 4 medium (quarters), 8 small (eighths), nested and tiling."""
    rows = []
    half, quarter = SIZE / 2, SIZE / 4
    for i in range(2):
        x = X0 + i * half
        rows.append(
            {
                "code": f"L{i}",
                "level": 1,
                "parent_code": None,
                "township_code": f"T{i + 1}",
                "geometry": box(x, Y0, x + half, Y0 + SIZE),
            }
        )
        for j in range(2):
            y = Y0 + j * half
            m = f"L{i}M{j}"
            rows.append(
                {
                    "code": m,
                    "level": 2,
                    "parent_code": f"L{i}",
                    "township_code": f"T{i + 1}",
                    "geometry": box(x, y, x + half, y + half),
                }
            )
            for k in range(2):
                xs = x + k * quarter
                rows.append(
                    {
                        "code": f"{m}S{k}",
                        "level": 3,
                        "parent_code": m,
                        "township_code": f"T{i + 1}",
                        "geometry": box(xs, y, xs + quarter, y + half),
                    }
                )
    return _frame(rows)


def sites() -> gpd.GeoDataFrame:
    from shapely import Point

    return _frame(
        [
            {
                "code": "S1",
                "name": "上塘",
                "kind": "pond",
                "site_class": 1,
                "geometry": box(X0 + 300, Y0 + 300, X0 + 400, Y0 + 380),
            },
            {
                "code": "S2",
                "name": "下库",
                "kind": "水库",
                "site_class": 2,
                "geometry": box(X0 + 2500, Y0 + 2500, X0 + 2900, Y0 + 2800),
            },
            {
                "code": "F1",
                "name": "红星养殖场",
                "kind": "livestock_farm",
                "site_class": 3,
                "geometry": Point(X0 + 3500, Y0 + 500),
            },
        ]
    )


DEPUTIES_CSV = (
    "code,name,level,township,contact,lon,lat\n"
    "D1,张三,县,东镇,13900000001,{lon1},{lat1}\n"
    "D2,李四,乡镇级,T2,,{lon2},{lat2}\n"
)


def deputies_csv() -> str:
    pts = gpd.GeoSeries.from_xy([X0 + 500, X0 + 3000], [Y0 + 500, Y0 + 3000], crs=UTM).to_crs(4326)
    return DEPUTIES_CSV.format(lon1=pts.x[0], lat1=pts.y[0], lon2=pts.x[1], lat2=pts.y[1])


ASSIGNMENTS_CSV = (
    "deputy_code,site_code,valid_from\nD1,S1,2026-01-01\nD2,S2,2026-01-01\nD2,F1,2026-01-01\n"
)


def ensure_county(conn) -> int:
    """The county every county-owned row needs (migration 0020), for tests that insert
    townships, deputies or accounts by hand: made once, a square around the test data."""
    from sqlalchemy import text

    conn.execute(
        text(
            "INSERT INTO county (code, name, geom) SELECT '999998', '测试县', "
            "ST_Multi(ST_MakeEnvelope(110, 20, 125, 35, 4326)) "
            "WHERE NOT EXISTS (SELECT 1 FROM county)"
        )
    )
    return int(conn.scalar(text("SELECT min(id) FROM county")))
