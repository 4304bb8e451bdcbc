"""Registered sites (挂号) on a map: one GeoJson layer of red rings drawn over the sites, so a
site on the problem register looks different on the overview and the coverage maps, and one
legend row that says so."""

from __future__ import annotations

from collections.abc import Collection
from html import escape

import folium
import geopandas as gpd

import i18n
from layers.basemap import light

REGISTERED_COLOUR = "#b2182b"
RING = (
    '<span style="display:inline-block;width:12px;height:12px;margin-right:6px;'
    f'border:2.5px solid {REGISTERED_COLOUR};border-radius:8px;box-sizing:border-box"></span>'
)


def legend_row(lang: str) -> str:
    return f"<div>{RING}{escape(i18n.text('map_registered', lang))}</div>"


def add_registered(
    m: folium.Map, sites: gpd.GeoDataFrame, registered: Collection[str], lang: str
) -> bool:
    """Ring the sites whose ``code`` is registered (their representative point, so a river
    section gets one ring); False when none of the map's sites is."""
    if sites.empty or not registered:
        return False
    chosen = sites[sites["code"].isin(list(registered))]
    if chosen.empty:
        return False
    points = gpd.GeoDataFrame(
        {"name": chosen["name"].to_numpy(), "code": chosen["code"].to_numpy()},
        geometry=chosen.geometry.representative_point().to_numpy(),
        crs=sites.crs,
    )
    folium.GeoJson(
        light(points),
        name=i18n.text("map_registered", lang),
        marker=folium.CircleMarker(radius=9, fill=False),
        style_function=lambda _: {"color": REGISTERED_COLOUR, "weight": 3, "fill": False},
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
    ).add_to(m)
    return True
