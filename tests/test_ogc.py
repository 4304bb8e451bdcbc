"""The open interface (OGC API – Features) on a copy of the demo county, through the real app
in-process: each conformance class it claims (Core, GeoJSON), keys, throttle, call log, the
privacy of patrols, bad parameters, and the command line that manages the clients.

Expected answers are computed independently of the server's SQL: bbox results against
shapely on the features' own geometries, datetime results against the features' own times.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from shapely.geometry import box, shape
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from accounts.audit import Operator
from api.app import create_app
from api.keys import issue_key
from archive.clients import issue_client_key, revoke_client, verify_client
from archive.features import COLLECTIONS, CRS84
from cli.main import app as cli
from core.errors import PermissionDenied
from db.database import session_scope
from tests.test_ingest import START, deputy, ingest, signed_in, track_through
from tracks.synth import to_gpx_bytes

# Reads today's date (the tickets' deadlines), but the calendar's edges are the date rules' own
# tests': run again under the first two frozen dates only (tests/clock.py).
pytestmark = pytest.mark.clock_sample

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
GEOJSON_CLASS = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
TESTER = Operator("tester")
SCHEMA_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass
class Ogc:
    engine: Engine
    client: TestClient
    key: str

    def get(self, url: str, key: str | None = "", **kw: Any) -> Any:
        headers = {} if key is None else {"X-API-Key": key or self.key}
        return self.client.get(url, headers=headers, **kw)

    def all_items(self, collection: str, **params: Any) -> list[dict[str, Any]]:
        """Every feature, following `next` links (which also checks them)."""
        found: list[dict[str, Any]] = []
        url = f"/ogc/collections/{collection}/items"
        response = self.get(url, params={"limit": 1000, **params})
        while True:
            assert response.status_code == 200, response.text
            body = response.json()
            found += body["features"]
            nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
            if not nxt:
                return found
            response = self.get(nxt[0])


def _with_patrols_and_tickets(engine: Engine, client: TestClient) -> None:
    """Two patrols (the demo copy has none) and eight tickets reported through GeoReport, at
    sites across the county, their creation spread over days so times differ."""
    for n, code in enumerate(("D0001", "D0002")):
        dep, site = deputy(engine, code)
        lon, lat, t = track_through(engine, site, start_s=START + n * 86_400)
        ingest(engine, to_gpx_bytes(lon, lat, t), f"p{n}.gpx", dep)
    with engine.connect() as conn:
        categories = conn.execute(
            text("SELECT code, platform_code FROM problem_category WHERE active ORDER BY code")
        ).all()
        points = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p, "
                "row_number() OVER (ORDER BY id) AS n FROM site) x WHERE n % 40 = 1 LIMIT 8"
            )
        ).all()
    with session_scope(engine) as s:
        keys = {p: issue_key(s, p) for p in {c.platform_code for c in categories}}
    for i, (lon, lat) in enumerate(points):
        category = categories[i % len(categories)]
        body = {
            "api_key": keys[category.platform_code],
            "service_code": category.code,
            "lat": lat,
            "long": lon,
            "description": f"测试问题 {i}",
        }
        response = client.post("/open311/v2/requests.json", json=body)
        assert response.status_code == 201, response.text
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE ticket SET created_at = created_at - (id % 5) * interval '1 day' "
                "- id * interval '17 minutes'"
            )
        )


@pytest.fixture
def ogc(demo_copy: Engine) -> Iterator[Ogc]:
    with session_scope(demo_copy) as s:
        key = issue_client_key(s, TESTER, "hezhang_app", "河长制APP")
    with TestClient(create_app(demo_copy)) as client:
        _with_patrols_and_tickets(demo_copy, client)
        with demo_copy.begin() as conn:  # the set-up's calls are no client's
            conn.execute(text("DELETE FROM api_call_log"))
        yield Ogc(demo_copy, client, key)


def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.scalar(text(sql), params)


def error_of(response: Any, status: int, *words: str) -> str:
    """The platform API's error list, with the status and words in its description."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, list) and body[0]["code"] == status, body
    for word in words:
        assert word in body[0]["description"], body
    return body[0]["description"]


# ------------------------------------------------------------------ Core: the documents


def test_landing_page_links_the_definition_conformance_and_data(ogc: Ogc) -> None:
    for path in ("/ogc", "/ogc/"):
        response = ogc.get(path)
        assert response.status_code == 200, response.text
    links = {link["rel"]: link for link in response.json()["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(links)
    for rel in ("service-desc", "conformance", "data"):
        followed = ogc.get(links[rel]["href"])
        assert followed.status_code == 200, (rel, followed.text)
        assert followed.headers["content-type"].split(";")[0] == links[rel]["type"].split(";")[0]
    definition = ogc.get(links["service-desc"]["href"]).json()
    assert definition["openapi"].startswith("3.1")
    assert "/ogc/collections/{collection_id}/items" in definition["paths"]
    assert all(path.startswith("/ogc") for path in definition["paths"])


def test_conformance_claims_only_core_and_geojson(ogc: Ogc) -> None:
    assert ogc.get("/ogc/conformance").json() == {"conformsTo": [CORE, GEOJSON_CLASS]}


def test_collections_describe_extent_crs_and_items(ogc: Ogc) -> None:
    county = [
        float(v)
        for v in ogc.engine.connect()
        .execute(
            text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                "(SELECT ST_Extent(geom) AS e FROM county) x"
            )
        )
        .one()
    ]
    body = ogc.get("/ogc/collections").json()
    assert [c["id"] for c in body["collections"]] == [c.id for c in COLLECTIONS]
    for c in body["collections"]:
        assert c["itemType"] == "feature" and c["crs"] == [CRS84]
        west, south, east, north = c["extent"]["spatial"]["bbox"][0]
        assert c["extent"]["spatial"]["crs"] == CRS84
        # within the county (with a little margin for rounding), west to east
        assert county[0] - 0.01 <= west <= east <= county[2] + 0.01
        assert county[1] - 0.01 <= south <= north <= county[3] + 0.01
        items = [link for link in c["links"] if link["rel"] == "items"]
        assert items and items[0]["type"] == "application/geo+json"
        single = ogc.get(f"/ogc/collections/{c['id']}")
        assert single.status_code == 200 and single.json() == c
    temporal = {c["id"]: c["extent"].get("temporal") for c in body["collections"]}
    start, end = temporal["tickets"]["interval"][0]
    assert start <= end and temporal["sites"] is None


# ------------------------------------------------------------------ Core: items and paging


def test_items_page_with_counts_and_next_prev_links(ogc: Ogc) -> None:
    sites = scalar(ogc.engine, "SELECT count(*) FROM site")
    first = ogc.get("/ogc/collections/sites/items")
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("application/geo+json")
    body = first.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberReturned"] == len(body["features"]) == 10  # the default limit
    assert body["numberMatched"] == sites
    rels = {link["rel"] for link in body["links"]}
    assert {"self", "next"} <= rels and "prev" not in rels

    second = ogc.get("/ogc/collections/sites/items", params={"limit": 7, "offset": 7}).json()
    assert second["numberReturned"] == 7
    prev = [link["href"] for link in second["links"] if link["rel"] == "prev"][0]
    assert "offset" not in prev  # back to the start
    back = ogc.get(prev).json()
    assert [f["id"] for f in back["features"]] == [f["id"] for f in body["features"]][:7]

    # following next links visits every site exactly once, and the last page has no next
    seen = ogc.all_items("sites")
    codes = [f["id"] for f in seen]
    assert len(codes) == len(set(codes)) == sites
    page = ogc.get("/ogc/collections/sites/items", params={"limit": 5, "offset": sites - 2}).json()
    assert page["numberReturned"] == 2
    assert "next" not in {link["rel"] for link in page["links"]}
    past = ogc.get("/ogc/collections/sites/items", params={"offset": sites + 100}).json()
    assert past["numberReturned"] == 0 and past["numberMatched"] == sites


def test_a_single_feature_and_404s(ogc: Ogc) -> None:
    listed = ogc.get("/ogc/collections/tickets/items", params={"limit": 1}).json()["features"][0]
    one = ogc.get(f"/ogc/collections/tickets/items/{listed['id']}")
    assert one.status_code == 200
    assert one.headers["content-type"].startswith("application/geo+json")
    body = one.json()
    assert body["type"] == "Feature" and body["id"] == listed["id"]
    assert body["geometry"] == listed["geometry"] and body["properties"] == listed["properties"]
    assert {link["rel"] for link in body["links"]} >= {"self", "collection"}

    error_of(ogc.get("/ogc/collections/tickets/items/no-such-ticket"), 404, "no-such-ticket")
    error_of(ogc.get("/ogc/collections/ponds"), 404, "ponds", "known")
    error_of(ogc.get("/ogc/collections/ponds/items"), 404, "ponds")
    error_of(ogc.get("/ogc/collections/ponds/items/1"), 404, "ponds")


# ------------------------------------------------------------------ Core: bbox


def test_bbox_returns_exactly_the_features_that_intersect_it(ogc: Ogc) -> None:
    everything = ogc.all_items("sites")
    xs = sorted(shape(f["geometry"]).centroid.x for f in everything)
    ys = sorted(shape(f["geometry"]).centroid.y for f in everything)
    # a box over the middle of the county, cutting through some sites
    west, east = xs[len(xs) // 4], xs[len(xs) // 2]
    south, north = ys[len(ys) // 4], ys[3 * len(ys) // 4]
    window = box(west, south, east, north)
    expected = {f["id"] for f in everything if shape(f["geometry"]).intersects(window)}
    assert 0 < len(expected) < len(everything)
    got = ogc.all_items("sites", bbox=f"{west},{south},{east},{north}")
    assert {f["id"] for f in got} == expected
    with_heights = ogc.all_items("sites", bbox=f"{west},{south},-10,{east},{north},500")
    assert {f["id"] for f in with_heights} == expected

    # west > east crosses the antimeridian: 170°E … 180° and -180° … 119.5°E hold the county
    around = ogc.all_items("sites", bbox="170,-90,119.5,90")
    assert len(around) == len(everything)
    nowhere = ogc.get("/ogc/collections/sites/items", params={"bbox": "0,0,1,1"}).json()
    assert nowhere["numberMatched"] == 0 and nowhere["features"] == []


def test_patrols_publish_no_geometry_so_bbox_finds_none(ogc: Ogc) -> None:
    patrols = ogc.all_items("patrols")
    assert patrols, "the demo has patrols that count"
    assert all(f["geometry"] is None for f in patrols)
    expected = {
        "patrol_no",
        "deputy_code",
        "date",
        "started_at",
        "ended_at",
        "length_km",
        "visited_sites",
    }
    assert all(set(f["properties"]) == expected for f in patrols)
    counting = scalar(ogc.engine, "SELECT count(*) FROM patrol_state WHERE counts")
    assert len(patrols) == counting
    assert ogc.all_items("patrols", bbox="117,28,120,30") == []


def test_tickets_carry_public_fields_only(ogc: Ogc) -> None:
    tickets = ogc.all_items("tickets")
    assert len(tickets) == scalar(ogc.engine, "SELECT count(*) FROM ticket")
    for f in tickets:
        assert f["geometry"]["type"] == "Point"
        assert not {"reporter_deputy_id", "reported_by", "patrol_id"} & set(f["properties"])


# ------------------------------------------------------------------ Core: datetime


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_datetime_intervals_closed_open_and_instants(ogc: Ogc) -> None:
    tickets = ogc.all_items("tickets")
    times = sorted({_moment(f["properties"]["created_at"]) for f in tickets})
    assert len(times) >= 4
    low, high = times[len(times) // 4], times[3 * len(times) // 4]

    def ids(**params: Any) -> set[str]:
        return {f["id"] for f in ogc.all_items("tickets", **params)}

    def expect(keep: Any) -> set[str]:
        return {f["id"] for f in tickets if keep(_moment(f["properties"]["created_at"]))}

    utc = ZoneInfo("UTC")
    closed = f"{low.astimezone(utc):%Y-%m-%dT%H:%M:%S.%fZ}/{high.isoformat()}"
    assert ids(datetime=closed) == expect(lambda t: low <= t <= high)  # both ends included
    assert ids(datetime=f"{low.isoformat()}/..") == expect(lambda t: t >= low)
    assert ids(datetime=f"{low.isoformat()}/") == expect(lambda t: t >= low)
    assert ids(datetime=f"../{high.isoformat()}") == expect(lambda t: t <= high)
    assert ids(datetime=low.isoformat()) == expect(lambda t: t == low)
    # a date is the whole local day
    tz = ZoneInfo("Asia/Shanghai")
    day = low.astimezone(tz).date()
    assert ids(datetime=day.isoformat()) == expect(lambda t: t.astimezone(tz).date() == day)
    later = (high + timedelta(days=3650)).isoformat()
    assert ids(datetime=f"{later}/..") == set()


def test_datetime_matches_a_patrol_at_any_moment_of_it(ogc: Ogc) -> None:
    patrol = next(f for f in ogc.all_items("patrols") if f["properties"]["ended_at"] is not None)
    start = _moment(patrol["properties"]["started_at"])
    end = _moment(patrol["properties"]["ended_at"])
    middle = start + (end - start) / 2
    found = {f["id"] for f in ogc.all_items("patrols", datetime=middle.isoformat())}
    assert patrol["id"] in found
    before = f"../{(start - timedelta(seconds=1)).isoformat()}"
    assert patrol["id"] not in {f["id"] for f in ogc.all_items("patrols", datetime=before)}


# ------------------------------------------------------------------ bad input


BAD = [
    ("sites", {"bbox": "1,2,3"}, "bbox"),
    ("sites", {"bbox": "a,b,c,d"}, "bbox"),
    ("sites", {"bbox": "118,95,119,96"}, "latitudes"),
    ("sites", {"bbox": "118,30,119,29"}, "south"),
    ("sites", {"bbox": "118,nan,119,30"}, "finite"),
    ("sites", {"bbox": "190,28,191,29"}, "longitudes"),
    ("tickets", {"datetime": "yesterday"}, "datetime"),
    ("tickets", {"datetime": "2026-13-01"}, "datetime"),
    ("tickets", {"datetime": "../.."}, "datetime"),
    ("tickets", {"datetime": "2026-11-02/2026-11-01"}, "ends before"),
    ("tickets", {"datetime": "2026-11-01T10:00:00"}, "time zone"),
    ("tickets", {"datetime": "a/b/c"}, "two sides"),
    ("sites", {"datetime": "2026-11-01"}, "no time"),
    ("sites", {"limit": "0"}, "limit"),
    ("sites", {"limit": "1001"}, "limit"),
    ("sites", {"limit": "ten"}, "limit"),
    ("sites", {"offset": "-1"}, "offset"),
    ("sites", {"offset": "99999999999999999999"}, "offset"),
    ("sites", {"offset": "9223372036854775807"}, "between"),  # whole, only out of range
    ("sites", {"limit": "-1"}, "between"),
    ("sites", {"bbx": "118,28,119,29"}, "bbx"),
    ("sites", {"f": "html"}, "f"),
    ("sites", {"bbox": "118,28,119,\x00"}, "bbox"),
]


@pytest.mark.parametrize(("collection", "params", "word"), BAD, ids=[str(b[1]) for b in BAD])
def test_bad_parameters_are_400_naming_the_parameter(
    ogc: Ogc, collection: str, params: dict[str, str], word: str
) -> None:
    error_of(ogc.get(f"/ogc/collections/{collection}/items", params=params), 400, word)


def test_a_long_value_is_not_echoed_whole(ogc: Ogc) -> None:
    response = ogc.get("/ogc/collections/tickets/items", params={"datetime": "x" * 5000})
    error_of(response, 400, "datetime")
    assert len(response.text) < 500


def test_a_parameter_given_twice_is_refused(ogc: Ogc) -> None:
    url = "/ogc/collections/sites/items?limit=1&limit=2"
    error_of(ogc.get(url), 400, "limit", "more than once")
    error_of(ogc.get("/ogc/conformance", params={"limit": "1"}), 400, "limit")


# ------------------------------------------------------------------ keys, throttle, log


def test_no_wrong_or_revoked_key_is_401_and_every_call_is_logged(ogc: Ogc) -> None:
    for key in (None, "sjk_wrong"):
        response = ogc.get("/ogc/collections", key=key)
        error_of(response, 401, "X-API-Key")
        assert response.headers["WWW-Authenticate"]
    error_of(ogc.get("/ogc/collections/no-such/items", key=None), 401)  # key before all else
    assert ogc.get("/ogc/conformance").status_code == 200
    with session_scope(ogc.engine) as s:
        revoke_client(s, TESTER, "hezhang_app")
        assert verify_client(s, ogc.key) is None
    error_of(ogc.get("/ogc/conformance"), 401)
    with ogc.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT platform_code, path, status FROM api_call_log ORDER BY id")
        ).all()
    assert [r.status for r in rows] == [401, 401, 401, 200, 401]
    assert rows[3].platform_code == "ogc:hezhang_app" and rows[3].path == "/ogc/conformance"
    assert rows[0].platform_code is None


def test_a_client_over_its_rate_gets_429_until_the_minute_passes(
    ogc: Ogc, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHUIJIAN_OGC_PER_MINUTE", "3")
    with session_scope(ogc.engine) as s:
        other = issue_client_key(s, TESTER, "zongzhi_gis", "综治平台")
    for _ in range(3):
        assert ogc.get("/ogc/conformance").status_code == 200
    refused = ogc.get("/ogc/conformance")
    error_of(refused, 429, "3 calls")
    assert refused.headers["Retry-After"] == "60"
    assert ogc.get("/ogc/conformance", key=other).status_code == 200  # per client
    # the minute passes (the log's times are the database's, as the count's)
    with ogc.engine.begin() as conn:
        conn.execute(text("UPDATE api_call_log SET at = at - interval '61 seconds'"))
    assert ogc.get("/ogc/conformance").status_code == 200


# ------------------------------------------------------------------ the definition, fuzzed

OGC_OPERATIONS = [
    "/ogc/",
    "/ogc/conformance",
    "/ogc/api",
    "/ogc/collections",
    "/ogc/collections/{collection_id}",
    "/ogc/collections/{collection_id}/items",
    "/ogc/collections/{collection_id}/items/{feature_id}",
]


@pytest.mark.parametrize("path", OGC_OPERATIONS)
def test_every_answer_is_one_the_definition_documents(ogc: Ogc, path: str) -> None:
    """Schemathesis against `/ogc/api`, valid and invalid requests with a valid key: never a
    server error, and status, content type and body always as documented."""
    schema = schemathesis.openapi.from_asgi(
        "/ogc/api", ogc.client.app, headers={"X-API-Key": ogc.key}
    )
    operation = schema[path]["GET"]
    cases = operation.as_strategy() | operation.as_strategy(
        generation_mode=schemathesis.GenerationMode.NEGATIVE
    )
    real = {
        "collection_id": tuple(c.id for c in COLLECTIONS),
        "feature_id": ("S0001", "33082200102"),
    }
    statuses: list[int] = []

    @given(case=cases, pick=st.integers(0, 3))
    @settings(
        max_examples=25,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any, pick: int) -> None:
        case.headers = {**(case.headers or {}), "X-API-Key": ogc.key}
        if case.path_parameters and pick:
            chosen = {n: real[n][pick % len(real[n])] for n in case.path_parameters if n in real}
            if path.endswith("{feature_id}"):
                chosen["collection_id"] = "sites" if pick % 2 else "grid_cells"
                chosen["feature_id"] = "S0001" if pick % 2 else "33082200102"
            case.path_parameters = {**case.path_parameters, **chosen}
        response = case.call_and_validate(checks=SCHEMA_CHECKS)
        statuses.append(response.status_code)

    check()
    assert 200 in statuses, statuses  # real rows were read and their answers checked


# ------------------------------------------------------------------ managing clients


def test_only_an_administrator_issues_keys(ogc: Ogc) -> None:
    deputy = signed_in(ogc.engine, "d0001")
    with pytest.raises(PermissionDenied), session_scope(ogc.engine) as s:
        issue_client_key(s, deputy, "sneaky", "偷偷")
    assert scalar(ogc.engine, "SELECT count(*) FROM ogc_client WHERE code = 'sneaky'") == 0
    admin = signed_in(ogc.engine, "admin")
    with session_scope(ogc.engine) as s:
        key = issue_client_key(s, admin, "gis_office", "县GIS中心")
        assert verify_client(s, key) == "gis_office"
    audited = "SELECT count(*) FROM audit_event WHERE action = 'ogc_client_key' AND target = :t"
    assert scalar(ogc.engine, audited, t="gis_office") == 1


def test_cli_issues_rotates_lists_and_revokes(
    demo_copy: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", demo_copy.url.render_as_string(hide_password=False))
    runner = CliRunner()
    made = runner.invoke(cli, ["ogc-client", "key", "hezhang_app", "--name", "河长制APP"])
    assert made.exit_code == 0, made.output
    first = made.stdout.strip().splitlines()[0]
    rotated = runner.invoke(cli, ["ogc-client", "key", "hezhang_app"])
    assert rotated.exit_code == 0, rotated.output
    second = rotated.stdout.strip().splitlines()[0]
    with session_scope(demo_copy) as s:
        assert verify_client(s, first) is None and verify_client(s, second) == "hezhang_app"
    listed = runner.invoke(cli, ["ogc-client", "list"])
    assert "hezhang_app" in listed.stdout and "key valid" in listed.stdout

    for args, word in (
        (["ogc-client", "key", "Bad Code!", "--name", "x"], "Bad Code!"),
        (["ogc-client", "key", "newcomer"], "give its name"),
        (["ogc-client", "revoke", "nobody"], "nobody"),
    ):
        refused = runner.invoke(cli, args)
        assert refused.exit_code != 0 and word in refused.output, refused.output
        assert "Traceback" not in refused.output
    assert scalar(demo_copy, "SELECT count(*) FROM ogc_client") == 1

    gone = runner.invoke(cli, ["ogc-client", "revoke", "hezhang_app"])
    assert gone.exit_code == 0, gone.output
    with session_scope(demo_copy) as s:
        assert verify_client(s, second) is None
    assert "revoked" in runner.invoke(cli, ["ogc-client", "list"]).stdout


def test_warnings_carry_no_deputy_nor_notes_and_an_open_one_runs_on(ogc: Ogc) -> None:
    """The early warnings' collection: an open warning's interval has no end (a later
    ``datetime`` still finds it), a closed one ends when it was closed; neither carries the
    deputy, the notes nor who acted."""
    with ogc.engine.begin() as conn:
        site, town, dep = conn.execute(
            text("SELECT id, township_id, (SELECT min(id) FROM deputy) FROM site LIMIT 1")
        ).one()
        who = conn.scalar(
            text(
                "INSERT INTO app_user (username, password_hash, role) "
                "VALUES ('ogc-analyst', 'x', 'analyst') RETURNING id"
            )
        )
        conn.execute(
            text(
                "INSERT INTO early_warning (key, rule, township_id, site_id, deputy_id, "
                "raised_on, raised_at, acknowledged_at, acknowledged_by, acknowledge_note, "
                "closed_at, closed_by, close_note) "
                "VALUES ('open', 'registered_unpatrolled', :t, :s, NULL, '2026-10-01', "
                "'2026-10-01T08:00+08', NULL, NULL, NULL, NULL, NULL, NULL), "
                "('closed', 'flagged_deputy', :t, NULL, :d, '2026-10-02', '2026-10-02T08:00+08', "
                "'2026-10-03T08:00+08', :w, '已签收 张三', '2026-10-05T08:00+08', :w, "
                "'已处理 13900001111')"
            ),
            {"t": town, "s": site, "d": dep, "w": who},
        )
    warnings = ogc.all_items("warnings")
    assert {f["properties"]["state"] for f in warnings} == {"open", "closed"}
    for f in warnings:
        assert not {"deputy", "deputy_id", "acknowledge_note", "close_note", "closed_by"} & set(
            f["properties"]
        )
    text_of_all = json.dumps(warnings, ensure_ascii=False)
    assert "张三" not in text_of_all and "13900001111" not in text_of_all
    located = {f["properties"]["rule"]: f["geometry"] for f in warnings}
    assert located["registered_unpatrolled"] is not None and located["flagged_deputy"] is None
    later = ogc.all_items("warnings", datetime="2026-11-01T00:00:00Z/..")
    assert [f["properties"]["state"] for f in later] == ["open"]
    during = ogc.all_items("warnings", datetime="2026-10-04T00:00:00Z")
    assert {f["properties"]["state"] for f in during} == {"open", "closed"}
    meta = ogc.get("/ogc/collections/warnings").json()
    assert meta["extent"]["temporal"]["interval"][0][1] is None  # still running
