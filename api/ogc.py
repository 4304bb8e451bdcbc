"""The open interface: OGC API – Features, Part 1 (Core, GeoJSON), under `/ogc`.

Read-only, for the county's other platforms (综治平台, 河长制 app, …): the collections of
`archive.features` (grid cells, sites, patrol summaries, tickets), as GeoJSON, with bbox,
datetime and limit/offset paging. Written on FastAPI beside the platform API rather than
with tipg (README, "The open interface", says why). Every call needs an OGC client's key in
`X-API-Key` (401 without), is throttled per client (429) and logged like a platform's call.
Errors are the platform API's list, `[{"code": 400, "description": "bbox: …"}]`.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from api import ApiError, check_param, engine_of, error_responses
from archive import features as catalogue
from archive.clients import CALLER_PREFIX, recent_calls, verify_client
from archive.features import BY_ID, COLLECTIONS, CRS84, Collection, Interval
from core import clock, settings
from db.database import session_scope

PREFIX = "/ogc"
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
)
GEOJSON = "application/geo+json"
JSON = "application/json"
OPENAPI_TYPE = "application/vnd.oai.openapi+json;version=3.1"
LIMIT_DEFAULT = 10
LIMIT_MAX = 1000
OFFSET_MAX = 10_000_000
THROTTLE_WINDOW_S = 60
# The parameters each kind of resource takes; any other is 400 (OGC's recommendation: a
# misspelt `bbox` silently ignored would return the whole county).
META_PARAMS = frozenset({"f"})
ITEMS_PARAMS = frozenset({"f", "bbox", "datetime", "limit", "offset"})
ERRORS = error_responses(400, 401, 404, 429, 503)


def _client(
    request: Request,
    x_api_key: Annotated[
        str | None, Header(alias="X-API-Key", description="the OGC client's key")
    ] = None,
) -> str:
    """The calling client's code, after its key and its rate; named in the call log."""
    engine = engine_of(request)
    with session_scope(engine) as s:
        code = verify_client(s, x_api_key)
        if code is None:
            raise HTTPException(
                401, "X-API-Key: missing or wrong", headers={"WWW-Authenticate": "X-API-Key"}
            )
        request.state.platform_code = CALLER_PREFIX + code
        limit = settings.integer("ogc_per_minute")
        if limit > 0 and recent_calls(s, code, THROTTLE_WINDOW_S) >= limit:
            raise HTTPException(
                429,
                f"more than {limit} calls in a minute; wait and try again",
                headers={"Retry-After": str(THROTTLE_WINDOW_S)},
            )
    return code


router = APIRouter(prefix=PREFIX, tags=["OGC API - Features"], dependencies=[Depends(_client)])


# ------------------------------------------------------------------ parameters


def _only(request: Request, allowed: frozenset[str]) -> None:
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        allowed_list = ", ".join(sorted(allowed))
        raise ApiError(400, f"{unknown[0]}: unknown parameter; allowed: {allowed_list}")
    for name in request.query_params:
        if len(request.query_params.getlist(name)) > 1:
            raise ApiError(400, f"{name}: given more than once")
    fmt = request.query_params.get("f")
    if fmt is not None and fmt not in ("json", "geojson"):
        raise ApiError(400, f"f: {_echo(fmt)} is not offered; use json (or geojson for items)")


def parse_bbox(raw: str | None) -> catalogue.BBox | None:
    """`minLon,minLat,maxLon,maxLat` (or six numbers with heights, which are ignored)."""
    if raw is None:
        return None
    parts = raw.split(",")
    if len(parts) not in (4, 6):
        raise ApiError(400, "bbox: give 4 numbers, minLon,minLat,maxLon,maxLat (or 6 with heights)")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise ApiError(400, f"bbox: {_echo(raw)} holds something that is not a number") from None
    if not all(math.isfinite(n) for n in numbers):
        raise ApiError(400, "bbox: numbers must be finite")
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    west, south, east, north = numbers
    if not (-180 <= west <= 180 and -180 <= east <= 180):
        raise ApiError(400, "bbox: longitudes must lie between -180 and 180")
    if not (-90 <= south <= 90 and -90 <= north <= 90):
        raise ApiError(400, "bbox: latitudes must lie between -90 and 90")
    if south > north:
        raise ApiError(400, "bbox: the south edge lies north of the north edge")
    return west, south, east, north


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _moment(text: str, end: bool) -> datetime:
    """An RFC 3339 date-time (with `Z` or an offset), or a date, read as the whole local day
    (in SHUIJIAN_TIMEZONE): its start, or its end for the end of an interval."""
    if _DATE.fullmatch(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ApiError(400, f"datetime: {_echo(text)} is not a calendar date") from None
        tz = ZoneInfo(settings.text("timezone"))
        start = datetime.combine(day, time(), tz)
        return start + timedelta(days=1, microseconds=-1) if end else start
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ApiError(
            400, f"datetime: {_echo(text)} is neither an RFC 3339 date-time nor a date"
        ) from None
    if moment.tzinfo is None:
        raise ApiError(400, f"datetime: {_echo(text)} needs a time zone (Z or +08:00)")
    return moment


def parse_datetime(raw: str | None) -> Interval | None:
    """An instant, a date, or an interval `start/end` whose sides may be open (`..` or
    empty). A date alone is its whole local day."""
    if raw is None:
        return None
    raw = raw.strip()
    if "/" not in raw:
        if raw in ("", ".."):
            raise ApiError(400, "datetime: give an instant, a date or an interval start/end")
        return Interval(_moment(raw, end=False), _moment(raw, end=True))
    first, _, second = raw.partition("/")
    if "/" in second:
        raise ApiError(400, "datetime: an interval has two sides, start/end")
    start = None if first in ("", "..") else _moment(first, end=False)
    end = None if second in ("", "..") else _moment(second, end=True)
    if start is None and end is None:
        raise ApiError(400, "datetime: an interval needs at least one side")
    if start is not None and end is not None and start > end:
        raise ApiError(400, "datetime: the interval ends before it starts")
    return Interval(start, end)


def _echo(raw: str, keep: int = 40) -> str:
    """A client's value quoted back in an error, cut short: a 5,000-character parameter is
    not worth returning whole."""
    return repr(raw if len(raw) <= keep else raw[:keep] + "…")


def _whole(name: str, raw: str | None, default: int, low: int, high: int) -> int:
    if raw is None:
        return default
    if not re.fullmatch(r"[+-]?[0-9]+", raw.strip()):
        raise ApiError(400, f"{name}: {_echo(raw)} is not a whole number")
    digits = raw.strip().lstrip("+-").lstrip("0")
    if len(digits) > 18 or not low <= int(raw) <= high:  # a long number is out of range
        raise ApiError(400, f"{name}: must lie between {low} and {high}")
    return int(raw)


def _collection(collection_id: str) -> Collection:
    found = BY_ID.get(collection_id)
    if found is None:
        known = ", ".join(BY_ID)
        raise ApiError(404, f"collection {_echo(collection_id)} not found; known: {known}")
    return found


# ------------------------------------------------------------------ documents


def _url(request: Request, path: str, **query: Any) -> str:
    base = str(request.base_url).rstrip("/")
    params = {k: v for k, v in query.items() if v is not None}
    return f"{base}{PREFIX}{path}" + (f"?{urlencode(params)}" if params else "")


def _link(href: str, rel: str, type_: str, title: str | None = None) -> dict[str, str]:
    link = {"href": href, "rel": rel, "type": type_}
    if title:
        link["title"] = title
    return link


def _collection_doc(request: Request, c: Collection) -> dict[str, Any]:
    return {
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "extent": catalogue.extent(engine_of(request), c),
        "links": [
            _link(_url(request, f"/collections/{c.id}"), "self", JSON, c.title),
            _link(_url(request, f"/collections/{c.id}/items"), "items", GEOJSON, c.title),
        ],
    }


def _geojson(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, media_type=GEOJSON)


@router.get("", include_in_schema=False)
@router.get("/", summary="Landing page", responses=ERRORS)
def landing(request: Request) -> dict[str, Any]:
    """What this server is and where its parts are (OGC `/req/core/root-success`)."""
    _only(request, META_PARAMS)
    return {
        "title": "水监 Shuijian — open interface (OGC API – Features)",
        "description": "Grid cells, sites, patrol summaries, tickets and early warnings of the "
        "county's "
        "water supervision, read-only, as GeoJSON.",
        "links": [
            _link(_url(request, "/"), "self", JSON, "this document"),
            _link(_url(request, "/api"), "service-desc", OPENAPI_TYPE, "the API definition"),
            _link(_url(request, "/conformance"), "conformance", JSON, "conformance classes"),
            _link(_url(request, "/collections"), "data", JSON, "the collections"),
        ],
    }


@router.get("/conformance", summary="Conformance classes", responses=ERRORS)
def conformance(request: Request) -> dict[str, Any]:
    """The classes this server passes (tests/test_ogc.py): Core and GeoJSON only."""
    _only(request, META_PARAMS)
    return {"conformsTo": list(CONFORMANCE)}


@router.get(
    "/api",
    summary="The API definition (OpenAPI 3.1)",
    response_class=JSONResponse,
    responses={200: {"content": {OPENAPI_TYPE: {}}, "description": "OpenAPI 3.1"}, **ERRORS},
)
def api_definition(request: Request) -> JSONResponse:
    """This interface's OpenAPI document (the `/ogc` operations only)."""
    _only(request, META_PARAMS)
    return JSONResponse(ogc_openapi(request.app), media_type=OPENAPI_TYPE)


@router.get("/collections", summary="The collections", responses=ERRORS)
def collections(request: Request) -> dict[str, Any]:
    _only(request, META_PARAMS)
    return {
        "links": [_link(_url(request, "/collections"), "self", JSON, "the collections")],
        "collections": [_collection_doc(request, c) for c in COLLECTIONS],
    }


@router.get("/collections/{collection_id}", summary="One collection", responses=ERRORS)
def collection(request: Request, collection_id: str) -> dict[str, Any]:
    _only(request, META_PARAMS)
    return _collection_doc(request, _collection(collection_id))


@router.get(
    "/collections/{collection_id}/items",
    summary="A collection's features",
    response_class=JSONResponse,
    responses={200: {"content": {GEOJSON: {}}, "description": "a FeatureCollection"}, **ERRORS},
)
def items(
    request: Request,
    collection_id: str,
    bbox: Annotated[
        str | None, Query(description="minLon,minLat,maxLon,maxLat in CRS84 (or 6 numbers)")
    ] = None,
    datetime: Annotated[
        str | None,
        Query(description="an RFC 3339 instant, a date (the local day) or start/end, .. open"),
    ] = None,
    limit: Annotated[
        str | None, Query(description=f"features per page, 1-{LIMIT_MAX}, default 10")
    ] = None,
    offset: Annotated[str | None, Query(description="features to skip, default 0")] = None,
) -> JSONResponse:
    """Features in the collection's stable order; `next`/`prev` links page through them."""
    _only(request, ITEMS_PARAMS)
    c = _collection(collection_id)
    box = parse_bbox(check_param("bbox", bbox))
    interval = parse_datetime(check_param("datetime", datetime))
    if interval is not None and not c.temporal:
        raise ApiError(400, f"datetime: collection {c.id} has no time to filter on")
    size = _whole("limit", limit, LIMIT_DEFAULT, 1, LIMIT_MAX)
    start = _whole("offset", offset, 0, 0, OFFSET_MAX)
    page = catalogue.features(
        engine_of(request), c, bbox=box, interval=interval, limit=size, offset=start
    )
    keep = {"bbox": bbox, "datetime": datetime, "limit": size}
    here = f"/collections/{c.id}/items"
    links = [
        _link(_url(request, here, **keep, offset=start or None), "self", GEOJSON, "this page"),
        _link(_url(request, f"/collections/{c.id}"), "collection", JSON, c.title),
    ]
    if start + len(page.features) < page.matched:
        nxt = _url(request, here, **keep, offset=start + size)
        links.append(_link(nxt, "next", GEOJSON, "next page"))
    if start > 0:
        prev = _url(request, here, **keep, offset=max(0, start - size) or None)
        links.append(_link(prev, "prev", GEOJSON, "previous page"))
    return _geojson(
        {
            "type": "FeatureCollection",
            "features": page.features,
            "timeStamp": clock.now().isoformat(),
            "numberMatched": page.matched,
            "numberReturned": len(page.features),
            "links": links,
        }
    )


@router.get(
    "/collections/{collection_id}/items/{feature_id}",
    summary="One feature",
    response_class=JSONResponse,
    responses={200: {"content": {GEOJSON: {}}, "description": "a Feature"}, **ERRORS},
)
def item(request: Request, collection_id: str, feature_id: str) -> JSONResponse:
    _only(request, META_PARAMS)
    c = _collection(collection_id)
    found = catalogue.feature(engine_of(request), c, check_param("feature_id", feature_id) or "")
    if found is None:
        raise ApiError(404, f"feature {_echo(feature_id)} not found in collection {c.id}")
    found["links"] = [
        _link(_url(request, f"/collections/{c.id}/items/{quote(feature_id)}"), "self", GEOJSON),
        _link(_url(request, f"/collections/{c.id}"), "collection", JSON, c.title),
    ]
    return _geojson(found)


def ogc_openapi(app: Any) -> dict[str, Any]:
    """The OpenAPI document of the `/ogc` operations alone, with the key as its security."""
    cached = getattr(app.state, "ogc_openapi", None)
    if cached is not None:
        return cached
    schema = get_openapi(
        title="水监 Shuijian open interface (OGC API – Features)",
        version="1.0.0",
        description="Read-only OGC API – Features (Part 1: Core, GeoJSON). Every call needs "
        "an OGC client's key in the X-API-Key header.",
        routes=app.routes,
    )
    schema["paths"] = {p: v for p, v in schema.get("paths", {}).items() if p.startswith(PREFIX)}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
    # Only the error list's item is referenced from here; the platform API's models are not.
    schemas = schema.get("components", {}).get("schemas", {})
    schema["components"]["schemas"] = {k: v for k, v in schemas.items() if k == "ErrorItem"}
    app.state.ogc_openapi = schema
    return schema
