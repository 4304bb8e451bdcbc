"""Tiles benchmark: a province's coverage map in a browser, as vector tiles and as GeoJSON.

Run by hand: ``python -m bench.bench_tiles [--database-url URL] [--out bench/RESULTS.md]``.
Builds the 100-county province of ``bench.bench_coverage`` (93,000 cells, 54,000 sites,
~410,000 visits) in a scratch database, serves the coverage tile route (``ui/vector_tiles.py``,
behind a real session cookie of a city leader) and the vendored Leaflet from an in-process
server, and opens in headless Debian chromium, side by side in the same run:

- **vector tiles**: the coverage page's tile layer (``layers.coverage.CoverageTiles``, small
  cells chosen) fitted to the province, and zoomed to one county at zoom 11, where the small
  cells themselves are drawn;
- **GeoJSON (reference)**: the same 93,000 cells as one folium GeoJSON layer, the way the
  page drew them before, fitted to the province.

First paint is the time from navigation until the initial view is drawn: for the tiles, the
layer's ``load`` event (every tile of the view fetched and drawn) and the next animation
frame; for GeoJSON, the window's ``load`` (the layer is built by the inline script) and the
next animation frame. Bytes are what the browser received (CDP ``encodedDataLength``, cache
off), every request of the page counted. The tiles are measured twice: cold (the status of
the month is computed by the first tile request, as after a restart) and warm.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psycopg
from sqlalchemy import text
from sqlalchemy.orm import Session

from bench.bench_coverage import MONTH, add_visits, build_province
from bench.bench_ingest import (
    DEFAULT_OUT,
    exit_on_term,
    machine_line,
    scratch_database,
    server_url,
    verdict,
    write_section,
)

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 800}
TARGET_S, TARGET_MB = 2.0, 5.0
PROVINCE_BOUNDS = ((24.0, 112.0), (28.0, 117.0))
COUNTY_CENTRE = (24.2, 112.25)  # inside the first county

# Records when the map's first view is drawn: the tiles' layer marks the container
# (data-vector-tiles), the GeoJSON page finishes with the window's load; then one frame.
PAINT_PROBE = """
window.__painted = null;
function __mark() {
  requestAnimationFrame(function () {
    if (window.__painted === null) window.__painted = performance.now();
  });
}
new MutationObserver(function (records) {
  for (const r of records) if (r.attributeName === 'data-vector-tiles') __mark();
}).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-vector-tiles']});
window.addEventListener('load', function () {
  if (!document.querySelector('[data-tiled]')) __mark();
});
"""


def _pages(lang: str = "zh") -> dict[str, str]:
    """The three pages' HTML: folium maps made as the coverage page makes its own."""
    import folium

    from layers.basemap import localise, new_map
    from layers.coverage import CoverageTiles, _cell_style
    from ui.vector_tiles import URL_TEMPLATE

    def tiled(centre: tuple[float, float] | None) -> str:
        m = new_map(PROVINCE_BOUNDS, lang=lang)
        query = f"view=month&month={MONTH[0]}-{MONTH[1]:02d}&level=3"
        CoverageTiles(f"{URL_TEMPLATE}?{query}", "cells", lang).add_to(m)
        if centre is not None:
            m.location, m.options["zoom"] = list(centre), 11
        html = localise(m).get_root().render()
        if centre is not None:  # replace the fitting with a fixed view of one county
            name = m.get_name()
            view = f"<script>{name}.setView({list(centre)}, 11);</script></body>"
            html = html.replace("</body>", view)
            html = html.replace("map.fitBounds(bounds, options);", "")
        return html.replace("<body>", '<body data-tiled="1">')

    def reference(cells: dict) -> str:
        m = new_map(PROVINCE_BOUNDS, lang=lang)
        folium.GeoJson(cells, name="cells", style_function=_cell_style).add_to(m)
        return localise(m).get_root().render()

    return {"tiled": tiled(None), "tiled_county": tiled(COUNTY_CENTRE), "reference": reference}


def _cells_geojson(engine, status) -> dict:  # noqa: ANN001
    """Every cell with its share's colour and dead-corner flag, as the page's GeoJSON had."""
    import json

    from layers.coverage import share_colour

    frames = {lv: status[lv].set_index("cell_id") for lv in status}
    with Session(engine) as s:
        rows = s.execute(
            text(
                "SELECT id, code, level, "
                "ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, 0.00001), 6) "
                "FROM grid_cell ORDER BY code"
            )
        ).all()
    features = []
    for cid, code, level, geom in rows:
        row = frames[level].loc[cid]
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(geom),
                "properties": {
                    "code": code,
                    "sites": int(row["sites"]),
                    "sites_on_time": int(row["sites_on_time"]),
                    "fill": share_colour(float(row["share"])),
                    "dead_corner": bool(row["dead_corner"]),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _serve(pages: dict[str, str]) -> tuple[str, object]:
    """The tile route, the vendored files and the pages on 127.0.0.1 (uvicorn in a thread)."""
    import socket

    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    from ui import vector_tiles

    def page(request):  # noqa: ANN001, ANN202
        return HTMLResponse(pages[request.path_params["name"]])

    app = Starlette(
        routes=[
            *vector_tiles.routes(),
            Route("/bench/{name}", page),
            Mount("/app/static", StaticFiles(directory=ROOT / "static")),
        ]
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def _measure(browser, url: str, cookie: str | None) -> tuple[float, int, int]:  # noqa: ANN001
    """(seconds to first paint, bytes received, requests) of one fresh page; fails unless
    every tile asked for was answered 200 or 204 and at least one held cells."""
    from urllib.parse import urlsplit

    from accounts import sessions

    context = browser.new_context(viewport=VIEWPORT)
    if cookie:  # for the whole site (a "url" would scope it to the page's folder)
        host = urlsplit(url).hostname
        context.add_cookies(
            [{"name": sessions.COOKIE, "value": cookie, "domain": host, "path": "/"}]
        )
    context.add_init_script(PAINT_PROBE)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    received = [0, 0]

    def done(event: dict) -> None:
        received[0] += int(event["encodedDataLength"])
        received[1] += 1

    cdp.on("Network.loadingFinished", done)
    tiles: list[int] = []
    page.on("response", lambda r: tiles.append(r.status) if "/vtiles/" in r.url else None)
    page.goto(url, wait_until="commit", timeout=300_000)
    page.wait_for_function("window.__painted !== null", timeout=300_000, polling=50)
    painted = page.evaluate("window.__painted") / 1000
    page.wait_for_timeout(300)  # let the last responses' accounting arrive
    context.close()
    if cookie and (200 not in tiles or set(tiles) - {200, 204}):
        raise RuntimeError(f"{url}: tiles answered {tiles}")
    return painted, received[0], received[1]


def run(args: argparse.Namespace) -> str:
    import os

    from playwright.sync_api import sync_playwright

    from accounts import sessions
    from accounts.auth import create_user, signed_in
    from accounts.passwords import hash_password
    from db import scope
    from duty.coverage import month_bounds
    from duty.coverage_tiles import cell_status
    from ui import vector_tiles

    base = server_url(args.database_url)
    rng = np.random.default_rng(11)
    with scratch_database(base, "shuijian_bench_tiles") as engine:
        t0 = time.perf_counter()
        # the province's 100 counties come with it (bench_coverage.build_province)
        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(url) as conn:
            built = build_province(conn, rng)
            add_visits(
                conn,
                np.arange(1, len(built.site_class) + 1),
                built.site_class,
                built.deputy_of_site,
                rng,
                built.county_of_site,
            )
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        print(f"province built in {time.perf_counter() - t0:.1f} s", flush=True)
        with scope.within(scope.ALL), Session(engine) as s:
            user = create_user(s, "bench-city", hash_password("bench-pass"), "city_leader")
            s.flush()
            cookie = sessions.begin(s, signed_in(user), None)
            s.commit()
            first, last = month_bounds(*MONTH)
            status = cell_status(s, "month", *MONTH, last)
        geojson = _cells_geojson(engine, status)
        pages = _pages()
        pages["reference"] = pages["reference"](geojson)  # type: ignore[operator]
        os.environ["DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
        vector_tiles._engine_for.cache_clear()
        site, server = _serve(pages)
        rows = []
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
                )
                vector_tiles.STATUS.clear()
                cold = _measure(browser, f"{site}/bench/tiled", cookie)
                warm = min(
                    (_measure(browser, f"{site}/bench/tiled", cookie) for _ in range(args.repeat)),
                    key=lambda r: r[0],
                )
                county = min(
                    (
                        _measure(browser, f"{site}/bench/tiled_county", cookie)
                        for _ in range(args.repeat)
                    ),
                    key=lambda r: r[0],
                )
                ref = min(
                    (
                        _measure(browser, f"{site}/bench/reference", None)
                        for _ in range(args.repeat)
                    ),
                    key=lambda r: r[0],
                )
                browser.close()
        finally:
            server.should_exit = True  # type: ignore[attr-defined]
        mb = 1024 * 1024
        province = "vector tiles, province view (level 1 drawn)"
        for what, (secs, size, n), target in (
            (f"{province}, cold: status computed by the first tile", cold, False),
            (f"{province}, warm", warm, True),
            ("vector tiles, one county at zoom 11 (small cells drawn), warm", county, True),
            ("GeoJSON, every cell in one layer (reference)", ref, False),
        ):
            ok = secs < TARGET_S and size / mb < TARGET_MB
            goal = f"< {TARGET_S:.0f} s, < {TARGET_MB:.0f} MB | {verdict(ok)}"
            goal = goal if target else "— | —"
            rows.append(f"| {what} | {secs:.2f} s | {size / mb:.2f} MB | {n} | {goal} |")
            print(f"{what}: {secs:.2f} s, {size / mb:.2f} MB, {n} requests", flush=True)
    lines = [
        f"- Date and machine: {machine_line()}",
        f"- Province: {built.cells:,} cells (100 counties × 10/100/820), "
        f"{len(built.site_class):,} sites; month {MONTH[0]}-{MONTH[1]:02d}; chromium headless "
        f"{VIEWPORT['width']}×{VIEWPORT['height']}, cache off; best of {args.repeat} runs "
        "(the cold run once)",
        "",
        "| map | first paint | transferred | requests | target | result |",
        "|---|---:|---:|---:|---|---|",
        *rows,
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", help="server to create the scratch database on")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results file (Markdown)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure; the best is kept")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_term)
    body = run(args)
    write_section(args.out, "Vector tiles (bench/bench_tiles.py)", body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
