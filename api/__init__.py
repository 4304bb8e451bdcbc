"""The open API through which the four government platforms exchange dispatch tickets.

GeoReport v2 (Open311) routes live in `open311.py`, the platforms' callbacks in `platform.py`.
Every refusal has one shape, the GeoReport error list, so a platform parses one format only;
that shape and the exception that carries it are defined here, where both routers reach them.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, Field, ValidationError
from sqlalchemy import Engine
from starlette.datastructures import UploadFile
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


ERROR_MEANING = {
    400: "Bad input: a missing or invalid field (named in the description).",
    403: "Missing or wrong API key, or a ticket routed to another platform.",
    404: "Unknown service request, ticket, photo or jurisdiction.",
    409: "The ticket's status does not allow this move (or an update id reused elsewhere).",
    415: "The body is neither JSON nor form data.",
    503: "The database cannot be reached.",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the given error statuses, all in the error-list shape."""
    return {
        status: {"model": list[ErrorItem], "description": ERROR_MEANING[status]}
        for status in statuses
    }


def error_body(status: int, description: str) -> list[dict[str, Any]]:
    return [{"code": status, "description": description}]


def engine_of(request: Request) -> Engine:
    """The app's engine; resolved on first use so `create_app()` needs no database."""
    state = request.app.state
    if getattr(state, "engine", None) is None:
        from geo.database import get_engine

        state.engine = get_engine()
    return state.engine


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


async def read_body(request: Request) -> dict[str, Any]:
    """The request's fields from JSON, urlencoded or multipart bodies alike.

    Files in a multipart body become `Upload`s; a field sent more than once becomes a list.
    """
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json" or ctype.endswith("+json"):
        try:
            data = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "body: not valid JSON") from None
        if not isinstance(data, dict):
            raise ApiError(400, "body: expected a JSON object")
        return data
    if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        out: dict[str, Any] = {}
        form = await request.form()
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
