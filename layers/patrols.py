"""Maps of patrols: uploaded or stored tracks with the sites their visits proved.

One GeoJson per layer (tracks, visited sites), through `new_map` and `localise`, so the map
stays offline. The legend names each visited site, so a deputy sees at a glance which
visits the track proved, with or without clicking.
"""

from __future__ import annotations

from html import escape
from typing import Any

import folium
import geopandas as gpd

import i18n
from layers.basemap import add_labels, frame_bounds, light, localise, new_map
from layers.overview import Legend

TRACK_COLOUR = "#6a3d9a"
VISITED_COLOUR = "#ff7f00"


def add_tracks(
    m: folium.Map, tracks: gpd.GeoDataFrame, lang: str = "zh", show: bool = True
) -> None:
    """All tracks as one GeoJson layer with a tooltip naming patrol, deputy and start."""
    if tracks.empty:
        return
    frame = light(tracks[["patrol_id", "deputy_name", "started", tracks.geometry.name]])
    fields = ["patrol_id", "deputy_name", "started"]
    folium.GeoJson(
        frame,
        name=i18n.text("map_patrols.tracks", lang),
        show=show,
        style_function=lambda _: {"color": TRACK_COLOUR, "weight": 3, "opacity": 0.8},
        tooltip=folium.GeoJsonTooltip(
            fields=fields,
            aliases=[i18n.text(f"map_patrols.{k}", lang) for k in ("patrol", "deputy", "started")],
        ),
    ).add_to(m)


def _visited_style(feature: dict[str, Any]) -> dict[str, Any]:
    return {"color": VISITED_COLOUR, "weight": 4, "fillColor": VISITED_COLOUR, "fillOpacity": 0.6}


def visited_legend(names: list[str], lang: str = "zh") -> str:
    """Legend HTML: the track's colour, then each visited site by name (or 'none')."""
    swatch = (
        '<span style="display:inline-block;width:14px;height:4px;margin:0 6px 3px 0;'
        'background:{c}"></span>'
    )
    rows = [
        f"<div>{swatch.format(c=TRACK_COLOUR)}{escape(i18n.text('map_patrols.tracks', lang))}</div>"
    ]
    rows.append(f"<div><b>{escape(i18n.text('map_patrols.visited', lang))}</b></div>")
    if names:
        rows += [f"<div>{swatch.format(c=VISITED_COLOUR)}{escape(n)}</div>" for n in names]
    else:
        rows.append(f"<div>{escape(i18n.text('map_patrols.none', lang))}</div>")
    return (
        '<div style="background:rgba(255,255,255,.92);padding:6px 8px;border-radius:4px;'
        'font-size:12px;line-height:18px;box-shadow:0 1px 4px rgba(0,0,0,.3)">'
        f"{''.join(rows)}</div>"
    )


def patrol_map(
    tracks: gpd.GeoDataFrame,
    visited: gpd.GeoDataFrame,
    lang: str = "zh",
    tianditu_key: str | None = None,
    townships: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """Tracks and the sites they visited, fitted to both; visited sites carry a popup and
    their names from zoom 13; township names when `townships` is given."""
    bounds = frame_bounds([tracks, visited], pad=0.001)
    m = new_map(bounds, tianditu_key, townships=townships, lang=lang)
    add_tracks(m, tracks, lang)
    if not visited.empty:
        frame = light(visited[["code", "name", visited.geometry.name]])
        folium.GeoJson(
            frame,
            name=i18n.text("map_patrols.visited", lang),
            style_function=_visited_style,
            marker=folium.CircleMarker(radius=8, fill=True),
            popup=folium.GeoJsonPopup(
                fields=["name", "code"],
                aliases=[i18n.text("map_patrols.name", lang), i18n.text("map_patrols.code", lang)],
            ),
            tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
        ).add_to(m)
        add_labels(m, visited, "site", lang)
    names = [str(n) for n in visited["name"]] if not visited.empty else []
    Legend(visited_legend(names, lang)).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    return localise(m)


__all__ = ["add_tracks", "light", "patrol_map", "visited_legend"]
