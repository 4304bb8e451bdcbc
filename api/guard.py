"""The API's outer guard: a bound on the body's size, and the last word on unexpected errors.

Plain ASGI middleware, placed inside the call log (so refusals here are logged with their
real status) and outside FastAPI's exception handlers (so it sees only what they did not
answer):

- a body larger than `MAX_BODY_BYTES` is 413: at once when `Content-Length` says so, else as
  soon as the bytes received pass the limit (chunked bodies), before anything has parsed it;
- an exception nobody handled is a 500 whose body is the error list with an error id and
  nothing else; the traceback goes to the error log (`core.logs`) under the same id, never
  to the caller.
"""

from __future__ import annotations

import re

from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import MAX_BODY_BYTES, ApiError, error_body
from core.errors import log_unexpected

_LENGTH = re.compile(r"[0-9]{1,18}")


class BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413, f"body: larger than {limit // 1024 // 1024} MB; send fewer or smaller photos"
        )


def error_response(status: int, description: str, **headers: str) -> JSONResponse:
    return JSONResponse(error_body(status, description), status_code=status, headers=headers)


class Guard:
    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refuse_by_length(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return

        started = False
        received = 0

        async def send_and_note(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    # Raised inside whatever reads the body; the ApiError handler answers 413.
                    raise BodyTooLarge(self.max_body)
            return message

        try:
            await self.app(scope, bounded_receive, send_and_note)
        except Exception as exc:
            if isinstance(exc, ApiError | ClientDisconnect) and not started:
                # A disconnect is no bug: the caller left mid-body and hears nothing, but the
                # call log records a 400 rather than a 500.
                refusal = (
                    error_response(exc.status, exc.description)
                    if isinstance(exc, ApiError)
                    else error_response(400, "body: the client left before sending all of it")
                )
                await refusal(scope, receive, send_and_note)
                return
            # The traceback goes to the error log (core.logs) under a short id; the caller
            # gets the id only, which is what an operator needs to find it.
            internal = log_unexpected(exc, f"api {scope.get('method')} {scope.get('path')}")
            if started:
                raise  # the answer is under way; the server closes the connection
            response = error_response(500, str(internal), **{"X-Error-Id": internal.error_id})
            await response(scope, receive, send)

    def _refuse_by_length(self, scope: Scope) -> JSONResponse | None:
        for name, value in scope.get("headers", ()):
            if name.lower() != b"content-length":
                continue
            text = value.decode("latin-1").strip()
            if text.isascii() and text.isdigit() and len(text) > 18:
                return error_response(413, BodyTooLarge(self.max_body).description)
            if not _LENGTH.fullmatch(text):
                return error_response(400, "Content-Length: not a number of bytes")
            if int(text) > self.max_body:
                return error_response(413, BodyTooLarge(self.max_body).description)
        return None
