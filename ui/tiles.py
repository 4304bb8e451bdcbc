"""The offline basemap's tiles, served by the app itself at ``/tiles/{z}/{x}/{y}``.

Why a route of the app: a map without internet still needs a basemap, and a second server
would be one more thing to run and secure. ``web.py`` mounts this route beside the gate's;
the gate passes ``/tiles/`` through without a session (``ui.gate.PASS_THROUGH``), since tiles
are no secret and the public archive's map needs them too. The file is read-only
(``geo.mbtiles``); nothing is fetched from anywhere.
"""

from __future__ import annotations

import sqlite3

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import settings
from core.errors import log_unexpected
from geo import mbtiles

TILE_PATH = "/tiles/{z}/{x}/{y}"
MAX_AGE_S = 86_400  # tile URLs carry the file's version, so a day of caching is safe
NO_TILES = {"Cache-Control": "no-store"}


def _number(value: str) -> int | None:
    """A path segment as a non-negative integer (``7``, or ``7.png``), else None."""
    head = value.split(".", 1)[0]
    return int(head) if head.isascii() and head.isdigit() and len(head) <= 10 else None


def _read(path: str, z: int, x: int, y: int) -> tuple[bytes | None, mbtiles.TileSet]:
    return mbtiles.tile(path, z, x, y), mbtiles.tile_set(path)


async def serve_tile(request: Request) -> Response:
    """One tile of ``SHUIJIAN_MBTILES`` with the content type of its ``format``; 404 when the
    setting is unset, the numbers are not whole numbers in range, or the file has no such
    tile (Leaflet then leaves that square blank)."""
    path = settings.optional_text("mbtiles")
    z, x, y = (_number(request.path_params[k]) for k in ("z", "x", "y"))
    if path is None or z is None or x is None or y is None:
        return Response(status_code=404, headers=NO_TILES)
    try:
        data, tiles = await run_in_threadpool(_read, path, z, x, y)
    except (OSError, sqlite3.Error):
        # A missing or broken file: the maps draw no basemap then (layers.basemap), so only
        # a stale page asks; one log line per tile would drown errors.log.
        return Response(status_code=404, headers=NO_TILES)
    except Exception as exc:  # noqa: BLE001 - the HTTP boundary
        log_unexpected(exc, "tiles")
        return Response(status_code=404, headers=NO_TILES)
    if data is None:
        return Response(status_code=404, headers={"Cache-Control": f"public, max-age={MAX_AGE_S}"})
    headers = {
        "Cache-Control": f"public, max-age={MAX_AGE_S}",
        "X-Content-Type-Options": "nosniff",
    }
    if tiles.format == "pbf" and data.startswith(mbtiles.GZIP_MAGIC):
        headers["Content-Encoding"] = "gzip"  # vector tiles are stored gzipped
    return Response(data, media_type=tiles.content_type, headers=headers)


def routes() -> list[Route]:
    return [Route(TILE_PATH, serve_tile, methods=["GET", "HEAD"])]


__all__ = ["TILE_PATH", "routes", "serve_tile"]
