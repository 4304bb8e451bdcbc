"""Reading an MBTiles file (a SQLite database of map tiles) for the offline basemap.

Why here: the map builder (layers/basemap.py) needs the metadata (format, zoom range, bounds)
and the web route (ui/tiles.py) needs the tiles; both sit above `geo`. Read with the standard
library only, read-only (``mode=ro``), so a running app can never alter or lock the file for
writing. MBTiles store rows in TMS order (y counted from the south); the web asks in XYZ order
(y from the north), so y is flipped here and nowhere else.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CONTENT_TYPES: dict[str, str] = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "pbf": "application/x-protobuf",
}
RASTER_FORMATS = frozenset({"png", "jpg", "jpeg", "webp"})
MAX_ZOOM = 30  # far beyond any real tile set; bounds the integers a request may carry
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class TileSet:
    """What a map needs to know about an MBTiles file (from its ``metadata`` table)."""

    path: Path
    format: str
    min_zoom: int
    max_zoom: int
    bounds: tuple[tuple[float, float], tuple[float, float]] | None  # ((south, west), (north, east))
    attribution: str
    version: int  # the file's modification time: part of tile URLs, so browsers refetch on change

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES.get(self.format, "application/octet-stream")

    @property
    def raster(self) -> bool:
        """Leaflet draws raster tiles only; a vector (pbf) set is served but not drawn."""
        return self.format in RASTER_FORMATS


def connect(path: Path) -> sqlite3.Connection:
    """A read-only connection (URI ``mode=ro``): the file is never created or written."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)


def _int(value: str | None, default: int) -> int:
    try:
        return int(float(value)) if value not in (None, "") else default
    except ValueError:
        return default


def _bounds(value: str | None) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """MBTiles ``bounds`` is "west,south,east,north" in degrees."""
    try:
        west, south, east, north = (float(v) for v in (value or "").split(","))
    except ValueError:
        return None
    return (south, west), (north, east)


def _plain(value: str) -> str:
    """Attribution as plain text: a tile file's HTML is not trusted into the page."""
    return re.sub(r"<[^>]*>", "", value).strip()


@lru_cache(maxsize=8)
def _read(path: Path, version: int) -> TileSet:
    with closing(connect(path)) as conn:
        meta = dict(conn.execute("SELECT name, value FROM metadata").fetchall())
        if "minzoom" not in meta or "maxzoom" not in meta:
            low, high = conn.execute(
                "SELECT min(zoom_level), max(zoom_level) FROM tiles"
            ).fetchone()
            meta.setdefault("minzoom", low)
            meta.setdefault("maxzoom", high)
    fmt = str(meta.get("format") or "png").lower()
    return TileSet(
        path=path,
        format=fmt,
        min_zoom=_int(meta.get("minzoom"), 0),
        max_zoom=_int(meta.get("maxzoom"), 18),
        bounds=_bounds(meta.get("bounds")),
        attribution=_plain(str(meta.get("attribution") or meta.get("name") or "")),
        version=version,
    )


def tile_set(path: str | Path) -> TileSet:
    """The file's metadata, read again when the file changes. Raises OSError or
    sqlite3.Error when it is missing or no MBTiles file."""
    p = Path(path).expanduser()
    return _read(p, p.stat().st_mtime_ns)


def tile(path: str | Path, z: int, x: int, y: int) -> bytes | None:
    """The tile at XYZ (z, x, y), or None when the file holds none there."""
    if not (0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z):
        return None
    with closing(connect(Path(path).expanduser())) as conn:
        row = conn.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            (z, x, (2**z - 1) - y),
        ).fetchone()
    return None if row is None else bytes(row[0])


__all__ = ["CONTENT_TYPES", "GZIP_MAGIC", "TileSet", "connect", "tile", "tile_set"]
