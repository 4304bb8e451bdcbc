"""The one place that knows the coordinate systems.

Geometry is stored in EPSG:4326; distances and areas are measured in one projected CRS fixed
per deployment (SHUIJIAN_METRIC_EPSG, UTM 50N by default).
"""

from __future__ import annotations

import geopandas as gpd
from pyproj import CRS

from core import settings

STORAGE_EPSG = 4326


def metric_epsg() -> int:
    return int(settings.get("metric_epsg"))


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
