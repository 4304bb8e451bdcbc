"""GeoReport v2 (Open311): services, service requests, and their photos.

Tickets are read from the event log (`ticket_state`), never from a status column, so what a
platform reads is exactly what the dashboard shows. Reading is public (GeoReport's model:
anyone on the network the API is exposed to may follow a request); creating needs a key.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, select, text
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
from core import settings
from core.photos import PhotoRefused
from db.database import session_scope
from db.models import Platform, ProblemCategory
from tickets.lifecycle import OPEN_STATUSES
from tickets.service import Actor, NewProblem, ReportRefused, Upload, locate, report_problem

router = APIRouter(prefix="/open311/v2", tags=["GeoReport v2"])

MAX_RESULTS = 1000
CLOSED_STATUSES = ("closed", "withdrawn")
SHA256_PATTERN = r"^[0-9a-f]{64}$"
Jurisdiction = Annotated[
    str | None, Query(max_length=100, description="optional; must be this server's if given")
]


class Service(BaseModel):
    """A problem category, as a GeoReport service."""

    service_code: str
    service_name: str = Field(description="Chinese name of the problem category")
    description: str = Field(description="English name of the problem category")
    metadata: bool = Field(description="always false: no extra attributes are asked for")
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str
    group: str = Field(description="the platform the category is routed to")


class ServiceRequest(BaseModel):
    """A ticket (交办单), as a GeoReport service request, with its detailed status."""

    service_request_id: str = Field(description="ticket number, e.g. 330822-202611-0007")
    status: Literal["open", "closed"]
    status_notes: str | None = Field(description="the latest comment in the ticket's history")
    service_name: str
    service_code: str
    description: str
    agency_responsible: str = Field(description="the platform the ticket is routed to")
    service_notice: str | None
    requested_datetime: datetime
    updated_datetime: datetime
    expected_datetime: datetime = Field(description="end of the deadline day (local time)")
    address: str | None = Field(description="township (乡镇/街道)")
    address_id: str | None
    zipcode: str | None
    lat: float
    long: float
    media_url: str | None = Field(description="the first photo, served by /open311/v2/media")
    detailed_status: str = Field(description="lifecycle status, e.g. accepted")
    detailed_status_zh: str = Field(description="its Chinese label, e.g. 承办")


class RequestCreated(BaseModel):
    service_request_id: str
    service_notice: str
    account_id: None = None


class NewServiceRequest(BaseModel):
    """The fields of a new request; GeoReport's personal fields are accepted and dropped
    (a platform forwards problems, not citizens' contact data)."""

    model_config = ConfigDict(extra="ignore")

    api_key: SafeText | None = Field(None, description="the platform's key (or X-API-Key)")
    jurisdiction_id: SafeText | None = None
    service_code: SafeText = Field(min_length=1, max_length=30)
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    long: float = Field(ge=-180, le=180, allow_inf_nan=False)
    description: SafeText = Field(min_length=1, max_length=4000)
    media: SafeText | None = Field(None, description="one photo (JPEG or PNG) as base64")
    address_string: str | None = None
    address_id: str | None = None
    email: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    media_url: str | None = None


def check_jurisdiction(jurisdiction_id: str | None) -> None:
    """GeoReport: a jurisdiction this server does not serve is 404."""
    ours = settings.text("jurisdiction_id")
    if jurisdiction_id is not None and jurisdiction_id != ours:
        raise ApiError(404, f"jurisdiction_id: jurisdiction {jurisdiction_id!r} not found")


def _comma_list(name: str, value: str | None) -> list[str] | None:
    value = check_param(name, value)
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise ApiError(400, f"{name}: empty list")
    return items


# ------------------------------------------------------------------ services


@router.get(
    "/services.json",
    response_model=list[Service],
    responses=error_responses(400, 404, 503),
    summary="List services (problem categories)",
)
def services(request: Request, jurisdiction_id: Jurisdiction = None) -> list[dict[str, Any]]:
    """Every active problem category, with the platform it is routed to as its group."""
    check_jurisdiction(check_param("jurisdiction_id", jurisdiction_id))
    with session_scope(engine_of(request)) as s:
        rows = s.execute(
            select(ProblemCategory, Platform.name_zh)
            .join(Platform, Platform.code == ProblemCategory.platform_code)
            .where(ProblemCategory.active)
            .order_by(ProblemCategory.code)
        ).all()
        return [
            {
                "service_code": c.code,
                "service_name": c.name_zh,
                "description": c.name_en,
                "metadata": False,
                "type": "realtime",
                "keywords": f"{c.code},{c.platform_code}",
                "group": platform,
            }
            for c, platform in rows
        ]


# ------------------------------------------------------------------ reading requests

REQUESTS_SQL = """
SELECT t.id, t.number, s.status, t.category_code, c.name_zh AS service_name, t.description,
  p.name_zh AS agency, t.created_at, t.deadline, tw.name AS township,
  ST_Y(t.geom) AS lat, ST_X(t.geom) AS lon,
  (SELECT e.comment FROM ticket_event e WHERE e.ticket_id = t.id AND e.comment IS NOT NULL
     ORDER BY e.id DESC LIMIT 1) AS notes,
  (SELECT max(e.at) FROM ticket_event e WHERE e.ticket_id = t.id) AS updated,
  (SELECT a.sha256 FROM ticket_attachment a WHERE a.ticket_id = t.id
     ORDER BY a.id LIMIT 1) AS media
FROM ticket t
JOIN ticket_state s ON s.ticket_id = t.id
JOIN problem_category c ON c.code = t.category_code
JOIN platform p ON p.code = t.platform_code
LEFT JOIN township tw ON tw.id = t.township_id
WHERE {where}
ORDER BY t.created_at DESC, t.id DESC
LIMIT :limit
"""


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz).replace(microsecond=0)


def _deadline(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tz)


def query_requests(
    engine: Engine, request: Request, where: list[str], params: dict[str, Any]
) -> list[dict[str, Any]]:
    """Tickets matching the conditions, newest first, as GeoReport service requests."""
    tz = ZoneInfo(settings.text("timezone"))
    sql = text(REQUESTS_SQL.format(where=" AND ".join(where) or "true"))
    with session_scope(engine) as s:
        rows = s.execute(sql, {**params, "limit": MAX_RESULTS}).mappings().all()
    out = []
    for r in rows:
        status = r["status"]
        out.append(
            {
                "service_request_id": r["number"],
                "status": "closed" if status in CLOSED_STATUSES else "open",
                "status_notes": r["notes"],
                "service_name": r["service_name"],
                "service_code": r["category_code"],
                "description": r["description"],
                "agency_responsible": r["agency"],
                "service_notice": None,
                "requested_datetime": _local(r["created_at"], tz),
                "updated_datetime": _local(r["updated"] or r["created_at"], tz),
                "expected_datetime": _deadline(r["deadline"], tz),
                "address": r["township"],
                "address_id": None,
                "zipcode": None,
                "lat": r["lat"],
                "long": r["lon"],
                "media_url": str(request.url_for("media", sha256=r["media"]))
                if r["media"]
                else None,
                "detailed_status": status,
                "detailed_status_zh": i18n.label("ticket_status", status, "zh"),
            }
        )
    return out


def _aware(moment: datetime | None) -> datetime | None:
    """A time without an offset is read in the configured zone (as the dashboard shows it)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=ZoneInfo(settings.text("timezone")))


@router.get(
    "/requests.json",
    response_model=list[ServiceRequest],
    responses=error_responses(400, 404, 503),
    summary="Search service requests (tickets)",
)
def requests_list(
    request: Request,
    service_request_id: Annotated[
        str | None,
        Query(description="ticket numbers, comma separated; overrides the other filters"),
    ] = None,
    service_code: Annotated[
        str | None, Query(description="problem categories, comma separated")
    ] = None,
    start_date: Annotated[
        datetime | None, Query(description="created at or after (ISO 8601)")
    ] = None,
    end_date: Annotated[
        datetime | None, Query(description="created at or before (ISO 8601)")
    ] = None,
    status: Annotated[str | None, Query(description="open, closed, or open,closed")] = None,
    jurisdiction_id: Jurisdiction = None,
) -> list[dict[str, Any]]:
    """Newest first, at most 1000. Closed means 办结 or 撤回. No default date window: a
    supervisor needs the old open tickets most of all."""
    check_jurisdiction(check_param("jurisdiction_id", jurisdiction_id))
    where: list[str] = []
    params: dict[str, Any] = {}
    ids = _comma_list("service_request_id", service_request_id)
    if ids is not None:
        where.append("t.number = ANY(:ids)")
        params["ids"] = ids
    else:
        codes = _comma_list("service_code", service_code)
        if codes is not None:
            where.append("t.category_code = ANY(:codes)")
            params["codes"] = codes
        if start_date is not None:
            where.append("t.created_at >= :start")
            params["start"] = _aware(start_date)
        if end_date is not None:
            where.append("t.created_at <= :end")
            params["end"] = _aware(end_date)
        wanted = _comma_list("status", status)
        if wanted is not None:
            unknown = sorted(set(wanted) - {"open", "closed"})
            if unknown:
                raise ApiError(400, f"status: {', '.join(unknown)} unknown; use open or closed")
            statuses = [
                *(OPEN_STATUSES if "open" in wanted else ()),
                *(CLOSED_STATUSES if "closed" in wanted else ()),
            ]
            where.append("s.status = ANY(:statuses)")
            params["statuses"] = statuses
    return query_requests(engine_of(request), request, where, params)


@router.get(
    "/requests/{service_request_id}.json",
    response_model=list[ServiceRequest],
    responses=error_responses(400, 404, 503),
    summary="One service request (ticket)",
)
def request_one(
    request: Request,
    service_request_id: Annotated[str, Path(description="ticket number")],
    jurisdiction_id: Jurisdiction = None,
) -> list[dict[str, Any]]:
    """A one-element list, as GeoReport has it; 404 for an unknown number."""
    check_jurisdiction(check_param("jurisdiction_id", jurisdiction_id))
    number = check_param("service_request_id", service_request_id)
    found = query_requests(engine_of(request), request, ["t.number = :n"], {"n": number})
    if not found:
        raise ApiError(404, f"service_request_id: no service request {number}")
    return found


@router.get(
    "/media/{sha256}",
    name="media",
    response_class=Response,
    responses={
        200: {
            "description": "The photo, as stored",
            "content": {
                "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                "image/png": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **error_responses(400, 404, 503),
    },
    summary="A ticket photo by its SHA-256",
)
def media(
    request: Request,
    sha256: Annotated[str, Path(pattern=SHA256_PATTERN, description="lower-case hex SHA-256")],
) -> Response:
    """Read-only; addressed by content hash, so the bytes behind a URL never change."""
    with session_scope(engine_of(request)) as s:
        row = s.execute(
            text(
                "SELECT mime, content FROM ticket_attachment WHERE sha256 = :h ORDER BY id LIMIT 1"
            ),
            {"h": sha256},
        ).first()
    if row is None:
        raise ApiError(404, f"sha256: no photo {sha256}")
    return Response(
        content=bytes(row.content),
        media_type=row.mime,
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


# ------------------------------------------------------------------ creating requests


def _body_schema(multipart: bool = False) -> dict[str, Any]:
    schema = NewServiceRequest.model_json_schema()
    schema["required"] = ["api_key", "service_code", "lat", "long", "description"]
    if multipart:
        schema = {**schema, "properties": {**schema["properties"]}}
        schema["properties"]["media"] = {
            "anyOf": [{"type": "string", "format": "binary"}, {"type": "string"}],
            "description": "a photo file, or a photo as base64",
        }
    return schema


def _platform_of(engine: Engine, key: str | None) -> str | None:
    with session_scope(engine) as s:
        return verify_key(s, key)


def _create(
    engine: Engine, platform: str, new: NewServiceRequest, photos: list[Upload]
) -> dict[str, Any]:
    with session_scope(engine) as s:
        category = s.get(ProblemCategory, new.service_code)
        if category is None or not category.active:
            raise ApiError(
                400,
                f"service_code: unknown service {new.service_code!r}; "
                "services.json lists the known ones",
            )
        township, _ = locate(s, new.long, new.lat)
        if township is None:
            raise ApiError(
                400, f"lat/long: {new.lat}, {new.long} lies outside every township of the county"
            )
        try:
            ticket = report_problem(
                s,
                NewProblem(category.code, new.description, new.long, new.lat, photos=tuple(photos)),
                Actor("platform", platform=platform),
                reporter_deputy_id=None,
                source=f"api:{platform}",
            )
        except PhotoRefused as exc:
            raise ApiError(400, f"media: {i18n.describe(exc, 'en')}") from None
        except ReportRefused as exc:
            raise ApiError(400, i18n.describe(exc, "en")) from None
        agency = s.get(Platform, ticket.platform_code)
        return {
            "service_request_id": ticket.number,
            "service_notice": (
                f"已受理，交办至{agency.name_zh if agency else ticket.platform_code}，"
                f"办理时限 {ticket.deadline.isoformat()}"
            ),
            "account_id": None,
        }


@router.post(
    "/requests.json",
    status_code=201,
    response_model=list[RequestCreated],
    responses=error_responses(400, 403, 404, 413, 415, 503),
    summary="Create a service request (a problem becomes a ticket)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": _body_schema()},
                "application/x-www-form-urlencoded": {"schema": _body_schema()},
                "multipart/form-data": {"schema": _body_schema(multipart=True)},
            },
        }
    },
)
async def requests_create(
    request: Request,
    x_api_key: Annotated[
        str | None, Header(alias="X-API-Key", description="or api_key in the body")
    ] = None,
) -> list[dict[str, Any]]:
    """JSON or form. The key is checked first (403), then every field (400); the ticket is
    routed by its category and dispatched at once, like one reported in the app."""
    data = await read_body(request)
    engine = engine_of(request)
    key = data.get("api_key") if isinstance(data.get("api_key"), str) else None
    platform = await run_in_threadpool(_platform_of, engine, key or x_api_key)
    if platform is None:
        raise ApiError(403, "api_key: missing or wrong")
    request.state.platform_code = platform
    media = data.pop("media", None)
    new = validate_body(NewServiceRequest, data)
    check_jurisdiction(new.jurisdiction_id)
    photos: list[Upload] = []
    for item in media if isinstance(media, list) else [media]:
        if isinstance(item, Upload):
            photos.append(item)
        elif isinstance(item, str) and item.strip():
            photos.append(Upload("media.jpg", decode_base64("media", item)))
        elif item is not None and not isinstance(item, str):
            raise ApiError(400, "media: send one photo as a base64 string or a file")
    created = await run_in_threadpool(_create, engine, platform, new, photos)
    return [created]
