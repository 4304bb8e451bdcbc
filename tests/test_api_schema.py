"""Schemathesis against the API's own OpenAPI schema, in-process on a copy of the demo county:
generated requests, valid and invalid, never cause a server error, and every response (status,
content type, body) is one the schema documents, errors included.

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
from geo.database import session_scope
from tickets.service import Actor, NewProblem, Upload, report_problem

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


@pytest.fixture
def served(demo_copy: Engine) -> Served:
    """The app on a demo copy holding one ticket with a photo (so reads return real rows)."""
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
        report_problem(
            s,
            NewProblem("dead_fish", "死鱼", lon, lat, photos=(photo,)),
            Actor("platform", platform="bianmin"),
            reporter_deputy_id=None,
            source="api:bianmin",
        )
    return Served(create_app(demo_copy), key)


OPERATIONS = [
    ("GET", "/open311/v2/services.json"),
    ("GET", "/open311/v2/requests.json"),
    ("GET", "/open311/v2/requests/{service_request_id}.json"),
    ("GET", "/open311/v2/media/{sha256}"),
    ("POST", "/open311/v2/requests.json"),
]


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_open311_conforms_to_its_schema(served: Served, method: str, path: str) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", served.app)
    operation = schema[path][method]

    # Valid and deliberately invalid inputs alike: both must get a documented answer.
    cases = operation.as_strategy() | operation.as_strategy(
        generation_mode=schemathesis.GenerationMode.NEGATIVE
    )

    @given(case=cases)
    @settings(
        max_examples=25,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        if case.method == "POST" and isinstance(case.body, dict):
            # With the right key generated bodies reach the field checks, not just the 403.
            case.body = {**case.body, "api_key": served.key}
        case.call_and_validate(checks=CHECKS)

    check()
