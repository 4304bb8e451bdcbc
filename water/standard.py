"""GB 3838-2002 as data: the class of a sample by its worst parameter.

The limits live in ``water/gb3838_2002.toml`` (表1, basic items), not in code, so the numbers
can be read against the standard in one place and a test checks every one of them. A class is
a number: 1–5 for I–V and 6 for 劣V (worse than V); lower is better, and a month *attains* a
section's target when its class is not worse (``attains``).

Rules that the table alone does not say, decided here:
- a value exactly at a limit meets it: ≥ for 溶解氧 (DO), ≤ for the others, so it belongs to
  the better class;
- 总磷 (TP) takes the lake/reservoir limits (湖、库) for a section whose water body is a lake
  or reservoir (``waterbody = "lake"``), the river limits otherwise;
- 总氮 (TN) classes lake/reservoir sections only (the standard gives it "湖、库" only); a river
  section's TN is kept and shown, and classes nothing;
- pH outside 6–9 meets no class: 劣V; a missing optional value (pH) is left out;
- the sample's class is the worst of its parameters' classes (the standard's 单因子评价).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from core.errors import ConfigurationError

TABLE = Path(__file__).resolve().parent / "gb3838_2002.toml"
WORSE_THAN_V = 6  # 劣V
CLASSES: tuple[int, ...] = (1, 2, 3, 4, 5, WORSE_THAN_V)
TARGETS: tuple[int, ...] = (1, 2, 3, 4, 5)  # a target is one of I–V, never 劣V
WATERBODIES: tuple[str, ...] = ("river", "lake")  # lake: 湖、库 (lakes and reservoirs)
# The parameters a monthly sample carries, in the table's order; all but pH are required.
PARAMETERS: tuple[str, ...] = ("do", "codmn", "cod", "bod5", "nh3n", "tp", "tn", "ph")
REQUIRED: tuple[str, ...] = ("do", "codmn", "cod", "bod5", "nh3n", "tp", "tn")
DIRECTIONS = ("min", "max", "range")


@dataclass(frozen=True)
class Limit:
    """One item of 表1: its number in the table, its direction and its class limits."""

    parameter: str
    item: int
    direction: str
    limits: tuple[Decimal, ...] = ()
    lake_limits: tuple[Decimal, ...] | None = None
    range: tuple[Decimal, Decimal] | None = None
    waterbodies: tuple[str, ...] = WATERBODIES

    def applies_to(self, waterbody: str) -> bool:
        return waterbody in self.waterbodies

    def limits_for(self, waterbody: str) -> tuple[Decimal, ...]:
        """The I–V limits for a river or a lake/reservoir section."""
        if waterbody == "lake" and self.lake_limits is not None:
            return self.lake_limits
        return self.limits

    def class_of(self, value: Decimal, waterbody: str) -> int:
        """The best class whose limit ``value`` meets (a value at a limit meets it)."""
        if self.direction == "range":
            assert self.range is not None
            low, high = self.range
            return 1 if low <= value <= high else WORSE_THAN_V
        for number, limit in enumerate(self.limits_for(waterbody), start=1):
            if (value >= limit) if self.direction == "min" else (value <= limit):
                return number
        return WORSE_THAN_V


@dataclass(frozen=True)
class Standard:
    source: str
    limits: dict[str, Limit]

    def __getitem__(self, parameter: str) -> Limit:
        return self.limits[parameter]


@dataclass(frozen=True)
class Classification:
    """A sample's class (1–6), each applied parameter's class, and the parameters that
    decided it (those at the worst class, when it is worse than I)."""

    water_class: int
    by_parameter: dict[str, int]
    deciding: tuple[str, ...]

    def exceeding(self, target: int) -> tuple[str, ...]:
        """The parameters worse than ``target`` (超标项目), in the table's order."""
        return tuple(p for p in PARAMETERS if self.by_parameter.get(p, 0) > target)


def _decimals(values: Any, where: str) -> tuple[Decimal, ...]:
    if not isinstance(values, list) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in values
    ):
        raise ValueError(f"{where} must be a list of numbers")
    return tuple(Decimal(str(v)) for v in values)  # str: 0.15 stays 0.15, not its binary twin


def parse_standard(raw: Mapping[str, Any], source: str) -> Standard:
    """The limit table from its TOML mapping; a shipped file that breaks the table's shape
    (five limits in order, a known direction) is a programming error, said by name."""
    try:
        limits: dict[str, Limit] = {}
        for parameter, table in raw["parameters"].items():
            where = f"{source} [parameters.{parameter}]"
            direction = table["direction"]
            if direction not in DIRECTIONS:
                raise ValueError(f"{where}: unknown direction {direction!r}")
            if direction == "range":
                low, high = _decimals(table["range"], f"{where} range")
                limit = Limit(parameter, int(table["item"]), direction, range=(low, high))
            else:
                values = _decimals(table["limits"], f"{where} limits")
                lake = table.get("lake_limits")
                lake_values = None if lake is None else _decimals(lake, f"{where} lake_limits")
                for series in (values, lake_values):
                    if series is None:
                        continue
                    ordered = list(series) == sorted(series, reverse=direction == "min")
                    if len(series) != len(TARGETS) or not ordered:
                        raise ValueError(f"{where}: five limits, I to V, in order")
                limit = Limit(
                    parameter,
                    int(table["item"]),
                    direction,
                    values,
                    lake_values,
                    waterbodies=tuple(table.get("waterbodies", WATERBODIES)),
                )
            limits[parameter] = limit
        if set(limits) != set(PARAMETERS):
            raise ValueError(f"{source}: parameters {sorted(limits)}, expected {PARAMETERS}")
        return Standard(str(raw["source"]), limits)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError(
            f"the limit table {source} is malformed: {exc}",
            code="water_standard_malformed",
            source=source,
            detail=str(exc),
        ) from None


def as_decimal(value: Decimal | float | int | str) -> Decimal:
    """A value as the decimal people wrote: a float goes through its shortest text, so
    0.15 read from a frame compares equal to the table's 0.15."""
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


@lru_cache(maxsize=1)
def standard() -> Standard:
    """The shipped table (read once)."""
    with TABLE.open("rb") as handle:
        return parse_standard(tomllib.load(handle), TABLE.name)


def classify(
    values: Mapping[str, Decimal | None], waterbody: str, table: Standard | None = None
) -> Classification:
    """The class of one sample: every parameter that applies to the water body and has a
    value is classed alone, and the worst decides (单因子评价)."""
    table = table or standard()
    by_parameter: dict[str, int] = {}
    for parameter in PARAMETERS:
        value = values.get(parameter)
        limit = table[parameter]
        if value is None or not limit.applies_to(waterbody):
            continue
        by_parameter[parameter] = limit.class_of(as_decimal(value), waterbody)
    worst = max(by_parameter.values(), default=1)
    deciding = tuple(p for p in PARAMETERS if by_parameter.get(p) == worst) if worst > 1 else ()
    return Classification(worst, by_parameter, deciding)


def attains(water_class: int, target: int) -> bool:
    """A month attains its target when its class is the target's or better."""
    return water_class <= target


__all__ = [
    "CLASSES",
    "PARAMETERS",
    "REQUIRED",
    "TARGETS",
    "WATERBODIES",
    "WORSE_THAN_V",
    "Classification",
    "as_decimal",
    "Limit",
    "Standard",
    "attains",
    "classify",
    "parse_standard",
    "standard",
]
