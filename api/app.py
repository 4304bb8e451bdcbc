"""The FastAPI application: routes, the one error format, the call log, the OpenAPI schema.

`create_app(engine)` builds a fresh app per engine, so tests run the real app in-process on
their own database and `shuijian api` runs it on the configured one.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

import i18n
from api import RETRY_AFTER_S, ApiError, app_engine, error_body, validation_descriptions
from api.guard import Guard
from api.keys import PlatformUnknown
from api.logging import CallLogMiddleware
from core.errors import (
    AuthenticationFailed,
    ConfigurationError,
    DatabaseUnavailable,
    PermissionDenied,
    ShuijianError,
    is_database_outage,
)
from db.scope import ALL, within
from tickets.lifecycle import TransitionRefused

log = logging.getLogger("shuijian.api")

DATABASE_DOWN_TEXT = "the database is temporarily unavailable; try again later"

DESCRIPTION = """\
GeoReport v2 (Open311) API of 水监 Shuijian, through which the four government platforms
receive and handle the dispatch tickets (交办单) raised by People's Congress deputies, plus
the platforms' callbacks (accept, reject, feedback), and the read-only open interface
(OGC API – Features) under `/ogc`, whose own definition is `/ogc/api`. Every error is a JSON list
`[{"code": <HTTP status>, "description": "<what was wrong>"}]`.
"""


def _status_for(exc: ShuijianError) -> int:
    """Our error family to HTTP: who may (403), what the lifecycle allows (409), what the
    server lacks (503), and everything else is the caller's input (400)."""
    if isinstance(exc, PermissionDenied | AuthenticationFailed):
        return 403
    if isinstance(exc, TransitionRefused):
        return 409
    if isinstance(exc, PlatformUnknown):
        return 404
    if isinstance(exc, DatabaseUnavailable | ConfigurationError):
        return 503
    return 400


def _error(status: int, *descriptions: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = [item for d in descriptions for item in error_body(status, d)]
    if status == 503:
        headers = {**(headers or {}), "Retry-After": str(RETRY_AFTER_S)}
    return JSONResponse(body, status_code=status, headers=headers)


def _database_down(request: Request, exc: BaseException) -> JSONResponse:
    # The details (host, port, the driver's words) are for the operator, not the caller.
    log.warning(
        "database unavailable on %s %s: %s: %s",
        request.method,
        request.url.path,
        type(exc).__name__,
        exc,
    )
    return _error(503, DATABASE_DOWN_TEXT)


def _bad_input(request: Request, exc: BaseException, description: str) -> JSONResponse:
    """400 for an exception only input should be able to cause, which the body and parameter
    checks did not catch first: logged with its traceback, since a check is missing."""
    log.warning(
        "%s on %s %s answered 400",
        type(exc).__name__,
        request.method,
        request.url.path,
        exc_info=exc,
    )
    return _error(400, description)


# The net under the checks: exceptions that only hostile input should be able to raise.
BAD_INPUT: dict[type[Exception], str] = {
    RecursionError: "body: nested too deeply",
    UnicodeError: "body: not valid UTF-8 text",
    OverflowError: "a number is out of range",
    sqlalchemy.exc.DataError: "a value is out of the range the database stores",
    psycopg.DataError: "a value is out of the range the database stores",
}


def _install_error_handlers(app: FastAPI) -> None:
    """The one place where errors become answers, all in GeoReport's error list. What no
    handler here takes becomes a 500 with an error id in `api.guard.Guard`."""

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.description)

    @app.exception_handler(ShuijianError)
    async def shuijian_error(request: Request, exc: ShuijianError) -> JSONResponse:
        if isinstance(exc, DatabaseUnavailable):
            return _database_down(request, exc)
        if isinstance(exc, ConfigurationError):
            log.error("configuration error on %s %s: %s", request.method, request.url.path, exc)
            return _error(503, "the server is misconfigured; its log says how")
        return _error(_status_for(exc), i18n.describe(exc, "en"))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        # GeoReport has no 422: bad input is 400, in the same list format as every error.
        return _error(400, *validation_descriptions(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), headers=exc.headers)

    async def database_error(request: Request, exc: Exception) -> JSONResponse:
        """Unreachable (refused, gone away, pool exhausted) is 503; a value the database
        would not take is 400; any other database error is a bug, left to the 500."""
        if is_database_outage(exc) or isinstance(exc, sqlalchemy.exc.TimeoutError):
            return _database_down(request, exc)
        for kind, description in BAD_INPUT.items():
            if isinstance(exc, kind):
                return _bad_input(request, exc, description)
        raise exc

    app.add_exception_handler(sqlalchemy.exc.SQLAlchemyError, database_error)
    app.add_exception_handler(psycopg.Error, database_error)
    for kind, description in BAD_INPUT.items():
        if not issubclass(kind, sqlalchemy.exc.SQLAlchemyError | psycopg.Error):

            async def bad_input(request: Request, exc: Exception, text: str = description) -> Any:
                return _bad_input(request, exc, text)

            app.add_exception_handler(kind, bad_input)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema without its 422 entries, which this API never returns."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
    components = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    app.openapi_schema = schema
    return schema


class CityScope:
    """Every request works in the city's scope (``db.scope``): the four platforms and the
    open interface's readers are the city's, and the services narrow each call to what the
    caller may see (a platform reads only tickets routed to it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with within(ALL):
            await self.app(scope, receive, send)


def create_app(engine: Engine | None = None) -> FastAPI:
    """The API on `engine`, or on the configured database (resolved at the first call)."""
    from api.ogc import router as ogc_router
    from api.open311 import router as open311_router
    from api.platform import router as platform_router

    # No /docs or /redoc: FastAPI's pages load Swagger/ReDoc from a public CDN, which an
    # intranet cannot reach; /openapi.json is the contract and works offline.
    app = FastAPI(
        title="水监 Shuijian platform API",
        version="1.0.0",
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
    )
    app.state.engine = engine
    # Outermost first: the call log sees every answer, the guard's refusals and 500s included.
    app.add_middleware(Guard)
    app.add_middleware(CallLogMiddleware, engine=lambda: app_engine(app.state))
    app.add_middleware(CityScope)  # added last: outermost, around the call log's writes too
    _install_error_handlers(app)
    app.include_router(open311_router)
    app.include_router(platform_router)
    app.include_router(ogc_router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app
