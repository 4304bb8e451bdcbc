"""Every API call, refused ones included, lands in `api_call_log`.

Written as plain ASGI middleware (not Starlette's BaseHTTPMiddleware) so streaming responses
pass untouched and the log is written after the response has gone out: a slow or broken
database can delay the log, never the answer. Routes name the calling platform in
`request.state.platform_code` once its key has been verified.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, insert
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from db.models import ApiCallLog


def write_call(engine: Engine, row: dict[str, Any]) -> None:
    """One log row in its own transaction; a failure goes to stderr and nowhere else."""
    try:
        with engine.begin() as conn:
            conn.execute(insert(ApiCallLog).values(**row))
    except Exception as exc:  # whatever it is, the answer has gone out already
        # The database is down or refuses the row: the call was answered already, so say so
        # on stderr (the service's journal) and carry on.
        print(
            f"shuijian api: call log not written ({row['method']} {row['path']} "
            f"-> {row['status']}): {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )


class CallLogMiddleware:
    """Times each HTTP request and records method, path, status, platform and client."""

    def __init__(self, app: ASGIApp, engine: Callable[[], Engine]) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            client = scope.get("client")
            row = {
                "platform_code": (scope.get("state") or {}).get("platform_code"),
                "method": str(scope["method"])[:10],
                # PostgreSQL text cannot hold NUL; a probe with %00 must still be logged.
                "path": str(scope["path"]).replace("\x00", "\\x00")[:2000],
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "client": str(client[0])[:80] if client else None,
            }
            await self._write(row)

    async def _write(self, row: dict[str, Any]) -> None:
        try:
            engine = self.engine()
        except Exception as exc:  # the log must never change the answer
            print(
                f"shuijian api: call log not written ({row['method']} {row['path']} "
                f"-> {row['status']}): {type(exc).__name__}: {exc}",
                file=sys.stderr,
            )
            return
        await run_in_threadpool(write_call, engine, row)
