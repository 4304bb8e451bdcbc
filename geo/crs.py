"""The one place that knows the coordinate systems.

Geometry is stored in EPSG:4326; distances and areas are measured in one projected CRS fixed
per deployment (SHUIJIAN_METRIC_EPSG, UTM 50N by default).
"""

from __future__ import annotations

from functools import lru_cache

import geopandas as gpd
import numpy as np
from numpy.typing import ArrayLike
from pyproj import CRS, Transformer

from core import settings

STORAGE_EPSG = 4326


def metric_epsg() -> int:
    return settings.integer("metric_epsg")


def utm_epsg_for(lon: float, lat: float) -> int:
    """EPSG code of the WGS84 UTM zone containing a point: the sound default per county."""
    zone = int((lon + 180) // 6) + 1
    return (32600 if lat >= 0 else 32700) + zone


def to_storage(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Convert to EPSG:4326; a frame without a CRS is refused upstream, never guessed."""
    if gdf.crs is None:
        raise ValueError("GeoDataFrame has no CRS")
    if CRS.from_user_input(gdf.crs).to_epsg() == STORAGE_EPSG:
        return gdf
    return gdf.to_crs(STORAGE_EPSG)


def to_metric(gdf: gpd.GeoDataFrame, epsg: int | None = None) -> gpd.GeoDataFrame:
    return gdf.to_crs(epsg or metric_epsg())


# --- GCJ-02 ("火星坐标") -------------------------------------------------------------------
# Chinese consumer map apps (Amap/Gaode, Tencent) record and draw in GCJ-02, offset from WGS84
# by hundreds of metres. The forward formula is public; the inverse has no closed form, so it
# is solved by fixed-point iteration (the offset varies slowly, so this converges quickly).

_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323


def _gcj_in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The rectangle the public implementations shift; outside it GCJ-02 equals WGS84."""
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 minus WGS84 in degrees at WGS84 (lon, lat): the standard public formula."""
    x = lon - 105.0
    y = lat - 35.0
    pi = np.pi
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
    dlat += common
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
    dlon += common
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = 1.0 - _GCJ_EE * np.sin(radlat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sqrt_magic) * pi)
    dlon = (dlon * 180.0) / (_GCJ_A / sqrt_magic * np.cos(radlat) * pi)
    inside = _gcj_in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 → GCJ-02 (vectorised); identity outside China."""
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    dlon, dlat = _gcj_offset(lon_a, lat_a)
    return lon_a + dlon, lat_a + dlat


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tol_deg: float = 1e-10, max_iter: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → WGS84 (vectorised): invert the forward formula by fixed-point iteration.

    Start from the GCJ-02 point and correct by the forward residual until it is below
    ``tol_deg`` (a handful of iterations; the result is far better than 1e-6°).
    """
    g_lon = np.asarray(lon, dtype=np.float64)
    g_lat = np.asarray(lat, dtype=np.float64)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(max_iter):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        r_lon, r_lat = f_lon - g_lon, f_lat - g_lat
        w_lon = w_lon - r_lon
        w_lat = w_lat - r_lat
        worst = np.nanmax(np.abs(np.concatenate([np.ravel(r_lon), np.ravel(r_lat)])), initial=0.0)
        if worst < tol_deg:
            break
    return w_lon, w_lat


def lonlat_to_metric(
    lon: np.ndarray, lat: np.ndarray, epsg: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Arrays of degrees → metres in the deployment's metric CRS (vectorised)."""
    transformer = _transformer(STORAGE_EPSG, epsg or metric_epsg())
    x, y = transformer.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def metric_to_lonlat(
    x: np.ndarray, y: np.ndarray, epsg: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    transformer = _transformer(epsg or metric_epsg(), STORAGE_EPSG)
    lon, lat = transformer.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


@lru_cache(maxsize=16)
def _transformer(source: int, target: int) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def to_wgs84(
    lon: ArrayLike, lat: ArrayLike, source_epsg: int = STORAGE_EPSG
) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates as WGS84 longitude and latitude (what a phone's map app reads from a
    ``geo:`` URI), from the storage CRS by default (EPSG:4326 already: returned unchanged) or
    from any other EPSG code."""
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    if source_epsg == STORAGE_EPSG:
        return lon_a, lat_a
    x, y = _transformer(source_epsg, STORAGE_EPSG).transform(lon_a, lat_a)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
