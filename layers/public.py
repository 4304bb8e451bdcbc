"""The public archive map: trimmed patrol tracks and the sites the patrols visited.

Draws only what `archive.public` returns (tracks whose ends are already cut away in the database),
as one GeoJson per layer, through `new_map` and `localise`, so the page stays offline and light.
Tooltips name the patrol number, the deputy and the day; nothing else about a deputy.
"""

from __future__ import annotations

from html import escape

import folium
import geopandas as gpd

import i18n
from layers.basemap import (
    Bounds,
    add_labels,
    add_outlines,
    frame_bounds,
    light,
    localise,
    new_map,
)
from layers.overview import Legend
from layers.patrols import TRACK_COLOUR, VISITED_COLOUR


def _bounds(frames: list[gpd.GeoDataFrame]) -> Bounds | None:
    return frame_bounds(frames)


def public_legend(lang: str = "zh") -> str:
    """Legend HTML: what the line colour and the site colour mean."""
    swatch = (
        '<span style="display:inline-block;width:14px;height:4px;margin:0 6px 3px 0;'
        'background:{c}"></span>'
    )
    rows = "".join(
        f"<div>{swatch.format(c=colour)}{escape(i18n.text(f'map_public.{key}', lang))}</div>"
        for key, colour in (("tracks", TRACK_COLOUR), ("sites", VISITED_COLOUR))
    )
    return (
        '<div style="background:rgba(255,255,255,.92);padding:6px 8px;border-radius:4px;'
        'font-size:12px;line-height:18px;box-shadow:0 1px 4px rgba(0,0,0,.3)">'
        f"{rows}</div>"
    )


def public_map(
    tracks: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    lang: str = "zh",
    tianditu_key: str | None = None,
    townships: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """Tracks (patrol, deputy, day in the tooltip) and visited sites, fitted to both (to the
    townships when there are none); township outlines and names, when given, say where they
    are on a map without a basemap; site names from zoom 13."""
    m = new_map(_bounds([tracks, sites]), tianditu_key, townships=townships, lang=lang)
    add_outlines(m, None, townships, lang)
    if not tracks.empty:
        frame = light(tracks[["patrol_no", "deputy_name", "date", tracks.geometry.name]])
        folium.GeoJson(
            frame,
            name=i18n.text("map_public.tracks", lang),
            style_function=lambda _: {"color": TRACK_COLOUR, "weight": 3, "opacity": 0.8},
            tooltip=folium.GeoJsonTooltip(
                fields=["patrol_no", "deputy_name", "date"],
                aliases=[i18n.text(f"map_public.{k}", lang) for k in ("patrol", "deputy", "date")],
            ),
        ).add_to(m)
    if not sites.empty:
        frame = light(sites[["name", "kind", "visits", sites.geometry.name]])
        frame["kind"] = [i18n.label("site_kind", k, lang) for k in frame["kind"]]
        frame["visits"] = frame["visits"].astype(int)
        folium.GeoJson(
            frame,
            name=i18n.text("map_public.sites", lang),
            style_function=lambda _: {
                "color": VISITED_COLOUR,
                "weight": 3,
                "fillColor": VISITED_COLOUR,
                "fillOpacity": 0.6,
            },
            marker=folium.CircleMarker(radius=6, fill=True),
            popup=folium.GeoJsonPopup(
                fields=["name", "kind", "visits"],
                aliases=[i18n.text(f"map_public.{k}", lang) for k in ("name", "kind", "visits")],
            ),
            tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
        ).add_to(m)
        add_labels(m, sites, "site", lang)
    Legend(public_legend(lang)).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    return localise(m)


__all__ = ["public_legend", "public_map"]
