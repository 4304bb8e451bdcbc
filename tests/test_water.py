"""交接断面水质 on a real PostGIS: the importers (every kind of bad row refusing the whole file,
nothing stored; a month re-imported only on request, audited), the runs of misses and the
约谈 list, the shares the city ranks counties by, the warning raised once per run, township
staff confined to their sections, the permission rows and the command line.

On the factories' county (东镇 T1 west, 西乡 T2 east) with four sections
(tests/data/water_sections.csv): W01 and W02 on the T1→T2 boundary (assessing 东镇), W03 a
lake section T2→T1 (assessing 西乡), W00 where the water enters 东镇 (assessing nobody). The
clock stands in June 2027, so every sampling day below is in the past whatever today is.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import time_machine
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

import i18n
from accounts.audit import Operator
from accounts.auth import SignedIn
from cli.main import app
from core.errors import ImportRefused, PermissionDenied
from db import database
from db.database import session_scope
from geo.importers import import_county, import_townships
from geo.readers import read_table
from reports.early_warning import scan
from tests import factories
from water import quality, samples, sections
from water.table import WaterImportRefused

DATA = Path(__file__).resolve().parent / "data"
NOW = datetime(2027, 6, 15, 2, 0, tzinfo=UTC)  # 10:00 in the county
OPERATOR = Operator("tester")
HEAD = (
    "断面编码,采样日期,溶解氧（mg/L）,高锰酸盐指数（mg/L）,化学需氧量（mg/L）,"
    "五日生化需氧量（mg/L）,氨氮（mg/L）,总磷（mg/L）,总氮（mg/L）,pH值\n"
)
CLEAN = "7.8,1.8,12,2.1,0.12,0.015,0.18,7.4"  # class I in every item
MISS = "7.2,3.5,14,2.8,1.2,0.12,1.6,7.3"  # NH3-N 1.2: class IV (W01's target is III)


def load_county(engine: Engine) -> None:
    """The factories' two townships and the four sections of tests/data (the caller holds
    the clock)."""
    with session_scope(engine) as s:
        import_county(s, factories.county(), "county", "999999", "测试县")
        import_townships(s, factories.townships(), "townships")
    _sections(engine, (DATA / "water_sections.csv").read_bytes(), "water_sections.csv")


@pytest.fixture
def county(engine: Engine) -> Iterator[Engine]:
    """``load_county`` on a June 2027 clock, which stands still for the test."""
    with time_machine.travel(NOW, tick=False):
        load_county(engine)
        yield engine


def _sections(engine: Engine, data: bytes, name: str) -> sections.SectionImport:
    with session_scope(engine) as s:
        return sections.import_sections(s, OPERATOR, read_table(data, name), name)


def _samples(
    engine: Engine, data: bytes | str, name: str = "samples.csv", replace: bool = False, actor=None
) -> samples.SampleImport:
    raw = data.encode() if isinstance(data, str) else data
    with session_scope(engine) as s:
        return samples.import_samples(
            s, actor or OPERATOR, read_table(raw, name), name, replace=replace
        )


def _refusal(call) -> WaterImportRefused:
    with pytest.raises(WaterImportRefused) as info:
        call()
    return info.value


def _faults(error: WaterImportRefused) -> list[tuple[str, int, str]]:
    return [(f.code, f.params["line"], f.params["column"]) for f in error.faults]


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text(f"SELECT count(*) FROM {table}")))


def _town(engine: Engine, code: str) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text("SELECT id FROM township WHERE code = :c"), {"c": code}))


def both_files(engine: Engine) -> None:
    _samples(engine, (DATA / "water_samples.csv").read_bytes(), "water_samples.csv")
    _samples(engine, (DATA / "water_samples.xlsx").read_bytes(), "water_samples.xlsx")


# --------------------------------------------------------------------------- sections


def test_sections_import_in_chinese_again_changes_nothing_and_a_change_is_audited(
    county: Engine,
) -> None:
    with county.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.code, up.code, dn.code, s.target_class, s.waterbody, "
                "s.county_id = (SELECT id FROM county) FROM water_section s "
                "LEFT JOIN township up ON up.id = s.upstream_township_id "
                "JOIN township dn ON dn.id = s.downstream_township_id ORDER BY s.code"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("W00", None, "T1", 2, "river", True),
        ("W01", "T1", "T2", 3, "river", True),
        ("W02", "T1", "T2", 2, "river", True),
        ("W03", "T2", "T1", 3, "lake", True),
    ]
    data = (DATA / "water_sections.csv").read_bytes()
    assert str(_sections(county, data, "again.csv")).endswith(
        "0 section(s) added, 0 changed, 4 unchanged"
    )
    english = (
        "code,name,lon,lat,upstream,downstream,target\n"
        "W02,东镇—西乡北交界断面,117.533502,28.926865,东镇,西乡,class III\n"
    )
    changed = _sections(county, english.encode(), "english.csv")
    assert (changed.added, changed.changed) == (0, 1)
    with county.connect() as conn:
        assert conn.scalar(text("SELECT target_class FROM water_section WHERE code = 'W02'")) == 3
        audited = conn.scalars(
            text("SELECT target FROM audit_event WHERE action = 'water_section_import' ORDER BY id")
        ).all()
    assert audited == ["water_sections.csv", "english.csv"]  # the unchanged import left none


def test_a_bad_section_file_is_refused_whole_by_line_and_column(county: Engine) -> None:
    bad = (
        "断面编码,断面名称,经度,纬度,上游乡镇,下游乡镇,目标类别,水体类型\n"
        "W10,新断面,117.533410,28.908813,东镇,西乡,III,河流\n"  # line 2: good
        "W11,同乡,117.533410,28.908813,东镇,东镇,III,河流\n"  # 3: one township
        "W12,无乡,117.533410,28.908813,北乡,西乡,III,河流\n"  # 4: unknown township
        "W13,劣五,117.533410,28.908813,东镇,西乡,劣Ⅴ类,河流\n"  # 5: no target
        "W14,坐标,117.5x,28.908813,东镇,西乡,III,河流\n"  # 6: not a coordinate
        "W15,远离,117.518068,28.917899,东镇,西乡,III,河流\n"  # 7: 1.5 km from 西乡
        "W10,重复,117.533410,28.908813,东镇,西乡,III,海\n"  # 8: twice; no water body
        "W16,,117.533410,28.908813,东镇,西乡,III,河流\n"  # 9: no name
    )
    error = _refusal(lambda: _sections(county, bad.encode(), "bad.csv"))
    assert _faults(error) == [
        ("water_same_township", 3, "下游乡镇"),
        ("water_unknown_township", 4, "上游乡镇"),
        ("water_bad_target", 5, "目标类别"),
        ("water_bad_coordinate", 6, "经度"),
        ("water_section_far", 7, "经度"),
        ("water_section_duplicate", 8, "断面编码"),
        ("water_bad_waterbody", 8, "水体类型"),
        ("water_empty_value", 9, "断面名称"),
    ]
    assert error.faults[4].params["township"] == "西乡"
    assert _count(county, "water_section") == 4  # the four of the fixture, nothing more
    zh = i18n.describe(error.faults[0], "zh")
    assert zh == "第 3 行“下游乡镇”列：上游与下游是同一个乡镇（“东镇”）。"
    en = i18n.describe(error.faults[1], "en")
    assert en == "Line 4, column '上游乡镇': no township has the code or name '北乡'."
    assert i18n.describe(error, "zh") == "bad.csv：未导入：共 8 处错误，文件中的数据均未保存。"
    with pytest.raises(ImportRefused) as missing:
        _sections(county, b"code,name,lon,lat\nW1,x,1,2\n", "short.csv")
    assert missing.value.code == "water_missing_columns"
    assert "上游乡镇/upstream" in i18n.describe(missing.value, "en")


# --------------------------------------------------------------------------- samples


def _stored(engine: Engine) -> dict[tuple[str, str], dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.code, to_char(ws.month, 'YYYY-MM') AS ym, ws.* FROM water_sample ws "
                "JOIN water_section s ON s.id = ws.section_id"
            )
        ).mappings()
        return {(r["code"], r["ym"]): dict(r) for r in rows}


def test_results_in_csv_and_excel_with_units_in_the_header_or_a_column(county: Engine) -> None:
    first = _samples(county, (DATA / "water_samples.csv").read_bytes(), "water_samples.csv")
    assert (
        str(first)
        == "water_samples.csv: 12 monthly result(s) stored, 0 replaced (2026-01 to 2026-03)"
    )
    second = _samples(county, (DATA / "water_samples.xlsx").read_bytes(), "water_samples.xlsx")
    assert (second.stored, second.replaced) == (4, 0)
    stored = _stored(county)
    assert len(stored) == 16
    lake = stored[("W03", "2026-04")]  # its row was in µg/L: converted exactly
    assert (lake["dissolved_oxygen"], lake["tp"], lake["tn"]) == (
        Decimal("5.4"),
        Decimal("0.08"),
        Decimal("1.3"),
    )
    assert stored[("W00", "2026-03")]["nh3n"] == Decimal("0.01")  # "0.01L": the detection limit
    assert stored[("W01", "2026-02")]["sampled_on"] == date(2026, 2, 10)  # 2026/2/10
    assert stored[("W01", "2026-03")]["sampled_on"] == date(2026, 3, 9)  # 2026年3月9日
    assert stored[("W01", "2026-01")]["source"] == "water_samples.csv"
    with session_scope(county) as s:
        march = quality.samples_frame(s, month=date(2026, 3, 1)).set_index("code")
        january = quality.samples_frame(s, month=date(2026, 1, 1)).set_index("code")
    assert march.at["W02", "water_class"] == 1  # every item exactly at its class I limit
    assert march.at["W01", "exceeding"] == ("codmn",)
    assert march.at["W03", "water_class"] == 4 and not march.at["W03", "attained"]
    assert january.at["W03", "deciding"] == ("tn",)  # a lake's TN classes it
    assert january.at["W02", "water_class"] == 1  # a river's TN 0.9 classes nothing


def test_a_spreadsheet_float_s_noise_does_not_cross_a_limit() -> None:
    assert samples.parse_value("0.30000000000000004", "tp") == Decimal("0.3")
    assert samples.parse_value("0.01L", "nh3n") == samples.parse_value("<0.01", "nh3n")
    assert samples.parse_value("<5", "do") is None and samples.parse_value("nan", "tp") is None
    assert samples.parse_value("1e-2", "tp") == Decimal("0.01")


def _bad_rows() -> str:
    return HEAD + (
        f"W01,2026-05-12,{CLEAN}\n"  # 2: good
        f"W99,2026-05-12,{CLEAN}\n"  # 3: unknown section
        f"W02,2026-13-40,{CLEAN}\n"  # 4: no day
        f"W03,2027-06-16,{CLEAN}\n"  # 5: tomorrow
        "W00,2026-05-12,7.8,-1.8,12,2.1,0.12,0.015,0.18,7.4\n"  # 6: negative CODMn
        "W00,2026-04-12,7.8,1.8,,2.1,0.12,0.015,0.18,7.4\n"  # 7: no COD
        "W00,2026-03-12,7.8,1.8,12,2.1,约0.12,0.015,0.18,7.4\n"  # 8: not a number
        f"W01,2026-05-28,{CLEAN}\n"  # 9: W01's May again (line 2)
        "W02,2026-05-12,7.8,1.8,12,2.1,0.12,0.015,0.18,15\n"  # 10: pH 15
        "W03,2026-05-12,<0.5,1.8,12,2.1,0.12,0.015,0.18,7.4\n"  # 11: DO below a limit
    )


def test_each_kind_of_bad_row_refuses_the_whole_file_and_stores_nothing(county: Engine) -> None:
    error = _refusal(lambda: _samples(county, _bad_rows(), "bad.csv"))
    assert _faults(error) == [
        ("water_unknown_section", 3, "断面编码"),
        ("water_bad_date", 4, "采样日期"),
        ("water_future_date", 5, "采样日期"),
        ("water_negative_value", 6, "高锰酸盐指数（mg/L）"),
        ("water_missing_parameter", 7, "化学需氧量（mg/L）"),
        ("water_not_a_number", 8, "氨氮（mg/L）"),
        ("water_duplicate_month", 9, "采样日期"),
        ("water_bad_ph", 10, "pH值"),
        ("water_not_a_number", 11, "溶解氧（mg/L）"),
    ]
    assert _count(county, "water_sample") == 0
    assert _count(county, "audit_event WHERE action = 'water_sample_import'") == 0
    duplicate = error.faults[6]
    assert i18n.describe(duplicate, "zh") == (
        "第 9 行“采样日期”列：断面 W01 的 2026年5月 在第 2 行已有结果（同一断面每月一条）。"
    )
    assert i18n.describe(duplicate, "en").startswith(
        "Line 9, column '采样日期': section W01 has May 2026"
    )


def test_units_unknown_missing_or_in_conflict_are_refused_by_column(county: Engine) -> None:
    unknown = HEAD.replace("氨氮（mg/L）", "氨氮（g/m3）") + f"W01,2026-05-12,{CLEAN}\n"
    error = _refusal(lambda: _samples(county, unknown))
    assert _faults(error) == [("water_unknown_unit", 1, "氨氮（g/m3）")]
    assert "mg/L, µg/L" in i18n.describe(error.faults[0], "zh")
    bare = (
        "section,date,DO,CODMn,COD,BOD5,NH3-N,TP,TN\nW01,2026-05-12,7.8,1.8,12,2.1,0.12,0.01,0.2\n"
    )
    error = _refusal(lambda: _samples(county, bare))
    assert [f[0] for f in _faults(error)] == ["water_no_unit"] * 7
    conflict = (
        "section,date,unit,DO (mg/L),CODMn,COD,BOD5,NH3-N,TP,TN,pH (mg/L)\n"
        "W01,2026-05-12,µg/L,7.8,1800,12000,2100,120,15,180,7.4\n"
    )
    error = _refusal(lambda: _samples(county, conflict))
    assert _faults(error) == [("water_ph_unit", 1, "pH (mg/L)"), ("water_unit_conflict", 2, "unit")]
    column = (
        "section,date,unit,DO,CODMn,COD,BOD5,NH3-N,TP,TN\nW01,2026-05-12,ppm,7,1,9,1,0.1,0.01,0.2\n"
    )
    error = _refusal(lambda: _samples(county, column))
    assert _faults(error) == [("water_unknown_unit", 2, "unit")]  # once for the row
    with pytest.raises(ImportRefused) as missing:
        _samples(county, "section,date,DO (mg/L)\nW01,2026-05-12,7\n")
    assert missing.value.code == "water_missing_columns"
    assert "总氮/TN" in i18n.describe(missing.value, "zh")
    assert _count(county, "water_sample") == 0


def test_a_month_again_is_refused_unless_replaced_and_the_replaced_values_are_audited(
    county: Engine,
) -> None:
    _samples(county, HEAD + f"W01,2026-05-12,{MISS}\n", "may.csv")
    again = HEAD + f"W01,2026-05-20,{CLEAN}\n"
    error = _refusal(lambda: _samples(county, again, "corrected.csv"))
    assert _faults(error) == [("water_month_stored", 2, "采样日期")]
    assert "may.csv" in i18n.describe(error.faults[0], "zh")
    assert _stored(county)[("W01", "2026-05")]["nh3n"] == Decimal("1.2")
    replaced = _samples(county, again, "corrected.csv", replace=True)
    assert (replaced.stored, replaced.replaced) == (0, 1)
    sample = _stored(county)[("W01", "2026-05")]
    assert (sample["nh3n"], sample["sampled_on"], sample["source"]) == (
        Decimal("0.12"),
        date(2026, 5, 20),
        "corrected.csv",
    )
    with county.connect() as conn:
        details = conn.scalar(
            text(
                "SELECT details FROM audit_event WHERE action = 'water_sample_import' "
                "AND target = 'corrected.csv'"
            )
        )
    assert details["replaced"] == [
        {
            "section": "W01",
            "month": "2026-05",
            "sampled_on": "2026-05-12",
            "source": "may.csv",
            "do": "7.2",
            "codmn": "3.5",
            "cod": "14",
            "bod5": "2.8",
            "nh3n": "1.2",
            "tp": "0.12",
            "tn": "1.6",
            "ph": "7.3",
        }
    ]


# --------------------------------------------------------------------------- runs and 约谈


def test_the_summons_list_names_the_township_its_months_and_sections(county: Engine) -> None:
    both_files(county)
    with session_scope(county) as s:
        runs = quality.summons(s)
        frame = quality.samples_frame(s)
        assert quality.summons(s, until=date(2026, 2, 28)) == []  # two misses by February
    t1, t2 = _town(county, "T1"), _town(county, "T2")
    months = quality.township_months(frame)
    assert months[t1] == {date(2026, m, 1): True for m in (1, 2, 3, 4)}  # W01 missed each
    assert months[t2] == {
        date(2026, 1, 1): True,
        date(2026, 2, 1): False,
        date(2026, 3, 1): True,
        date(2026, 4, 1): True,
    }
    assert set(months) == {t1, t2}  # W00 (no upstream township) assesses nobody
    assert len(runs) == 1
    run = runs[0]
    assert (run.township, run.first, run.last, run.ongoing) == (
        "东镇",
        date(2026, 1, 1),
        date(2026, 4, 1),
        True,
    )
    assert run.sections == (("W01", "东镇—西乡南交界断面"),)
    listed = quality.summons_frame(runs)
    assert listed.iloc[0]["misses"] == 4 and listed.iloc[0]["sections"] == "W01 东镇—西乡南交界断面"


def test_a_run_goes_on_across_the_year_end_and_a_month_unsampled_breaks_it(
    county: Engine,
) -> None:
    lake_miss = "7.6,1.9,12,2.0,0.14,0.008,1.2,7.6"  # W03 (lake, III): TN 1.2 is class IV
    _samples(
        county,
        HEAD
        + f"W01,2026-11-10,{MISS}\nW01,2026-12-10,{MISS}\nW01,2027-01-11,{MISS}\n"
        + f"W01,2027-02-10,{CLEAN}\n"
        + f"W03,2026-10-10,{lake_miss}\nW03,2026-11-10,{lake_miss}\n"
        + f"W03,2027-01-10,{lake_miss}\nW03,2027-02-10,{lake_miss}\n",
    )
    with session_scope(county) as s:
        runs = quality.summons(s)
        two = quality.summons(s, at_least=2)
    assert [(r.township, r.first, r.last, r.ongoing) for r in runs] == [
        ("东镇", date(2026, 11, 1), date(2027, 1, 1), False)  # February attained: ended
    ]
    assert {(r.township, r.first, r.last) for r in two} == {
        ("东镇", date(2026, 11, 1), date(2027, 1, 1)),
        ("西乡", date(2027, 1, 1), date(2027, 2, 1)),  # December unsampled broke 西乡's run
        ("西乡", date(2026, 10, 1), date(2026, 11, 1)),
    }


def test_shares_by_county_and_by_township_for_the_city_ranking(county: Engine) -> None:
    both_files(county)
    with session_scope(county) as s:
        county_id = s.scalar(text("SELECT id FROM county"))
        january = quality.attainment_by_county(s, date(2026, 1, 1))
        february = quality.attainment_by_county(s, date(2026, 2, 15))  # any day of the month
        none = quality.attainment_by_county(s, date(2026, 7, 1))
        towns = quality.township_attainment(s, date(2026, 1, 1))
    assert january == {county_id: 0.25}  # of W00, W01, W02, W03 only W02 attained
    assert february == {county_id: 0.75}
    assert none == {county_id: None}
    assert towns == {_town(county, "T1"): 0.5, _town(county, "T2"): 0.0}


def test_the_warning_is_raised_once_per_run(county: Engine) -> None:
    _samples(county, (DATA / "water_samples.csv").read_bytes(), "water_samples.csv")
    with Session(county) as s:
        assert scan(s, date(2026, 3, 31), push=False).by_rule.get("water_quality") == 1
        again = scan(s, date(2026, 4, 30), push=False)
        assert again.by_rule.get("water_quality") is None
    _samples(county, (DATA / "water_samples.xlsx").read_bytes(), "water_samples.xlsx")
    with Session(county) as s:
        assert scan(s, date(2026, 4, 30), push=False).by_rule.get("water_quality") is None
    with county.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT w.key, t.code, w.details FROM early_warning w "
                "JOIN township t ON t.id = w.township_id WHERE w.rule = 'water_quality'"
            )
        ).all()
    assert len(rows) == 1
    key, town, details = rows[0]
    assert key == f"water_quality:{_town(county, 'T1')}:2026-01-01" and town == "T1"
    assert details["misses"] == 3 and details["last_month"] == "2026-03-01"
    from reports.early_warning import warning_line

    code, params = warning_line("water_quality", details, "", "")
    assert i18n.text(code, "zh", **params) == (
        "东镇交接断面水质自 2026年1月 起连续 3 个月未达到目标类别"
        "（至 2026年3月；断面：W01 东镇—西乡南交界断面），应约谈乡镇领导"
    )


# --------------------------------------------------------------------------- who may read


def _user(role: str, town: int | None = None, engine: Engine | None = None) -> SignedIn:
    """A signed-in user; with ``engine``, one stored there (the audit log points at it)."""
    user_id = 1
    if engine is not None:
        with engine.begin() as conn:
            user_id = conn.scalar(
                text(
                    "INSERT INTO app_user (username, password_hash, role, township_id) "
                    "VALUES (:u, 'x', :r, :t) RETURNING id"
                ),
                {"u": f"{role}-user", "r": role, "t": town if role == "township" else None},
            )
    return SignedIn(user_id, f"{role}-user", role, None, role, town if role == "township" else None)


def test_township_staff_read_the_sections_at_their_edges_and_their_own_runs(
    county: Engine,
) -> None:
    both_files(county)
    t1, t2 = _town(county, "T1"), _town(county, "T2")
    with session_scope(county) as s:
        east = quality.monthly_results(s, _user("township", t2), date(2026, 1, 1))
        everyone = quality.monthly_results(s, _user("analyst"), date(2026, 1, 1))
        assert quality.summons_for(s, _user("township", t2)) == []
        assert [r.township for r in quality.summons_for(s, _user("township", t1))] == ["东镇"]
        with pytest.raises(PermissionDenied) as info:
            quality.summons_for(s, _user("township", t2), t1)
        assert info.value.code == "outside_township"
        w00 = s.scalar(text("SELECT id FROM water_section WHERE code = 'W00'"))
        assert quality.section_trend(s, _user("township", t2), w00).empty
        assert len(quality.section_trend(s, _user("township", t1), w00)) == 4
        assert list(quality.sections_for(s, _user("township", t2))["code"]) == [
            "W01",
            "W02",
            "W03",
        ]
    assert sorted(east["code"]) == ["W01", "W02", "W03"]  # W00 only touches 东镇
    assert sorted(everyone["code"]) == ["W00", "W01", "W02", "W03"]


@pytest.mark.parametrize("role", ["leader", "analyst", "deputy", "admin", "township"])
def test_the_permission_rows_are_enforced_in_the_services(county: Engine, role: str) -> None:
    user = _user(role, _town(county, "T1"), county if role != "deputy" else None)
    row = HEAD + f"W01,2026-05-12,{CLEAN}\n"
    if role in ("analyst", "admin"):
        assert _samples(county, row, actor=user).stored == 1
    else:
        with pytest.raises(PermissionDenied):
            _samples(county, row, actor=user)
        with pytest.raises(PermissionDenied), Session(county) as s:
            sections.import_sections(s, user, pd.DataFrame(), "x.csv")
    with session_scope(county) as s:
        if role == "deputy":
            with pytest.raises(PermissionDenied):
                quality.monthly_results(s, user, date(2026, 5, 1))
        else:
            quality.monthly_results(s, user, date(2026, 5, 1))


# --------------------------------------------------------------------------- the command line


def test_the_command_line_imports_lists_and_refuses_without_a_traceback(
    county: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", county.url.render_as_string(hide_password=False))
    database.get_engine.cache_clear()  # the command line's engine: this test's database
    try:
        _command_line(county, tmp_path)
    finally:
        database.get_engine.cache_clear()
    assert _count(county, "water_sample") == 16


def _command_line(county: Engine, tmp_path: Path) -> None:
    runner = CliRunner()
    with time_machine.travel(NOW, tick=False):
        done = runner.invoke(app, ["water", "import", str(DATA / "water_samples.csv")])
        assert done.exit_code == 0, done.output
        assert "12 monthly result(s) stored, 0 replaced (2026-01 to 2026-03)" in done.output
        xlsx = runner.invoke(app, ["water", "import", str(DATA / "water_samples.xlsx")])
        assert xlsx.exit_code == 0 and "4 monthly result(s) stored" in xlsx.output
        listed = runner.invoke(app, ["water", "list", "--month", "2026-03"])
        assert listed.exit_code == 0, listed.output
        assert "东镇—西乡南交界断面" in listed.output and "CODMn" in listed.output
        assert "2026-03: 2 of 4 section(s) attained their target" in listed.output
        summoned = runner.invoke(app, ["water", "summons"])
        assert "东镇" in summoned.output and "2026-01" in summoned.output
        assert "ongoing" in summoned.output
        empty = runner.invoke(app, ["water", "list", "--month", "2025-01"])
        assert empty.exit_code == 1 and "no results for 2025-01" in empty.output
        bad = tmp_path / "bad.csv"
        bad.write_text(_bad_rows(), encoding="utf-8")
        refused = runner.invoke(app, ["water", "import", str(bad)])
        assert refused.exit_code == 1
        assert "Traceback" not in refused.output
        assert "bad.csv: refused: 9 fault(s); nothing of the file was stored." in refused.output
        assert "Line 3, column '断面编码': there is no section 'W99'" in refused.output
        again = runner.invoke(app, ["water", "import-sections", str(DATA / "water_sections.csv")])
        assert again.exit_code == 0 and "0 section(s) added, 0 changed, 4 unchanged" in again.output
        wrong = runner.invoke(app, ["water", "list", "--month", "March"])
        assert wrong.exit_code != 0 and "Traceback" not in wrong.output
