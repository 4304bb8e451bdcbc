"""No input makes the API answer 500: hostile bodies, numbers, encodings, media types and
parameters are each a clear 400, 413 or 415 in the one error format; and a real bug is a
500 whose body carries an error id and nothing of the traceback, which goes to the log."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
import sqlalchemy.exc
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from api import MAX_BODY_BYTES, MAX_JSON_DEPTH, MAX_JSON_VALUES, parse_json
from api.app import create_app
from api.keys import issue_key
from core.logs import LOGGER
from db.database import session_scope
from tests.test_api import assert_error
from tickets.service import Actor, NewProblem, report_problem

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@dataclass
class Hostile:
    engine: Engine
    client: TestClient
    key: str
    number: str  # an assigned ticket of the keyed platform

    def post(self, url: str, body: Any, content_type: str | None) -> Any:
        headers = {"X-API-Key": self.key}
        if content_type is not None:
            headers["content-type"] = content_type
        return self.client.post(url, content=body, headers=headers)

    def event_count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM ticket_event")).scalar_one()


def _admin(server_url: str) -> psycopg.Connection:
    url = make_url(server_url).set(drivername="postgresql", database="postgres")
    return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)


@pytest.fixture(scope="module")
def hostile(server_url: str, demo_url: str) -> Iterator[Hostile]:
    """One app on one copy of the demo county for the whole table (a copy per case would
    cost more than the cases): every body in it is refused before it changes anything, which
    each case checks, so the cases cannot disturb one another."""
    name = f"t_hostile_{uuid.uuid4().hex[:8]}"
    demo = make_url(demo_url).database
    with _admin(server_url) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (demo,),
        )
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{demo}"')
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with session_scope(engine) as s:
            key = issue_key(s, "bianmin")
            lon, lat = s.execute(
                text(
                    "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
                    "FROM site WHERE kind = 'pond' ORDER BY id LIMIT 1"
                )
            ).one()
            ticket = report_problem(
                s,
                NewProblem("dead_fish", "死鱼", lon, lat),
                Actor("platform", platform="bianmin"),
                reporter_deputy_id=None,
                source="api:bianmin",
            )
            number = ticket.number
        with TestClient(create_app(engine)) as client:
            yield Hostile(engine, client, key, number)
    finally:
        engine.dispose()
        with _admin(server_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def nested(depth: int, inner: str = "0") -> str:
    """`depth` levels of arrays around `inner`."""
    return "[" * depth + inner + "]" * depth


def fields(value: str) -> bytes:
    """A JSON object whose fields checked by both targets (`description` when creating a
    request, `update_id` in a callback) carry the raw JSON `value`."""
    return f'{{"update_id": {value}, "description": {value}}}'.encode()


# id, body, content type, status, words the description must hold.
CASES: list[tuple[str, bytes, str | None, int, str]] = [
    # nesting: refused by its depth before any parser recurses
    ("4 KB of [", nested(2000, "").encode(), JSON, 400, f"deeper than {MAX_JSON_DEPTH}"),
    ("deep objects", ('{"a":' * 2000 + "1" + "}" * 2000).encode(), JSON, 400, "deeper than"),
    ("deep in a field", fields(nested(MAX_JSON_DEPTH)), JSON, 400, "deeper than"),
    ("unclosed [", b"[" * 5000, JSON, 400, "not valid JSON"),
    ("at the depth limit", fields(nested(MAX_JSON_DEPTH - 1)), JSON, 400, "valid string"),
    ("too many values", ("[" + "0," * MAX_JSON_VALUES + "0]").encode(), JSON, 400, "values"),
    # numbers
    ("1e400", fields("1e400"), JSON, 400, "1e400 is out of range"),
    ("-1e400", fields("-1e400"), JSON, 400, "out of range"),
    ("10**5000", fields("1" + "0" * 5000), JSON, 400, "longer than 100 characters"),
    ("long fraction", fields("0." + "3" * 5000), JSON, 400, "longer than 100 characters"),
    ("NaN", fields("NaN"), JSON, 400, "NaN is not a JSON number"),
    ("Infinity", fields("Infinity"), JSON, 400, "Infinity is not a JSON number"),
    ("-Infinity", fields("-Infinity"), JSON, 400, "-Infinity is not a JSON number"),
    ("1e308 is a number", fields("1e308"), JSON, 400, "valid string"),
    # encodings
    ("not UTF-8", b'{"update_id": "\xff\xfe", "description": "\xc3"}', JSON, 400, "UTF-8"),
    ("UTF-16 with BOM", json.dumps({"update_id": "u"}).encode("utf-16"), JSON, 400, "UTF-8"),
    ("UTF-16 no BOM", json.dumps({"update_id": "u"}).encode("utf-16-le"), JSON, 400, "JSON"),
    ("UTF-32", json.dumps({"update_id": "u"}).encode("utf-32"), JSON, 400, "UTF-8"),
    ("UTF-8 BOM tolerated", b"\xef\xbb\xbf" + fields("5"), JSON, 400, "valid string"),
    ("charset utf-16", fields("5"), f"{JSON}; charset=utf-16", 415, "UTF-8"),
    # text that PostgreSQL cannot hold, caught with the field's name
    ("escaped NUL", fields('"a\\u0000b"'), JSON, 400, "NUL"),
    ("raw NUL", b'{"update_id": "a\x00b"}', JSON, 400, "not valid JSON"),
    ("lone surrogate", fields('"\\ud800"'), JSON, 400, "unicode string"),
    ("over-long", fields(json.dumps("x" * 1_000_000)), JSON, 400, "at most"),
    # shapes and syntax
    ("a list", b"[1, 2]", JSON, 400, "expected a JSON object"),
    ("a string", b'"update_id"', JSON, 400, "expected a JSON object"),
    ("null", b"null", JSON, 400, "expected a JSON object"),
    ("empty JSON", b"", JSON, 400, "not valid JSON"),
    ("truncated", b'{"update_id": "u', JSON, 400, "not valid JSON"),
    ("a key alone", b'{"update_id"}', JSON, 400, "not valid JSON"),
    # media types
    ("form labelled JSON", b"update_id=u&description=d", JSON, 400, "not valid JSON"),
    ("JSON labelled form", b'{"update_id": "u"}', FORM, 400, "is required"),
    ("JSON labelled multipart", b'{"update_id": "u"}', "multipart/form-data", 400, "boundary"),
    ("broken multipart", b"garbage", "multipart/form-data; boundary=x", 400, "body: Invalid"),
    ("too many form fields", b"a=1&" * 2000, FORM, 400, "Too many fields"),
    ("XML", b"<update_id>u</update_id>", "application/xml", 415, "application/xml"),
    ("text", b"update_id=u", "text/plain", 415, "text/plain"),
    ("no content type", b'{"update_id": "u"}', None, 415, "(none)"),
]
TARGETS = ["/open311/v2/requests.json", "/api/v1/tickets/{number}/accept"]


@pytest.mark.parametrize("target", TARGETS, ids=["create", "callback"])
@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_hostile_bodies_are_refused_in_the_error_format(
    hostile: Hostile, target: str, body: bytes, content_type: str | None, status: int, words: str
) -> None:
    before = hostile.event_count()
    response = hostile.post(target.format(number=hostile.number), body, content_type)
    description = assert_error(response, status, words)
    assert "Traceback" not in description and len(description) < 2000
    assert hostile.event_count() == before


def test_a_body_over_the_limit_is_413_whether_its_length_is_declared_or_not(
    hostile: Hostile,
) -> None:
    before = hostile.event_count()
    declared = hostile.post(TARGETS[0], b" " * (MAX_BODY_BYTES + 1), JSON)
    assert_error(declared, 413, "body: larger than 50 MB")

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked, counted as it comes
        for _ in range(MAX_BODY_BYTES // (1024 * 1024) + 1):
            yield b" " * (1024 * 1024)

    for target in TARGETS:
        for content_type in (JSON, FORM, "multipart/form-data; boundary=x"):
            streamed = hostile.client.post(
                target.format(number=hostile.number),
                content=chunks(),
                headers={"X-API-Key": hostile.key, "content-type": content_type},
            )
            assert_error(streamed, 413, "larger than")
    assert hostile.event_count() == before
    # At the limit the body is read and judged on its content.
    at_limit = hostile.post(TARGETS[1].format(number=hostile.number), b" " * MAX_BODY_BYTES, JSON)
    assert_error(at_limit, 400, "not valid JSON")


async def _raw_call(app: Any, headers: list[tuple[bytes, bytes]], body: bytes) -> list[dict]:
    """One request straight through the ASGI interface, headers exactly as given."""
    sent: list[dict] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(_scope("/open311/v2/requests.json", headers), receive, send)
    return sent


def _scope(path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8600),
    }


@pytest.mark.parametrize(
    ("length", "status", "words"),
    [
        (b"abc", 400, "Content-Length"),
        (b"-1", 400, "Content-Length"),
        (b"1e3", 400, "Content-Length"),
        (b"\xb2", 400, "Content-Length"),  # "²" in latin-1: a digit to str.isdigit, not to int
        (str(MAX_BODY_BYTES + 1).encode(), 413, "larger than"),
        (b"9" * 5000, 413, "larger than"),
    ],
)
def test_a_bad_or_huge_content_length_is_refused_before_reading(
    hostile: Hostile, length: bytes, status: int, words: str
) -> None:
    import anyio

    app = hostile.client.app
    headers = [(b"content-type", JSON.encode()), (b"content-length", length)]
    sent = anyio.run(_raw_call, app, headers, b"{}")
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == status
    body = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    assert body[0]["code"] == status and words in body[0]["description"], body


REQUESTS = "/open311/v2/requests.json"
PARAMETERS: list[tuple[str, str, int, str]] = [
    ("NUL in a query", f"{REQUESTS}?service_code=%00", 400, "service_code: must not contain NUL"),
    ("not UTF-8 query", f"{REQUESTS}?status=%ED%A0%80", 400, "status"),
    ("year 10000", f"{REQUESTS}?start_date=10000-01-01", 400, "start_date"),
    ("1e400 as a date", f"{REQUESTS}?start_date=1e400", 400, "start_date"),
    ("5000 digits as a date", f"{REQUESTS}?end_date={'9' * 5000}", 400, "end_date"),
    ("year 1 at +14:00", f"{REQUESTS}?start_date=0001-01-01T00:00:00%2B14:00", 200, ""),
    ("year 9999 at -14:00", f"{REQUESTS}?end_date=9999-12-31T23:59:59-14:00", 200, ""),
    ("3000 ids", f"{REQUESTS}?service_request_id={',x' * 3000}", 200, ""),
    ("8000-character code", f"{REQUESTS}?service_code={'x' * 8000}", 200, ""),
    ("long jurisdiction", f"{REQUESTS}?jurisdiction_id={'x' * 500}", 400, "jurisdiction_id"),
    ("NUL in a path", "/open311/v2/requests/%00.json", 400, "service_request_id"),
    ("not UTF-8 path", "/open311/v2/requests/%ff%fe.json", 404, "no service request"),
    ("5000-digit id", f"/open311/v2/requests/{'9' * 5000}.json", 404, "no service request"),
    ("upper-case hash", f"/open311/v2/media/{'A' * 64}", 400, "sha256"),
    ("NUL jurisdiction", "/open311/v2/services.json?jurisdiction_id=%00", 400, "NUL"),
]


@pytest.mark.parametrize(
    ("url", "status", "words"), [p[1:] for p in PARAMETERS], ids=[p[0] for p in PARAMETERS]
)
def test_hostile_parameters_are_answered_without_500(
    hostile: Hostile, url: str, status: int, words: str
) -> None:
    response = hostile.client.get(url)
    if status == 200:
        assert response.status_code == 200 and isinstance(response.json(), list), response.text
    else:
        assert_error(response, status, words)


def test_a_hostile_callback_path_is_refused(hostile: Hostile) -> None:
    for number, status, words in [
        ("%00", 400, "number: must not contain NUL"),
        ("%ED%A0%80", 404, "no ticket"),  # an undecodable path is read with replacements
        ("x" * 5000, 404, "no ticket"),
    ]:
        response = hostile.post(f"/api/v1/tickets/{number}/accept", b'{"update_id": "u"}', JSON)
        assert_error(response, status, words)


# ------------------------------------------------------------------ the checks' own limits


def test_a_client_that_leaves_mid_body_is_logged_as_400_not_500(hostile: Hostile) -> None:
    import anyio

    async def leave(app: Any) -> list[dict]:
        sent: list[dict] = []
        messages = [
            {"type": "http.request", "body": b'{"update_id": ', "more_body": True},
            {"type": "http.disconnect"},
        ]

        async def receive() -> dict:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)

        headers = [(b"content-type", JSON.encode()), (b"x-api-key", hostile.key.encode())]
        await app(_scope(f"/api/v1/tickets/{hostile.number}/accept", headers), receive, send)
        return sent

    sent = anyio.run(leave, hostile.client.app)
    assert sent[0]["status"] == 400
    with hostile.engine.connect() as conn:
        logged = conn.execute(
            text("SELECT status FROM api_call_log ORDER BY id DESC LIMIT 1")
        ).scalar_one()
    assert logged == 400


def test_parse_json_counts_depth_outside_strings_only() -> None:
    photo_like = json.dumps({"photos": ["[" * 10_000 + "{" * 10_000], "result": "]]]"})
    assert parse_json(photo_like.encode())["result"] == "]]]"
    assert parse_json(nested(MAX_JSON_DEPTH).encode()) == json.loads(nested(MAX_JSON_DEPTH))
    escaped = json.dumps({"a": '\\"[[[' * 100})
    assert parse_json(escaped.encode()) == json.loads(escaped)


# ------------------------------------------------------------------ unexpected errors


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def error_log() -> Iterator[_Records]:
    """What goes to the error log (`core.logs`), captured beside its file."""
    handler = _Records()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger(LOGGER)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def _boom(*_: Any, **__: Any) -> Any:
    raise RuntimeError("secret detail: password=hunter2 in /srv/shuijian/api/open311.py")


def _sql_bug(*_: Any, **__: Any) -> Any:
    raise sqlalchemy.exc.ProgrammingError(
        "SELECT hunter2 FROM ticket", {}, Exception('column "hunter2" does not exist')
    )


@pytest.mark.parametrize(
    ("target", "method", "url", "fault"),
    [
        ("api.open311.query_requests", "GET", "/open311/v2/requests.json", _boom),
        ("api.open311.query_requests", "GET", "/open311/v2/requests.json", _sql_bug),
        ("api.platform._apply", "POST", "/api/v1/tickets/{number}/accept", _boom),
    ],
    ids=["bug in a read", "SQL bug", "bug in a callback"],
)
def test_a_bug_is_a_500_with_an_error_id_and_the_traceback_only_in_the_log(
    hostile: Hostile,
    error_log: _Records,
    monkeypatch: pytest.MonkeyPatch,
    target: str,
    method: str,
    url: str,
    fault: Any,
) -> None:
    monkeypatch.setattr(target, fault)
    response = hostile.client.request(
        method,
        url.format(number=hostile.number),
        json={"update_id": "u-bug"},
        headers={"X-API-Key": hostile.key},
    )
    description = assert_error(response, 500, "internal error")
    error_id = response.headers["X-Error-Id"]
    assert error_id in description and len(error_id) >= 8
    for leak in ("hunter2", "Traceback", "Error", "/srv/", ".py", "SELECT"):
        assert leak not in response.text, response.text
    [record] = [r for r in error_log.records if error_id in r.getMessage()]
    assert record.exc_info is not None
    logged = error_log.format(record)
    assert "Traceback" in logged and "hunter2" in logged
    with hostile.engine.connect() as conn:
        status = conn.execute(
            text("SELECT status FROM api_call_log ORDER BY id DESC LIMIT 1")
        ).scalar_one()
    assert status == 500  # the call log records the 500 the caller got


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        (RecursionError("maximum recursion depth exceeded"), "nested too deeply"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), "UTF-8"),
        (OverflowError("date value out of range"), "out of range"),
        (
            sqlalchemy.exc.DataError("SELECT 1", {}, Exception("timestamp out of range")),
            "out of the range",
        ),
    ],
    ids=["RecursionError", "UnicodeDecodeError", "OverflowError", "DataError"],
)
def test_input_faults_that_slip_past_the_checks_are_400_not_500(
    hostile: Hostile, monkeypatch: pytest.MonkeyPatch, fault: Exception, words: str
) -> None:
    def fail(*_: Any, **__: Any) -> Any:
        raise fault

    monkeypatch.setattr("api.open311.query_requests", fail)
    response = hostile.client.get("/open311/v2/requests.json")
    description = assert_error(response, 400, words)
    assert "Traceback" not in description and "SELECT" not in description
