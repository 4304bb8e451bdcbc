"""Period coverage: per-site missed windows from the database, and the grid roll-up."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from duty.coverage import (
    CELL_COLUMNS,
    SITE_PERIOD_COLUMNS,
    cell_coverage,
    load_cells,
    month_bounds,
    site_period_status,
)
from layers.coverage import reasons_text
from tests.test_due import TEMP_VISITS, add_visits, build_county

D = date

# Large L1 ⊃ medium M1 ⊃ small S1, S2; L1 ⊃ M2 ⊃ S3; large L2 ⊃ M3 ⊃ S4 (no sites at all).
CELLS = pd.DataFrame(
    [
        (1, "L1", 1, None),
        (2, "L2", 1, None),
        (11, "L1M1", 2, 1),
        (12, "L1M2", 2, 1),
        (21, "L2M3", 2, 2),
        (111, "L1M1S1", 3, 11),
        (112, "L1M1S2", 3, 11),
        (121, "L1M2S3", 3, 12),
        (211, "L2M3S4", 3, 21),
    ],
    columns=["id", "code", "level", "parent_id"],
)


def _site(site_id: int, cell: int, on_time: bool, missed: int = 0, assigned: bool = True) -> dict:
    return {
        "site_id": site_id,
        "grid_cell_id": cell,
        "township_id": 1,
        "site_class": 1,
        "missed": missed,
        "on_time": on_time,
        "assigned": assigned,
    }


# S1: 1/1 on time. S2: 0/3 (two missed windows, one never assigned). S3: 1/1.
SITES = pd.DataFrame(
    [
        _site(1, 111, True),
        _site(2, 112, False, missed=2),
        _site(3, 112, False, missed=1),
        _site(4, 112, False, assigned=False),
        _site(4, 112, False, assigned=False),  # a repeated row counts once
        _site(5, 121, True),
        _site(6, None, False, assigned=False),  # no cell: in no roll-up
    ]
)


def _by_code(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("code")


def test_small_cells() -> None:
    small = _by_code(cell_coverage(SITES, CELLS, 3))
    assert list(cell_coverage(SITES, CELLS, 3).columns) == list(CELL_COLUMNS)
    assert small.index.tolist() == ["L1M1S1", "L1M1S2", "L1M2S3", "L2M3S4"]
    assert small["sites"].tolist() == [1, 3, 1, 0]
    assert small["sites_on_time"].tolist() == [1, 0, 1, 0]
    assert small.loc["L1M1S1", "share"] == 1.0
    assert small.loc["L1M1S2", "share"] == 0.0
    assert math.isnan(small.loc["L2M3S4", "share"])
    assert small["dead_corner"].tolist() == [False, True, False, False]
    assert small.loc["L1M1S2", ["sites_missed", "sites_unassigned"]].tolist() == [2, 1]
    assert small.loc["L1M1S1", ["sites_missed", "sites_unassigned"]].tolist() == [0, 0]


def test_medium_share_is_recomputed_from_sites_not_averaged() -> None:
    medium = _by_code(cell_coverage(SITES, CELLS, 2))
    # Small cells of 1/1 and 0/3: the medium cell holds 1 of 4 sites on time, 25 %, not 50 %.
    assert medium.loc["L1M1", ["sites", "sites_on_time"]].tolist() == [4, 1]
    assert medium.loc["L1M1", "share"] == pytest.approx(0.25)
    assert medium.loc["L1M2", "share"] == 1.0
    assert math.isnan(medium.loc["L2M3", "share"])
    assert medium["dead_corner"].tolist() == [True, False, False]
    assert medium.loc["L1M1", ["sites_missed", "sites_unassigned"]].tolist() == [2, 1]


def test_large_share_from_all_descendant_sites() -> None:
    large = _by_code(cell_coverage(SITES, CELLS, 1))
    # 2 of 5 sites (40 %); averaging the medium shares 25 % and 100 % would say 62.5 %.
    assert large.loc["L1", ["sites", "sites_on_time"]].tolist() == [5, 2]
    assert large.loc["L1", "share"] == pytest.approx(0.4)
    assert large.loc["L1", "dead_corner"]
    assert not large.loc["L2", "dead_corner"]
    assert large.loc["L2", "sites"] == 0 and math.isnan(large.loc["L2", "share"])
    assert large["level"].tolist() == [1, 1]


def test_reasons_single_cause_and_english() -> None:
    only_unassigned = SITES[SITES["site_id"] == 4]
    small = _by_code(cell_coverage(only_unassigned, CELLS, 3))
    cell = small.loc["L1M1S2"]
    assert reasons_text([cell.sites_missed], [cell.sites_unassigned], "zh") == ["1 处无代表"]
    assert small.loc["L1M1S2", "dead_corner"]
    only_missed = SITES[SITES["site_id"].isin([2, 3])]
    medium = _by_code(cell_coverage(only_missed, CELLS, 2)).loc["L1M1"]
    english = reasons_text([medium.sites_missed], [medium.sites_unassigned], "en")
    assert english == ["2 missed a patrol window"]
    assert reasons_text([2, 0], [1, 0], "zh") == ["2 处未按期巡查；1 处无代表", ""]
    with pytest.raises(ValueError, match="level"):
        cell_coverage(SITES, CELLS, 4)
    assert cell_coverage(SITES, CELLS.iloc[:0], 3).empty


def test_site_period_status_from_database(engine: Engine) -> None:
    with Session(engine) as session:
        ids = build_county(session)
        add_visits(
            session,
            ids,
            [
                ("S1", D(2026, 2, 25)),
                ("S1", D(2026, 3, 5)),  # class 1: 1–10 ✓, 11–20 ✗, 21–31 ✓
                ("S1", D(2026, 3, 25)),
                ("S2", D(2026, 3, 1)),  # class 2: due again 15 Mar, missed, and 29 Mar
                ("F1", D(2026, 3, 10)),  # class 3: March ✓ (across the change of deputy)
            ],
        )
        # A site nobody was ever assigned to: a dead corner of its cell.
        session.execute(
            text(
                "INSERT INTO site (code, name, kind, site_class, township_id, grid_cell_id, geom) "
                "VALUES ('S3', '无主塘', 'pond', 3, :t, :c, ST_GeomFromText(:wkt, 4326))"
            ),
            {
                "t": ids["T1"],
                "c": ids["L1M1S1"],
                "wkt": "POLYGON((117.53 28.93, 117.54 28.93, 117.54 28.94, 117.53 28.93))",
            },
        )
        march = month_bounds(2026, 3)
        closed = site_period_status(session, *march, as_of=D(2026, 4, 5), visits_sql=TEMP_VISITS)
        during = site_period_status(session, *march, as_of=D(2026, 3, 18), visits_sql=TEMP_VISITS)
        cells = load_cells(session)
        other = site_period_status(
            session, *march, D(2026, 4, 5), township_id=ids["T1"] + 9, visits_sql=TEMP_VISITS
        )

    assert list(closed.columns) == list(SITE_PERIOD_COLUMNS)
    by_id = {code: closed.set_index("site_id").loc[ids[code]] for code in ("S1", "S2", "F1")}
    # F1: 张三's duty ended on 14 March, before the month's deadline; 李四's began on the 15th
    # and owed March (17 days left), and 张三's visit of the 10th was not 李四's.
    assert [by_id[c]["missed"] for c in ("S1", "S2", "F1")] == [1, 2, 1]
    assert [bool(by_id[c]["on_time"]) for c in ("S1", "S2", "F1")] == [False, False, False]
    assert by_id["S1"]["last_visit"] == pd.Timestamp(2026, 3, 25)
    assert by_id["F1"]["tracking_start"] == pd.Timestamp(2026, 1, 1)
    unassigned = closed[~closed["assigned"]]
    assert len(unassigned) == 1
    assert unassigned["missed"].tolist() == [0] and not unassigned["on_time"].any()

    # On 18 March the 11–20 旬 is still open; class 2's 15 March deadline has passed.
    still = during.set_index("site_id")
    assert still.loc[ids["S1"], "missed"] == 0 and still.loc[ids["S2"], "missed"] == 1
    assert still.loc[ids["S1"], "last_visit"] == pd.Timestamp(2026, 3, 5)

    small = _by_code(cell_coverage(closed, cells, 3))
    assert small.loc["L1M1S1", ["sites", "sites_on_time"]].tolist() == [4, 0]
    assert small.loc["L1M1S1", ["sites_missed", "sites_unassigned"]].tolist() == [3, 1]
    assert _by_code(cell_coverage(closed, cells, 1)).loc["L1", "dead_corner"]
    assert other.empty


def test_month_bounds() -> None:
    assert month_bounds(2028, 2) == (D(2028, 2, 1), D(2028, 2, 29))
    assert month_bounds(2026, 12) == (D(2026, 12, 1), D(2026, 12, 31))
