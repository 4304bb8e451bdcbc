"""The volunteer teams' tracks (骑行河长, 老骥常青) as their own map layer: one GeoJson layer
for all of them, coloured by team kind, beside (never mixed with) the deputies' tracks."""

from __future__ import annotations

from typing import Any

import folium

import i18n

KIND_COLOURS = {"cycling": "#1b9e77", "veteran": "#7570b3"}


def _style(feature: dict[str, Any]) -> dict[str, Any]:
    kind = feature.get("properties", {}).get("kind")
    return {"color": KIND_COLOURS.get(kind, "#666666"), "weight": 3, "opacity": 0.85}


def add_volunteer_tracks(
    m: folium.Map, collection: dict[str, Any] | None, lang: str = "zh", show: bool = True
) -> None:
    """The FeatureCollection of ``duty.volunteers.tracks_geojson`` as one layer with a tooltip
    naming team, member and day; nothing when there is no track."""
    if not collection or not collection.get("features"):
        return
    features = [
        {
            **f,
            "properties": {
                **f["properties"],
                "kind_label": i18n.label("volunteer_kind", f["properties"].get("kind"), lang),
            },
        }
        for f in collection["features"]
    ]
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=i18n.text("map_volunteers.layer", lang),
        show=show,
        style_function=_style,
        tooltip=folium.GeoJsonTooltip(
            fields=["team", "kind_label", "member", "day"],
            aliases=[
                i18n.text(f"map_volunteers.{k}", lang) for k in ("team", "kind", "member", "day")
            ],
        ),
    ).add_to(m)
