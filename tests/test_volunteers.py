"""Volunteer patrols (骑行河长, 老骥常青): the lunar duty days, teams and members from CSV, and
their tracks through the patrols' ingestion, counted apart from every deputy figure."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest
from lunardate import LunarDate
from sqlalchemy import Engine, text

from accounts.audit import Operator
from accounts.auth import SignedIn
from core.errors import ImportRefused, PermissionDenied
from db.database import session_scope
from duty import volunteers
from duty.due import due_list
from duty.volunteer_dates import duty_days_between, month_duty_days, next_duty_day
from reports.evaluation import evaluate_month
from tests.test_ingest import NOW, deputy, ingest, track_through
from tracks.ingest import UploadRefused
from tracks.synth import to_gpx_bytes

SHELL = Operator("tester")
LEADER = SignedIn(2, "leader", "leader", None, "领导")
ANALYST = SignedIn(3, "analyst", "analyst", None, "分析员")
DEPUTY = SignedIn(9, "d0001", "deputy", 1, "代表")
ADMIN = SignedIn(1, "admin", "admin", None, "管理员")

TEAMS_CSV = "code,name,kind,township\nQX,城关骑行河长队,骑行河长,\nLJ,老骥常青志愿队,veteran,\n"
MEMBERS_CSV = (
    "code,name,team,joined_on,contact,left_on\n"
    "V1,王骑手,QX,2026-01-01,13900000011,\n"
    "V2,赵老伯,LJ,2026-01-01,,\n"
    "V3,钱退出,LJ,2026-01-01,,2026-11-01\n"
)


# ------------------------------------------------------------------ the lunar duty days


@pytest.mark.parametrize(
    ("day", "lunar_month", "leap"),
    [
        (date(2023, 4, 5), 2, True),  # 2023 has a leap 2nd month: its 15th
        (date(2023, 3, 6), 2, False),  # and the ordinary 2nd month's 15th
        (date(2025, 8, 8), 6, True),  # 2025 has a leap 6th month
        (date(2025, 7, 9), 6, False),
        (date(2024, 2, 24), 1, False),  # 元宵 2024
        (date(2025, 2, 12), 1, False),  # 元宵 2025
        (date(2026, 3, 3), 1, False),  # 元宵 2026
        (date(2024, 9, 17), 8, False),  # 中秋 2024
        (date(2025, 10, 6), 8, False),  # 中秋 2025
        (date(2026, 9, 25), 8, False),  # 中秋 2026
        (date(2020, 10, 1), 8, False),  # 中秋 2020, also 国庆
    ],
)
def test_lunar_15ths_fall_on_the_known_days(day: date, lunar_month: int, leap: bool) -> None:
    found = {d.day: d for d in month_duty_days(day.year, day.month)}
    assert "lunar_15" in found[day].kinds
    assert (found[day].lunar_month, found[day].leap) == (lunar_month, leap)


def test_every_month_of_years_ends_with_a_duty_day_and_holds_each_lunar_15th() -> None:
    days = duty_days_between(date(2020, 1, 1), date(2030, 12, 31))
    lunar = {d.day for d in days if "lunar_15" in d.kinds}
    ends = {d.day for d in days if "month_end" in d.kinds}
    assert len(ends) == 11 * 12
    assert all((d + pd.Timedelta(days=1)).day == 1 for d in ends)
    # Every lunar month's 15th, leap months included, counted from the other side.
    expected = set()
    for year in range(2019, 2031):
        for month in range(1, 13):
            for leap in (False, True):
                try:
                    solar = LunarDate(year, month, 15, leap).to_solar_date()
                except ValueError:
                    continue
                if date(2020, 1, 1) <= solar <= date(2030, 12, 31):
                    expected.add(solar)
    assert lunar == expected
    assert len(days) == len(lunar | ends)


def test_a_month_may_hold_two_lunar_15ths_and_one_may_be_the_month_end() -> None:
    august = month_duty_days(2023, 8)
    assert [d.day for d in august] == [date(2023, 8, 1), date(2023, 8, 30), date(2023, 8, 31)]
    october = month_duty_days(2020, 10)
    assert october[-1].day == date(2020, 10, 31)
    assert october[-1].kinds == ("lunar_15", "month_end")
    assert next_duty_day(date(2026, 11, 24)).day == date(2026, 11, 30)
    # February 2018 falls between two lunar 15ths (31 January and 2 March): its end only
    assert [(d.day, d.kinds) for d in month_duty_days(2018, 2)] == [
        (date(2018, 2, 28), ("month_end",))
    ]


# ------------------------------------------------------------------ teams and members


def _load_people(engine: Engine) -> None:
    with session_scope(engine) as s:
        assert volunteers.import_teams(s, SHELL, TEAMS_CSV.encode(), "teams.csv") == 2
        assert volunteers.import_members(s, SHELL, MEMBERS_CSV.encode(), "members.csv") == 3


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(text(f"SELECT count(*) FROM {table}"))


@pytest.mark.parametrize(
    ("csv", "code"),
    [
        ("code,name\nA,甲\n", "missing_columns"),
        ("code,name,kind\nA,甲,划船队\n", "unknown_team_kind"),
        ("code,name,kind,township\nA,甲,cycling,火星镇\n", "unknown_township"),
        ("code,name,kind\nA,甲,cycling\nA,乙,veteran\n", "duplicate_code"),
        ("code,name,kind\nA,,cycling\n", "empty_value"),
    ],
)
def test_a_bad_team_file_is_refused_whole(demo_copy: Engine, csv: str, code: str) -> None:
    with pytest.raises(ImportRefused) as info, session_scope(demo_copy) as s:
        volunteers.import_teams(s, SHELL, csv.encode(), "t.csv")
    assert info.value.code == code
    assert _count(demo_copy, "volunteer_team") == 0


@pytest.mark.parametrize(
    ("csv", "code"),
    [
        ("code,name,team,joined_on\nV9,甲,NOPE,2026-01-01\n", "unknown_team"),
        ("code,name,team,joined_on\nV9,甲,QX,明年\n", "not_a_date"),
        (
            "code,name,team,joined_on,left_on\nV9,甲,QX,2026-02-01,2026-01-01\n",
            "left_before_joined",
        ),
        ("code,name,team,joined_on\nV1,甲,QX,2026-01-01\n", "code_already_stored"),
    ],
)
def test_a_bad_member_file_is_refused_whole(demo_copy: Engine, csv: str, code: str) -> None:
    _load_people(demo_copy)
    with pytest.raises(ImportRefused) as info, session_scope(demo_copy) as s:
        volunteers.import_members(s, SHELL, csv.encode(), "m.csv")
    assert info.value.code == code
    assert _count(demo_copy, "volunteer_member") == 3


# ------------------------------------------------------------------ tracks


def _gpx(engine: Engine, site: int, day: datetime, seed: int = 3) -> bytes:
    lon, lat, t = track_through(engine, site, start_s=day.timestamp(), seed=seed)
    return to_gpx_bytes(lon, lat, t)


def _deputy_figures(engine: Engine) -> tuple:
    with session_scope(engine) as s:
        ev = evaluate_month(s, 2026, 11, as_of=date(2026, 12, 1))
        due = due_list(s, date(2026, 11, 30))
        counts = {t: _count(engine, t) for t in ("patrol", "visit", "patrol_flag")}
    return ev.to_json(date_format="iso"), due.to_json(date_format="iso"), counts


def test_a_volunteer_track_counts_for_the_duty_day_and_changes_no_deputy_figure(
    demo_copy: Engine,
) -> None:
    _load_people(demo_copy)
    _, site = deputy(demo_copy, "D0001")
    before = _deputy_figures(demo_copy)
    data = _gpx(demo_copy, site, datetime(2026, 11, 23, 1, 0, tzinfo=UTC))  # 09:00 local
    with session_scope(demo_copy) as s:
        member = volunteers.member_id_by_code(s, "V1")
        result = volunteers.ingest_volunteer_gpx(
            s, data, "v1.gpx", member_id=member, uploader=ANALYST, now=NOW
        )
    assert not result.duplicate and result.counts and result.visits == 1
    assert _deputy_figures(demo_copy) == before
    with session_scope(demo_copy) as s:
        again = volunteers.ingest_volunteer_gpx(
            s, data, "v1.gpx", member_id=member, uploader=ANALYST, now=NOW
        )
        duty = volunteers.duty_frame(s, LEADER, date(2026, 11, 1), date(2026, 11, 30))
    assert again.duplicate and again.patrol_id == result.patrol_id
    status = {(r.code, r.day): r.status for r in duty.itertuples()}
    assert status[("V1", date(2026, 11, 23))] == "done"
    assert status[("V1", date(2026, 11, 30))] == "missed"
    assert status[("V2", date(2026, 11, 23))] == "missed"
    assert ("V3", date(2026, 11, 23)) not in status  # left on 1 November
    summary = volunteers.duty_summary(duty)
    row = summary[(summary["team"] == "城关骑行河长队") & (summary["day"] == date(2026, 11, 23))]
    assert row[["members", "done", "missed"]].values.tolist() == [[1, 1, 0]]
    with session_scope(demo_copy) as s:
        layer = volunteers.tracks_geojson(s, LEADER, date(2026, 11, 1), date(2026, 11, 30))
    assert [f["properties"]["member"] for f in layer["features"]] == ["王骑手"]


def test_one_file_is_kept_once_across_deputies_and_volunteers(demo_copy: Engine) -> None:
    _load_people(demo_copy)
    dep, site = deputy(demo_copy, "D0001")
    data = _gpx(demo_copy, site, datetime(2026, 11, 23, 1, 0, tzinfo=UTC), seed=5)
    ingest(demo_copy, data, "deputy.gpx", dep)
    with pytest.raises(UploadRefused) as info, session_scope(demo_copy) as s:
        member = volunteers.member_id_by_code(s, "V2")
        volunteers.ingest_volunteer_gpx(
            s, data, "same.gpx", member_id=member, uploader=ANALYST, now=NOW
        )
    assert info.value.code == "upload_stored_elsewhere"
    other = _gpx(demo_copy, site, datetime(2026, 11, 30, 1, 0, tzinfo=UTC), seed=6)
    with session_scope(demo_copy) as s:
        volunteers.ingest_volunteer_gpx(
            s, other, "v.gpx", member_id=member, uploader=ANALYST, now=NOW.replace(day=30)
        )
    with pytest.raises(UploadRefused):
        ingest(demo_copy, other, "copy.gpx", dep, now=NOW.replace(day=30))
    assert _count(demo_copy, "volunteer_patrol") == 1


@pytest.mark.parametrize(
    ("who", "action"),
    [
        (LEADER, "upload"),
        (DEPUTY, "upload"),
        (DEPUTY, "read"),
        (LEADER, "import"),
        (DEPUTY, "import"),
    ],
)
def test_roles_outside_the_table_are_refused_by_the_services(
    demo_copy: Engine, who: SignedIn, action: str
) -> None:
    _load_people(demo_copy)
    with pytest.raises(PermissionDenied), session_scope(demo_copy) as s:
        if action == "upload":
            volunteers.ingest_volunteer_gpx(s, b"<gpx/>", "x.gpx", member_id=1, uploader=who)
        elif action == "read":
            volunteers.duty_frame(s, who, date(2026, 11, 1), date(2026, 11, 30))
        else:
            volunteers.import_teams(s, who, TEAMS_CSV.encode(), "t.csv")


@pytest.mark.parametrize("who", [ANALYST, ADMIN])
def test_staff_in_the_table_may_import_upload_and_read(demo_copy: Engine, who: SignedIn) -> None:
    _, site = deputy(demo_copy, "D0002")
    with session_scope(demo_copy) as s:
        volunteers.import_teams(s, who, TEAMS_CSV.encode(), "t.csv")
        volunteers.import_members(s, who, MEMBERS_CSV.encode(), "m.csv")
        member = volunteers.member_id_by_code(s, "V2")
    data = _gpx(demo_copy, site, datetime(2026, 11, 30, 1, 0, tzinfo=UTC), seed=9)
    with session_scope(demo_copy) as s:
        volunteers.ingest_volunteer_gpx(
            s, data, "v.gpx", member_id=member, uploader=who, now=NOW.replace(day=30)
        )
        for reader in (who, LEADER):
            assert len(volunteers.teams_frame(s, reader, date(2026, 11, 30))) == 2
            assert len(volunteers.members_frame(s, reader)) == 3


def test_the_command_line_imports_ingests_and_reports_duty(
    demo_copy: Engine, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from cli.main import app
    from db import database

    _, site = deputy(demo_copy, "D0001")
    teams, members, bad = tmp_path / "t.csv", tmp_path / "m.csv", tmp_path / "bad.csv"
    teams.write_text(TEAMS_CSV, encoding="utf-8")
    members.write_text(MEMBERS_CSV, encoding="utf-8")
    bad.write_text("code,name,kind\nX,甲,划船队\n", encoding="utf-8")
    track = tmp_path / "v.gpx"
    recent = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    track.write_bytes(_gpx(demo_copy, site, recent, seed=11))
    monkeypatch.setenv("DATABASE_URL", demo_copy.url.render_as_string(hide_password=False))
    database.get_engine.cache_clear()
    run = CliRunner().invoke
    try:
        refused = run(app, ["volunteers", "import-teams", str(bad)])
        assert run(app, ["volunteers", "import-teams", str(teams)]).exit_code == 0
        assert run(app, ["volunteers", "import-members", str(members)]).exit_code == 0
        ingested = run(app, ["volunteers", "ingest", str(track), "--member", "V2"])
        duty = run(app, ["volunteers", "duty", "--month", "2026-11"])
        wrong = run(app, ["volunteers", "duty", "--month", "11/2026"])
    finally:
        database.get_engine.cache_clear()
    assert refused.exit_code == 1 and "unknown team kind" in refused.output
    assert ingested.exit_code == 0, ingested.output
    assert "volunteer patrol #" in ingested.output and "verified" in ingested.output
    assert "2026-11-30\tmonth_end\t老骥常青志愿队\t1/1 done" in duty.output
    assert "2026-11-23\tlunar_15\t城关骑行河长队\t0/1 done\t1 missed" in duty.output
    assert wrong.exit_code == 2 and "YYYY-MM" in wrong.output


def test_the_demo_has_groups_visits_and_both_teams_with_done_and_missed_days(
    demo_copy: Engine,
) -> None:
    from data.demo_supervision import add_demo_supervision
    from duty import supervision

    before = {t: _count(demo_copy, t) for t in ("patrol", "visit")}
    made = add_demo_supervision(demo_copy, 2026, date(2026, 11, 1), date(2026, 11, 30))
    assert made.groups == 3 and made.visits > 0 and made.members == 11
    assert {t: _count(demo_copy, t) for t in ("patrol", "visit")} == before
    with session_scope(demo_copy) as s:
        teams = volunteers.teams_frame(s, LEADER, date(2026, 11, 30))
        duty = volunteers.duty_frame(s, LEADER, date(2026, 11, 1), date(2026, 11, 30))
        groups = supervision.groups_frame(s, LEADER, date(2026, 11, 30))
        towns = supervision.township_summary(s, date(2026, 11, 1), date(2026, 11, 30))
    assert sorted(teams["kind"]) == ["cycling", "veteran"]
    assert set(duty["status"]) == {"done", "missed"}
    assert (duty["status"] == "done").sum() == made.volunteer_tracks
    assert groups["leader"].notna().all() and groups["townships"].notna().all()
    assert int(towns["visits"].sum()) == made.visits and int(towns["findings"].sum()) > 0
