"""Reading the monitoring station's tables: headers in Chinese or English, every fault of a
file found before anything is stored, and the file refused whole with all of them.

A county's sheets come headed in Chinese (断面编码, 采样日期, 氨氮（mg/L）), the city's tools
often in English (section, date, NH3-N (mg/L)); both are read. A refusal names each bad row
by its line (the header is line 1, in a CSV and a sheet alike) and the column as the file
heads it, so the person who made the file finds the cell; the whole file is refused and
nothing of it is stored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date

import pandas as pd

from core.errors import ImportRefused

MAX_FAULTS = 50  # listed in one refusal; the count says how many more there were


class WaterImportRefused(ImportRefused):
    """A table refused as a whole: ``faults`` holds one ImportRefused per bad cell (line,
    column, value and its own code), ``count`` how many there were in all."""

    code = "water_file_refused"

    def __init__(self, source: str, faults: list[ImportRefused]) -> None:
        self.faults = tuple(faults[:MAX_FAULTS])
        first = faults[0]
        super().__init__(
            source,
            f"{len(faults)} fault(s); the first: {first}",
            code="water_file_refused",
            count=len(faults),
            more=max(0, len(faults) - MAX_FAULTS),
        )


def normalise(name: str) -> str:
    """A header as compared: width-folded (（ → (), lower case, subscripts as digits, no
    spaces, underscores or hyphens (NH3-N, nh3n and NH₃-N are one header)."""
    folded = unicodedata.normalize("NFKC", str(name)).lower()
    return re.sub(r"[\s_\-·]", "", folded)


UNIT_IN_HEADER = re.compile(r"^(?P<name>.*?)[(\[](?P<unit>[^)\]]*)[)\]]\s*$")


def split_header(header: str) -> tuple[str, str | None]:
    """A header and the unit in its brackets: "氨氮（mg/L）" → ("氨氮", "mg/L")."""
    text = unicodedata.normalize("NFKC", str(header)).strip()
    found = UNIT_IN_HEADER.match(text)
    if found is None:
        return text, None
    return found.group("name").strip(), found.group("unit").strip()


def find_columns(
    columns: Iterable[str], aliases: Mapping[str, tuple[str, ...]]
) -> dict[str, tuple[str, str | None]]:
    """field → (the header as the file writes it, the unit in it) for every field found."""
    wanted = {normalise(a): field for field, names in aliases.items() for a in names}
    found: dict[str, tuple[str, str | None]] = {}
    for column in columns:
        name, unit = split_header(column)
        field = wanted.get(normalise(name))
        if field is not None and field not in found:
            found[field] = (str(column), unit)
    return found


def missing_columns(
    source: str, found: Mapping[str, object], required: Iterable[str], named: Mapping[str, str]
) -> None:
    """Refuse a table that lacks a required column, naming each by its Chinese and English
    names (``named``) and listing the headers the file has."""
    missing = [named[f] for f in required if f not in found]
    if missing:
        raise ImportRefused(
            source,
            f"missing column(s): {', '.join(missing)}",
            code="water_missing_columns",
            columns="、".join(missing),
        )


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")


def parse_day(value: object) -> date | None:
    """2026-05-12, 2026/5/12, 2026.5.12, 2026年5月12日 (an Excel date cell reads as
    "2026-05-12 00:00:00"); None when it is none of these or no real day."""
    text = unicodedata.normalize("NFKC", str(value)).strip()
    found = _DATE.match(text)
    if found is None:
        return None
    try:
        return date(*(int(g) for g in found.groups()))
    except ValueError:
        return None


def rows_of(frame: pd.DataFrame) -> list[dict[str, object]]:
    """The table's rows as mappings of header → cell (read once: a row at a time through
    ``iloc`` costs a Series per cell)."""
    return frame.to_dict("records")


def cell(row: Mapping[str, object], header: str | None) -> str:
    """A cell's text, stripped ("" for a column the file does not have)."""
    if header is None:
        return ""
    return str(row[header]).strip()


__all__ = [
    "MAX_FAULTS",
    "WaterImportRefused",
    "cell",
    "find_columns",
    "missing_columns",
    "normalise",
    "parse_day",
    "rows_of",
    "split_header",
]
