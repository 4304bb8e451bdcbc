"""The platforms' callbacks: accept (承办), reject (退回) and feed back (反馈) a ticket.

Not part of GeoReport. Each push carries the platform's own `update_id`; platforms retry on
timeouts, so a push seen before returns its first outcome and changes nothing
(`tickets.service.platform_update` keeps that promise in the same transaction as the move).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

import i18n
from api import (
    ApiError,
    SafeText,
    check_param,
    decode_base64,
    engine_of,
    error_responses,
    read_body,
    validate_body,
)
from api.keys import verify_key
from core.photos import PhotoRefused
from db.database import session_scope
from db.models import Ticket, TicketEvent
from tickets.service import ReportRefused, Upload, platform_update, status_of

router = APIRouter(prefix="/api/v1/tickets", tags=["platform callbacks"])

MAX_PHOTOS = 20


class _Update(BaseModel):
    model_config = ConfigDict(extra="ignore")

    update_id: SafeText = Field(
        min_length=1,
        max_length=120,
        description="the platform's own id for this update; a retry with it changes nothing",
    )


class AcceptBody(_Update):
    comment: SafeText | None = Field(None, max_length=4000, description="e.g. who handles it")


class RejectBody(_Update):
    reason: SafeText = Field(min_length=1, max_length=4000, description="why it is not ours")


class FeedbackBody(_Update):
    result: SafeText = Field(min_length=1, max_length=4000, description="what was done")
    photos: list[Any] = Field(
        default_factory=list,
        max_length=MAX_PHOTOS,
        description="photos of the result: base64 strings (JSON) or files (multipart)",
    )


class CallbackOutcome(BaseModel):
    service_request_id: str
    action: Literal["accept", "reject", "feedback"]
    update_id: str
    detailed_status: str = Field(description="the ticket's status after this update")
    detailed_status_zh: str
    event_id: int | None
    duplicate: bool = Field(description="true when this update_id was seen before")


def _schema(model: type[BaseModel], multipart: bool = False) -> dict[str, Any]:
    schema = model.model_json_schema()
    if multipart and "photos" in schema.get("properties", {}):
        schema = {**schema, "properties": {**schema["properties"]}}
        schema["properties"]["photos"] = {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
        }
    return schema


def _body(model: type[BaseModel]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": _schema(model)},
                "application/x-www-form-urlencoded": {"schema": _schema(model)},
                "multipart/form-data": {"schema": _schema(model, multipart=True)},
            },
        }
    }


def _verify(engine: Engine, key: str | None) -> str | None:
    with session_scope(engine) as s:
        return verify_key(s, key)


def _apply(
    engine: Engine,
    platform: str,
    number: str,
    action: str,
    update_id: str,
    comment: str | None,
    photos: list[Upload],
) -> dict[str, Any]:
    """One push in one transaction. Two copies of a push racing each other collide on the
    update id's primary key; the loser retries once and then finds the winner's outcome."""
    try:
        return _apply_once(engine, platform, number, action, update_id, comment, photos)
    except IntegrityError:
        return _apply_once(engine, platform, number, action, update_id, comment, photos)


def _apply_once(
    engine: Engine,
    platform: str,
    number: str,
    action: str,
    update_id: str,
    comment: str | None,
    photos: list[Upload],
) -> dict[str, Any]:
    with session_scope(engine) as s:
        ticket = s.scalar(select(Ticket).where(Ticket.number == number))
        if ticket is None:
            raise ApiError(404, f"number: no ticket {number}")
        try:
            event, new = platform_update(
                s, platform, number, update_id, action, comment=comment, photos=photos
            )
        except PhotoRefused as exc:
            raise ApiError(400, f"photos: {i18n.describe(exc, 'en')}") from None
        except ReportRefused as exc:
            raise ApiError(400, i18n.describe(exc, "en")) from None
        if not new and event is not None:
            _same_update_or_refuse(s.get(Ticket, event.ticket_id), event, ticket, action)
        status = event.to_status if event is not None else status_of(s, ticket.id) or ""
        return {
            "service_request_id": ticket.number,
            "action": action,
            "update_id": update_id,
            "detailed_status": status,
            "detailed_status_zh": i18n.label("ticket_status", status, "zh"),
            "event_id": event.id if event is not None else None,
            "duplicate": not new,
        }


def _same_update_or_refuse(
    first: Ticket | None, event: TicketEvent, ticket: Ticket, action: str
) -> None:
    """A reused update id must be a true retry: same ticket, same action."""
    if event.ticket_id != ticket.id or event.action != action:
        where = first.number if first is not None else f"ticket #{event.ticket_id}"
        raise ApiError(
            409,
            f"update_id: already used for {event.action} on {where}; "
            "use a new update_id for a new update",
        )


async def _callback(
    request: Request, number: str, action: str, key: str | None, model: type[_Update]
) -> dict[str, Any]:
    engine = engine_of(request)
    platform = await run_in_threadpool(_verify, engine, key)
    if platform is None:
        raise ApiError(403, "X-API-Key: missing or wrong")
    request.state.platform_code = platform
    number = check_param("number", number) or ""
    data = await read_body(request)
    raw_photos = data.pop("photos", None) if model is FeedbackBody else None
    photos: list[Upload] = []
    items = raw_photos if isinstance(raw_photos, list) else [raw_photos]
    for i, item in enumerate(i for i in items if i is not None):
        if isinstance(item, Upload):
            photos.append(item)
        elif isinstance(item, str):
            photos.append(Upload(f"photo-{i + 1}.jpg", decode_base64(f"photos[{i}]", item)))
        else:
            raise ApiError(400, f"photos[{i}]: send a base64 string or a file")
    if len(photos) > MAX_PHOTOS:
        raise ApiError(400, f"photos: at most {MAX_PHOTOS}")
    body = validate_body(model, data)
    comment = getattr(body, "comment", None) or getattr(body, "reason", None)
    comment = comment or getattr(body, "result", None)
    return await run_in_threadpool(
        _apply, engine, platform, number, action, body.update_id, comment, photos
    )


_RESPONSES = error_responses(400, 403, 404, 409, 413, 415, 503)
Key = Annotated[str | None, Header(alias="X-API-Key", description="the platform's API key")]
Number = Annotated[str, Path(description="ticket number, e.g. 330822-202611-0007")]


@router.post(
    "/{number}/accept",
    response_model=CallbackOutcome,
    responses=_RESPONSES,
    openapi_extra=_body(AcceptBody),
    summary="承办: the platform takes the ticket on",
)
async def accept(request: Request, number: Number, x_api_key: Key = None) -> Any:
    """交办 → 承办. Only the platform the ticket is routed to."""
    return await _callback(request, number, "accept", x_api_key, AcceptBody)


@router.post(
    "/{number}/reject",
    response_model=CallbackOutcome,
    responses=_RESPONSES,
    openapi_extra=_body(RejectBody),
    summary="退回: not this platform's duty (reason required)",
)
async def reject(request: Request, number: Number, x_api_key: Key = None) -> Any:
    """交办 → 上报, so that an analyst can route it elsewhere."""
    return await _callback(request, number, "reject", x_api_key, RejectBody)


@router.post(
    "/{number}/feedback",
    response_model=CallbackOutcome,
    responses=_RESPONSES,
    openapi_extra=_body(FeedbackBody),
    summary="反馈: the handling result, with photos",
)
async def feedback(request: Request, number: Number, x_api_key: Key = None) -> Any:
    """承办 → 反馈; the reporting deputy then re-inspects."""
    return await _callback(request, number, "feedback", x_api_key, FeedbackBody)
