"""The open API through which the four government platforms exchange dispatch tickets.

GeoReport v2 (Open311) routes live in `open311.py`, the platforms' callbacks in `platform.py`.
Every refusal has one shape, the GeoReport error list, so a platform parses one format only;
that shape and the exception that carries it are defined here, where both routers reach them.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, Field, ValidationError
from sqlalchemy import Engine
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request

from tickets.service import Upload


class ErrorItem(BaseModel):
    """One GeoReport v2 error: the HTTP status as a number and a sentence naming the fault."""

    code: int = Field(description="the HTTP status code, repeated")
    description: str = Field(description="what was wrong, naming the field when there is one")


class ApiError(Exception):
    """A refusal with its HTTP status; rendered as `[{"code": status, "description": ...}]`."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


# ------------------------------------------------------------------ limits
# What a request may carry, checked before anything parses it (README, "The platform API").
MAX_BODY_BYTES = 50 * 1024 * 1024  # a few photos; larger bodies are 413 before being read
MAX_JSON_DEPTH = 32  # GeoReport bodies are flat; deeper nesting only serves to exhaust a parser
MAX_JSON_VALUES = 10_000  # object members and array items together, strings aside
MAX_NUMBER_CHARS = 100  # no coordinate needs more; 10**5000 is refused before int() sees it
MAX_FORM_FIELDS = 1_000
RETRY_AFTER_S = 30  # what a 503 tells the platform to wait before trying again

ERROR_MEANING = {
    400: "Bad input: a missing or invalid field (named in the description), or a body that "
    "is not valid JSON / form data or exceeds the nesting and size limits of its parts.",
    401: "Missing or wrong key of an open-interface (OGC) client, in X-API-Key.",
    403: "Missing or wrong API key, or a ticket routed to another platform.",
    404: "Unknown service request, ticket, photo or jurisdiction.",
    409: "The ticket's status does not allow this move (or an update id reused elsewhere).",
    413: f"The body is larger than {MAX_BODY_BYTES // 1024 // 1024} MB.",
    415: "The body is neither JSON nor form data.",
    429: "Too many calls from this client in the last minute; wait Retry-After seconds.",
    503: "The database is temporarily unavailable; try again after Retry-After seconds.",
}
RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "seconds to wait before trying again",
        "schema": {"type": "integer"},
    }
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the given error statuses, all in the error-list shape."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        out[status] = {"model": list[ErrorItem], "description": ERROR_MEANING[status]}
        if status == 503:
            out[status]["headers"] = RETRY_AFTER_HEADER
    return out


def error_body(status: int, description: str) -> list[dict[str, Any]]:
    return [{"code": status, "description": description}]


def app_engine(state: Any) -> Engine:
    """The engine of the app whose `state` this is. Resolved on first use, so `create_app()`
    needs no database, and kept only once it exists: when resolving fails (the local cluster
    will not start) the next call tries again. Its pool checks a connection before handing it
    out (`pool_pre_ping`), so connections the database dropped are replaced, not used."""
    if getattr(state, "engine", None) is None:
        from db.database import database_url, get_engine

        # By URL, not `get_engine()`: that one is cached for the process whatever the URL.
        state.engine = get_engine(database_url())
    return state.engine


def engine_of(request: Request) -> Engine:
    return app_engine(request.app.state)


def safe_text(value: str) -> str:
    """PostgreSQL text holds neither NUL nor lone surrogates: refuse them as bad input here,
    where the field is still known, instead of failing in the database."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("is not valid Unicode text") from None
    return value


M = TypeVar("M", bound=BaseModel)
SafeText = Annotated[str, AfterValidator(safe_text)]


def check_param(name: str, value: str | None) -> str | None:
    """`safe_text` for query and path parameters, refusing with the parameter's name."""
    if value is None:
        return None
    try:
        return safe_text(value)
    except ValueError as exc:
        raise ApiError(400, f"{name}: {exc}") from None


def validation_descriptions(errors: list[Any]) -> list[str]:
    """Pydantic/FastAPI errors as "field: message" sentences (the field is what a caller
    needs to fix, so it comes first)."""
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        field = ".".join(loc) or "body"
        message = str(err.get("msg", "invalid"))
        if err.get("type") == "missing":
            message = "is required"
        out.append(f"{field}: {message}")
    return out


def validate_body(model: type[M], data: dict[str, Any]) -> M:
    """A body already read from JSON or a form, checked against its model; 400 on faults."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(400, "; ".join(validation_descriptions(exc.errors()))) from None


def decode_base64(field: str, value: str) -> bytes:
    """Base64 (standard or URL-safe, an optional `data:...;base64,` prefix) to bytes."""
    text = value.strip()
    if text.startswith("data:") and "," in text:
        text = text.split(",", 1)[1]
    text = "".join(text.split())
    if not text:
        raise ApiError(400, f"{field}: empty; send the photo as base64")
    try:
        text = text.replace("-", "+").replace("_", "/")
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise ApiError(400, f"{field}: not valid base64") from None


# A JSON string literal, escapes included; what is left of a body without them (its
# "skeleton") is punctuation, numbers and literals only, cheap to measure before parsing.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS_ONLY = (
    bytes.maketrans(b"{}", b"[]"),
    bytes(b for b in range(256) if b not in b"[]{}"),
)


def _check_json_shape(raw: bytes) -> None:
    """Refuse, before `json.loads` sees it, a body nested deeper than MAX_JSON_DEPTH or
    holding more than MAX_JSON_VALUES values: both cost the parser stack or memory out of
    all proportion to the body's size (4 KB of `[` is a RecursionError)."""
    skeleton = _JSON_STRING.sub(b"", raw)
    values = skeleton.count(b",") + skeleton.count(b"[") + skeleton.count(b"{")
    if values > MAX_JSON_VALUES:
        raise ApiError(400, f"body: more than {MAX_JSON_VALUES} JSON values")
    nesting = skeleton.translate(*_BRACKETS_ONLY)
    # Each pass removes the innermost pairs, so the passes needed are the nesting depth.
    for _ in range(MAX_JSON_DEPTH):
        inner = nesting.replace(b"[]", b"")
        if inner == nesting:
            break
        nesting = inner
    if b"[]" in nesting:
        raise ApiError(400, f"body: JSON nested deeper than {MAX_JSON_DEPTH} levels")
    if nesting:
        raise ApiError(400, "body: not valid JSON (brackets do not match)")


def _json_number(text: str) -> None:
    if len(text) > MAX_NUMBER_CHARS:
        raise ApiError(400, f"body: a number longer than {MAX_NUMBER_CHARS} characters")


def _json_int(text: str) -> int:
    _json_number(text)
    return int(text)


def _json_float(text: str) -> float:
    _json_number(text)
    value = float(text)
    if not math.isfinite(value):
        raise ApiError(400, f"body: number {text} is out of range")
    return value


def _json_constant(name: str) -> Any:
    raise ApiError(400, f"body: {name} is not a JSON number")


def parse_json(raw: bytes) -> Any:
    """Strict JSON (RFC 8259): UTF-8 only, no NaN/Infinity, numbers within float range, and
    within the depth and size limits; every fault is a 400 naming the body."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # a UTF-8 byte order mark, tolerated
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "body: not valid UTF-8 (send JSON as UTF-8)") from None
    _check_json_shape(raw)
    try:
        return json.loads(
            text,
            parse_int=_json_int,
            parse_float=_json_float,
            parse_constant=_json_constant,
        )
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise ApiError(400, f"body: not valid JSON ({exc.msg} at {where})") from None
    except (ValueError, RecursionError):
        raise ApiError(400, "body: not valid JSON") from None


async def read_body(request: Request) -> dict[str, Any]:
    """The request's fields from JSON, urlencoded or multipart bodies alike.

    Files in a multipart body become `Upload`s; a field sent more than once becomes a list.
    The body's size is bounded by `api.guard.Guard` before this reads it.
    """
    ctype, _, params = request.headers.get("content-type", "").partition(";")
    ctype = ctype.strip().lower()
    if ctype == "application/json" or ctype.endswith("+json"):
        charset = _charset(params)
        if charset not in (None, "utf-8", "utf8"):
            raise ApiError(415, f"charset {charset}: send JSON as UTF-8")
        data = parse_json(await request.body())
        if not isinstance(data, dict):
            raise ApiError(400, "body: expected a JSON object")
        return data
    if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        out: dict[str, Any] = {}
        try:
            form = await request.form(
                max_files=MAX_FORM_FIELDS,
                max_fields=MAX_FORM_FIELDS,
                max_part_size=MAX_BODY_BYTES,
            )
        except HTTPException as exc:  # Starlette's word for a malformed form body
            raise ApiError(400, f"body: {exc.detail}") from None
        for key, value in form.multi_items():
            item: Any = value
            if isinstance(value, UploadFile):
                item = Upload(value.filename or key, await value.read())
            if key in out:
                previous = out[key]
                out[key] = [*previous, item] if isinstance(previous, list) else [previous, item]
            else:
                out[key] = item
        return out
    if not ctype and not await request.body():
        return {}
    raise ApiError(415, f"content type {ctype or '(none)'}: send application/json or form data")


def _charset(params: str) -> str | None:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None
