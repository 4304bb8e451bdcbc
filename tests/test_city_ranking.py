"""一月一排名、一月一通报: the scoring by hand (weights, normalisation, a missing indicator,
ties), the rules file's refusals, gathering two counties each in its own scope, publishing
(frozen, a second publish refused, a correction audited), who may publish, and the city's
bulletin as Word, PDF and Excel.

The two counties are built by SQL so every fact is known: in November 2026
- 甲县 (two townships): 4 class-3 ponds held by deputies, 3 visited → on time 3/4; 2 tickets
  dispatched, 1 fed back → 处置率 1/2; one supervision visit → 0.5 per township;
- 乙县 (one township): 2 ponds, both visited → 2/2; no ticket (处置率 missing); two
  supervision visits → 2 per township (capped at the target, 1);
- no water-quality figures (the `water` package is not in this branch): missing for both.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import time_machine
from docx import Document
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accounts.audit import Operator
from accounts.auth import SignedIn
from accounts.permissions import PERMISSIONS
from core.errors import PermissionDenied
from core.vocab import ROLES
from db import scope
from db.database import session_scope
from duty import supervision as sv
from duty.coverage import month_bounds, site_period_status
from reports import city_ranking_service as service
from reports.city_bulletin import build_city_bulletin, city_bulletin_data
from reports.city_ranking import (
    SHIPPED_RULES,
    CountyFigures,
    IndicatorRule,
    RankingRules,
    RankingRulesError,
    changes,
    load_rules,
    parse_rules,
    read_rules_file,
    score_counties,
)
from tickets.figures import county_rates

SHELL = Operator("tester")
# A fixed moment after November 2026: every test reads the same "today".
NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
YEAR, MONTH = 2026, 11
AS_OF = date(2026, 12, 1)


def _rules(missing: str = "renormalise", **weights: tuple) -> RankingRules:
    """The shipped shape with weights (and normalisations) replaced."""
    base = {
        "on_time": (40, "share", None),
        "handling": (25, "share", None),
        "water_quality": (25, "share", None),
        "supervision": (10, "target", 1.0),
    }
    base.update(weights)
    return RankingRules(
        "test", missing, {code: IndicatorRule(float(w), n, t) for code, (w, n, t) in base.items()}
    )


def _county(county_id: int, **values: float | None) -> CountyFigures:
    inputs = {code: {"value": values.get(code)} for code in INDICATORS_}
    return CountyFigures(county_id, f"99000{county_id}", f"县{county_id}", inputs)


INDICATORS_ = ("on_time", "handling", "water_quality", "supervision")


# ------------------------------------------------------------------ the scoring by hand


def test_weights_and_normalisation_recompute_by_hand() -> None:
    rules = _rules()
    a = _county(1, on_time=0.8, handling=0.5, water_quality=0.9, supervision=0.5)
    b = _county(2, on_time=1.0, handling=1.0, water_quality=1.0, supervision=3.0)
    first, second = score_counties([a, b], rules)
    assert (first.county_id, first.rank, first.score) == (2, 1, 100.0)  # target capped
    parts = second.indicators
    assert [(p.norm, p.weight, p.points) for p in parts.values()] == [
        (80.0, 40.0, 32.0),
        (50.0, 25.0, 12.5),
        (90.0, 25.0, 22.5),
        (50.0, 10.0, 5.0),  # 0.5 visits per township of a target of 1
    ]
    assert second.score == 72.0 and second.rank == 2


def test_best_normalisation_is_against_the_months_best_county() -> None:
    rules = _rules(supervision=(10, "best", None))
    lines = score_counties(
        [_county(1, on_time=1, handling=1, water_quality=1, supervision=v) for v in (2.0,)]
        + [_county(2, on_time=1, handling=1, water_quality=1, supervision=0.5)],
        rules,
    )
    by_id = {line.county_id: line for line in lines}
    assert by_id[1].indicators["supervision"].norm == 100.0
    assert by_id[2].indicators["supervision"].norm == 25.0
    # Nobody visited at all: the best is 0 and nobody earns the points (no division by 0).
    none = score_counties(
        [_county(i, on_time=1, handling=1, water_quality=1, supervision=0.0) for i in (1, 2)],
        rules,
    )
    assert [line.indicators["supervision"].points for line in none] == [0.0, 0.0]


def test_a_missing_indicator_renormalises_the_others_or_earns_nothing() -> None:
    county = _county(1, on_time=0.75, handling=0.5, water_quality=None, supervision=0.5)
    [line] = score_counties([county], _rules())
    water = line.indicators["water_quality"]
    assert water.missing and water.norm is None and water.weight == 0 and water.points == 0
    # 40 + 25 + 10 = 75 present: each weight × 100/75.
    assert line.indicators["on_time"].weight == pytest.approx(40 * 100 / 75)
    assert line.indicators["on_time"].points == 40.0
    assert line.indicators["handling"].points == round(25 * 100 / 75 * 0.5, 2) == 16.67
    assert line.indicators["supervision"].points == 6.67
    assert line.score == 63.34
    assert sum(p.weight for p in line.indicators.values()) == pytest.approx(100)
    # missing = "zero": the weights stay, the missing one earns 0.
    [zero] = score_counties([county], _rules("zero"))
    assert zero.indicators["water_quality"].weight == 25 and zero.score == 30 + 12.5 + 5
    # Nothing at all to score: no score, no rank, listed last.
    lines = score_counties([_county(7), county], _rules())
    assert (lines[-1].county_id, lines[-1].score, lines[-1].rank) == (7, None, None)
    # Only indicators of weight 0 present: nothing to score either.
    [weightless] = score_counties(
        [_county(1, water_quality=0.9)],
        _rules(water_quality=(0, "share", None), on_time=(65, "share", None)),
    )
    assert weightless.score is None and weightless.rank is None


def test_equal_scores_share_a_rank_and_the_next_is_skipped() -> None:
    same = {"on_time": 0.5, "handling": 0.5, "water_quality": 0.5, "supervision": 0.5}
    lines = score_counties(
        [
            _county(4, **{**same, "on_time": 0.2}),
            _county(2, **same),
            _county(3, **same),
            _county(1, **{**same, "on_time": 0.9}),
        ],
        _rules(),
    )
    assert [(line.county_id, line.rank) for line in lines] == [(1, 1), (2, 2), (3, 2), (4, 4)]
    moved = changes(lines, score_counties([_county(4, **same), _county(1, **same)], _rules()))
    assert moved[4].rank_delta == 3 and moved[1].rank_delta == 0  # fell from 1 to 4; held 1
    assert moved[2].previous_rank is None and moved[2].rank_delta is None  # new this month
    assert moved[1].score_delta == round(lines[0].score - 50.0, 2)


# ------------------------------------------------------------------ the rules file


def test_the_shipped_rules_load_and_add_up_to_100() -> None:
    rules = load_rules()
    assert sum(r.weight for r in rules.indicators.values()) == 100
    assert rules.missing == "renormalise" and rules.version
    # Stored with a publication and read back, the rules are the same.
    assert parse_rules(rules.as_dict(), "stored") == rules


def _shipped() -> dict:
    return read_rules_file(SHIPPED_RULES)


REFUSALS = {
    "unknown top key": ({"colour": "red"}, "city_rules_unknown_key", "colour"),
    "unknown indicator key": (
        {"on_time": {"weight": 40, "normalise": "share", "cap": 1}},
        "city_rules_unknown_indicator_key",
        "cap",
    ),
    "weight not a number": (
        {"handling": {"weight": "25", "normalise": "share"}},
        "city_rules_weight_invalid",
        "handling",
    ),
    "negative weight": (
        {"handling": {"weight": -5, "normalise": "share"}},
        "city_rules_weight_invalid",
        "handling",
    ),
    "weights not 100": (
        {"handling": {"weight": 30, "normalise": "share"}},
        "city_rules_weights_sum",
        "105",
    ),
    "unknown normalisation": (
        {"on_time": {"weight": 40, "normalise": "log"}},
        "city_rules_normalise_unknown",
        "log",
    ),
    "target missing": (
        {"supervision": {"weight": 10, "normalise": "target"}},
        "city_rules_target_invalid",
        "supervision",
    ),
    "target zero": (
        {"supervision": {"weight": 10, "normalise": "target", "target": 0}},
        "city_rules_target_invalid",
        "supervision",
    ),
    "target unused": (
        {"on_time": {"weight": 40, "normalise": "share", "target": 2}},
        "city_rules_target_unused",
        "on_time",
    ),
    "unknown missing rule": ({"missing": "ignore"}, "city_rules_missing_policy_unknown", "ignore"),
    "no version": ({"version": ""}, "city_rules_version_invalid", "version"),
    "not a table": ({"handling": 25}, "city_rules_not_table", "handling"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_bad_rules_file_is_refused_by_name(case: str) -> None:
    change, code, named = REFUSALS[case]
    with pytest.raises(RankingRulesError) as info:
        parse_rules({**_shipped(), **change}, "rules.toml")
    assert info.value.code == code
    assert named in str(info.value) and info.value.params["source"] == "rules.toml"


def test_an_indicator_left_out_and_a_broken_file_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = _shipped()
    del raw["water_quality"]
    with pytest.raises(RankingRulesError) as info:
        parse_rules(raw, "rules.toml")
    assert info.value.code == "city_rules_indicator_absent"
    assert info.value.params["indicators"] == "water_quality"
    broken = tmp_path / "broken.toml"
    broken.write_text("version = [", encoding="utf-8")
    with pytest.raises(RankingRulesError) as info:
        load_rules(broken)
    assert info.value.code == "city_rules_not_toml"
    with pytest.raises(RankingRulesError) as info:
        load_rules(tmp_path / "absent.toml")
    assert info.value.code == "city_rules_file_missing"
    # The setting names a file that replaces the shipped one as a whole.
    chosen = tmp_path / "city.toml"
    chosen.write_text(
        SHIPPED_RULES.read_text(encoding="utf-8").replace('version = "2026-12"', 'version = "b"'),
        encoding="utf-8",
    )
    monkeypatch.setenv("SHUIJIAN_CITY_RANKING_WEIGHTS", str(chosen))
    assert load_rules().version == "b"


# ------------------------------------------------------------------ two counties in the data


def _box(x0: float, y0: float, x1: float, y1: float) -> str:
    return f"MULTIPOLYGON((({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0})))"


def _pond(x: float, y: float) -> str:
    return f"POLYGON(({x} {y}, {x + 0.002} {y}, {x + 0.002} {y + 0.002}, {x} {y}))"


_uploads = 0


def _insert(session: Session, sql: str, **params: object) -> int:
    return session.execute(text(sql + " RETURNING id"), params).scalar_one()


def add_county(
    session: Session,
    code: str,
    name: str,
    x0: float,
    towns: list[str],
    ponds_per_town: int,
) -> dict[str, int]:
    """A county 0.1° wide at longitude x0, split into ``towns``, with class-3 ponds held from
    1 January 2026 by one deputy each. Returns ids by name (towns, P<n> ponds, D<n> deputies)."""
    ids = {
        name: _insert(
            session,
            "INSERT INTO county (code, name, geom) VALUES (:c, :n, ST_GeomFromText(:w, 4326))",
            c=code,
            n=name,
            w=_box(x0, 28.9, x0 + 0.1, 29.0),
        )
    }
    width = 0.1 / len(towns)
    pond = 0
    for i, town in enumerate(towns):
        left = x0 + i * width
        ids[town] = _insert(
            session,
            "INSERT INTO township (code, name, geom, county_id) "
            "VALUES (:c, :n, ST_GeomFromText(:w, 4326), :county)",
            county=ids[name],
            c=f"{code}-{i}",
            n=town,
            w=_box(left, 28.9, left + width, 29.0),
        )
        for _ in range(ponds_per_town):
            pond += 1
            site = ids[f"{code}P{pond}"] = _insert(
                session,
                "INSERT INTO site (code, name, kind, site_class, township_id, geom) "
                "VALUES (:c, :n, 'pond', 3, :t, ST_GeomFromText(:w, 4326))",
                c=f"{code}P{pond}",
                n=f"{town}{pond}号塘",
                t=ids[town],
                w=_pond(left + 0.005 * pond, 28.95),
            )
            deputy = ids[f"{code}D{pond}"] = _insert(
                session,
                "INSERT INTO deputy (code, name, level, township_id) VALUES (:c, :n, 'county', :t)",
                c=f"{code}D{pond}",
                n=f"{name}代表{pond}",
                t=ids[town],
            )
            _insert(
                session,
                "INSERT INTO assignment (deputy_id, site_id, valid_from) "
                "VALUES (:d, :s, '2026-01-01')",
                d=deputy,
                s=site,
            )
    return ids


def visit(session: Session, deputy_id: int, site_id: int, at: str) -> None:
    """A counting patrol of ``deputy_id`` with one visit to ``site_id`` at local time ``at``."""
    global _uploads
    _uploads += 1
    upload = _insert(
        session,
        "INSERT INTO gpx_upload (sha256, filename, size_bytes, content, encoding, gpx_version, "
        "declared_crs, naive_timezone, county_id) VALUES (:sha, 'x.gpx', 1, '\\x00', 'utf-8', "
        "'1.1', 'wgs84', 'Asia/Shanghai', (SELECT county_id FROM deputy WHERE id = :d))",
        sha=f"{_uploads:064d}",
        d=deputy_id,
    )
    patrol = _insert(
        session,
        "INSERT INTO patrol (upload_id, deputy_id, started_at, ended_at, n_points, n_kept, "
        "has_times, fingerprint) VALUES (:u, :d, :at, :at, 10, 10, true, :fp)",
        u=upload,
        d=deputy_id,
        at=f"{at}+08",
        fp=f"fp{_uploads}",
    )
    _insert(
        session,
        'INSERT INTO visit (patrol_id, site_id, arrived, "left", dwell_s, n_points, is_assigned) '
        "VALUES (:p, :s, :at, :at, 300, 5, true)",
        p=patrol,
        s=site_id,
        at=f"{at}+08",
    )


def ticket(session: Session, number: str, township_id: int, fed_back: bool) -> None:
    """A ticket of 12 November dispatched at once, fed back on the 15th when ``fed_back``."""
    ticket_id = _insert(
        session,
        "INSERT INTO ticket (number, category_code, platform_code, township_id, description, "
        "deadline, geom, created_at) VALUES (:n, 'sewage', 'zhifa', :t, '排污', '2026-11-30', "
        "ST_SetSRID(ST_MakePoint(117.55, 28.95), 4326), '2026-11-12 10:00+08')",
        n=number,
        t=township_id,
    )
    events = [("report", "reported", "12"), ("dispatch", "assigned", "12")]
    if fed_back:
        events += [("accept", "accepted", "13"), ("feedback", "fed_back", "15")]
    for action, status, day in events:
        session.execute(
            text(
                "INSERT INTO ticket_event (ticket_id, to_status, action, at, payload) "
                "VALUES (:t, :s, :a, :at, CAST(:p AS jsonb))"
            ),
            {"t": ticket_id, "s": status, "a": action, "at": f"2026-11-{day} 10:00+08", "p": "{}"},
        )


def checkin(session: Session, group: str, town: str, day: int) -> None:
    sv.record_checkin(
        session,
        SHELL,
        group,
        town,
        "村口",
        datetime(2026, 11, day, 2, 0, tzinfo=UTC),
        [sv.NewFinding("水面有漂浮物")],
    )


def build_first(engine: Engine) -> dict[str, int]:
    """甲县 with its November (see the module's docstring)."""
    with time_machine.travel(NOW, tick=False), session_scope(engine) as s:
        a = add_county(s, "990001", "甲县", 117.5, ["甲东镇", "甲西镇"], 2)
        for pond in (1, 2, 3):  # the 4th pond is never visited
            visit(s, a[f"990001D{pond}"], a[f"990001P{pond}"], f"2026-11-0{pond} 09:00")
        ticket(s, "990001-202611-0001", a["甲东镇"], fed_back=True)
        ticket(s, "990001-202611-0002", a["甲西镇"], fed_back=False)
        s.flush()
        sv.add_group(s, SHELL, "GA", "甲县督查组", "周主任", None, date(2026, 1, 1))
        for town in ("甲东镇", "甲西镇"):
            sv.assign_township(s, SHELL, "GA", town, date(2026, 1, 1))
        checkin(s, "GA", "甲东镇", 20)
    return a


def build_second(engine: Engine) -> dict[str, int]:
    """乙县 with its November."""
    with time_machine.travel(NOW, tick=False), session_scope(engine) as s:
        b = add_county(s, "990002", "乙县", 117.7, ["乙镇"], 2)
        scope.switch(s, b["乙县"])  # what follows is 乙县's (its groups, its visits)
        for pond in (1, 2):
            visit(s, b[f"990002D{pond}"], b[f"990002P{pond}"], f"2026-11-1{pond} 09:00")
        s.flush()
        sv.add_group(s, SHELL, "GB", "乙县督查组", "吴主任", None, date(2026, 1, 1))
        sv.assign_township(s, SHELL, "GB", "乙镇", date(2026, 1, 1))
        checkin(s, "GB", "乙镇", 5)
        checkin(s, "GB", "乙镇", 25)
    return b


@pytest.fixture
def two_counties(engine: Engine) -> Iterator[Engine]:
    build_first(engine)
    build_second(engine)
    with time_machine.travel(NOW, tick=True):
        yield engine


def test_one_county_is_gathered_as_its_own_services_count_it(engine: Engine) -> None:
    build_first(engine)
    with time_machine.travel(NOW, tick=True):
        [figures] = service.gather_month(engine, YEAR, MONTH, AS_OF)
        start, end = month_bounds(YEAR, MONTH)
        with session_scope(engine) as s:
            status = site_period_status(s, start, end, AS_OF)
            rates = county_rates(s, start, date(2026, 12, 1), AS_OF)
    assert figures.name == "甲县"
    assert figures.inputs["on_time"] == {
        "value": int(status["on_time"].sum()) / len(status),
        "sites": len(status),
        "sites_on_time": int(status["on_time"].sum()),
    }
    assert figures.inputs["on_time"]["value"] == 0.75
    assert (figures.inputs["handling"]["dispatched"], figures.inputs["handling"]["handled"]) == (
        int(rates["dispatched"]),
        int(rates["handled"]),
    )
    assert figures.inputs["handling"]["value"] == 0.5
    assert figures.inputs["supervision"] == {"value": 0.5, "visits": 1, "townships": 2}
    assert figures.inputs["water_quality"] == {"value": None}


def test_two_counties_are_gathered_apart_each_in_its_own_scope(
    two_counties: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[object, int]] = []
    original = service.county_figures

    def recording(session: Session, county_id: int, *args: object, **kwargs: object) -> dict:
        seen.append((scope.current(), county_id))
        return original(session, county_id, *args, **kwargs)

    monkeypatch.setattr(service, "county_figures", recording)
    figures = {f.name: f for f in service.gather_month(two_counties, YEAR, MONTH, AS_OF)}
    # Each county's services ran inside its own scope (its own transaction).
    assert sorted(seen) == sorted((c.county_id, c.county_id) for c in figures.values())
    first, second = figures["甲县"].inputs, figures["乙县"].inputs
    assert (first["on_time"]["sites"], first["on_time"]["sites_on_time"]) == (4, 3)
    assert (second["on_time"]["sites"], second["on_time"]["sites_on_time"]) == (2, 2)
    assert (first["handling"]["dispatched"], first["handling"]["handled"]) == (2, 1)
    assert second["handling"] == {"value": None, "dispatched": 0, "handled": 0}
    assert first["supervision"] == {"value": 0.5, "visits": 1, "townships": 2}
    assert second["supervision"] == {"value": 2.0, "visits": 2, "townships": 1}
    ranking = service.draft_ranking(two_counties, SHELL, YEAR, MONTH, as_of=AS_OF)
    assert [(line.name, line.rank, line.score) for line in ranking.lines] == [
        ("乙县", 1, 100.0),  # on time 80 of 80, supervision 20 of 20 (two weights missing)
        ("甲县", 2, 63.34),  # 40.00 + 16.67 + 6.67, as by hand above
    ]


# ------------------------------------------------------------------ publication


def _rows(engine: Engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def test_a_published_month_is_frozen_and_a_second_publish_is_refused(
    two_counties: Engine,
) -> None:
    with session_scope(two_counties) as s:
        analyst = SignedIn(
            _insert(
                s,
                "INSERT INTO app_user (username, password_hash, role) "
                "VALUES ('city', 'x', 'city_analyst')",
            ),
            "city",
            "city_analyst",
            None,
            "市分析员",
        )
    published = service.publish(two_counties, analyst, YEAR, MONTH)
    assert published.publication is not None
    assert [(line.name, line.rank) for line in published.lines] == [("乙县", 1), ("甲县", 2)]
    rows = _rows(
        two_counties,
        "SELECT county_name, rank, score, weights_version, published_by, indicators, points "
        "FROM city_ranking ORDER BY rank",
    )
    assert [r[:5] for r in rows] == [
        ("乙县", 1, 100, "2026-12", "user:city"),
        ("甲县", 2, Decimal("63.34"), "2026-12", "user:city"),
    ]
    assert rows[1][5]["on_time"] == {"value": 0.75, "sites": 4, "sites_on_time": 3}
    assert rows[1][6]["water_quality"]["missing"] is True

    # Publishing again is refused, and stores nothing.
    with pytest.raises(service.CityRankingRefused) as info:
        service.publish(two_counties, analyst, YEAR, MONTH)
    assert info.value.code == "city_ranking_already_published"
    with pytest.raises(service.CityRankingRefused) as info:
        service.publish(two_counties, analyst, YEAR, MONTH, supersede_reason="  ")
    assert info.value.code == "city_ranking_reason_missing"
    with pytest.raises(service.CityRankingRefused) as info:
        service.publish(two_counties, analyst, YEAR, 10, supersede_reason="更正")
    assert info.value.code == "city_ranking_nothing_to_supersede"
    with pytest.raises(service.CityRankingRefused) as info:
        service.publish(two_counties, analyst, YEAR, 12)  # December 2026 is still running
    assert info.value.code == "city_ranking_month_open"
    assert _rows(two_counties, "SELECT count(*) FROM city_ranking_publication") == [(1,)]

    # The data changes (a late upload proves 甲县's fourth pond): the draft moves, the
    # published month does not.
    with session_scope(two_counties) as s:
        first = {r[0]: r[1] for r in s.execute(text("SELECT code, id FROM deputy"))}
        ponds = {r[0]: r[1] for r in s.execute(text("SELECT code, id FROM site"))}
        visit(s, first["990001D4"], ponds["990001P4"], "2026-11-28 09:00")
    draft = service.draft_ranking(two_counties, analyst, YEAR, MONTH)
    assert next(x for x in draft.lines if x.name == "甲县").indicators["on_time"].value == 1.0
    public = service.published_ranking(two_counties, YEAR, MONTH)
    assert public is not None and public.publication is not None
    frozen = next(x for x in public.lines if x.name == "甲县")
    assert frozen.indicators["on_time"].value == 0.75 and frozen.score == 63.34
    assert public.rules == load_rules()  # as scored, in the rules' order

    # A correction, with its reason: it supersedes the first, which stays on record; audited.
    corrected = service.publish(two_counties, analyst, YEAR, MONTH, supersede_reason="补录迟传轨迹")
    assert corrected.publication is not None
    assert corrected.publication.supersedes_id == published.publication.id
    now_public = service.published_ranking(two_counties, YEAR, MONTH)
    assert now_public is not None and now_public.publication == corrected.publication
    again = service.published_ranking(two_counties, YEAR, MONTH, published.publication.id)
    assert again is not None and next(x for x in again.lines if x.name == "甲县").score == 63.34
    history = service.month_history(two_counties, YEAR, MONTH)
    assert [h.superseded_at is None for h in history] == [True, False]
    audit = _rows(
        two_counties, "SELECT action, actor, target, details FROM audit_event ORDER BY id"
    )
    assert [a[:3] for a in audit] == [
        ("city_ranking_publish", "user:city", "2026-11"),
        ("city_ranking_supersede", "user:city", "2026-11"),
    ]
    assert audit[1][3]["reason"] == "补录迟传轨迹"
    assert audit[1][3]["supersedes"] == published.publication.id
    # The table refuses a second first publication of the month even without the service.
    with (
        pytest.raises(IntegrityError, match="ux_city_ranking_publication_first"),
        two_counties.begin() as conn,
    ):
        conn.execute(
            text(
                "INSERT INTO city_ranking_publication (month, as_of, weights_version, "
                "weights, published_at, published_by) VALUES ('2026-11-01', '2026-12-01', "
                "'x', '{}', now(), 'x')"
            )
        )


def test_a_publication_stays_readable_when_the_rules_change(engine: Engine) -> None:
    """An old month was scored by rules without water quality: it reads as it was stored."""
    with time_machine.travel(NOW, tick=False), session_scope(engine) as s:
        county = add_county(s, "990001", "甲县", 117.5, ["甲东镇"], 1)["甲县"]
        rules = {
            "version": "2025",
            "missing": "zero",
            "supervision": {"weight": 20, "normalise": "target", "target": 2},
            "on_time": {"weight": 80, "normalise": "share"},
        }
        publication = _insert(
            s,
            "INSERT INTO city_ranking_publication (month, as_of, weights_version, weights, "
            "published_at, published_by) VALUES ('2026-10-01', '2026-11-01', '2025', "
            "CAST(:w AS jsonb), '2026-11-02 10:00+08', 'cli:old')",
            w=json.dumps(rules),
        )
        _insert(
            s,
            "INSERT INTO city_ranking (publication_id, month, county_id, county_code, "
            "county_name, indicators, points, score, rank, weights_version, published_at, "
            "published_by) VALUES (:p, '2026-10-01', :c, '990001', '甲县', CAST(:i AS jsonb), "
            "CAST(:pts AS jsonb), 80, 1, '2025', '2026-11-02 10:00+08', 'cli:old')",
            p=publication,
            c=county,
            i=json.dumps({"on_time": {"value": 1.0}, "supervision": {"value": 0.0}}),
            pts=json.dumps(
                {
                    "on_time": {"norm": 100, "weight": 80, "points": 80, "missing": False},
                    "supervision": {"norm": 0, "weight": 20, "points": 0, "missing": False},
                }
            ),
        )
    ranking = service.published_ranking(engine, 2026, 10)
    assert ranking is not None
    assert list(ranking.rules.indicators) == ["on_time", "supervision"]
    [line] = ranking.lines
    assert (line.name, line.score, line.rank) == ("甲县", 80.0, 1)
    assert line.indicators["water_quality"].missing and line.indicators["on_time"].points == 80


def test_who_may_publish_read_and_build(two_counties: Engine) -> None:
    for role in ROLES:
        who = SignedIn(1, role, role, 1 if role == "deputy" else None, role, None)
        for action, call in (
            ("publish_city_ranking", lambda w: service.publish(two_counties, w, YEAR, MONTH)),
            ("read_city_ranking", lambda w: service.draft_ranking(two_counties, w, YEAR, MONTH)),
            (
                "build_city_bulletin",
                lambda w: city_bulletin_data(two_counties, w, YEAR, MONTH),
            ),
        ):
            if role in PERMISSIONS[action]:
                continue  # tried below and in the other tests
            with pytest.raises(PermissionDenied) as info:
                call(who)
            assert info.value.params["action"] == action, (role, action)
    assert "leader" not in PERMISSIONS["publish_city_ranking"]  # a county leader may not
    assert "city_leader" not in PERMISSIONS["publish_city_ranking"]
    assert _rows(two_counties, "SELECT count(*) FROM city_ranking_publication") == [(0,)]
    city_leader = SignedIn(1, "cl", "city_leader", None, "市领导")
    assert len(service.draft_ranking(two_counties, city_leader, YEAR, MONTH).lines) == 2


# ------------------------------------------------------------------ the bulletin


TITLE = "衢州市人大常委会关于2026年11月各县（市、区）水环境监督工作排名情况的通报"


def test_the_bulletin_as_word_pdf_and_excel(two_counties: Engine, tmp_path: Path) -> None:
    # October is never published: the change since last month compares with its draft.
    draft = build_city_bulletin(two_counties, SHELL, YEAR, MONTH, "docx", tmp_path / "d.docx")
    assert Document(str(draft)).paragraphs[0].text == TITLE + "（草稿）"
    service.publish(two_counties, SHELL, YEAR, MONTH)
    files = {
        fmt: build_city_bulletin(two_counties, SHELL, YEAR, MONTH, fmt, tmp_path / f"b.{fmt}")
        for fmt in ("docx", "pdf", "xlsx")
    }
    doc = Document(str(files["docx"]))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == TITLE
    assert texts[-1] == "2026年12月6日"  # the day it was published
    ranking = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert ranking[0][:3] == ["排名", "县（市、区）", "综合得分"]
    assert ranking[1][:3] == ["1", "乙县", "100.00"] and ranking[2][:3] == ["2", "甲县", "63.34"]
    indicators = [[c.text for c in row.cells] for row in doc.tables[1].rows]
    assert indicators[0][1:3] == ["按期巡查率", "得分（权重）"]
    first = next(r for r in indicators if r[0] == "甲县")
    assert first[1:3] == ["75.0%", "40.00（53.33）"] and first[5] == "–"
    assert first[6] == "缺项"  # water quality: left out, its weight spread over the others
    assert any("排名分布图" in t for t in texts) and len(doc.inline_shapes) == 1
    assert any("10月排名未发布" in t for t in texts)
    assert "一、排名情况" in texts and "五、评分办法" in texts

    extracted = subprocess.run(
        ["pdftotext", "-layout", str(files["pdf"]), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    flat = "".join(extracted.split())
    assert TITLE in flat and "乙县" in flat and "甲县" in flat and "63.34" in flat

    book = openpyxl.load_workbook(files["xlsx"], read_only=True)
    assert book.sheetnames == ["排名", "分项指标", "评分规则", "说明"]
    sheet = [[c.value for c in row] for row in book["排名"].iter_rows()]
    assert sheet[0][:3] == ["排名", "县（市、区）", "综合得分"] and sheet[1][1] == "乙县"
    detail = [[c.value for c in row] for row in book["分项指标"].iter_rows()]
    header = detail[0]
    row = dict(zip(header, next(r for r in detail if r[0] == "甲县"), strict=True))
    assert row["按期巡查率·点位"] == 4 and row["按期巡查率·按期巡查点位"] == 3
    assert row["处置率·交办"] == 2 and row["督查频次·督查次数"] == 1
    assert row["综合得分"] == "63.34"
    facts = dict((r[0], r[1]) for r in [[c.value for c in x] for x in book["说明"].iter_rows()])
    assert facts["状态"] == "已发布"


def test_the_command_line_computes_publishes_and_writes(
    two_counties: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    from typer.testing import CliRunner

    from cli.main import app
    from db import database

    monkeypatch.setenv("DATABASE_URL", two_counties.url.render_as_string(hide_password=False))
    # the engine of DATABASE_URL is cached: one an earlier test left would name its database
    database.get_engine.cache_clear()
    request.addfinalizer(database.get_engine.cache_clear)
    runner = CliRunner()
    computed = runner.invoke(app, ["city-ranking", "compute", "--month", "2026-11"])
    assert computed.exit_code == 0, computed.output
    assert "乙县" in computed.output and "100.00" in computed.output
    published = runner.invoke(app, ["city-ranking", "publish", "--month", "2026-11"])
    assert published.exit_code == 0, published.output
    again = runner.invoke(app, ["city-ranking", "publish", "--month", "2026-11"])
    assert again.exit_code == 1 and "was published on" in again.output
    assert "Traceback" not in again.output
    out = tmp_path / "city.xlsx"
    written = runner.invoke(
        app,
        ["city-ranking", "bulletin", "--month", "2026-11", "--format", "xlsx", "--out", str(out)],
    )
    assert written.exit_code == 0, written.output
    assert openpyxl.load_workbook(out).sheetnames[0] == "排名"
    wrong = runner.invoke(
        app,
        ["city-ranking", "bulletin", "--month", "2026-11", "--format", "odt", "--out", str(out)],
    )
    assert wrong.exit_code != 0 and "docx, pdf, xlsx" in wrong.output
    bad_month = runner.invoke(app, ["city-ranking", "compute", "--month", "11-2026"])
    assert bad_month.exit_code != 0 and "YYYY-MM" in bad_month.output
    rows = _rows(two_counties, "SELECT action, actor FROM audit_event")
    assert rows == [("city_ranking_publish", rows[0][1])] and rows[0][1].startswith("cli:")
