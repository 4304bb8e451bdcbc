"""The coverage map's vector tiles, served by the app itself at ``/vtiles/coverage/{z}/{x}/{y}``.

Same host and port as the pages (``web.py`` mounts it beside the gate's and the basemap's
routes), so the map's script fetches them with the session cookie and nothing leaves the
machine. Unlike the basemap, these tiles are the county's figures: the route resumes the
signed-in user from the cookie (no session: 401; a role the coverage page is not open to,
or a county or township outside the user's: 403), puts the request in the user's county
scope (``accounts.scope.county_scope``: a county account's own county whatever the URL says;
a city account the county chosen in the sidebar, passed as ``county``, or the whole city)
and lets ``duty.coverage_tiles`` make the tile in the database.

Query: ``view`` (month | today), ``month`` (YYYY-MM, for the month view), ``level`` (1–3),
``township`` and ``county`` (ids, optional). The status of a scope, view and day is computed
once and kept ``TTL_SECONDS`` (as the page's own cache), so the twenty tiles of a first view
cost one status computation. Answers: the tile (``application/vnd.mapbox-vector-tile``) with
an ETag and ``Cache-Control: private``; 304 for a matching ``If-None-Match``; 204 where no
cell is; 400 with one sentence for numbers or choices that name no tile; never a traceback.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from datetime import date
from functools import lru_cache

import pandas as pd
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from accounts import sessions
from accounts.auth import SignedIn
from accounts.scope import county_scope
from core import clock, settings
from core.errors import PermissionDenied, is_database_outage, log_unexpected
from db.database import database_url, get_engine, session_scope
from db.scope import ALL, Scope, within
from duty.coverage_tiles import (
    TileAddress,
    TileRequestError,
    cell_status,
    coverage_tile,
    level_at,
    tile_address,
    tile_viewer,
)

PREFIX = "vtiles"
TILE_PATH = f"/{PREFIX}/coverage/{{z}}/{{x}}/{{y}}"
URL_TEMPLATE = f"/{PREFIX}/coverage/{{z}}/{{x}}/{{y}}"
MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
TTL_SECONDS = 300
MAX_AGE_S = 300
KEPT = 16  # status frames kept (scopes × views × days); a province's is a few MB
NO_STORE = {"Cache-Control": "no-store"}


@lru_cache(maxsize=4)
def _engine_for(configured_url: str | None) -> Engine:
    return get_engine(database_url())


def _engine() -> Engine:
    return _engine_for(settings.optional_text("database_url"))


class _StatusCache:
    """Status frames by key for ``TTL_SECONDS``; one computation per key at a time (the
    first view's tiles arrive together)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple, tuple[float, dict[int, pd.DataFrame]]] = OrderedDict()
        self._computing: dict[tuple, threading.Lock] = {}

    def get(self, key: tuple, compute) -> dict[int, pd.DataFrame]:  # noqa: ANN001
        with self._lock:
            found = self._fresh(key)
            if found is not None:
                return found
            gate = self._computing.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                found = self._fresh(key)
                if found is not None:
                    return found
            value = compute()
            with self._lock:
                self._entries[key] = (time.monotonic() + TTL_SECONDS, value)
                self._entries.move_to_end(key)
                while len(self._entries) > KEPT:
                    self._entries.popitem(last=False)
                self._computing.pop(key, None)
            return value

    def _fresh(self, key: tuple) -> dict[int, pd.DataFrame] | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


STATUS = _StatusCache()


def _optional_id(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or int(raw) == 0:
        raise TileRequestError(f"{name} must be an id (a whole number > 0), not {raw!r}")
    return int(raw)


def _month(raw: str | None, today: date) -> tuple[int, int]:
    if not raw:
        return today.year, today.month
    parts = raw.split("-")
    if len(parts) != 2 or not all(p.isascii() and p.isdigit() for p in parts):
        raise TileRequestError(f"month must be YYYY-MM, not {raw!r}")
    year, month = int(parts[0]), int(parts[1])
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise TileRequestError(f"month must be YYYY-MM, not {raw!r}")
    return year, month


def _level(raw: str | None) -> int:
    if raw in (None, ""):
        return 3
    if raw not in ("1", "2", "3"):
        raise TileRequestError(f"level must be 1, 2 or 3, not {raw!r}")
    return int(raw)


def _resume(token: str | None) -> SignedIn | None:
    if not token:
        return None
    with within(ALL), session_scope(_engine()) as db:
        found = sessions.resume(db, token)
    return found[0] if found else None


def _tile(
    user: SignedIn,
    chosen_county: int | None,
    chosen_township: int | None,
    view: str,
    year: int,
    month: int,
    level: int,
    address: TileAddress,
) -> bytes:
    county: Scope = county_scope(user, chosen_county)
    township = tile_viewer(user, chosen_township)
    level_at(level, address.z)  # a bad level is refused before any query
    on = clock.today()
    engine = _engine()
    key = (
        engine.url.render_as_string(hide_password=True),
        county,
        township,
        view,
        (year, month) if view == "month" else None,
        on,
    )
    with within(county), session_scope(engine) as s:
        status = STATUS.get(key, lambda: cell_status(s, view, year, month, on, township))
        return coverage_tile(s, status, level, address, township)


def _text(status: int, message: str) -> Response:
    return PlainTextResponse(message + "\n", status_code=status, headers=NO_STORE)


async def serve_tile(request: Request) -> Response:
    """One vector tile of the coverage map for the signed-in user (see the module)."""
    try:
        address = tile_address(*(request.path_params[k] for k in ("z", "x", "y")))
        view = request.query_params.get("view", "month")
        year, month = _month(request.query_params.get("month"), clock.today())
        level = _level(request.query_params.get("level"))
        county = _optional_id(request, "county")
        township = _optional_id(request, "township")
        if view not in ("month", "today"):
            raise TileRequestError(f"view must be month or today, not {view!r}")
    except TileRequestError as error:
        return _text(400, str(error))
    try:
        user = await run_in_threadpool(_resume, request.cookies.get(sessions.COOKIE))
        if user is None:
            return _text(401, "sign in first: the coverage tiles need a session")
        data = await run_in_threadpool(
            _tile, user, county, township, view, year, month, level, address
        )
    except TileRequestError as error:
        return _text(400, str(error))
    except PermissionDenied as error:
        return _text(403, f"not allowed: {error.code}")
    except Exception as exc:  # noqa: BLE001 - the HTTP boundary
        if is_database_outage(exc):
            return _text(503, "the database is unavailable; try again shortly")
        error = log_unexpected(exc, "vector tiles")
        return _text(500, f"internal error {error.error_id}")
    headers = {
        "Cache-Control": f"private, max-age={MAX_AGE_S}",
        "Vary": "Cookie",
        "X-Content-Type-Options": "nosniff",
    }
    if not data:
        return Response(status_code=204, headers=headers)
    etag = f'"{hashlib.sha256(data).hexdigest()[:32]}"'
    headers["ETag"] = etag
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=MEDIA_TYPE, headers=headers)


def routes() -> list[Route]:
    return [Route(TILE_PATH, serve_tile, methods=["GET", "HEAD"])]


__all__ = ["PREFIX", "STATUS", "TILE_PATH", "URL_TEMPLATE", "routes", "serve_tile"]
