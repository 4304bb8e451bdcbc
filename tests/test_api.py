"""The platform API on a copy of the demo county, in-process: GeoReport reads and writes,
the platforms' callbacks, keys, the error format, and the call log."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from typer.testing import CliRunner

from api.app import create_app
from api.keys import hash_key, issue_key, verify_key
from cli.main import app as cli
from core import clock, settings
from core.photos import jpeg_with_exif
from db.database import session_scope
from tickets.service import Actor, get_ticket, move

# Reads today's date, but the calendar's edges are the date rules' own tests': run again under the
# first two frozen dates only (tests/clock.py).
pytestmark = pytest.mark.clock_sample

PHOTO = jpeg_with_exif(118.5, 28.9, datetime(2026, 11, 20, 10, 0))
PHOTO_B64 = base64.b64encode(PHOTO).decode()


@dataclass
class Api:
    """The app on its own database, with a key per platform and a count of calls made."""

    engine: Engine
    client: TestClient
    keys: dict[str, str]
    point: tuple[float, float]  # lon, lat of a pond in the county
    calls: list[tuple[str, str, int]] = field(default_factory=list)

    def call(self, method: str, url: str, **kw: Any) -> Any:
        response = self.client.request(method, url, **kw)
        self.calls.append((method, url, response.status_code))
        return response

    def report(self, category: str, platform: str, **extra: Any) -> str:
        lon, lat = self.point
        body = {
            "api_key": self.keys[platform],
            "service_code": category,
            "lat": lat,
            "long": lon,
            "description": f"{category} 测试问题",
            **extra,
        }
        response = self.call("POST", "/open311/v2/requests.json", json=body)
        assert response.status_code == 201, response.text
        return response.json()[0]["service_request_id"]

    def act(self, number: str, action: str, platform: str, **body: Any) -> Any:
        return self.call(
            "POST",
            f"/api/v1/tickets/{number}/{action}",
            json=body,
            headers={"X-API-Key": self.keys[platform]},
        )


@pytest.fixture
def api(demo_copy: Engine) -> Iterator[Api]:
    with session_scope(demo_copy) as s:
        keys = {code: issue_key(s, code) for code in ("zongzhi", "bianmin", "zhifa", "shichang")}
    with demo_copy.connect() as conn:
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM site "
                "WHERE kind = 'pond' ORDER BY id LIMIT 1"
            )
        ).one()
    with TestClient(create_app(demo_copy)) as client:
        yield Api(demo_copy, client, keys, (lon, lat))


def assert_error(response: Any, status: int, *words: str) -> str:
    """The GeoReport error shape, with the given status and words in the description."""
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body, list) and body, body
    assert all(set(item) == {"code", "description"} for item in body), body
    assert all(item["code"] == status for item in body), body
    description = " ".join(item["description"] for item in body)
    for word in words:
        assert word in description, description
    return description


def events(engine: Engine, number: str) -> list[tuple[str, str, str | None]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT e.action, e.to_status, e.actor_platform FROM ticket_event e "
                    "JOIN ticket t ON t.id = e.ticket_id WHERE t.number = :n ORDER BY e.id"
                ),
                {"n": number},
            )
        ]


# ------------------------------------------------------------------ keys


def test_keys_are_random_stored_hashed_and_verified(api: Api) -> None:
    key = api.keys["zhifa"]
    assert len(key) > 40 and len(set(api.keys.values())) == 4
    with session_scope(api.engine) as s:
        stored = s.execute(text("SELECT api_key_hash FROM platform WHERE code = 'zhifa'")).one()[0]
        assert stored == hash_key(key) and key not in stored
        assert verify_key(s, key) == "zhifa"
        assert verify_key(s, key + "x") is None and verify_key(s, "") is None
        renewed = issue_key(s, "zhifa")
        assert verify_key(s, key) is None and verify_key(s, renewed) == "zhifa"


# ------------------------------------------------------------------ services


def test_services_list_every_category_with_its_platform(api: Api) -> None:
    response = api.call("GET", "/open311/v2/services.json")
    assert response.status_code == 200
    services = {s["service_code"]: s for s in response.json()}
    with api.engine.connect() as conn:
        active = conn.execute(text("SELECT code FROM problem_category WHERE active")).scalars()
        assert set(services) == set(active) and len(services) >= 12
    dead_fish = services["dead_fish"]
    assert dead_fish["service_name"] == "死鱼" and dead_fish["description"] == "Dead fish"
    assert dead_fish["group"] == "便民服务平台" and dead_fish["metadata"] is False
    assert dead_fish["type"] == "realtime"
    assert services["sewage"]["group"] == "综合执法平台"
    ours = settings.text("jurisdiction_id")
    ok = api.call("GET", "/open311/v2/services.json", params={"jurisdiction_id": ours})
    assert ok.status_code == 200
    other = api.call("GET", "/open311/v2/services.json", params={"jurisdiction_id": "x.1"})
    assert_error(other, 404, "jurisdiction")


# ------------------------------------------------------------------ creating requests


def test_post_json_creates_a_routed_numbered_ticket_with_its_photo(api: Api) -> None:
    number = api.report("dead_fish", "bianmin", media=PHOTO_B64, email="someone@example.org")
    assert re.fullmatch(rf"330822-{clock.today():%Y%m}-\d{{4}}", number)
    with session_scope(api.engine) as s:
        ticket = get_ticket(s, number)
        assert ticket.platform_code == "bianmin" and ticket.source == "api:bianmin"
        assert ticket.reporter_deputy_id is None
    assert [e[:2] for e in events(api.engine, number)] == [
        ("report", "reported"),
        ("dispatch", "assigned"),
    ]
    assert events(api.engine, number)[0][2] == "bianmin"  # the platform is the reporter
    one = api.call("GET", f"/open311/v2/requests/{number}.json")
    assert one.status_code == 200
    [item] = one.json()
    assert item["service_request_id"] == number and item["status"] == "open"
    assert item["detailed_status"] == "assigned" and item["detailed_status_zh"] == "交办"
    assert item["agency_responsible"] == "便民服务平台" and item["service_name"] == "死鱼"
    assert item["address"] and item["expected_datetime"].endswith("+08:00")
    assert abs(item["long"] - api.point[0]) < 1e-9 and abs(item["lat"] - api.point[1]) < 1e-9
    photo = api.call("GET", item["media_url"])
    assert photo.status_code == 200 and photo.content == PHOTO
    assert photo.headers["content-type"] == "image/jpeg"


def test_post_form_encoded_and_multipart(api: Api) -> None:
    lon, lat = api.point
    fields = {
        "service_code": "sewage",
        "lat": str(lat),
        "long": str(lon),
        "description": "排污口直排",
        "first_name": "ignored",
    }
    form = api.call(
        "POST", "/open311/v2/requests.json", data={**fields, "api_key": api.keys["zhifa"]}
    )
    assert form.status_code == 201, form.text
    [created] = form.json()
    assert created["account_id"] is None and "综合执法平台" in created["service_notice"]
    multipart = api.call(
        "POST",
        "/open311/v2/requests.json",
        data=fields,
        files={"media": ("outfall.jpg", PHOTO, "image/jpeg")},
        headers={"X-API-Key": api.keys["zhifa"]},
    )
    assert multipart.status_code == 201, multipart.text
    number = multipart.json()[0]["service_request_id"]
    with session_scope(api.engine) as s:
        assert get_ticket(s, number).platform_code == "zhifa"
        assert s.execute(text("SELECT count(*) FROM ticket_attachment")).scalar_one() == 1


def test_a_platform_creates_requests_only_in_its_own_categories(api: Api) -> None:
    """The category decides where a ticket goes, so a platform may create only the ones
    routed to itself: 综治's key and a sewage problem (综合执法's) is 403, naming both, and
    nothing is stored; the same problem with 综合执法's key is created."""
    lon, lat = api.point
    body = {"service_code": "sewage", "lat": lat, "long": lon, "description": "排污口"}
    refused = api.call(
        "POST", "/open311/v2/requests.json", json={**body, "api_key": api.keys["zongzhi"]}
    )
    assert_error(refused, 403, "zongzhi", "sewage", "zhifa")
    with session_scope(api.engine) as s:
        assert s.scalar(text("SELECT count(*) FROM ticket")) == 0
    created = api.call(
        "POST", "/open311/v2/requests.json", json={**body, "api_key": api.keys["zhifa"]}
    )
    assert created.status_code == 201, created.text
    with session_scope(api.engine) as s:
        platforms = s.execute(text("SELECT platform_code, source FROM ticket")).all()
    assert platforms == [("zhifa", "api:zhifa")]


def test_a_wrong_or_missing_key_is_403_in_the_error_format(api: Api) -> None:
    lon, lat = api.point
    body = {"service_code": "dead_fish", "lat": lat, "long": lon, "description": "死鱼"}
    url = "/open311/v2/requests.json"
    assert_error(api.call("POST", url, json=body), 403, "api_key")
    assert_error(api.call("POST", url, json={**body, "api_key": "sjk_guess"}), 403, "api_key")
    assert_error(api.call("POST", url, data={**body, "api_key": ""}), 403)
    number = api.report("dead_fish", "bianmin")
    for headers in ({}, {"X-API-Key": "nope"}):
        refused = api.call(
            "POST", f"/api/v1/tickets/{number}/accept", json={"update_id": "u"}, headers=headers
        )
        assert_error(refused, 403, "X-API-Key")
    with session_scope(api.engine) as s:
        assert s.execute(text("SELECT count(*) FROM ticket")).scalar_one() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"description": None}, "description"),
        ({"description": "   "}, "description"),
        ({"lat": 95.0}, "lat"),
        ({"lat": None}, "lat"),
        ({"long": "east"}, "long"),
        ({"service_code": "unknown_thing"}, "service_code"),
        ({"service_code": None}, "service_code"),
        ({"media": "not base64!!"}, "media"),
        ({"media": base64.b64encode(b"GIF89a not a photo").decode()}, "media"),
        ({"description": "nul\x00byte"}, "description"),
        ({"lat": 10.0, "long": 10.0}, "lat/long"),
        ({"jurisdiction_id": "elsewhere"}, "jurisdiction"),
    ],
)
def test_bad_payloads_are_400_naming_the_field(
    api: Api, change: dict[str, Any], field: str
) -> None:
    lon, lat = api.point
    body = {
        "api_key": api.keys["bianmin"],
        "service_code": "dead_fish",
        "lat": lat,
        "long": lon,
        "description": "死鱼",
    }
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    status = 404 if field == "jurisdiction" else 400
    assert_error(api.call("POST", "/open311/v2/requests.json", json=body), status, field)
    with session_scope(api.engine) as s:
        assert s.execute(text("SELECT count(*) FROM ticket")).scalar_one() == 0


def test_bodies_that_are_not_objects_or_not_json_are_refused(api: Api) -> None:
    url = "/open311/v2/requests.json"
    key = {"X-API-Key": api.keys["bianmin"]}
    bad_json = {**key, "content-type": "application/json"}
    assert_error(api.call("POST", url, content=b"{nope", headers=bad_json), 400, "JSON")
    assert_error(api.call("POST", url, content=b"[1]", headers=bad_json), 400, "object")
    xml = {**key, "content-type": "application/xml"}
    assert_error(api.call("POST", url, content=b"<a/>", headers=xml), 415)


# ------------------------------------------------------------------ reading requests


def test_requests_with_each_filter(api: Api) -> None:
    fish = api.report("dead_fish", "bianmin")
    sewage = api.report("sewage", "zhifa")
    litter = api.report("bank_litter", "bianmin")
    with session_scope(api.engine) as s:
        move(s, get_ticket(s, litter), "withdraw", Actor("reporter"), comment="重复上报")

    def numbers(**params: Any) -> list[str]:
        response = api.call("GET", "/open311/v2/requests.json", params=params)
        assert response.status_code == 200, response.text
        return [r["service_request_id"] for r in response.json()]

    assert numbers() == [litter, sewage, fish]  # newest first
    assert numbers(service_request_id=f"{fish},{litter}") == [litter, fish]
    # service_request_id overrides every other filter, as GeoReport says
    assert numbers(service_request_id=fish, service_code="sewage") == [fish]
    assert numbers(service_code="sewage") == [sewage]
    assert numbers(service_code="sewage,dead_fish") == [sewage, fish]
    assert numbers(status="closed") == [litter]
    assert numbers(status="open") == [sewage, fish]
    assert numbers(status="open,closed") == [litter, sewage, fish]
    now = clock.local_now()
    assert numbers(start_date=(now - timedelta(hours=1)).isoformat()) == [litter, sewage, fish]
    assert numbers(start_date=(now + timedelta(hours=1)).isoformat()) == []
    assert numbers(end_date=(now - timedelta(hours=1)).isoformat()) == []
    assert numbers(end_date=(now + timedelta(hours=1)).isoformat()) == [litter, sewage, fish]
    assert numbers(jurisdiction_id=settings.text("jurisdiction_id")) == [litter, sewage, fish]
    closed = api.call("GET", f"/open311/v2/requests/{litter}.json").json()[0]
    assert closed["status"] == "closed" and closed["detailed_status_zh"] == "撤回"
    assert closed["status_notes"] == "重复上报" and closed["media_url"] is None
    url = "/open311/v2/requests.json"
    assert_error(api.call("GET", url, params={"status": "pending"}), 400, "status")
    assert_error(api.call("GET", url, params={"start_date": "yesterday"}), 400, "start_date")
    assert_error(api.call("GET", url, params={"jurisdiction_id": "x"}), 404, "jurisdiction")


def test_unknown_request_photo_and_route_are_404(api: Api) -> None:
    assert_error(api.call("GET", "/open311/v2/requests/330822-209901-0001.json"), 404, "no ")
    assert_error(api.call("GET", f"/open311/v2/media/{'0' * 64}"), 404, "photo")
    assert_error(api.call("GET", "/open311/v2/media/not-a-hash"), 400, "sha256")
    assert_error(api.call("GET", "/open311/v2/nothing.json"), 404)


# ------------------------------------------------------------------ platform callbacks


def test_accept_then_feedback_with_photos_and_a_retry_changes_nothing(api: Api) -> None:
    number = api.report("dead_fish", "bianmin")
    accepted = api.act(number, "accept", "bianmin", update_id="bm-1", comment="已受理")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["detailed_status"] == "accepted"
    assert accepted.json()["duplicate"] is False
    feedback = {"update_id": "bm-2", "result": "已打捞死鱼并排查原因", "photos": [PHOTO_B64]}
    first = api.act(number, "feedback", "bianmin", **feedback)
    assert first.status_code == 200, first.text
    assert first.json()["detailed_status"] == "fed_back"
    assert first.json()["detailed_status_zh"] == "反馈"
    again = api.act(number, "feedback", "bianmin", **feedback)
    assert again.status_code == 200, again.text
    assert again.json()["duplicate"] is True
    assert again.json()["event_id"] == first.json()["event_id"]
    assert [e[0] for e in events(api.engine, number)].count("feedback") == 1
    assert events(api.engine, number)[-1] == ("feedback", "fed_back", "bianmin")
    with api.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ticket_attachment")).scalar_one() == 1
    item = api.call("GET", f"/open311/v2/requests/{number}.json").json()[0]
    assert item["status_notes"] == "已打捞死鱼并排查原因" and item["media_url"]
    # the same update id for another action is no retry: refused, nothing changes
    reused = api.act(number, "accept", "bianmin", update_id="bm-2")
    assert_error(reused, 409, "update_id")


def test_feedback_as_multipart_files(api: Api) -> None:
    number = api.report("floating_litter", "bianmin")
    assert api.act(number, "accept", "bianmin", update_id="a").status_code == 200
    response = api.call(
        "POST",
        f"/api/v1/tickets/{number}/feedback",
        data={"update_id": "b", "result": "已清理"},
        files=[("photos", ("one.jpg", PHOTO, "image/jpeg"))],
        headers={"X-API-Key": api.keys["bianmin"]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["detailed_status"] == "fed_back"


def test_illegal_moves_other_platforms_and_unknown_tickets(api: Api) -> None:
    number = api.report("dead_fish", "bianmin")
    early = api.act(number, "feedback", "bianmin", update_id="f-1", result="已处理")
    assert_error(early, 409, "Cannot feedback a ticket in status assigned")
    assert_error(api.act(number, "accept", "zhifa", update_id="z-1"), 403, "not routed")
    unknown = api.act("330822-209901-0001", "accept", "bianmin", update_id="u-1")
    assert_error(unknown, 404, "no ticket")
    assert_error(api.act(number, "accept", "bianmin"), 400, "update_id")
    assert_error(api.act(number, "reject", "bianmin", update_id="r-1"), 400, "reason")
    bad_photo = api.act(number, "feedback", "bianmin", update_id="f-2", result="x", photos=["%%"])
    assert_error(bad_photo, 400, "photos[0]")
    rejected = api.act(number, "reject", "bianmin", update_id="r-2", reason="应由执法平台处理")
    assert rejected.status_code == 200 and rejected.json()["detailed_status"] == "reported"
    assert [e[0] for e in events(api.engine, number)] == ["report", "dispatch", "reject"]


# ------------------------------------------------------------------ the call log


def test_every_call_is_logged_including_refused_ones(api: Api) -> None:
    number = api.report("dead_fish", "bianmin")
    api.call("GET", "/open311/v2/services.json")
    api.call("POST", "/open311/v2/requests.json", json={"api_key": "wrong"})
    api.act(number, "accept", "zhifa", update_id="z")
    api.act(number, "accept", "bianmin", update_id="b")
    api.call("GET", "/open311/v2/requests/none.json")
    with api.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT method, path, status, platform_code, client, duration_ms "
                "FROM api_call_log ORDER BY id"
            )
        ).all()
    assert [(r.method, r.status) for r in rows] == [(m, s) for m, _, s in api.calls]
    assert [r.path for r in rows] == [
        "/open311/v2/requests.json",
        "/open311/v2/services.json",
        "/open311/v2/requests.json",
        f"/api/v1/tickets/{number}/accept",
        f"/api/v1/tickets/{number}/accept",
        "/open311/v2/requests/none.json",
    ]
    assert [r.platform_code for r in rows] == ["bianmin", None, None, "zhifa", "bianmin", None]
    assert [r.status for r in rows] == [201, 200, 403, 403, 200, 404]
    assert all(r.client and r.duration_ms >= 0 for r in rows)


def test_a_database_outage_is_503_and_the_log_failure_goes_to_stderr(
    capfd: pytest.CaptureFixture[str],
) -> None:
    down = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with TestClient(create_app(down)) as client:
        response = client.get("/open311/v2/services.json")
    assert_error(response, 503, "database")
    assert "call log not written (GET /open311/v2/services.json -> 503)" in capfd.readouterr().err


# ------------------------------------------------------------------ schema and CLI


def test_openapi_documents_the_error_format_and_no_422(api: Api) -> None:
    schema = api.call("GET", "/openapi.json").json()
    assert "ErrorItem" in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert "422" not in operation["responses"], (method, path)
    post = schema["paths"]["/open311/v2/requests.json"]["post"]
    assert {"application/json", "application/x-www-form-urlencoded"} <= set(
        post["requestBody"]["content"]
    )
    assert "403" in post["responses"] and "400" in post["responses"]
    # Every operation documents the outage (with the header that says when to retry), and
    # every operation with a body the size limit and the media types.
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if method == "post":
                assert {"413", "415"} <= set(responses), (method, path)
            assert "Retry-After" in responses["503"]["headers"], (method, path)
    callbacks = [p for p in schema["paths"] if p.startswith("/api/v1/tickets/")]
    assert len(callbacks) == 3
    for path in callbacks:
        content = schema["paths"][path]["post"]["requestBody"]["content"]
        assert "update_id" in content["application/json"]["schema"]["required"], path


def test_cli_issues_a_key_once_and_sets_the_endpoint(
    demo_copy: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", demo_copy.url.render_as_string(hide_password=False))
    runner = CliRunner()
    issued = runner.invoke(cli, ["platform", "key", "zongzhi"])
    assert issued.exit_code == 0, issued.output
    key = issued.stdout.strip().splitlines()[0]
    with session_scope(demo_copy) as s:
        assert verify_key(s, key) == "zongzhi"
    assert runner.invoke(cli, ["platform", "key", "nosuch"]).exit_code != 0
    done = runner.invoke(cli, ["platform", "endpoint", "zongzhi", "https://zz.example.gov/in"])
    assert done.exit_code == 0, done.output
    refused = runner.invoke(cli, ["platform", "endpoint", "zongzhi", "ftp://x"])
    assert refused.exit_code != 0
    with demo_copy.connect() as conn:
        url = conn.execute(text("SELECT endpoint_url FROM platform WHERE code = 'zongzhi'"))
        assert url.scalar_one() == "https://zz.example.gov/in"
