"""GB 3838-2002 表1 as the classification applies it: every limit at its boundary (a value at
a limit belongs to the better class), DO's ≥, TP's lake limits, TN for lakes only, pH, the
worst item deciding; and the runs of consecutive misses across a year's end. No database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.errors import ConfigurationError
from water.quality import miss_runs, next_month
from water.standard import WORSE_THAN_V, attains, classify, parse_standard, standard

# 表1 地表水环境质量标准基本项目标准限值 (mg/L), copied from the standard independently of
# water/gb3838_2002.toml: classes I, II, III, IV, V.
GB3838_TABLE_1 = {
    "do": ("min", ("7.5", "6", "5", "3", "2")),  # 溶解氧 ≥ (I: 饱和率90%或7.5)
    "codmn": ("max", ("2", "4", "6", "10", "15")),  # 高锰酸盐指数 ≤
    "cod": ("max", ("15", "15", "20", "30", "40")),  # 化学需氧量 ≤
    "bod5": ("max", ("3", "3", "4", "6", "10")),  # 五日生化需氧量 ≤
    "nh3n": ("max", ("0.15", "0.5", "1.0", "1.5", "2.0")),  # 氨氮 ≤
    "tp": ("max", ("0.02", "0.1", "0.2", "0.3", "0.4")),  # 总磷 ≤ (河流)
    "tn": ("max", ("0.2", "0.5", "1.0", "1.5", "2.0")),  # 总氮 ≤ (湖、库)
}
TP_LAKE = ("0.01", "0.025", "0.05", "0.1", "0.2")  # 总磷 湖、库
STEP = Decimal("0.001")
# A sample that is class I in every item (for a lake, TN and TP too).
CLEAN = {
    "do": Decimal("8"),
    "codmn": Decimal("1"),
    "cod": Decimal("10"),
    "bod5": Decimal("2"),
    "nh3n": Decimal("0.1"),
    "tp": Decimal("0.005"),
    "tn": Decimal("0.1"),
    "ph": Decimal("7.2"),
}


def _class(parameter: str, value: str | Decimal, waterbody: str = "lake") -> int:
    return classify({**CLEAN, parameter: Decimal(value)}, waterbody).water_class


def test_the_data_file_holds_table_1_as_published() -> None:
    table = standard()
    assert "GB 3838-2002" in table.source and "表1" in table.source
    for parameter, (direction, limits) in GB3838_TABLE_1.items():
        assert table[parameter].direction == direction
        assert table[parameter].limits == tuple(Decimal(v) for v in limits)
    assert table["tp"].lake_limits == tuple(Decimal(v) for v in TP_LAKE)
    assert table["tn"].waterbodies == ("lake",)
    assert table["ph"].range == (Decimal(6), Decimal(9))


def _expected(limits: tuple[str, ...], index: int) -> int:
    """At the limit of class ``index`` + 1: the best class whose limit it meets (COD's and
    BOD5's I and II share a limit, so their II limit is class I)."""
    at = Decimal(limits[index])
    return next(k for k, v in enumerate(limits, start=1) if Decimal(v) >= at)


@pytest.mark.parametrize("parameter", [p for p, (d, _) in GB3838_TABLE_1.items() if d == "max"])
def test_every_upper_limit_belongs_to_the_better_class(parameter: str) -> None:
    _, limits = GB3838_TABLE_1[parameter]
    body = "lake" if parameter == "tn" else "river"  # the table's TP is the rivers'; TN lakes'
    for index, limit in enumerate(limits):
        assert _class(parameter, limit, body) == _expected(limits, index), (parameter, limit)
        above = Decimal(limit) + STEP  # just above: the next class with a higher limit
        worse = next((k for k, v in enumerate(limits, 1) if Decimal(v) >= above), WORSE_THAN_V)
        assert worse > _expected(limits, index)
        assert _class(parameter, above, body) == worse, (parameter, above)


def test_dissolved_oxygen_is_at_least_and_higher_is_better() -> None:
    for number, limit in enumerate(("7.5", "6", "5", "3", "2"), start=1):
        assert _class("do", limit) == number
        assert _class("do", Decimal(limit) - STEP) == (number + 1 if number < 5 else WORSE_THAN_V)
    assert _class("do", "12") == 1
    assert _class("do", "0") == WORSE_THAN_V


def test_total_phosphorus_takes_the_lake_limits_for_a_lake() -> None:
    assert _class("tp", "0.02", "river") == 1
    assert _class("tp", "0.02", "lake") == 2  # 0.01 < 0.02 <= 0.025
    assert _class("tp", "0.01", "lake") == 1
    for number, limit in enumerate(TP_LAKE, start=1):
        assert _class("tp", limit, "lake") == number
    assert _class("tp", "0.2", "river") == 3 and _class("tp", "0.2", "lake") == 5
    assert _class("tp", "0.201", "lake") == WORSE_THAN_V
    assert _class("tp", "0.401", "river") == WORSE_THAN_V


def test_total_nitrogen_classes_lakes_and_reservoirs_only() -> None:
    river = classify({**CLEAN, "tn": Decimal("9")}, "river")
    assert river.water_class == 1 and "tn" not in river.by_parameter
    lake = classify({**CLEAN, "tn": Decimal("9")}, "lake")
    assert lake.water_class == WORSE_THAN_V and lake.deciding == ("tn",)


def test_ph_outside_6_to_9_meets_no_class_and_a_missing_ph_is_left_out() -> None:
    assert _class("ph", "6") == 1 and _class("ph", "9") == 1
    assert _class("ph", "5.999") == WORSE_THAN_V and _class("ph", "9.001") == WORSE_THAN_V
    assert classify({**CLEAN, "ph": None}, "river").water_class == 1


def test_the_worst_item_decides_and_names_itself() -> None:
    result = classify(
        {**CLEAN, "nh3n": Decimal("1.2"), "codmn": Decimal("8"), "tp": Decimal("0.15")}, "river"
    )
    assert result.water_class == 4
    assert result.deciding == ("codmn", "nh3n")
    assert result.exceeding(3) == ("codmn", "nh3n")
    assert result.exceeding(2) == ("codmn", "nh3n", "tp")
    assert classify(CLEAN, "river").deciding == ()


def test_a_float_read_from_a_frame_compares_as_written() -> None:
    assert classify({**CLEAN, "nh3n": 0.15}, "river").water_class == 1
    assert classify({**CLEAN, "tp": 0.1}, "river").water_class == 2


def test_a_month_attains_at_its_target_or_better() -> None:
    assert attains(3, 3) and attains(2, 3)
    assert not attains(4, 3) and not attains(WORSE_THAN_V, 5)


def test_a_malformed_table_is_refused_by_name() -> None:
    with pytest.raises(ConfigurationError) as info:
        parse_standard({"source": "x", "parameters": {"do": {"item": 3}}}, "bad.toml")
    assert info.value.code == "water_standard_malformed"
    raw = {
        "source": "x",
        "parameters": {"cod": {"item": 5, "direction": "max", "limits": [40, 30, 20, 15, 15]}},
    }
    with pytest.raises(ConfigurationError, match="in order"):
        parse_standard(raw, "bad.toml")


# --------------------------------------------------------------------------- runs of misses


def _months(*pairs: tuple[int, int, bool]) -> dict[date, bool]:
    return {date(y, m, 1): missed for y, m, missed in pairs}


def test_consecutive_misses_run_across_the_year_end() -> None:
    assessed = _months((2026, 11, True), (2026, 12, True), (2027, 1, True), (2027, 2, False))
    assert miss_runs(assessed, 3) == [(date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1))]
    assert next_month(date(2026, 12, 1)) == date(2027, 1, 1)


def test_a_month_without_a_sample_breaks_the_run_and_so_does_an_attained_one() -> None:
    gap = _months((2026, 3, True), (2026, 4, True), (2026, 6, True), (2026, 7, True))
    assert miss_runs(gap, 3) == []
    assert miss_runs(gap, 2) == [
        (date(2026, 3, 1), date(2026, 4, 1)),
        (date(2026, 6, 1), date(2026, 7, 1)),
    ]
    attained = _months((2026, 3, True), (2026, 4, False), (2026, 5, True), (2026, 6, True))
    assert miss_runs(attained, 3) == []


def test_a_long_run_is_one_run() -> None:
    assessed = _months(*((2026, m, True) for m in range(1, 8)))
    assert [len(r) for r in miss_runs(assessed, 3)] == [7]
