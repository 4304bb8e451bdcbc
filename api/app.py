"""The FastAPI application: routes, the one error format, the call log, the OpenAPI schema.

`create_app(engine)` builds a fresh app per engine, so tests run the real app in-process on
their own database and `shuijian api` runs it on the configured one.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import ApiError, error_body, validation_descriptions
from api.keys import PlatformUnknown
from api.logging import CallLogMiddleware
from core.errors import (
    AuthenticationFailed,
    ConfigurationError,
    DatabaseUnavailable,
    PermissionDenied,
    ShuijianError,
)
from tickets.lifecycle import TransitionRefused

DESCRIPTION = """\
GeoReport v2 (Open311) API of 水监 Shuijian, through which the four government platforms
receive and handle the dispatch tickets (交办单) raised by People's Congress deputies, plus
the platforms' callbacks (accept, reject, feedback). Every error is a JSON list
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


def _error(status: int, *descriptions: str) -> JSONResponse:
    body = [item for d in descriptions for item in error_body(status, d)]
    return JSONResponse(body, status_code=status)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.description)

    @app.exception_handler(ShuijianError)
    async def shuijian_error(_: Request, exc: ShuijianError) -> JSONResponse:
        return _error(_status_for(exc), str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        # GeoReport has no 422: bad input is 400, in the same list format as every error.
        return _error(400, *validation_descriptions(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(OperationalError)
    async def db_down(_: Request, exc: OperationalError) -> JSONResponse:
        return _error(503, "the database cannot be reached; try again later")


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


def create_app(engine: Engine | None = None) -> FastAPI:
    """The API on `engine`, or on the configured database (resolved at the first call)."""
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

    def current_engine() -> Engine:
        if app.state.engine is None:
            from geo.database import get_engine

            app.state.engine = get_engine()
        return app.state.engine

    app.add_middleware(CallLogMiddleware, engine=current_engine)
    _install_error_handlers(app)
    app.include_router(open311_router)
    app.include_router(platform_router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app
