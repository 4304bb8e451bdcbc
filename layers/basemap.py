"""The one way to start a folium map: offline by default, Tianditu tiles only with a key.

folium loads Leaflet, jQuery, Bootstrap and Font Awesome from public CDNs. The dashboard must
work without internet, so every map points at the Leaflet vendored under static/vendor/ (served
by Streamlit at /app/static/) and drops the libraries nothing here uses. `localise` refuses any
other remote link, so a plugin added later cannot silently reach the internet.
"""

from __future__ import annotations

from collections.abc import Iterator

import folium
from branca.element import Element

from core.errors import ConfigurationError

STATIC_URL = "/app/static/vendor"
LOCAL_JS: dict[str, str] = {"leaflet": f"{STATIC_URL}/leaflet/leaflet.js"}
LOCAL_CSS: dict[str, str] = {"leaflet_css": f"{STATIC_URL}/leaflet/leaflet.css"}
# folium.Map's defaults that no layer of ours needs (we draw CircleMarkers, not icon markers).
UNUSED = frozenset(
    {
        "jquery",
        "bootstrap",
        "awesome_markers",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers_font_css",
        "awesome_markers_css",
        "awesome_rotate_css",
    }
)

TIANDITU_URL = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
TIANDITU_ATTRIBUTION = "天地图 © 国家地理信息公共服务平台"
# Shown where tiles would be, so an offline map reads as deliberate, not broken.
BLANK_BACKGROUND = "#eef2f4"


def new_map(
    bounds: tuple[tuple[float, float], tuple[float, float]] | None,
    tianditu_key: str | None = None,
) -> folium.Map:
    """A map fitted to ((south, west), (north, east)); no tiles at all unless a key is given."""
    if bounds is None:
        centre, zoom = (29.0, 118.5), 10
    else:
        (south, west), (north, east) = bounds
        centre, zoom = ((south + north) / 2, (west + east) / 2), 11
    m = folium.Map(location=centre, zoom_start=zoom, tiles=None, control_scale=True)
    if tianditu_key:
        for layer, name in (("vec", "天地图矢量"), ("cva", "天地图注记")):
            folium.TileLayer(
                tiles=TIANDITU_URL.format(s="{s}", layer=layer, key=tianditu_key),
                attr=TIANDITU_ATTRIBUTION,
                name=name,
                subdomains="01234567",
                max_zoom=18,
                overlay=layer == "cva",
                control=False,
            ).add_to(m)
    else:
        m.get_root().header.add_child(
            Element(f"<style>.leaflet-container {{ background: {BLANK_BACKGROUND}; }}</style>")
        )
    if bounds is not None:
        m.fit_bounds([list(bounds[0]), list(bounds[1])])
    return m


def _elements(element: object) -> Iterator[object]:
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _elements(child)


def localise(m: folium.Map) -> folium.Map:
    """Point every JS/CSS link of the map's elements at the vendored copies.

    Call after all layers are added. Raises ConfigurationError naming an element whose library
    is not vendored, rather than letting the browser fetch it from a CDN.
    """
    for element in _elements(m):
        for attr, local in (("default_js", LOCAL_JS), ("default_css", LOCAL_CSS)):
            links = getattr(element, attr, None)
            if not links:
                continue
            kept: list[tuple[str, str]] = []
            for name, url in links:
                if name in local:
                    kept.append((name, local[name]))
                elif url.startswith(STATIC_URL):
                    kept.append((name, url))
                elif name not in UNUSED:
                    raise ConfigurationError(
                        f"{type(element).__name__} needs {name} from {url}; vendor it under "
                        "static/vendor/ and map it in layers/basemap.py (the app runs offline)",
                        code="library_not_vendored",
                        element=type(element).__name__,
                        library=name,
                        url=url,
                    )
            setattr(element, attr, kept)
    return m
