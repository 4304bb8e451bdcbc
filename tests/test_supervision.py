"""督查组: groups with a leader and members over time, townships, and inspection visits (a
check-in or a GPX track through the patrols' reader) with findings; bad input stores nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from accounts.audit import Operator
from accounts.auth import SignedIn
from core import clock
from core.errors import PermissionDenied
from core.photos import PhotoRefused, jpeg_with_exif
from db.database import session_scope
from duty import supervision as sv
from tests.test_ingest import deputy, track_through
from tracks.gpx_input import GpxRefused
from tracks.synth import to_gpx_bytes

SHELL = Operator("tester")
LEADER = SignedIn(2, "leader", "leader", None, "领导")
ANALYST = SignedIn(3, "analyst", "analyst", None, "分析员")
DEPUTY = SignedIn(9, "d0001", "deputy", 1, "代表")
AT = datetime(2026, 11, 12, 2, 30, tzinfo=UTC)  # 10:30 in Shanghai
TABLES = ("supervision_visit", "supervision_finding", "gpx_upload")


def _towns(engine: Engine) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT id, name FROM township ORDER BY code"))]


def _site_town(engine: Engine, site: int) -> str:
    with engine.connect() as conn:
        return conn.scalar(
            text(
                "SELECT t.name FROM site s JOIN township t ON t.id = s.township_id WHERE s.id = :s"
            ),
            {"s": site},
        )


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in TABLES}


def _group(engine: Engine, towns: list[str]) -> None:
    with session_scope(engine) as s:
        sv.add_group(s, SHELL, "G1", "第一督查组", "周主任", "常委会副主任", date(2026, 1, 1))
        sv.add_member(s, SHELL, "G1", "吴委员", "常委会委员", date(2026, 1, 1))
        for town in towns:
            sv.assign_township(s, SHELL, "G1", town, date(2026, 1, 1))


def test_groups_keep_their_leaders_and_townships_over_time(demo_copy: Engine) -> None:
    (_, a), (_, b), *_ = _towns(demo_copy)
    _group(demo_copy, [a, b])
    with session_scope(demo_copy) as s:
        sv.add_member(s, ANALYST, "G1", "郑主任", "常委会副主任", date(2026, 7, 1), leader=True)
        sv.end_township(s, ANALYST, "G1", b, date(2026, 7, 1))
        june = sv.groups_frame(s, LEADER, date(2026, 6, 30)).iloc[0]
        july = sv.groups_frame(s, LEADER, date(2026, 7, 1)).iloc[0]
    assert june["leader"] == "周主任（常委会副主任）" and july["leader"] == "郑主任（常委会副主任）"
    assert june["members"] == july["members"] == "吴委员"
    assert set(june["townships"].split("、")) == {a, b} and july["townships"] == a
    with pytest.raises(sv.SupervisionRefused) as info, session_scope(demo_copy) as s:
        sv.add_member(s, ANALYST, "G1", "钱主任", None, date(2026, 6, 1), leader=True)
    assert info.value.code == "leader_change_order"
    with pytest.raises(sv.SupervisionRefused) as info, session_scope(demo_copy) as s:
        sv.assign_township(s, ANALYST, "G1", a, date(2026, 8, 1))
    assert info.value.code == "township_already_assigned"


def test_a_check_in_with_findings_and_a_photo_is_recorded(demo_copy: Engine) -> None:
    (_, town), *_ = _towns(demo_copy)
    _group(demo_copy, [town])
    photo = jpeg_with_exif(None, None, AT)
    with session_scope(demo_copy) as s:
        visit = sv.record_checkin(
            s,
            LEADER,
            "G1",
            town,
            "村口排污口",
            AT,
            [sv.NewFinding("排污口仍在直排"), sv.NewFinding("公示牌缺失", photo, "p.jpg")],
        )
        sv.add_finding(s, ANALYST, visit.id, sv.NewFinding("整改期限已告知"))
        frame = sv.visits_frame(s, LEADER, date(2026, 11, 1), date(2026, 11, 30))
        summary = sv.township_summary(s, date(2026, 11, 1), date(2026, 11, 30))
    assert frame[["kind", "place", "findings", "photos"]].values.tolist() == [
        ["checkin", "村口排污口", 3, 1]
    ]
    row = summary[summary["township"] == town].iloc[0]
    assert (row["groups"], row["visits"], row["checkins"], row["findings"]) == (
        "第一督查组",
        1,
        1,
        3,
    )
    assert "排污口仍在直排" in row["finding_text"]
    quiet = summary[summary["township"] != town]
    assert (quiet["visits"] == 0).all() and len(quiet) == len(_towns(demo_copy)) - 1


def _checkin_case(case: str, town: str, other: str) -> dict:
    base = {
        "township": town,
        "place": "水库大坝",
        "at": AT,
        "findings": [sv.NewFinding("坝下有垃圾")],
    }
    changes = {
        "no_place": {"place": "  "},
        "long_place": {"place": "长" * 201},
        "future": {"at": clock.now() + timedelta(days=2)},
        "naive": {"at": AT.replace(tzinfo=None)},
        "not_supervised": {"township": other},
        "no_township": {"township": "火星镇"},
        "empty_finding": {"findings": [sv.NewFinding("ok"), sv.NewFinding(" ")]},
        "not_a_photo": {"findings": [sv.NewFinding("照片", b"GIF89a....", "x.gif")]},
        "half_point": {"lon": 118.0},
        "bad_point": {"lon": 500.0, "lat": 29.0},
        "far_point": {"lon": 100.0, "lat": 40.0},
        "no_group": {"group": "G9"},
    }
    return {**base, **changes[case]}


CODES = {
    "no_place": "checkin_place_missing",
    "long_place": "checkin_place_too_long",
    "future": "checkin_in_future",
    "naive": "checkin_time_naive",
    "not_supervised": "township_not_supervised",
    "no_township": "no_township_named",
    "empty_finding": "finding_text_missing",
    "not_a_photo": "not_a_photo",
    "half_point": "checkin_point_half",
    "bad_point": "checkin_point_invalid",
    "far_point": "checkin_point_elsewhere",
    "no_group": "no_group",
}


@pytest.mark.parametrize("case", sorted(CODES))
def test_a_bad_check_in_is_refused_and_stores_nothing(demo_copy: Engine, case: str) -> None:
    (_, town), (_, other), *_ = _towns(demo_copy)
    _group(demo_copy, [town])
    args = _checkin_case(case, town, other)
    with (
        pytest.raises((sv.SupervisionRefused, PhotoRefused)) as info,
        session_scope(demo_copy) as s,
    ):
        sv.record_checkin(
            s,
            ANALYST,
            args.get("group", "G1"),
            args["township"],
            args["place"],
            args["at"],
            args["findings"],
            lon=args.get("lon"),
            lat=args.get("lat"),
        )
    assert info.value.code == CODES[case]
    assert _counts(demo_copy) == {t: 0 for t in TABLES}


def test_a_track_visit_goes_through_the_patrol_reader(demo_copy: Engine) -> None:
    _, site = deputy(demo_copy, "D0001")
    town = _site_town(demo_copy, site)
    other = next(name for _, name in _towns(demo_copy) if name != town)
    _group(demo_copy, [town, other])
    lon, lat, t = track_through(demo_copy, site, start_s=AT.timestamp(), seed=4)
    data = to_gpx_bytes(lon, lat, t)
    with pytest.raises(sv.SupervisionRefused) as info, session_scope(demo_copy) as s:
        sv.record_gpx_visit(s, ANALYST, "G1", other, data, "far.gpx", [])
    assert info.value.code == "visit_track_elsewhere"
    with pytest.raises(sv.SupervisionRefused) as info, session_scope(demo_copy) as s:
        sv.record_gpx_visit(s, ANALYST, "G1", town, to_gpx_bytes(lon, lat, None), "n.gpx", [])
    assert info.value.code == "visit_track_untimed"
    with pytest.raises(GpxRefused), session_scope(demo_copy) as s:
        sv.record_gpx_visit(s, ANALYST, "G1", town, b"<html>no</html>", "bad.gpx", [])
    assert _counts(demo_copy) == {t: 0 for t in TABLES}
    with session_scope(demo_copy) as s:
        visit = sv.record_gpx_visit(
            s, LEADER, "G1", town, data, "g1.gpx", [sv.NewFinding("塘边垃圾已清理")]
        )
        assert visit.kind == "gpx" and visit.distance_m > 1000
        assert clock.local_date(visit.started_at) == date(2026, 11, 12)
        layer = sv.visit_geojson(s, LEADER, date(2026, 11, 1), date(2026, 11, 30))
    assert [f["geometry"]["type"][-10:] for f in layer["features"]] == ["LineString"]
    from layers.supervision import supervision_map

    html = supervision_map(layer, None, ((28.7, 118.3), (29.1, 118.7))).get_root().render()
    assert json.dumps("第一督查组")[1:-1] in html  # the group's name in the tooltip's data
    assert _counts(demo_copy) == {"supervision_visit": 1, "supervision_finding": 1, "gpx_upload": 1}
    with pytest.raises(Exception) as info, session_scope(demo_copy) as s:
        sv.record_gpx_visit(s, ANALYST, "G1", town, data, "again.gpx", [])
    assert getattr(info.value, "code", None) == "upload_stored_elsewhere"


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        (DEPUTY, set()),
        (LEADER, {"read", "record"}),
        (ANALYST, {"read", "record", "manage"}),
        (SignedIn(1, "admin", "admin", None, "管理员"), {"read", "record", "manage"}),
    ],
)
def test_each_role_gets_what_the_table_gives_it(
    demo_copy: Engine, who: SignedIn, allowed: set[str]
) -> None:
    (_, town), *_ = _towns(demo_copy)
    _group(demo_copy, [town])
    calls = {
        "read": lambda s: sv.groups_frame(s, who, date(2026, 11, 1)),
        "record": lambda s: sv.record_checkin(
            s, who, "G1", town, "桥头", AT, [sv.NewFinding("无")]
        ),
        "manage": lambda s: sv.add_member(s, who, "G1", "新成员", None, date(2026, 2, 1)),
    }
    for name, call in calls.items():
        if name in allowed:
            with session_scope(demo_copy) as s:
                call(s)
        else:
            with pytest.raises(PermissionDenied), session_scope(demo_copy) as s:
                call(s)


def test_the_command_line_manages_groups_and_records_visits(
    demo_copy: Engine, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from cli.main import app
    from db import database

    _, site = deputy(demo_copy, "D0001")
    town = _site_town(demo_copy, site)
    gpx = tmp_path / "g.gpx"
    gpx.write_bytes(to_gpx_bytes(*track_through(demo_copy, site, start_s=AT.timestamp(), seed=7)))
    monkeypatch.setenv("DATABASE_URL", demo_copy.url.render_as_string(hide_password=False))
    database.get_engine.cache_clear()
    run = CliRunner().invoke
    try:
        steps = [
            [
                "supervision",
                "add-group",
                "G1",
                "第一督查组",
                "--leader",
                "周主任",
                "--from",
                "2026-01-01",
            ],
            ["supervision", "add-member", "G1", "吴委员", "--from", "2026-01-01"],
            ["supervision", "assign", "G1", town, "--from", "2026-01-01"],
            [
                "supervision",
                "checkin",
                "G1",
                town,
                "--place",
                "大坝",
                "--at",
                "2026-11-12 10:00",
                "--finding",
                "坝下垃圾",
            ],
            ["supervision", "visit", "G1", town, str(gpx), "--finding", "塘边已清理"],
        ]
        for args in steps:
            result = run(app, args)
            assert result.exit_code == 0, (args, result.output)
        listed = run(app, ["supervision", "list", "--on", "2026-11-12"])
        shown = run(app, ["supervision", "visits", "--from", "2026-11-01", "--to", "2026-11-30"])
        bad = run(
            app, ["supervision", "checkin", "G1", town, "--place", " ", "--at", "2026-11-12 10:00"]
        )
        nonsense = run(app, ["supervision", "checkin", "G1", town, "--place", "x", "--at", "昨天"])
    finally:
        database.get_engine.cache_clear()
    assert "周主任" in listed.output and "吴委员" in listed.output and town in listed.output
    assert shown.output.count("\n") == 2 and "坝下垃圾" in shown.output and "gpx" in shown.output
    assert bad.exit_code == 1 and "Traceback" not in bad.output
    assert "check-in needs the place" in bad.output
    assert nonsense.exit_code == 2 and "YYYY-MM-DD HH:MM" in nonsense.output
    assert _counts(demo_copy)["supervision_visit"] == 2


def test_the_app_role_does_the_supervision_and_volunteer_work(demo_copy: Engine) -> None:
    """Least privilege holds for these tables: the app role (no UPDATE on the append-only
    visits and findings) adds groups, changes a leader, ends a township, records check-ins and
    track visits, imports teams and members and ingests their tracks, and reads it all."""
    from data.demo_supervision import add_demo_supervision
    from duty import volunteers
    from tests.test_db_roles import two_roles

    with two_roles(demo_copy) as made:
        app = made.app_engine
        done = add_demo_supervision(app, 2026, date(2026, 11, 1), date(2026, 11, 30))
        assert done.visits > 0 and done.volunteer_tracks > 0
        (_, town), *_ = _towns(app)
        with session_scope(app) as s:
            sv.add_member(s, ANALYST, "G1", "郑主任", None, date(2026, 12, 1), leader=True)
            sv.end_township(s, ANALYST, "G1", town, date(2026, 12, 1))
            assert len(sv.visits_frame(s, LEADER, date(2026, 11, 1), date(2026, 11, 30))) == (
                done.visits
            )
            duty = volunteers.duty_frame(s, LEADER, date(2026, 11, 1), date(2026, 11, 30))
        assert (duty["status"] == "done").sum() == done.volunteer_tracks
        with pytest.raises(Exception, match="permission denied"), app.begin() as conn:
            conn.execute(text("UPDATE supervision_finding SET text = 'rewritten'"))
