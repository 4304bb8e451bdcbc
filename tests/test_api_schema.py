"""Schemathesis against the API's own OpenAPI schema, in-process on a copy of the demo county:
generated requests, valid and invalid, never cause a server error, and every response (status,
content type, body) is one the schema documents, errors included.

The GeoReport operations and the platforms' callbacks (accept, reject, feedback) alike. Writes
carry a valid platform key, so generated bodies get past the 403 to the field checks, the
lifecycle and the database; callbacks name real tickets (one assigned, one accepted) as often
as generated numbers, so the 200 and 409 answers are checked as well as the 400 and 404.

Bounded and derandomised (25 examples per operation, fixed seed) so it runs the same way in
well under a minute every time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine, text

from api.app import create_app
from api.keys import issue_key
from core.photos import jpeg_with_exif
from db.database import session_scope
from tickets.service import Actor, NewProblem, Upload, platform_update, report_problem

# Reads today's date, but the calendar's edges are the date rules' own tests': run again under the
# first two frozen dates only (tests/clock.py).
pytestmark = pytest.mark.clock_sample

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass
class Served:
    app: FastAPI
    key: str
    numbers: tuple[str, ...]  # bianmin's tickets: one assigned, one accepted
    photo: str  # the SHA-256 of the first ticket's photo


@pytest.fixture
def served(demo_copy: Engine) -> Served:
    """The app on a demo copy holding two tickets of the keyed platform, one with a photo (so
    reads return real rows), one assigned and one accepted (so every callback can succeed)."""
    with demo_copy.connect() as conn:
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM site "
                "WHERE kind = 'pond' ORDER BY id LIMIT 1"
            )
        ).one()
    with session_scope(demo_copy) as s:
        key = issue_key(s, "bianmin")
        photo = Upload("p.jpg", jpeg_with_exif(lon, lat, None))
        tickets = [
            report_problem(
                s,
                NewProblem("dead_fish", "死鱼", lon, lat, photos=(photo,) if i == 0 else ()),
                Actor("platform", platform="bianmin"),
                reporter_deputy_id=None,
                source="api:bianmin",
            )
            for i in range(2)
        ]
        numbers = tuple(t.number for t in tickets)
        platform_update(s, "bianmin", numbers[1], "fixture-accept", "accept")
        sha256 = s.execute(text("SELECT sha256 FROM ticket_attachment")).scalar_one()
    return Served(create_app(demo_copy), key, numbers, sha256)


OPERATIONS = [
    ("GET", "/open311/v2/services.json"),
    ("GET", "/open311/v2/requests.json"),
    ("GET", "/open311/v2/requests/{service_request_id}.json"),
    ("GET", "/open311/v2/media/{sha256}"),
    ("POST", "/open311/v2/requests.json"),
    ("POST", "/api/v1/tickets/{number}/accept"),
    ("POST", "/api/v1/tickets/{number}/reject"),
    ("POST", "/api/v1/tickets/{number}/feedback"),
]


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_conforms_to_its_schema(served: Served, method: str, path: str) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", served.app)
    operation = schema[path][method]

    # Valid and deliberately invalid inputs alike: both must get a documented answer.
    cases = operation.as_strategy() | operation.as_strategy(
        generation_mode=schemathesis.GenerationMode.NEGATIVE
    )
    # A path names a real ticket or photo as often as a generated one, so that found rows
    # and applied callbacks are checked too, not only the 404s.
    real = {
        "number": served.numbers,
        "service_request_id": served.numbers,
        "sha256": (served.photo,),
    }
    names = [p.name for p in operation.path_parameters]
    pick = st.sampled_from((None, *(v for n in names for v in real.get(n, ()))))
    statuses: list[int] = []

    @given(case=cases, value=pick)
    @settings(
        max_examples=25,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any, value: str | None) -> None:
        if case.method == "POST":
            # With the right key generated bodies reach the field checks, not just the 403.
            case.headers = {**(case.headers or {}), "X-API-Key": served.key}
            if isinstance(case.body, dict) and path.startswith("/open311/"):
                case.body = {**case.body, "api_key": served.key}
        if value is not None and case.path_parameters:
            name = next(n for n in names if value in real.get(n, ()))
            case.path_parameters = {**case.path_parameters, name: value}
        response = case.call_and_validate(checks=CHECKS)
        statuses.append(response.status_code)

    check()
    # Past the key: a run that met only 403s would have tested the key check alone.
    assert statuses and 403 not in statuses, statuses
    if path.startswith("/api/v1/"):
        # Past the body checks to the lifecycle: pushes applied (200) or refused by it (409).
        assert {200, 409} & set(statuses), statuses
    elif names:
        # A real row was found and its body checked against the schema, not only 404s.
        assert 200 in statuses, statuses
