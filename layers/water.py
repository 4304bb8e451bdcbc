"""The cross-sections' map: each section a dot coloured by its class of the month (I blue to
劣V red, the colours China's water-quality maps use; grey where the month has no sample),
ringed black when it missed its target. One GeoJson layer per class (never one folium object
per section), over the county and township outlines, fitted like every other map
(``layers.basemap``), with a legend that counts each class."""

from __future__ import annotations

from html import escape
from typing import Any

import folium
import geopandas as gpd

import i18n
from layers.basemap import Bounds, add_outlines, light, localise, new_map
from layers.overview import Legend

NOT_SAMPLED = "none"
CLASS_COLOURS: dict[str, str] = {
    "1": "#1f78b4",  # Ⅰ类 blue
    "2": "#6baed6",  # Ⅱ类 light blue
    "3": "#33a02c",  # Ⅲ类 green
    "4": "#ffd92f",  # Ⅳ类 yellow
    "5": "#ff7f00",  # Ⅴ类 orange
    "6": "#e31a1c",  # 劣Ⅴ类 red
    NOT_SAMPLED: "#969696",
}
MISSED_EDGE = "#000000"
TOOLTIP_FIELDS = ["code", "name", "townships", "class", "target", "attained"]


def class_name(code: str, lang: str) -> str:
    if code == NOT_SAMPLED:
        return i18n.text("water_class_none", lang)
    return i18n.label("water_class", code, lang)


def _frame(sections: gpd.GeoDataFrame, lang: str) -> gpd.GeoDataFrame:
    """Only what the tooltip shows, in the chosen language, with rounded coordinates."""
    none = i18n.text("water_no_upstream", lang)
    codes = [NOT_SAMPLED if c is None or c != c else str(int(c)) for c in sections["water_class"]]
    attained = [
        i18n.NONE
        if a is None or a != a
        else i18n.text("water_attained_yes" if a else "water_attained_no", lang)
        for a in sections["attained"]
    ]
    out = gpd.GeoDataFrame(
        {
            "code": sections["code"].astype(str),
            "name": sections["name"].astype(str),
            "townships": [
                f"{up if isinstance(up, str) else none} → {down}"
                for up, down in zip(sections["upstream"], sections["downstream"], strict=True)
            ],
            "class": [class_name(c, lang) for c in codes],
            "target": [i18n.label("water_class", int(t), lang) for t in sections["target_class"]],
            "attained": attained,
            "class_code": codes,
            "missed": [a is not None and a == a and not bool(a) for a in sections["attained"]],
        },
        geometry=sections.geometry.to_numpy(),
        crs=sections.crs,
    )
    return light(out)


def _style(feature: dict[str, Any]) -> dict[str, Any]:
    props = feature["properties"]
    missed = props["missed"]
    return {
        "color": MISSED_EDGE if missed else "#ffffff",
        "weight": 2.5 if missed else 1,
        "fillColor": CLASS_COLOURS.get(props["class_code"], CLASS_COLOURS[NOT_SAMPLED]),
        "fillOpacity": 0.95,
    }


def legend_html(counts: dict[str, int], title: str, lang: str) -> str:
    dot = (
        '<span style="display:inline-block;width:12px;height:12px;margin-right:6px;'
        'border-radius:6px;background:{c}"></span>'
    )
    rows = [
        f"<div>{dot.format(c=CLASS_COLOURS[code])}"
        f"{escape(i18n.text('water_map_layer', lang, name=class_name(code, lang), n=n))}</div>"
        for code, n in counts.items()
    ]
    return (
        '<div style="background:rgba(255,255,255,.92);padding:6px 8px;border-radius:4px;'
        'font-size:12px;line-height:18px;box-shadow:0 1px 4px rgba(0,0,0,.3)">'
        f"<b>{escape(title)}</b>{''.join(rows)}</div>"
    )


def water_map(
    sections: gpd.GeoDataFrame,
    title: str,
    county: gpd.GeoDataFrame | None = None,
    townships: gpd.GeoDataFrame | None = None,
    lang: str = "zh",
    tianditu_key: str | None = None,
    bounds: Bounds | None = None,
) -> folium.Map:
    """The sections of ``water.quality.map_frame`` (their class and attainment of a month)
    over the outlines; ``title`` heads the legend (it names the month)."""
    m = new_map(bounds, tianditu_key, townships=townships, lang=lang)
    add_outlines(m, county, townships, lang)
    counts: dict[str, int] = {}
    if not sections.empty:
        frame = _frame(sections, lang)
        for code in CLASS_COLOURS:
            chosen = frame[frame["class_code"] == code]
            if chosen.empty:
                continue
            counts[code] = len(chosen)
            folium.GeoJson(
                chosen,
                name=i18n.text("water_map_layer", lang, name=class_name(code, lang), n=len(chosen)),
                style_function=_style,
                marker=folium.CircleMarker(radius=8, fill=True),
                tooltip=folium.GeoJsonTooltip(
                    fields=TOOLTIP_FIELDS,
                    aliases=[i18n.text(f"water_map.{f}", lang) for f in TOOLTIP_FIELDS],
                ),
            ).add_to(m)
    Legend(legend_html(counts, title, lang)).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    return localise(m)


__all__ = ["CLASS_COLOURS", "legend_html", "water_map"]
