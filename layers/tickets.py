"""Tickets on maps: the open-issues map, the ticket page's small map, the report map.

One GeoJson per status (never one folium object per ticket), coloured by status, with a
legend and popups naming number, category, platform, status and deadline. Every map goes
through `new_map` and `localise`, so nothing is fetched from outside the machine.
"""

from __future__ import annotations

from html import escape
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

import i18n
from layers.basemap import localise, new_map
from layers.overview import Legend
from layers.patrols import light
from tickets.lifecycle import STATUSES

# Warm colours wait on someone, green is done, grey left the process.
STATUS_COLOURS: dict[str, str] = {
    "reported": "#e31a1c",
    "assigned": "#ff7f00",
    "accepted": "#fdbf6f",
    "fed_back": "#1f78b4",
    "reinspected": "#6a3d9a",
    "rated": "#b15928",
    "closed": "#33a02c",
    "withdrawn": "#969696",
}
OVERDUE_COLOUR = "#000000"
SITE_COLOUR = "#2b8cbe"
CHOSEN_COLOUR = "#e31a1c"
POPUP_FIELDS = ["number", "category", "platform", "status", "deadline"]


def status_name(status: str, lang: str = "zh") -> str:
    return i18n.label("ticket_status", status, lang)


def legend_html(statuses: list[str], lang: str = "zh") -> str:
    """Legend HTML: one swatch per status shown, then the overdue ring."""
    dot = (
        '<span style="display:inline-block;width:12px;height:12px;margin-right:6px;'
        'border-radius:6px;background:{c};border:2px solid {b}"></span>'
    )
    rows = [
        f"<div>{dot.format(c=STATUS_COLOURS.get(s, '#555'), b=STATUS_COLOURS.get(s, '#555'))}"
        f"{escape(status_name(s, lang))}</div>"
        for s in statuses
    ]
    rows.append(
        f"<div>{dot.format(c='#ffffff', b=OVERDUE_COLOUR)}"
        f"{escape(i18n.text('map_tickets.overdue', lang))}</div>"
    )
    return (
        '<div style="background:rgba(255,255,255,.92);padding:6px 8px;border-radius:4px;'
        'font-size:12px;line-height:18px;box-shadow:0 1px 4px rgba(0,0,0,.3)">'
        f"<b>{escape(i18n.text('map_tickets.legend', lang))}</b>{''.join(rows)}</div>"
    )


def _popup_frame(tickets: gpd.GeoDataFrame, lang: str) -> gpd.GeoDataFrame:
    """Only what the popup shows, in the chosen language, with rounded coordinates."""
    column = tickets.geometry.name
    out = gpd.GeoDataFrame(
        {
            "number": tickets["number"].astype(str),
            "category": tickets["category_en" if lang == "en" else "category_zh"].astype(str),
            "platform": tickets["platform_en" if lang == "en" else "platform_zh"].astype(str),
            "status": [status_name(s, lang) for s in tickets["status"]],
            "deadline": [str(d) for d in tickets["deadline"]],
            "overdue": tickets["overdue"].astype(bool),
            "code": tickets["status"].astype(str),
        },
        geometry=tickets[column].to_numpy(),
        crs=tickets.crs,
    )
    return light(out)


def _ticket_style(feature: dict[str, Any]) -> dict[str, Any]:
    props = feature["properties"]
    colour = STATUS_COLOURS.get(props["code"], "#555555")
    ring = OVERDUE_COLOUR if props.get("overdue") else colour
    return {
        "color": ring,
        "weight": 3 if props.get("overdue") else 1.5,
        "fillColor": colour,
        "fillOpacity": 0.85,
    }


def add_tickets(m: folium.Map, tickets: gpd.GeoDataFrame, lang: str = "zh") -> list[str]:
    """One GeoJson layer per status present; returns the statuses drawn, in lifecycle order."""
    if tickets.empty:
        return []
    frame = _popup_frame(tickets, lang)
    drawn = []
    for status in STATUSES:
        of_status = frame[frame["code"] == status]
        if of_status.empty:
            continue
        drawn.append(status)
        folium.GeoJson(
            of_status,
            name=f"{status_name(status, lang)}（{len(of_status)}）",
            style_function=_ticket_style,
            marker=folium.CircleMarker(radius=8, fill=True),
            popup=folium.GeoJsonPopup(
                fields=POPUP_FIELDS,
                aliases=[i18n.text(f"map_tickets.{f}", lang) for f in POPUP_FIELDS],
            ),
            tooltip=folium.GeoJsonTooltip(fields=["number"], labels=False),
        ).add_to(m)
    return drawn


def _outlines(
    m: folium.Map, county: gpd.GeoDataFrame | None, townships: gpd.GeoDataFrame | None, lang: str
) -> None:
    if county is not None and not county.empty:
        folium.GeoJson(
            light(county[["name", county.geometry.name]]),
            name=i18n.text("map_tickets.county", lang),
            style_function=lambda _: {"color": "#252525", "weight": 2.5, "fill": False},
            interactive=False,
        ).add_to(m)
    if townships is not None and not townships.empty:
        folium.GeoJson(
            light(townships[["name", townships.geometry.name]]),
            name=i18n.text("map_tickets.townships", lang),
            style_function=lambda _: {
                "color": "#737373",
                "weight": 1.2,
                "dashArray": "6 4",
                "fill": False,
            },
            interactive=False,
        ).add_to(m)


def _bounds(frames: list[gpd.GeoDataFrame]) -> tuple[tuple[float, float], tuple[float, float]]:
    west, south, east, north = pd.concat([f.geometry for f in frames]).total_bounds
    pad = 0.002  # a single point still gets a readable neighbourhood
    return ((float(south) - pad, float(west) - pad), (float(north) + pad, float(east) + pad))


def tickets_map(
    tickets: gpd.GeoDataFrame,
    county: gpd.GeoDataFrame | None = None,
    townships: gpd.GeoDataFrame | None = None,
    lang: str = "zh",
    tianditu_key: str | None = None,
    bounds: tuple[tuple[float, float], tuple[float, float]] | None = None,
) -> folium.Map:
    """The open-issues map: outlines for orientation, tickets coloured by status, a legend."""
    shown = [f for f in (county, tickets) if f is not None and not f.empty]
    m = new_map(bounds or (_bounds(shown) if shown else None), tianditu_key)
    _outlines(m, county, townships, lang)
    drawn = add_tickets(m, tickets, lang)
    Legend(legend_html(drawn or list(STATUS_COLOURS), lang)).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    return localise(m)


def report_map(
    sites: gpd.GeoDataFrame,
    county: gpd.GeoDataFrame | None = None,
    townships: gpd.GeoDataFrame | None = None,
    lang: str = "zh",
    tianditu_key: str | None = None,
) -> folium.Map:
    """Where to click when reporting: the deputy's sites (fitted to them) over the outlines.

    The chosen point is not drawn here but handed to st_folium as `feature_group_to_add`
    (see `chosen_point`), so a click does not rebuild and re-fit the whole map.
    """
    shown = [f for f in (sites, county) if f is not None and not f.empty]
    m = new_map(_bounds(shown[:1]) if shown else None, tianditu_key)
    _outlines(m, county, townships, lang)
    if not sites.empty:
        folium.GeoJson(
            light(sites[["name", "code", sites.geometry.name]]),
            name=i18n.text("map_tickets.sites", lang),
            style_function=lambda _: {
                "color": SITE_COLOUR,
                "weight": 2,
                "fillColor": SITE_COLOUR,
                "fillOpacity": 0.35,
            },
            marker=folium.CircleMarker(radius=7, fill=True),
            tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
        ).add_to(m)
    return localise(m)


def chosen_point(point: tuple[float, float] | None, lang: str = "zh") -> folium.FeatureGroup:
    """The problem's location (lon, lat) as a red dot on top of `report_map`; an empty group
    when none is chosen yet, so st_folium always gets the same kind of argument."""
    group = folium.FeatureGroup(name=i18n.text("map_tickets.chosen", lang))
    if point is None:
        return group
    lon, lat = point
    folium.CircleMarker(
        location=[lat, lon],
        radius=9,
        color="#ffffff",
        weight=2,
        fill=True,
        fill_color=CHOSEN_COLOUR,
        fill_opacity=0.95,
        tooltip=i18n.text("map_tickets.chosen", lang),
    ).add_to(group)
    return group


def ticket_map(
    ticket: gpd.GeoDataFrame, lang: str = "zh", tianditu_key: str | None = None
) -> folium.Map:
    """The ticket page's small map: the one ticket, zoomed in, with its popup."""
    m = new_map(_bounds([ticket]) if not ticket.empty else None, tianditu_key)
    add_tickets(m, ticket, lang)
    return localise(m)


__all__ = [
    "STATUS_COLOURS",
    "add_tickets",
    "chosen_point",
    "legend_html",
    "report_map",
    "ticket_map",
    "tickets_map",
]
