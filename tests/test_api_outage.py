"""A database outage is a 503 on every endpoint, with Retry-After and nothing of the server's
address or the driver's words, and the API recovers by itself when the database is back.

The outage is real: the API reaches PostgreSQL through a TCP relay in this process, which the
test closes (listener gone, open connections cut, as when the server or the network goes
down) and opens again on the same port. The app is the one `shuijian api` runs: no engine
handed in, so it builds its own from DATABASE_URL, with the pool settings of production.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
import sqlalchemy.exc
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from accounts.audit import Operator
from api.app import create_app
from api.keys import issue_key
from archive.clients import issue_client_key
from core.errors import DatabaseUnavailable
from core.photos import jpeg_with_exif
from db.database import session_scope
from tests.tcp_proxy import Relay
from tests.test_api import assert_error
from tickets.service import Actor, NewProblem, Upload, report_problem

PHOTO_B64 = base64.b64encode(jpeg_with_exif(118.5, 28.9, None)).decode()


@dataclass
class Ticket:
    number: str  # assigned to bianmin, with a photo
    sha256: str  # of that photo
    key: str  # bianmin's
    lon: float  # a point in the county
    lat: float
    ogc_key: str  # an open-interface (OGC API - Features) client's


def every_endpoint(t: Ticket) -> list[tuple[str, str, dict[str, Any]]]:
    """One call per operation of the API, each valid, so only the database can fail it."""
    number, sha256, auth = t.number, t.sha256, {"headers": {"X-API-Key": t.key}}
    ogc = {"headers": {"X-API-Key": t.ogc_key}}
    new = {"service_code": "dead_fish", "lat": t.lat, "long": t.lon, "description": "死鱼"}
    return [
        ("GET", "/open311/v2/services.json", {}),
        ("GET", "/open311/v2/requests.json?status=open", {}),
        ("GET", f"/open311/v2/requests/{number}.json", {}),
        ("GET", f"/open311/v2/media/{sha256}", {}),
        ("POST", "/open311/v2/requests.json", {"json": new} | auth),
        ("POST", f"/api/v1/tickets/{number}/accept", {"json": {"update_id": "o-1"}} | auth),
        (
            "POST",
            f"/api/v1/tickets/{number}/reject",
            {"json": {"update_id": "o-2", "reason": "非本平台职责"}} | auth,
        ),
        (
            "POST",
            f"/api/v1/tickets/{number}/feedback",
            {"json": {"update_id": "o-3", "result": "已处理", "photos": [PHOTO_B64]}} | auth,
        ),
        ("GET", "/ogc/collections", ogc),
        ("GET", "/ogc/collections/tickets/items?limit=5", ogc),
        ("GET", f"/ogc/collections/tickets/items/{number}", ogc),
    ]


def assert_unavailable(response: Any, *secrets: str) -> None:
    """503 in the error format, with Retry-After, saying the database is unavailable and
    nothing else: no address, no driver message, no traceback."""
    description = assert_error(response, 503, "database is temporarily unavailable")
    assert int(response.headers["Retry-After"]) > 0
    for secret in ("Traceback", "psycopg", "connection", "refused", "127.0.0.1", *secrets):
        assert secret not in response.text, (secret, response.text)
    assert len(description) < 200


@pytest.fixture
def ticket(demo_copy: Engine) -> Ticket:
    with session_scope(demo_copy) as s:
        key = issue_key(s, "bianmin")
        lon, lat = s.execute(
            text(
                "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM site "
                "WHERE kind = 'pond' ORDER BY id LIMIT 1"
            )
        ).one()
        photo = Upload("p.jpg", jpeg_with_exif(lon, lat, None))
        number = report_problem(
            s,
            NewProblem("dead_fish", "死鱼", lon, lat, photos=(photo,)),
            Actor("platform", platform="bianmin"),
            reporter_deputy_id=None,
            source="api:bianmin",
        ).number
        sha256 = s.execute(text("SELECT sha256 FROM ticket_attachment")).scalar_one()
        ogc_key = issue_client_key(s, Operator("tester"), "outage_test", "停机测试")
    return Ticket(number, sha256, key, lon, lat, ogc_key)


@pytest.fixture
def relay(demo_copy: Engine) -> Iterator[Relay]:
    url = demo_copy.url
    relay = Relay((url.host or "127.0.0.1", url.port or 5432))
    relay.start()
    try:
        yield relay
    finally:
        relay.stop()


def test_an_outage_is_503_everywhere_and_the_api_recovers_by_itself(
    demo_copy: Engine,
    relay: Relay,
    ticket: Ticket,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    number = ticket.number
    via_relay = demo_copy.url.set(host="127.0.0.1", port=relay.port)
    monkeypatch.setenv("DATABASE_URL", via_relay.render_as_string(hide_password=False))
    password = demo_copy.url.password or "no password"
    port = str(relay.port)
    app = create_app()  # as `shuijian api` builds it: its engine comes from DATABASE_URL
    calls = every_endpoint(ticket)
    with TestClient(app) as client:
        up = client.get("/open311/v2/services.json")
        assert up.status_code == 200, up.text  # the pool now holds a connection

        # The database goes away and comes back between two calls: the pooled connection
        # is dead, and the next call must not be the one that finds out.
        relay.stop()
        relay.start()
        again = client.get(f"/open311/v2/requests/{number}.json")
        assert again.status_code == 200, again.text

        relay.stop()
        for method, url, kw in calls:
            down = client.request(method, url, **kw)
            assert_unavailable(down, port, password, via_relay.database or "")
        # Still down: still 503, not a different error once the pool has given up.
        assert_unavailable(client.get("/open311/v2/services.json"), port)

        relay.start()  # back, same app, same engine: no restart
        statuses = [client.request(method, url, **kw).status_code for method, url, kw in calls]
        # Each call succeeds now, the way its turn in the lifecycle allows: a new request is
        # 201; the ticket is accepted, so reject is refused (409) and feedback then applies.
        assert statuses == [200, 200, 200, 200, 201, 200, 409, 200, 200, 200, 200], statuses
    assert app.state.engine.url.port == relay.port
    app.state.engine.dispose()
    with demo_copy.connect() as conn:
        logged = conn.execute(
            text("SELECT count(*) FROM api_call_log WHERE status = 503")
        ).scalar_one()
    assert logged == 0  # while the database was down, the log could not be written either


def test_a_closed_port_is_503_on_every_endpoint(ticket: Ticket) -> None:
    down = create_engine("postgresql+psycopg://shuijian:s3cret@127.0.0.1:1/shuijian_db")
    with TestClient(create_app(down)) as client:
        for method, url, kw in every_endpoint(ticket):
            assert_unavailable(client.request(method, url, **kw), "s3cret", "shuijian_db")
    down.dispose()


@pytest.mark.parametrize(
    "fault",
    [
        DatabaseUnavailable("could not start the local cluster on 10.1.2.3:54321: no space"),
        psycopg.OperationalError('connection to server at "10.1.2.3", port 54321 failed'),
        psycopg.InterfaceError("the connection to 10.1.2.3:54321 is lost"),
        sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("10.1.2.3:54321 gone")),
        sqlalchemy.exc.InterfaceError("SELECT 1", {}, Exception("10.1.2.3:54321 closed")),
        sqlalchemy.exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"),
    ],
    ids=lambda exc: type(exc).__module__.split(".")[0] + "." + type(exc).__name__,
)
def test_every_kind_of_unreachable_database_is_503(
    fault: Exception, monkeypatch: pytest.MonkeyPatch, ticket: Ticket
) -> None:
    """However the database turns out unreachable, the same 503 (here it fails as the app
    first asks for its engine, as when the local cluster cannot be started)."""
    calls = 0

    def unreachable(*_: Any, **__: Any) -> Engine:
        nonlocal calls
        calls += 1
        raise fault

    monkeypatch.setenv("DATABASE_URL", "postgresql://shuijian@10.1.2.3:54321/shuijian")
    monkeypatch.setattr("db.database.get_engine", unreachable)
    app = create_app()
    with TestClient(app) as client:
        for method, url, kw in every_endpoint(ticket):
            assert_unavailable(client.request(method, url, **kw), "10.1.2.3", "54321", "Queue")
    assert app.state.engine is None  # nothing broken was kept: the next call tries afresh
    assert calls >= len(every_endpoint(ticket))
