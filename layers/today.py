"""The leader's map of today: every site a dot coloured by its state today (`duty.today`).

Dots, not outlines (`reports.glance.site_shapes` gives a point on each site): at county zoom a
pond is a speck, and the question is each site's colour. One GeoJson per state (never one
folium object per site), each in the layer control with its count, so a leader can switch the
done sites off and see only what needs attention. Built on `layers.basemap.new_map` (basemap,
scale, township names) and finished by `localise`, so nothing is fetched from outside.
"""

from __future__ import annotations

from html import escape
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

import i18n
from duty.today import TODAY_STATUSES
from layers.basemap import add_outlines, light, localise, new_map
from layers.overview import Legend

# Warm colours need someone to go; green is done; blue-grey waits; purple was never seen.
STATE_COLOURS: dict[str, str] = {
    "overdue": "#d7301f",
    "due_soon": "#fd8d3c",
    "never": "#7a0177",
    "pending": "#74a9cf",
    "done": "#1a9850",
    "unassigned": "#969696",
}
POPUP_FIELDS = ["name", "code", "kind", "class", "township", "deputy", "last_visit", "deadline",
                "state"]  # fmt: skip


def state_name(code: str, lang: str = "zh") -> str:
    return i18n.label("today_status", code, lang)


def _layer_name(state: str, n: int, lang: str) -> str:
    return i18n.text("glance_map.layer", lang, status=state_name(state, lang), n=n)


def legend_html(counts: dict[str, int], lang: str = "zh") -> str:
    """Legend HTML: one swatch per state in precedence order, with its count."""
    dot = (
        '<span style="display:inline-block;width:12px;height:12px;margin-right:6px;'
        'border-radius:6px;background:{c}"></span>'
    )
    rows = [
        f"<div>{dot.format(c=STATE_COLOURS[s])}"
        f"{escape(_layer_name(s, counts.get(s, 0), lang))}</div>"
        for s in TODAY_STATUSES
    ]
    return (
        '<div style="background:rgba(255,255,255,.92);padding:6px 8px;border-radius:4px;'
        'font-size:12px;line-height:18px;box-shadow:0 1px 4px rgba(0,0,0,.3)">'
        f"<b>{escape(i18n.text('glance_map.legend', lang))}</b>{''.join(rows)}</div>"
    )


def _day(value: object, lang: str) -> str:
    if value is None or pd.isna(value):
        return i18n.text("glance_map.none", lang)
    return i18n.day(pd.Timestamp(value).date(), lang)


def _popup_frame(sites: gpd.GeoDataFrame, lang: str) -> gpd.GeoDataFrame:
    """Only what the popup shows, in the chosen language, with rounded coordinates."""
    column = sites.geometry.name
    none = i18n.text("glance_map.none", lang)
    out = gpd.GeoDataFrame(
        {
            "name": sites["name"].astype(str),
            "code": sites["code"].astype(str),
            "kind": [i18n.label("site_kind", k, lang) for k in sites["kind"]],
            "class": [i18n.label("site_class", int(c), lang) for c in sites["site_class"]],
            "township": sites["township"].astype(str),
            "deputy": [d if d else none for d in sites["deputy_name"]],
            "last_visit": [_day(v, lang) for v in sites["last_visit"]],
            "deadline": [_day(v, lang) for v in sites["deadline"]],
            "state": [state_name(s, lang) for s in sites["today"]],
            "today": sites["today"].astype(str),
        },
        geometry=sites[column].to_numpy(),
        crs=sites.crs,
    )
    return light(out)


def _style(feature: dict[str, Any]) -> dict[str, Any]:
    colour = STATE_COLOURS.get(feature["properties"]["today"], "#555555")
    if feature["geometry"]["type"] in ("LineString", "MultiLineString"):
        return {"color": colour, "weight": 4, "opacity": 0.9}
    return {"color": "#ffffff", "weight": 1, "fillColor": colour, "fillOpacity": 0.9}


def add_today_sites(m: folium.Map, sites: gpd.GeoDataFrame, lang: str = "zh") -> dict[str, int]:
    """One GeoJson layer per state present, most urgent drawn last (on top); returns the
    count per state."""
    counts = {s: int((sites["today"] == s).sum()) for s in TODAY_STATUSES} if len(sites) else {}
    if sites.empty:
        return counts
    frame = _popup_frame(sites, lang)
    for state in reversed(TODAY_STATUSES):
        of_state = frame[frame["today"] == state]
        if of_state.empty:
            continue
        folium.GeoJson(
            of_state,
            name=i18n.text(
                "glance_map.layer", lang, status=state_name(state, lang), n=len(of_state)
            ),
            style_function=_style,
            marker=folium.CircleMarker(radius=5, fill=True),
            popup=folium.GeoJsonPopup(
                fields=POPUP_FIELDS,
                aliases=[i18n.text(f"glance_map.{f}", lang) for f in POPUP_FIELDS],
            ),
            tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
        ).add_to(m)
    return counts


def today_map(
    sites: gpd.GeoDataFrame,
    county: gpd.GeoDataFrame | None = None,
    townships: gpd.GeoDataFrame | None = None,
    lang: str = "zh",
    tianditu_key: str | None = None,
    bounds: tuple[tuple[float, float], tuple[float, float]] | None = None,
) -> folium.Map:
    """The glance page's map: outlines for orientation, sites by state today, a legend."""
    m = new_map(bounds, tianditu_key, townships=townships, lang=lang)
    add_outlines(m, county, townships, lang)
    counts = add_today_sites(m, sites, lang)
    Legend(legend_html(counts, lang)).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    return localise(m)


__all__ = ["STATE_COLOURS", "add_today_sites", "legend_html", "state_name", "today_map"]
