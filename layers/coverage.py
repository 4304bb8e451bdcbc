"""The coverage-gap map: cells shaded by share on time, dead corners outlined, sites, tracks.

A five-step sequential scale (ColorBrewer YlGn) for the share of sites patrolled within their
windows; cells without sites grey; dead corners (死角) a thick red outline. One GeoJson per
layer; tracks are a layer that starts hidden. The legend is drawn by the map script itself.
"""

from __future__ import annotations

from collections.abc import Collection
from html import escape
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium.elements import JSCSSMixin
from jinja2 import Template

import i18n
from duty.coverage_map import CoverageMap
from duty.coverage_tiles import TILE_PX, ZOOM_OFFSET
from layers.basemap import VECTORGRID_JS, add_labels, light, localise, new_map
from layers.overview import Legend
from layers.patrols import add_tracks
from layers.register import add_registered, legend_row
from layers.volunteers import add_volunteer_tracks

SHARE_STEPS: tuple[tuple[float, str], ...] = (
    (0.2, "#ffffcc"),
    (0.4, "#c2e699"),
    (0.6, "#78c679"),
    (0.8, "#31a354"),
    (1.0001, "#006837"),
)
NO_SITES = "#bdbdbd"
DEAD_OUTLINE = "#e31a1c"
ON_TIME = "#1a9850"
MISSED = "#d73027"


def share_colour(share: float) -> str:
    """The scale's colour for a share in 0..1; grey for a cell without sites (NaN)."""
    if share is None or np.isnan(share):
        return NO_SITES
    for upper, colour in SHARE_STEPS:
        if share < upper:
            return colour
    return SHARE_STEPS[-1][1]


def _day(value: object, lang: str) -> str:
    return (
        i18n.text("map_coverage.none", lang)
        if pd.isna(value)
        else pd.Timestamp(value).strftime("%Y-%m-%d")
    )


def reasons_text(missed: Any, unassigned: Any, lang: str) -> list[str]:
    """Why each cell is a dead corner, from its counts: 「2 处未按期巡查；1 处无代表」, "" for
    a cell that is not one."""
    join = "；" if lang == "zh" else "; "
    out = []
    for m, u in zip(missed, unassigned, strict=True):
        parts = [i18n.text("coverage_reason.missed", lang, n=int(m))] if m > 0 else []
        if u > 0:
            parts.append(i18n.text("coverage_reason.unassigned", lang, n=int(u)))
        out.append(join.join(parts))
    return out


def grid_head_text(names: Any, phones: Any, lang: str) -> list[str]:
    """A small cell's grid head for its popup: the name, with the phone when the service gave
    it (only to roles that may read contacts); 「无」 for a cell without one."""
    out = []
    for name, phone in zip(names, phones, strict=True):
        if name is None or pd.isna(name):
            out.append(i18n.text("map_coverage.none", lang))
        elif phone is None or pd.isna(phone):
            out.append(str(name))
        else:
            out.append(i18n.text("map_coverage.grid_head_phone", lang, name=name, phone=phone))
    return out


def legend_html(lang: str = "zh", today: bool = False, registered: bool = False) -> str:
    """The legend; ``today``: the "as of today" view, whose shares and dots are not overdue /
    overdue now rather than on time / missed in the month; ``registered``: the map rings
    registered sites."""
    suffix = "_today" if today else ""
    box = (
        '<span style="display:inline-block;width:14px;height:12px;margin-right:6px;'
        'background:{fill};border:{border}"></span>'
    )
    lower = 0
    rows = []
    for upper, colour in SHARE_STEPS:
        top = min(round(upper * 100), 100)
        rows.append(f"<div>{box.format(fill=colour, border='1px solid #999')}{lower}–{top}%</div>")
        lower = top
    rows.append(
        f"<div>{box.format(fill=NO_SITES, border='1px solid #999')}"
        f"{escape(i18n.text('map_coverage.no_sites', lang))}</div>"
    )
    rows.append(
        f"<div>{box.format(fill='transparent', border=f'3px solid {DEAD_OUTLINE}')}"
        f"{escape(i18n.text('map_coverage.dead', lang))}</div>"
    )
    for key, colour in ((f"site_on_time{suffix}", ON_TIME), (f"site_missed{suffix}", MISSED)):
        dot = box.format(fill=colour, border="0").replace("border:0", "border-radius:7px")
        rows.append(f"<div>{dot}{escape(i18n.text(f'map_coverage.{key}', lang))}</div>")
    if registered:
        rows.append(legend_row(lang))
    return (
        '<div style="background:rgba(255,255,255,.92);padding:6px 8px;border-radius:4px;'
        'font-size:12px;line-height:18px;box-shadow:0 1px 4px rgba(0,0,0,.3)">'
        f"<b>{escape(i18n.text(f'map_coverage.share{suffix}', lang))}</b>{''.join(rows)}</div>"
    )


def _cell_style(feature: dict[str, Any]) -> dict[str, Any]:
    props = feature["properties"]
    dead = bool(props["dead_corner"])
    return {
        "fillColor": props["fill"],
        "fillOpacity": 0.65,
        "color": DEAD_OUTLINE if dead else "#636363",
        "weight": 3.5 if dead else 0.6,
    }


def _site_style(feature: dict[str, Any]) -> dict[str, Any]:
    colour = ON_TIME if feature["properties"]["on_time"] else MISSED
    if feature["geometry"]["type"] in ("LineString", "MultiLineString"):
        return {"color": colour, "weight": 4}
    return {"color": "#333333", "weight": 1, "fillColor": colour, "fillOpacity": 0.9}


def _cells_frame(data: CoverageMap, lang: str) -> Any:
    cells = data.cells
    out = cells[["code", "township", "sites", "sites_on_time", "dead_corner", "geom"]].copy()
    out["share_text"] = [
        i18n.text("map_coverage.no_sites", lang) if np.isnan(s) else i18n.percent(s, lang)
        for s in cells["share"]
    ]
    out["fill"] = [share_colour(s) for s in cells["share"]]
    out["dead"] = [i18n.text("yes" if d else "no", lang) for d in cells["dead_corner"]]
    out["reasons"] = reasons_text(cells["sites_missed"], cells["sites_unassigned"], lang)
    out["grid_head"] = grid_head_text(cells["head_name"], cells["head_phone"], lang)
    out["sites"] = out["sites"].astype(int)
    out["sites_on_time"] = out["sites_on_time"].astype(int)
    out["dead_corner"] = out["dead_corner"].astype(bool)
    return light(out)


def _sites_frame(data: CoverageMap, lang: str) -> Any:
    sites = data.sites
    out = sites[["code", "name", "deputy_name", "on_time", "geom"]].copy()
    out["kind"] = [i18n.label("site_kind", k, lang) for k in sites["kind"]]
    out["class"] = [i18n.label("site_class", int(c), lang) for c in sites["site_class"]]
    out["deputy_name"] = out["deputy_name"].where(
        out["deputy_name"] != "", i18n.text("map_coverage.none", lang)
    )
    out["last_visit"] = [_day(v, lang) for v in sites["last_visit"]]
    out["deadline"] = [_day(v, lang) for v in sites["deadline"]]
    out["status"] = [
        i18n.text("map_coverage.none", lang) if pd.isna(s) else i18n.label("site_status", s, lang)
        for s in sites["status"]
    ]
    out["assists"] = sites["assist_visits"].astype(int)
    out["on_time"] = out["on_time"].astype(bool)
    return light(out)


# Vector tiles (the cells of a city or a province, ui/vector_tiles.py): no deeper tiles than
# this are asked for; Leaflet enlarges them past it (a cell's outline needs no more).
TILES_MAX_NATIVE_ZOOM = 16
# Above this many sites the site layer is left out of a tiled map (each site would be a
# GeoJSON feature again); the cells carry the sites' status.
TILED_SITES_MAX = 5000


class CoverageTiles(JSCSSMixin, folium.map.Layer):
    """The cells as vector tiles from the app's own route, styled like ``_cell_style``
    (``share_colour``'s steps, grey without sites, dead corners outlined red), a popup with
    the cell's figures on click. Leaflet.VectorGrid is the vendored copy; its canvas renderer
    calls ``L.DomEvent.fakeStop``, which Leaflet 1.9 dropped, so a no-op stands in.
    ``data-vector-tiles`` on the map's container counts the views drawn (the browser test and
    the bench wait for it). ``JSCSSMixin``: folium and streamlit-folium load ``default_js``
    only for such elements."""

    default_js = [("vectorGrid", VECTORGRID_JS)]
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        if (L.DomEvent && !L.DomEvent.fakeStop) { L.DomEvent.fakeStop = function () {}; }
        var {{ this.get_name() }} = (function (map) {
            var steps = {{ this.steps|tojson }}, words = {{ this.words|tojson }};
            var none = {{ this.no_sites|tojson }};
            function fill(p) {
                if (p.share === undefined || p.share === null) { return none; }
                for (var i = 0; i < steps.length; i++) {
                    if (p.share < steps[i][0]) { return steps[i][1]; }
                }
                return steps[steps.length - 1][1];
            }
            function style(p) {
                var dead = !!p.dead;
                return {fill: true, fillColor: fill(p), fillOpacity: 0.65,
                        color: dead ? {{ this.dead_colour|tojson }} : "#636363",
                        weight: dead ? 3.5 : 0.6};
            }
            function esc(v) {
                return String(v).replace(/[&<>"]/g, function (c) {
                    return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c];
                });
            }
            function popup(p) {
                var share = (p.share === undefined || p.share === null) ? words.no_sites
                    : (Math.round(p.share * 1000) / 10) + "%";
                var why = [];
                if (p.missed > 0) { why.push(words.missed.replace("{n}", p.missed)); }
                if (p.unassigned > 0) { why.push(words.unassigned.replace("{n}", p.unassigned)); }
                var rows = [[words.code, p.code], [words.sites, p.sites],
                            [words.on_time, p.on_time], [words.share, share],
                            [words.dead, p.dead ? words.yes : words.no],
                            [words.reasons, why.join(words.join)]];
                return "<table>" + rows.map(function (r) {
                    return "<tr><th style='text-align:left;padding-right:6px'>" + esc(r[0])
                        + "</th><td>" + esc(r[1]) + "</td></tr>";
                }).join("") + "</table>";
            }
            var layer = L.vectorGrid.protobuf({{ this.url|tojson }}, {
                rendererFactory: L.canvas.tile,
                vectorTileLayerStyles: {cells: function (p) { return style(p); }},
                interactive: true,
                tileSize: {{ this.tile_px }},
                minNativeZoom: {{ this.zoom_offset }},
                maxNativeZoom: {{ this.max_native_zoom }},
                maxZoom: 19,
                fetchOptions: {credentials: "same-origin"}
            });
            // 512-px tiles: the tile drawn at map zoom z covers the 256-px tile of zoom z - 1,
            // which is what the server is asked for. VectorGrid puts the map's zoom in its URL
            // and ignores Leaflet's zoomOffset, so the zoom is lowered here.
            var fetchTile = layer._getVectorTilePromise;
            layer._getVectorTilePromise = function (coords, bounds) {
                var asked = L.extend({}, coords, {z: coords.z - {{ this.zoom_offset }}});
                return fetchTile.call(this, asked, bounds);
            };
            layer.on("click", function (e) {
                L.popup().setLatLng(e.latlng).setContent(popup(e.layer.properties)).openOn(map);
            });
            layer.on("load", function () {
                var box = map.getContainer();
                box.dataset.vectorTiles = String(Number(box.dataset.vectorTiles || 0) + 1);
            });
            return layer;
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, url: str, name: str, lang: str) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "CoverageTiles"
        self.url = url
        self.steps = [[upper, colour] for upper, colour in SHARE_STEPS]
        self.no_sites = NO_SITES
        self.dead_colour = DEAD_OUTLINE
        self.max_native_zoom = TILES_MAX_NATIVE_ZOOM
        self.tile_px = TILE_PX
        self.zoom_offset = ZOOM_OFFSET
        keys = ("code", "sites", "on_time", "share", "dead", "reasons", "no_sites")
        self.words = {k: i18n.text(f"map_coverage.{k}", lang) for k in keys}
        self.words |= {
            "yes": i18n.text("yes", lang),
            "no": i18n.text("no", lang),
            "missed": i18n.text("coverage_reason.missed", lang, n="{n}"),
            "unassigned": i18n.text("coverage_reason.unassigned", lang, n="{n}"),
            "join": "；" if lang == "zh" else "; ",
        }


def township_shapes(cells: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Townships as the union of their cells (each cell lies in one township): where to put
    their names when the page passes no outlines."""
    if cells.empty:
        return gpd.GeoDataFrame({"name": []}, geometry=gpd.GeoSeries([], crs=4326))
    shapes = cells[["township", cells.geometry.name]].dissolve(by="township").reset_index()
    return shapes.rename(columns={"township": "name"})


def coverage_map_figure(
    data: CoverageMap,
    lang: str = "zh",
    tianditu_key: str | None = None,
    townships: gpd.GeoDataFrame | None = None,
    today: bool = False,
    registered: Collection[str] = (),
    volunteer_tracks: dict | None = None,
    tiles_url: str | None = None,
) -> folium.Map:
    """The whole coverage map, ready for st_folium: fitted to the county or the township
    chosen, township names (from `townships`, else from the cells), site names from zoom 13;
    the sites whose codes are in ``registered`` (挂号) ringed in red; the volunteer teams'
    tracks (a FeatureCollection) as their own layer when given.

    ``tiles_url``: the cells come as vector tiles from that URL template (a city or a
    province, ``CoverageTiles``) instead of one GeoJSON layer, and the sites are drawn only
    while there are at most ``TILED_SITES_MAX``."""
    if townships is None:
        townships = township_shapes(data.cells)
    m = new_map(data.bounds, tianditu_key, townships=townships, lang=lang)
    tiled = tiles_url is not None
    if tiled and not data.cells.empty:
        CoverageTiles(tiles_url, i18n.label("grid_level", data.level, lang), lang).add_to(m)
    elif not data.cells.empty:
        fields = ["code", "township", "sites", "sites_on_time", "share_text", "dead", "reasons"]
        keys = ["code", "township", "sites", "on_time", "share", "dead", "reasons"]
        if data.level == 3:  # only small cells have grid heads (网格长)
            fields.append("grid_head")
            keys.append("grid_head")
        folium.GeoJson(
            _cells_frame(data, lang),
            name=i18n.label("grid_level", data.level, lang),
            style_function=_cell_style,
            popup=folium.GeoJsonPopup(
                fields=fields, aliases=[i18n.text(f"map_coverage.{k}", lang) for k in keys]
            ),
        ).add_to(m)
    if not data.sites.empty and not (tiled and len(data.sites) > TILED_SITES_MAX):
        fields = [
            "name",
            "kind",
            "class",
            "deputy_name",
            "last_visit",
            "deadline",
            "status",
            "assists",
        ]
        keys = ["name", "kind", "class", "deputy", "last_visit", "deadline", "status", "assists"]
        folium.GeoJson(
            _sites_frame(data, lang),
            name=i18n.text("map_coverage.sites_layer", lang),
            style_function=_site_style,
            marker=folium.CircleMarker(radius=4, fill=True),
            popup=folium.GeoJsonPopup(
                fields=fields, aliases=[i18n.text(f"map_coverage.{k}", lang) for k in keys]
            ),
        ).add_to(m)
        add_labels(m, data.sites, "site", lang)
    ringed = add_registered(m, data.sites, registered, lang)
    add_tracks(m, data.tracks, lang, show=False)
    add_volunteer_tracks(m, volunteer_tracks, lang, show=True)
    Legend(legend_html(lang, today, ringed)).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)  # open, it covers the map on a phone
    return localise(m)


__all__ = [
    "CoverageTiles",
    "coverage_map_figure",
    "grid_head_text",
    "legend_html",
    "reasons_text",
    "share_colour",
    "township_shapes",
]
