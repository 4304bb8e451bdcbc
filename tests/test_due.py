"""The due list from a tiny hand-built county, with visits in a TEMP TABLE; the Excel export."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from duty.due import DUE_COLUMNS, due_list
from tests import factories
from ui.due_workbook import due_list_to_excel

D = date
SQUARE = "MULTIPOLYGON(((117.5 28.9, 117.6 28.9, 117.6 29.0, 117.5 29.0, 117.5 28.9)))"
POND = "POLYGON((117.51 28.91, 117.52 28.91, 117.52 28.92, 117.51 28.91))"
TEMP_VISITS = "SELECT site_id, deputy_id, visit_date FROM tmp_visit"


def build_county(session: Session) -> dict[str, int]:
    """One township, a large ⊃ medium ⊃ small cell chain, 3 sites of classes 1/2/3, 2 deputies.

    Assignments: 张三 → S1 (class 1) since 1 Jan; 李四 → S2 (class 2) since 1 Jan and → F1
    (class 3) since 15 Mar, which 张三 held until then. Returns ids by code.
    """
    ids: dict[str, int] = {}

    def insert(sql: str, **params: object) -> int:
        return session.execute(text(sql + " RETURNING id"), params).scalar_one()

    geom = "ST_GeomFromText(:wkt, 4326)"
    factories.ensure_county(session)
    ids["T1"] = insert(
        f"INSERT INTO township (code, name, geom) VALUES ('T1', '东镇', {geom})", wkt=SQUARE
    )
    parent = None
    for level, code in ((1, "L1"), (2, "L1M1"), (3, "L1M1S1")):
        parent = ids[code] = insert(
            "INSERT INTO grid_cell (code, level, parent_id, township_id, geom) "
            f"VALUES (:code, :level, :parent, :township, {geom})",
            code=code,
            level=level,
            parent=parent,
            township=ids["T1"],
            wkt=SQUARE,
        )
    for code, name, kind, site_class, wkt in (
        ("S1", "上塘", "pond", 1, POND),
        ("S2", "下库", "reservoir", 2, POND),
        ("F1", "红星养殖场", "livestock_farm", 3, "POINT(117.55 28.95)"),
    ):
        ids[code] = insert(
            "INSERT INTO site (code, name, kind, site_class, township_id, grid_cell_id, geom) "
            f"VALUES (:code, :name, :kind, :class, :township, :cell, {geom})",
            code=code,
            name=name,
            kind=kind,
            **{"class": site_class},
            township=ids["T1"],
            cell=ids["L1M1S1"],
            wkt=wkt,
        )
    for code, name in (("D1", "张三"), ("D2", "李四")):
        ids[code] = insert(
            "INSERT INTO deputy (code, name, level, township_id) "
            "VALUES (:code, :name, 'county', :township)",
            code=code,
            name=name,
            township=ids["T1"],
        )
    for deputy, site, valid_from, valid_to in (
        ("D1", "S1", D(2026, 1, 1), None),
        ("D2", "S2", D(2026, 1, 1), None),
        ("D1", "F1", D(2026, 1, 1), D(2026, 3, 15)),
        ("D2", "F1", D(2026, 3, 15), None),
    ):
        insert(
            "INSERT INTO assignment (deputy_id, site_id, valid_from, valid_to) "
            "VALUES (:deputy, :site, :valid_from, :valid_to)",
            deputy=ids[deputy],
            site=ids[site],
            valid_from=valid_from,
            valid_to=valid_to,
        )
    return ids


def add_visits(
    session: Session, ids: dict[str, int], visits: list[tuple[str, date] | tuple[str, date, str]]
) -> None:
    """Visits in a TEMP TABLE, standing in for the verified_visit relation. A visit is by the
    deputy named third, else by whoever held the site that day."""
    session.execute(
        text(
            "CREATE TEMP TABLE IF NOT EXISTS tmp_visit "
            "(site_id int, deputy_id int, visit_date date)"
        )
    )
    for code, day, *by in visits:
        session.execute(
            text(
                "INSERT INTO tmp_visit VALUES (:site, COALESCE(:deputy, (SELECT deputy_id "
                "FROM assignment WHERE site_id = :site AND valid_from <= :day "
                "AND (valid_to IS NULL OR valid_to > :day))), :day)"
            ),
            {"site": ids[code], "day": day, "deputy": ids[by[0]] if by else None},
        )


ON = D(2026, 3, 18)


@pytest.fixture
def county(engine: Engine) -> tuple[Session, dict[str, int]]:
    with Session(engine) as session:
        ids = build_county(session)
        add_visits(
            session,
            ids,
            [
                ("S1", D(2026, 2, 25)),
                ("S1", D(2026, 3, 5)),  # class 1: due by 20 Mar → due soon on the 18th
                ("S1", D(2026, 3, 25)),  # after the day asked about: ignored
                ("S2", D(2026, 3, 1)),  # class 2: due by 15 Mar → overdue
                # class 3, by 张三 before 李四 took over on 15 March: not 李四's visit, so
                # 李四's duty starts afresh and owes March (17 days left, more than the grace)
                ("F1", D(2026, 3, 10)),
            ],
        )
        yield session, ids


def test_due_list_whole_county(county: tuple[Session, dict[str, int]]) -> None:
    session, ids = county
    due = due_list(session, ON, visits_sql=TEMP_VISITS, due_soon_days=3)
    assert list(due.columns) == list(DUE_COLUMNS)
    assert due["site_code"].tolist() == ["S2", "S1", "F1"]  # by deadline
    rows = due.set_index("site_code")
    assert rows.loc["S2", ["status", "days_left"]].tolist() == ["overdue", -3]
    assert rows.loc["S1", ["status", "days_left"]].tolist() == ["due_soon", 2]
    assert rows.loc["F1", ["status", "days_left"]].tolist() == ["ok", 13]
    assert pd.isna(rows.loc["F1", "last_visit"])  # 张三's visit does not discharge 李四's duty
    assert rows.loc["S1", "last_visit"] == pd.Timestamp(2026, 3, 5)
    assert rows.loc["S2", "deadline"] == pd.Timestamp(2026, 3, 15)
    assert rows.loc["F1", "deadline"] == pd.Timestamp(2026, 3, 31)
    assert rows.loc["F1", "deputy_name"] == "李四"  # only the current assignment
    assert set(due["township"]) == {"东镇"}
    assert due["site_class"].tolist() == [2, 1, 3]


def test_due_list_per_deputy_and_township(county: tuple[Session, dict[str, int]]) -> None:
    session, ids = county
    zhang = due_list(session, ON, deputy_id=ids["D1"], visits_sql=TEMP_VISITS)
    li = due_list(session, ON, deputy_id=ids["D2"], visits_sql=TEMP_VISITS)
    assert zhang["site_code"].tolist() == ["S1"]
    assert li["site_code"].tolist() == ["S2", "F1"]
    # On 10 March 张三 still held the farm; never visited from 1 Jan, its January was missed.
    earlier = due_list(session, D(2026, 3, 9), deputy_id=ids["D1"], visits_sql=TEMP_VISITS)
    assert earlier.set_index("site_code").loc["F1", "status"] == "overdue"
    township = due_list(session, ON, township_id=ids["T1"], visits_sql=TEMP_VISITS)
    assert len(township) == 3
    assert due_list(session, ON, township_id=ids["T1"] + 999, visits_sql=TEMP_VISITS).empty
    # Before any assignment began there is nothing due.
    assert due_list(session, D(2025, 12, 31), visits_sql=TEMP_VISITS).empty


def test_due_list_with_values_sql_and_no_visits(county: tuple[Session, dict[str, int]]) -> None:
    session, ids = county
    values = (
        "SELECT site_id, deputy_id, visit_date FROM (VALUES (CAST(:v_site AS int), "
        "CAST(:v_deputy AS int), CAST(:v_day AS date))) AS v(site_id, deputy_id, visit_date)"
    )
    due = due_list(
        session,
        ON,
        visits_sql=values,
        visits_params={"v_site": ids["S2"], "v_deputy": ids["D2"], "v_day": D(2026, 3, 17)},
        due_soon_days=3,
    )
    rows = due.set_index("site_code")
    assert rows.loc["S2", ["status", "days_left"]].tolist() == ["ok", 13]
    assert pd.isna(rows.loc["S1", "last_visit"])
    assert rows.loc["S1", "deadline"] == pd.Timestamp(2026, 1, 10)  # never visited since 1 Jan
    assert rows.loc["S1", "status"] == "overdue"


def test_excel_export_reads_back(county: tuple[Session, dict[str, int]]) -> None:
    session, _ = county
    due = due_list(session, ON, visits_sql=TEMP_VISITS, due_soon_days=3)
    buffer = io.BytesIO()
    due_list_to_excel(due, buffer)
    buffer.seek(0)
    sheet = openpyxl.load_workbook(buffer).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "代表",
        "乡镇",
        "点位",
        "类型",
        "类别",
        "最近巡查",
        "截止日期",
        "状态",
        "剩余天数",
    )
    assert len(rows) == 1 + len(due) == 4
    assert sheet.freeze_panes == "A2"
    first = rows[1]
    assert first[0] == "李四" and first[2] == "下库" and first[3] == "水库"
    assert first[4].startswith("二类") and first[7] == "已逾期" and first[8] == -3
    assert isinstance(first[6], datetime) and first[6].date() == D(2026, 3, 15)
    assert sheet["G2"].number_format == "yyyy-mm-dd"
    assert sheet.column_dimensions["C"].width >= 12


def test_excel_export_english_and_blank_last_visit(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "deputy_name": ["张三"],
            "township": ["东镇"],
            "site_name": ["上塘"],
            "kind": ["pond"],
            "site_class": [1],
            "last_visit": [pd.NaT],
            "deadline": [pd.Timestamp(2026, 3, 10)],
            "status": ["overdue"],
            "days_left": [-8],
        }
    )
    path = tmp_path / "due.xlsx"
    due_list_to_excel(frame, path, lang="en")
    rows = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("Deputy", "Township", "Site")
    assert rows[1][3:6] == ("Pond", "Class 1 (every 10 days)", None)
    assert rows[1][7] == "Overdue"
    with pytest.raises(ValueError, match="lang"):
        due_list_to_excel(frame, path, lang="fr")


def test_due_list_on_demo_county(demo_engine: Engine) -> None:
    """Every current assignment of the demo county appears once, with a valid status."""
    no_visits = (
        "SELECT CAST(NULL AS int) AS site_id, CAST(NULL AS int) AS deputy_id, "
        "CAST(NULL AS date) AS visit_date WHERE false"
    )
    with Session(demo_engine) as session:
        due = due_list(session, D(2026, 11, 15), visits_sql=no_visits)
        assigned = session.scalar(
            text(
                "SELECT count(*) FROM assignment WHERE valid_from <= :on "
                "AND (valid_to IS NULL OR valid_to > :on)"
            ),
            {"on": D(2026, 11, 15)},
        )
    assert len(due) == assigned > 0
    assert due["site_id"].is_unique
    assert set(due["status"]) <= {"ok", "due_soon", "overdue"}
    assert due["deadline"].is_monotonic_increasing
