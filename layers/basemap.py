"""The one way to start a folium map: offline by default, readable without any basemap.

folium loads Leaflet, jQuery, Bootstrap and Font Awesome from public CDNs. The dashboard must
work without internet, so every map points at the Leaflet vendored under static/vendor/ (served
by Streamlit at /app/static/) and drops the libraries nothing here uses. `localise` refuses any
other remote link, so a plugin added later cannot silently reach the internet.

The basemap is chosen here and nowhere else: an intranet tile URL (`SHUIJIAN_TILE_URL`) before
a local MBTiles file the app serves itself (`SHUIJIAN_MBTILES`, ui/tiles.py) before Tianditu
(`TIANDITU_KEY`) before none. Without one, a map still reads: township names at their centres,
site names from zoom 13, a metric scale, the view fitted to what it shows.
"""

from __future__ import annotations

import html
from collections.abc import Iterator

import folium
import geopandas as gpd
import shapely
from branca.element import MacroElement
from jinja2 import Template

import i18n
from core import settings
from core.errors import ConfigurationError
from geo import mbtiles

STATIC_URL = "/app/static/vendor"
VECTORGRID_JS = f"{STATIC_URL}/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js"
# "vectorGrid" is folium.plugins.VectorGridProtobuf's name for the same plugin (from unpkg).
LOCAL_JS: dict[str, str] = {
    "leaflet": f"{STATIC_URL}/leaflet/leaflet.js",
    "vectorGrid": VECTORGRID_JS,
}
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
# The app's own tile route (ui/tiles.py); relative, so it is this machine whatever its name.
MBTILES_URL = "/tiles/{z}/{x}/{y}"
# Shown where tiles would be, so an offline map reads as deliberate, not broken.
BLANK_BACKGROUND = "#eef2f4"
SITE_LABEL_ZOOM = 13  # below this, site names would cover each other
MAX_ZOOM = 19
# Fractional zooms, so a fitted county fills its frame instead of the next whole zoom's half.
ZOOM_SNAP = 0.25
FIT_PADDING_PX = 8

Bounds = tuple[tuple[float, float], tuple[float, float]]

# A map frame at most this wide is a phone's: legends shrink, and fold to their title.
PHONE_WIDTH_PX = 480

# Labels and frame: injected by the map script itself (streamlit-folium forwards only the
# script reliably), once per document.
MAP_CSS = f"""
.shuijian-blank.leaflet-container {{ background: {BLANK_BACKGROUND}; }}
.shuijian-label {{ background: none; border: 0; }}
.shuijian-label span {{
  position: absolute; left: 0; top: 0; transform: translate(-50%, -50%);
  white-space: nowrap; pointer-events: none;
  font-family: "Noto Sans CJK SC", "WenQuanYi Zen Hei", "Microsoft YaHei", sans-serif;
  color: #1f2933; text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff, 0 0 1px #fff;
}}
.shuijian-label-township span {{ font-size: 14px; font-weight: 700; letter-spacing: 1px; }}
.shuijian-label-site span {{
  display: none; font-size: 11px; transform: translate(-50%, 7px); color: #263238;
}}
.shuijian-near .shuijian-label-site span {{ display: inline; }}
.shuijian-symbol {{ background: none; border: 0; }}
.shuijian-symbol svg {{ display: block; filter: drop-shadow(0 1px 1px rgba(0,0,0,.45)); }}
.shuijian-legend-titled {{ cursor: pointer; }}
@media (max-width: {PHONE_WIDTH_PX}px) {{
  .shuijian-legend {{ transform: scale(.8); transform-origin: 100% 100%; }}
  .leaflet-right .shuijian-legend {{ margin-right: 4px; margin-bottom: 4px; }}
  .shuijian-legend-folded > div > :not(b) {{ display: none; }}
  .shuijian-legend-folded > div > b::after {{ content: " \\25B8"; }}
}}
"""


class MapFrame(MacroElement):
    """What every map gets: the labels' style, a metric-only scale (folium's shows miles and
    feet too), the "near" class from zoom 13 (site names) and the blank background when no
    basemap is drawn."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            if (!document.getElementById("shuijian-map-css")) {
                var style = document.createElement("style");
                style.id = "shuijian-map-css";
                style.textContent = {{ this.css|tojson }};
                document.head.appendChild(style);
            }
            var box = map.getContainer();
            {% if this.blank %}box.classList.add("shuijian-blank");{% endif %}
            L.control.scale({imperial: false, metric: true, maxWidth: 160}).addTo(map);
            function near() {
                box.classList.toggle("shuijian-near", map.getZoom() >= {{ this.near_zoom }});
            }
            map.on("zoomend", near);
            map.whenReady(near);
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, blank: bool) -> None:
        super().__init__()
        self._name = "MapFrame"
        self.css = MAP_CSS
        self.blank = blank
        self.near_zoom = SITE_LABEL_ZOOM


class FitView(MacroElement):
    """fitBounds, and again whenever the frame changes size until the user moves the map.

    Why: streamlit-folium draws the map before its iframe has its final width, so a single
    fitBounds fits a smaller box and the county filled a third of the frame.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map, bounds) {
            var box = map.getContainer(), touched = false;
            var options = {padding: [{{ this.padding }}, {{ this.padding }}]};
            function fit() { map.invalidateSize(false); map.fitBounds(bounds, options); }
            ["mousedown", "wheel", "touchstart", "keydown"].forEach(function (name) {
                box.addEventListener(name, function () { touched = true; }, {passive: true});
            });
            fit();
            if (window.ResizeObserver) {
                var size = [box.clientWidth, box.clientHeight];
                new ResizeObserver(function () {
                    if (box.clientWidth === size[0] && box.clientHeight === size[1]) return;
                    size = [box.clientWidth, box.clientHeight];
                    if (touched) { map.invalidateSize(false); } else { fit(); }
                }).observe(box);
            }
        })({{ this._parent.get_name() }}, {{ this.bounds|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, bounds: Bounds) -> None:
        super().__init__()
        self._name = "FitView"
        self.bounds = [list(bounds[0]), list(bounds[1])]
        self.padding = FIT_PADDING_PX


class PlaceLabels(folium.map.Layer):
    """Names drawn on the map at given points, as one layer (a line in the layer control).

    Township names are always shown; site names only from zoom 13 (the CSS class the zoom
    listener of MapFrame sets). Plain divIcons from the data, no tooltips to hover, in a pane
    of their own between the shapes and the symbols, so a name never hides a ticket.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            // Above areas and lines, below markers and symbols, never catching a click.
            if (!map.getPane("shuijianLabels")) {
                var pane = map.createPane("shuijianLabels");
                pane.style.zIndex = 450;
                pane.style.pointerEvents = "none";
            }
        })({{ this._parent.get_name() }});
        var {{ this.get_name() }} = L.layerGroup();
        {{ this.rows|tojson }}.forEach(function (row) {
            L.marker([row[0], row[1]], {
                icon: L.divIcon({className: {{ this.css_class|tojson }}, html: row[2],
                                 iconSize: null}),
                interactive: false, keyboard: false, pane: "shuijianLabels"
            }).addTo({{ this.get_name() }});
        });
        {% endmacro %}
        """
    )

    def __init__(self, rows: list[tuple[float, float, str]], kind: str, name: str) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "PlaceLabels"
        self.kind = kind
        self.css_class = f"shuijian-label shuijian-label-{kind}"
        self.rows = [[lat, lon, f"<span>{html.escape(text)}</span>"] for lat, lon, text in rows]


def label_points(frame: gpd.GeoDataFrame, column: str = "name") -> list[tuple[float, float, str]]:
    """(lat, lon, name) per row at a point inside its shape (a polygon's centroid may fall
    outside it), rounded to ~1 m."""
    if frame is None or frame.empty:
        return []
    points = frame.geometry.representative_point()
    return [
        (round(p.y, 5), round(p.x, 5), str(n))
        for p, n in zip(points, frame[column], strict=True)
        if p is not None and not p.is_empty and str(n)
    ]


def add_labels(m: folium.Map, frame: gpd.GeoDataFrame | None, kind: str, lang: str = "zh") -> None:
    """Township names (kind "township", always shown) or site names (kind "site", from zoom
    13) at their shapes' representative points, as one toggleable layer."""
    rows = label_points(frame) if frame is not None else []
    if rows:
        PlaceLabels(rows, kind, i18n.text(f"map_base.labels_{kind}", lang)).add_to(m)


def frame_bounds(frames: list[gpd.GeoDataFrame | None], pad: float = 0.0) -> Bounds | None:
    """((south, west), (north, east)) around every shape of the frames; None when empty."""
    shown = [f for f in frames if f is not None and not f.empty]
    if not shown:
        return None
    west, south, east, north = gpd.GeoSeries(
        [g for f in shown for g in f.geometry], crs=4326
    ).total_bounds
    return (float(south) - pad, float(west) - pad), (float(north) + pad, float(east) + pad)


def _tile_set() -> mbtiles.TileSet | None:
    """The configured MBTiles file when it can be read and drawn (raster), else None."""
    path = settings.optional_text("mbtiles")
    if not path:
        return None
    try:
        tiles = mbtiles.tile_set(path)
    except Exception:  # noqa: BLE001 - a missing or broken file: the map goes without
        return None
    return tiles if tiles.raster else None


def basemap_kind(tianditu_key: str | None = None) -> str:
    """Which basemap the maps draw: "url", "mbtiles", "tianditu" or "none" (in that order)."""
    if settings.optional_text("tile_url"):
        return "url"
    if _tile_set() is not None:
        return "mbtiles"
    return "tianditu" if tianditu_key else "none"


def has_basemap(tianditu_key: str | None = None) -> bool:
    """Whether the maps draw any basemap (for the pages' "no basemap" note)."""
    return basemap_kind(tianditu_key) != "none"


def _add_basemap(m: folium.Map, tianditu_key: str | None, lang: str) -> bool:
    """Add the configured basemap; False when there is none."""
    url = settings.optional_text("tile_url")
    if url:
        attribution = settings.optional_text("tile_attribution")
        folium.TileLayer(
            tiles=url,
            attr=html.escape(attribution or i18n.text("map_base.intranet", lang)),
            name=i18n.text("map_base.intranet", lang),
            max_zoom=MAX_ZOOM,
            max_native_zoom=18,
            control=False,
        ).add_to(m)
        return True
    tiles = _tile_set()
    if tiles is not None:
        extra = {"bounds": [list(tiles.bounds[0]), list(tiles.bounds[1])]} if tiles.bounds else {}
        folium.TileLayer(
            tiles=f"{MBTILES_URL}?v={tiles.version}",
            attr=html.escape(tiles.attribution or i18n.text("map_base.offline", lang)),
            name=i18n.text("map_base.offline", lang),
            max_zoom=max(MAX_ZOOM, tiles.max_zoom),
            max_native_zoom=tiles.max_zoom,
            min_native_zoom=tiles.min_zoom,
            control=False,
            **extra,
        ).add_to(m)
        return True
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
        return True
    return False


# Coordinates sent to the browser are rounded to this grid (degrees, ~0.1 m).
DISPLAY_GRID = 1e-6
COUNTY_STYLE = {"color": "#252525", "weight": 2.5, "fill": False}
TOWNSHIP_STYLE = {"color": "#737373", "weight": 1.2, "dashArray": "6 4", "fill": False}


def light(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Rounded coordinates (~0.1 m) for the browser; stored data keeps full precision."""
    out = frame.copy()
    column = out.geometry.name
    out[column] = shapely.set_precision(out.geometry.to_numpy(), DISPLAY_GRID)
    return out.set_geometry(column)


def add_outlines(
    m: folium.Map,
    county: gpd.GeoDataFrame | None,
    townships: gpd.GeoDataFrame | None,
    lang: str = "zh",
) -> None:
    """The county boundary and the township outlines (named on hover), drawn alike on every
    map: without a basemap they are what says where a map is."""
    if county is not None and not county.empty:
        folium.GeoJson(
            light(county[["name", county.geometry.name]]),
            name=i18n.text("map.county", lang),
            style_function=lambda _: COUNTY_STYLE,
            interactive=False,
        ).add_to(m)
    if townships is not None and not townships.empty:
        folium.GeoJson(
            light(townships[["name", townships.geometry.name]]),
            name=i18n.text("map.townships", lang),
            style_function=lambda _: TOWNSHIP_STYLE,
            tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
        ).add_to(m)


def new_map(
    bounds: Bounds | None,
    tianditu_key: str | None = None,
    *,
    townships: gpd.GeoDataFrame | None = None,
    lang: str = "zh",
) -> folium.Map:
    """A map fitted to ((south, west), (north, east)) — else to the townships given — with
    the configured basemap (none by default), a metric scale, and township names when
    `townships` (with a "name" column) is given."""
    if bounds is None:
        bounds = frame_bounds([townships])
    if bounds is None:
        centre, zoom = (29.0, 118.5), 10
    else:
        (south, west), (north, east) = bounds
        centre, zoom = ((south + north) / 2, (west + east) / 2), 11
    m = folium.Map(
        location=centre,
        zoom_start=zoom,
        tiles=None,
        control_scale=False,
        zoom_snap=ZOOM_SNAP,
        max_zoom=MAX_ZOOM,
    )
    drawn = _add_basemap(m, tianditu_key, lang)
    MapFrame(blank=not drawn).add_to(m)
    if bounds is not None:
        FitView(bounds).add_to(m)
    add_labels(m, townships, "township", lang)
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
