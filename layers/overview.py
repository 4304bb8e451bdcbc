"""The overview map: county outline, townships, the three grid levels and the sites.

One folium.GeoJson per layer (per grid level, per site kind), never one object per feature, so
the page stays fast with ~1,500 shapes. Colours say a site's class; a small legend explains them.
"""

from __future__ import annotations

from collections.abc import Collection
from html import escape
from typing import Any

import folium
import geopandas as gpd
from branca.element import MacroElement
from jinja2 import Template

import i18n
from core.vocab import GRID_LEVELS, SITE_CLASSES, SITE_KINDS
from geo.overview import MapLayers
from layers.basemap import add_labels, add_outlines, light, localise, new_map
from layers.register import add_registered, legend_row

CLASS_COLOURS: dict[int, str] = {1: "#d7301f", 2: "#f39c12", 3: "#2b8cbe"}
LEVEL_STYLES: dict[int, dict[str, Any]] = {
    1: {"color": "#08306b", "weight": 2.5, "fillOpacity": 0.02},
    2: {"color": "#2171b5", "weight": 1.2, "fillOpacity": 0.02},
    3: {"color": "#6baed6", "weight": 0.6, "fillOpacity": 0.02},
}
# Large cells show by default; medium and small are one click away in the layer control.
LEVEL_SHOWN: dict[int, bool] = {1: True, 2: False, 3: False}
# Coordinates are rounded for display (~0.1 m) to keep the page light.


class Legend(MacroElement):
    """A Leaflet control holding static HTML, drawn by the map script itself.

    Emitted as script rather than page HTML so that streamlit-folium, which only forwards the
    map's script, shows it too. On a phone-wide frame (``basemap.PHONE_WIDTH_PX``) it is drawn
    smaller and, when it has a title (a leading ``<b>``), folded to that title: a tap opens and
    folds it again (elsewhere the fold changes nothing). A click on it never reaches the map
    (a report map would take it for the problem's place).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: "bottomright"});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create("div", "shuijian-legend");
            div.innerHTML = {{ this.html|tojson }};
            L.DomEvent.disableClickPropagation(div);
            var box = div.firstElementChild;
            var head = box && box.firstElementChild;
            if (head && head.tagName === "B") {
                div.classList.add("shuijian-legend-titled", "shuijian-legend-folded");
                div.addEventListener("click", function () {
                    div.classList.toggle("shuijian-legend-folded");
                });
            }
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, html: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.html = html


def legend_html(lang: str = "zh", registered: bool = False) -> str:
    """The site classes' colours, and the registered sites' ring when the map draws some."""
    rows = "".join(
        f'<div><span style="display:inline-block;width:12px;height:12px;margin-right:6px;'
        f'background:{CLASS_COLOURS[c]};border-radius:2px"></span>'
        f"{escape(i18n.label('site_class', c, lang))}</div>"
        for c in SITE_CLASSES
    ) + (legend_row(lang) if registered else "")
    return (
        '<div style="background:rgba(255,255,255,.9);padding:6px 8px;border-radius:4px;'
        'font-size:12px;line-height:18px;box-shadow:0 1px 4px rgba(0,0,0,.3)">'
        f"<b>{escape(i18n.text('map_overview.legend', lang))}</b>{rows}</div>"
    )


def _cells_frame(cells: gpd.GeoDataFrame, level: int, lang: str) -> gpd.GeoDataFrame:
    out = cells[["code", "township", "site_count", "geom"]].copy()
    out["level"] = i18n.label("grid_level", level, lang)
    out["site_count"] = out["site_count"].astype(int)
    return light(out)


def _sites_frame(sites: gpd.GeoDataFrame, lang: str) -> gpd.GeoDataFrame:
    out = sites[["code", "name", "township", "cell", "deputy", "site_class", "geom"]].copy()
    out["kind"] = [i18n.label("site_kind", k, lang) for k in sites["kind"]]
    out["class"] = [i18n.label("site_class", int(c), lang) for c in sites["site_class"]]
    out["site_class"] = out["site_class"].astype(int)
    out["deputy"] = out["deputy"].where(
        out["deputy"] != "", i18n.text("map_overview.unassigned", lang)
    )
    return light(out)


def _site_style(feature: dict[str, Any]) -> dict[str, Any]:
    colour = CLASS_COLOURS.get(int(feature["properties"]["site_class"]), "#555555")
    kind = feature["geometry"]["type"]
    if kind in ("LineString", "MultiLineString"):
        return {"color": colour, "weight": 4, "opacity": 0.9}
    return {"color": colour, "weight": 1, "fillColor": colour, "fillOpacity": 0.7}


def _popup(fields: list[str], lang: str) -> folium.GeoJsonPopup:
    return folium.GeoJsonPopup(
        fields=fields, aliases=[i18n.text(f"map_overview.{f}", lang) for f in fields]
    )


def overview_map(
    layers: MapLayers,
    lang: str = "zh",
    tianditu_key: str | None = None,
    registered: Collection[str] = (),
) -> folium.Map:
    """The whole overview map, ready for st_folium or `get_root().render()`: fitted to the
    county or the township chosen, township names always, site names from zoom 13; the sites
    whose codes are in ``registered`` (挂号) ringed in red."""
    m = new_map(layers.bounds, tianditu_key, townships=layers.townships, lang=lang)
    add_outlines(m, layers.county, layers.townships, lang)
    for level in GRID_LEVELS:
        cells = layers.cells.get(level)
        if cells is None or cells.empty:
            continue
        style = LEVEL_STYLES[level]
        folium.GeoJson(
            _cells_frame(cells, level, lang),
            name=i18n.label("grid_level", level, lang),
            show=LEVEL_SHOWN[level],
            style_function=lambda _, s=style: {"fillColor": s["color"], **s},
            popup=_popup(["code", "level", "township", "site_count"], lang),
        ).add_to(m)
    sites = _sites_frame(layers.sites, lang) if not layers.sites.empty else layers.sites
    for kind in SITE_KINDS:
        of_kind = sites[layers.sites["kind"] == kind] if not sites.empty else sites
        if of_kind.empty:
            continue
        folium.GeoJson(
            of_kind,
            name=i18n.label("site_kind", kind, lang),
            style_function=_site_style,
            marker=folium.CircleMarker(radius=5, fill=True),
            popup=_popup(["name", "kind", "class", "township", "cell", "deputy"], lang),
        ).add_to(m)
    ringed = add_registered(m, layers.sites, registered, lang)
    add_labels(m, layers.sites, "site", lang)
    Legend(legend_html(lang, ringed)).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)  # open, it covers the map on a phone
    return localise(m)
