"""Tickets on maps: the open-issues map, the ticket page's small map, the report map.

One GeoJson per status (never one folium object per ticket). A ticket is a triangle in its
status colour with a "!" (black-edged when overdue), a located problem a red pin: two shapes
that read apart on a blank background as well as on a basemap, unlike the dots and lines of
sites. Legends explain both; popups name number, category, platform, status and deadline.
Every map goes through `new_map` and `localise`, so nothing is fetched from outside the
machine, and carries township names when outlines are given.
"""

from __future__ import annotations

from html import escape
from typing import Any

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


TICKET_SIZE = (24, 22)
PIN_SIZE = (26, 36)


def _dark_mark(colour: str) -> bool:
    """A light fill (e.g. 承办's pale orange) takes a dark "!", a dark fill a white one."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.299 * r + 0.587 * g + 0.114 * b > 150


def ticket_svg(colour: str, overdue: bool = False, scale: float = 1.0) -> str:
    """A ticket's symbol: a warning triangle in the status colour with a "!", edged white on
    a thin dark line, or thick black when overdue. Inline SVG, no file or font to fetch."""
    width, height = (round(v * scale) for v in TICKET_SIZE)
    outer, inner = ("#000000", 5.5) if overdue else ("#37474f", 4.0)
    edge = "#000000" if overdue else "#ffffff"
    mark = "#1f2933" if _dark_mark(colour) else "#ffffff"
    path = "M12 2 L22.5 20 L1.5 20 Z"
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 24 22" role="img">'
        f'<path d="{path}" fill="none" stroke="{outer}" stroke-width="{inner}" '
        'stroke-linejoin="round"/>'
        f'<path d="{path}" fill="{colour}" stroke="{edge}" stroke-width="2" '
        'stroke-linejoin="round"/>'
        f'<text x="12" y="18" text-anchor="middle" font-size="12" font-weight="700" '
        f'font-family="sans-serif" fill="{mark}">!</text></svg>'
    )


def pin_svg(colour: str = CHOSEN_COLOUR, scale: float = 1.0) -> str:
    """A located problem: a map pin whose tip is the place."""
    width, height = (round(v * scale) for v in PIN_SIZE)
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 26 36" role="img">'
        '<path d="M13 1.5C6.6 1.5 1.5 6.6 1.5 13c0 8.6 11.5 21.5 11.5 21.5S24.5 21.6 24.5 13'
        f'C24.5 6.6 19.4 1.5 13 1.5z" fill="{colour}" stroke="#ffffff" stroke-width="2"/>'
        '<circle cx="13" cy="13" r="4.5" fill="#ffffff"/></svg>'
    )


def _box(title: str | None, rows: list[str]) -> str:
    head = f"<b>{escape(title)}</b>" if title else ""
    return (
        '<div style="background:rgba(255,255,255,.92);padding:6px 8px;border-radius:4px;'
        'font-size:12px;line-height:20px;box-shadow:0 1px 4px rgba(0,0,0,.3)">'
        f"{head}{''.join(rows)}</div>"
    )


def _row(symbol: str, text: str) -> str:
    return (
        '<div style="display:flex;align-items:center;gap:6px">'
        f'<span style="display:inline-flex;width:22px;justify-content:center">{symbol}</span>'
        f"{escape(text)}</div>"
    )


def legend_html(statuses: list[str], lang: str = "zh") -> str:
    """Legend HTML: the ticket symbol in each status colour shown, then the overdue edge."""
    rows = [
        _row(ticket_svg(STATUS_COLOURS.get(s, "#555555"), scale=0.8), status_name(s, lang))
        for s in statuses
    ]
    rows.append(
        _row(ticket_svg("#ffffff", overdue=True, scale=0.8), i18n.text("map_tickets.overdue", lang))
    )
    return _box(i18n.text("map_tickets.legend", lang), rows)


def report_legend_html(lang: str = "zh", sites: bool = True) -> str:
    """Legend of the report map: the pin is where the problem is, blue are the deputy's sites
    (``sites``: the map draws some). Without sites — the public's 有奖举报, a deputy with none —
    the pin's one line, no title: nothing names a layer that is not there."""
    pin = _row(pin_svg(scale=0.55), i18n.text("map_tickets.problem_pin", lang))
    if not sites:
        return _box(None, [pin])
    site = (
        f'<span style="display:inline-block;width:12px;height:12px;border-radius:6px;'
        f'background:{SITE_COLOUR};opacity:.8"></span>'
    )
    return _box(
        i18n.text("map_tickets.chosen", lang),
        [pin, _row(site, i18n.text("map_tickets.your_sites", lang))],
    )


def _symbol(html: str, size: tuple[int, int], anchor: tuple[int, int]) -> folium.Marker:
    """A GeoJson marker drawn as the given inline SVG (a divIcon: no image file, no CDN)."""
    return folium.Marker(
        icon=folium.DivIcon(
            html=html, icon_size=size, icon_anchor=anchor, class_name="shuijian-symbol"
        )
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
    """Per ticket: its symbol's SVG (the divIcon's html), by status and overdue."""
    props = feature["properties"]
    colour = STATUS_COLOURS.get(props["code"], "#555555")
    return {"html": ticket_svg(colour, overdue=bool(props.get("overdue")))}


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
            name=i18n.text(
                "with_aside", lang, name=status_name(status, lang), aside=len(of_status)
            ),
            style_function=_ticket_style,
            marker=_symbol(ticket_svg("#555555"), TICKET_SIZE, (12, 14)),
            popup=folium.GeoJsonPopup(
                fields=POPUP_FIELDS,
                aliases=[i18n.text(f"map_tickets.{f}", lang) for f in POPUP_FIELDS],
            ),
            tooltip=folium.GeoJsonTooltip(fields=["number"], labels=False),
        ).add_to(m)
    return drawn


def _bounds(frames: list[gpd.GeoDataFrame]) -> Bounds | None:
    """Around the frames, padded: a single point still gets a readable neighbourhood."""
    return frame_bounds(frames, pad=0.002)


def tickets_map(
    tickets: gpd.GeoDataFrame,
    county: gpd.GeoDataFrame | None = None,
    townships: gpd.GeoDataFrame | None = None,
    lang: str = "zh",
    tianditu_key: str | None = None,
    bounds: tuple[tuple[float, float], tuple[float, float]] | None = None,
) -> folium.Map:
    """The open-issues map, fitted to `bounds` (the county or the township filter) or else
    to the county and tickets: outlines and township names for orientation, tickets as
    status-coloured triangles, a legend."""
    m = new_map(bounds or _bounds([county, tickets]), tianditu_key, townships=townships, lang=lang)
    add_outlines(m, county, townships, lang)
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
    m = new_map(_bounds(shown[:1]), tianditu_key, townships=townships, lang=lang)
    add_outlines(m, county, townships, lang)
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
        add_labels(m, sites, "site", lang)
    Legend(report_legend_html(lang, sites=not sites.empty)).add_to(m)
    return localise(m)


def chosen_point(point: tuple[float, float] | None, lang: str = "zh") -> folium.FeatureGroup:
    """The problem's location (lon, lat) as a red pin on top of `report_map`; an empty group
    when none is chosen yet, so st_folium always gets the same kind of argument."""
    group = folium.FeatureGroup(name=i18n.text("map_tickets.chosen", lang))
    if point is None:
        return group
    lon, lat = point
    folium.Marker(
        location=[lat, lon],
        icon=folium.DivIcon(
            html=pin_svg(), icon_size=PIN_SIZE, icon_anchor=(13, 35), class_name="shuijian-symbol"
        ),
        tooltip=i18n.text("map_tickets.chosen", lang),
    ).add_to(group)
    return group


def ticket_map(
    ticket: gpd.GeoDataFrame,
    lang: str = "zh",
    tianditu_key: str | None = None,
    townships: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """The ticket page's small map: the one ticket, zoomed in, with its popup and legend
    (and township names, when the outlines are given)."""
    m = new_map(_bounds([ticket]), tianditu_key, townships=townships, lang=lang)
    drawn = add_tickets(m, ticket, lang)
    if drawn:
        Legend(legend_html(drawn, lang)).add_to(m)
    return localise(m)


__all__ = [
    "STATUS_COLOURS",
    "add_tickets",
    "chosen_point",
    "legend_html",
    "pin_svg",
    "report_legend_html",
    "report_map",
    "ticket_svg",
    "ticket_map",
    "tickets_map",
]
