"""The supervision visits' map: check-in points and visit tracks of a period, one GeoJson
layer, over the county and township outlines and the townships' names (drawn as on every
other map, `layers.basemap.add_outlines`), fitted to the county (or the township chosen)."""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd

import i18n
from layers.basemap import add_outlines, localise, new_map

VISIT_COLOUR = "#d95f02"


def _style(_: dict[str, Any]) -> dict[str, Any]:
    return {"color": VISIT_COLOUR, "weight": 3, "opacity": 0.9, "fillOpacity": 0.8}


def supervision_map(
    collection: dict[str, Any],
    townships: gpd.GeoDataFrame,
    bounds: tuple[tuple[float, float], tuple[float, float]] | None,
    lang: str = "zh",
    tianditu_key: str | None = None,
    county: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """The FeatureCollection of ``duty.supervision.visit_geojson`` (a check-in with a point,
    a track) with a tooltip naming the group, the place and how the visit was recorded, over
    the county's and the townships' outlines."""
    m = new_map(bounds, tianditu_key, townships=townships, lang=lang)
    add_outlines(m, county, townships, lang)
    features = [
        {
            **f,
            "properties": {
                **f["properties"],
                "kind_label": i18n.label("supervision_visit_kind", f["properties"]["kind"], lang),
            },
        }
        for f in collection.get("features", [])
    ]
    if features:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            name=i18n.text("map_supervision.layer", lang),
            style_function=_style,
            marker=folium.CircleMarker(radius=7, fill=True),
            tooltip=folium.GeoJsonTooltip(
                fields=["group", "place", "kind_label"],
                aliases=[
                    i18n.text(f"map_supervision.{k}", lang) for k in ("group", "place", "kind")
                ],
            ),
        ).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    return localise(m)


__all__ = ["supervision_map"]
