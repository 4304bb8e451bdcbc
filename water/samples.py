"""Monthly monitoring results at the cross-sections, imported from CSV or Excel.

One row per section and sampling: 断面编码 / section, 采样日期 / date, and the parameters —
溶解氧 DO, 高锰酸盐指数 CODMn, 化学需氧量 COD, 五日生化需氧量 BOD5, 氨氮 NH3-N, 总磷 TP, 总氮 TN
(all required), pH (optional) — under Chinese or English headers. Units go in the header
("氨氮（mg/L）", "TP [mg/L]") or in a 单位 / unit column that holds each row's unit; mg/L and
µg/L (converted exactly) are known, pH has none. A parameter without a unit, or with one not
known, is refused by name: a file of µg/L read as mg/L would be a thousandfold wrong.

A value below the detection limit written the laboratories' way, "0.01L" or "<0.01", is stored
as the limit itself (the true value is lower, so the class is never better than the sample's);
not for DO, where a "<" says nothing about attaining. A bad row — unknown section, a date
that is no day (or in the future), an empty required parameter, text where a number belongs,
a negative value, pH outside 0–14, the same section and month twice in the file — is named by
line and column, every one of them, and the file is refused whole: nothing is stored.

Re-importing a month already stored for a section is refused, naming the stored sample, unless
the importer asks to replace (``replace=True``: the command line's ``--replace``, the page's
box): then the month's values are replaced and the audit log keeps the old ones
(``water_sample_import``). A monitoring station corrects its figures; a correction must be
deliberate and leave a trace, never a silent overwrite.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.audit import Actor, actor_label, authorize, record
from core import clock
from core.errors import ImportRefused
from db.models import WaterSample, WaterSection
from water.standard import PARAMETERS, REQUIRED
from water.table import (
    WaterImportRefused,
    cell,
    find_columns,
    missing_columns,
    parse_day,
    rows_of,
)

# The database column of each parameter ("do" is a keyword of PostgreSQL's).
COLUMN: dict[str, str] = {p: p for p in PARAMETERS} | {"do": "dissolved_oxygen"}
HEADERS: dict[str, tuple[str, ...]] = {
    "section": ("section", "section_code", "code", "断面编码", "断面代码", "断面"),
    "sampled_on": ("sampled_on", "date", "sampling_date", "采样日期", "监测日期", "日期"),
    "unit": ("unit", "units", "单位"),
    "do": ("do", "dissolved_oxygen", "溶解氧"),
    "codmn": ("codmn", "permanganate_index", "高锰酸盐指数"),
    "cod": ("cod", "codcr", "化学需氧量"),
    "bod5": ("bod5", "bod", "五日生化需氧量", "生化需氧量"),
    "nh3n": ("nh3n", "ammonia_nitrogen", "氨氮"),
    "tp": ("tp", "total_phosphorus", "总磷"),
    "tn": ("tn", "total_nitrogen", "总氮"),
    "ph": ("ph", "ph值"),
}
NAMED = {
    "section": "断面编码/section",
    "sampled_on": "采样日期/date",
    "do": "溶解氧/DO",
    "codmn": "高锰酸盐指数/CODMn",
    "cod": "化学需氧量/COD",
    "bod5": "五日生化需氧量/BOD5",
    "nh3n": "氨氮/NH3-N",
    "tp": "总磷/TP",
    "tn": "总氮/TN",
}
# Units by their spelling (width-folded, lower case, no spaces) → the factor to mg/L.
UNITS: dict[str, Decimal] = {
    "mg/l": Decimal(1),
    "毫克/升": Decimal(1),
    "μg/l": Decimal("0.001"),  # NFKC folds the micro sign µ into μ
    "ug/l": Decimal("0.001"),
    "微克/升": Decimal("0.001"),
}
PH_UNITS = {"", "无量纲", "无", "dimensionless", "-", "—", "ph"}
KNOWN_UNITS = "mg/L, µg/L"
FLOAT_NOISE_DIGITS = 15  # more significant digits than this: a float's noise, rounded to 12
_BELOW = re.compile(r"^(?:<\s*(?P<lt>\S+)|(?P<l>\S+?)\s*l)$")


@dataclass(frozen=True)
class SampleImport:
    """What an import did: months stored new, months replaced (with the old values in the
    audit log), and the months the file covered."""

    source: str
    stored: int
    replaced: int
    months: tuple[date, ...] = field(default=())

    def __str__(self) -> str:
        span = ""
        if self.months:
            first, last = (f"{m:%Y-%m}" for m in (self.months[0], self.months[-1]))
            span = f" ({first})" if first == last else f" ({first} to {last})"
        return (
            f"{self.source}: {self.stored} monthly result(s) stored, {self.replaced} replaced{span}"
        )


def _unit_key(unit: str) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", unit).lower())


def parse_value(text: str, parameter: str) -> Decimal | None:
    """A measured value as written: a plain number, or below a detection limit ("0.01L",
    "<0.01") as that limit — not for DO. None when it is no number."""
    word = unicodedata.normalize("NFKC", text).strip().lower()
    below = _BELOW.match(word)
    if below is not None:
        if parameter == "do":
            return None
        word = below.group("lt") or below.group("l")
    try:
        value = Decimal(word)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    if len(value.as_tuple().digits) > FLOAT_NOISE_DIGITS:
        # a spreadsheet formula's binary noise (0.1 + 0.2 → 0.30000000000000004): no
        # laboratory reports 17 digits, and the noise alone would cross a limit
        value = Decimal(format(float(value), ".12g"))
    return value


@dataclass
class _Reader:
    """One file's headers, units and sections, and the faults found so far."""

    session: Session
    frame: pd.DataFrame
    source: str
    faults: list[ImportRefused] = field(default_factory=list)

    def __post_init__(self) -> None:
        found = find_columns(self.frame.columns, HEADERS)
        missing_columns(self.source, found, ("section", "sampled_on", *REQUIRED), NAMED)
        self.header = {f: found[f][0] if f in found else None for f in HEADERS}
        self.rows = rows_of(self.frame)
        self.told: set[int] = set()  # lines whose unit cell was already refused
        self.header_unit = {f: found[f][1] if f in found else None for f in HEADERS}
        self.sections = {
            code.upper(): (section_id, county_id)
            for section_id, code, county_id in self.session.execute(
                select(WaterSection.id, WaterSection.code, WaterSection.county_id)
            )
        }
        self._check_header_units()

    def _check_header_units(self) -> None:
        """A unit in a header must be known, and every parameter must have one (in its
        header or the unit column); said once per column, at the header's line 1."""
        for parameter in PARAMETERS:
            header, unit = self.header[parameter], self.header_unit[parameter]
            if header is None:
                continue
            if parameter == "ph":
                if unit is not None and _unit_key(unit) not in PH_UNITS:
                    self.faults.append(
                        ImportRefused(
                            self.source,
                            "pH has no unit",
                            code="water_ph_unit",
                            line=1,
                            column=header,
                            value=unit,
                        )
                    )
                continue
            if unit is not None and _unit_key(unit) not in UNITS:
                self.faults.append(
                    ImportRefused(
                        self.source,
                        "unknown unit",
                        code="water_unknown_unit",
                        line=1,
                        column=header,
                        value=unit,
                        known=KNOWN_UNITS,
                    )
                )
            elif unit is None and self.header["unit"] is None:
                self.faults.append(
                    ImportRefused(
                        self.source,
                        "no unit",
                        code="water_no_unit",
                        line=1,
                        column=header,
                        value="",
                        known=KNOWN_UNITS,
                    )
                )

    def factor(self, parameter: str, pos: int, line: int) -> Decimal | None:
        """The factor to mg/L of a parameter's value in a row (None: a fault was noted)."""
        header_unit = self.header_unit[parameter]
        if header_unit is not None:
            factor = UNITS.get(_unit_key(header_unit))
            row_unit = cell(self.rows[pos], self.header["unit"])
            if factor is not None and row_unit and UNITS.get(_unit_key(row_unit)) != factor:
                self.faults.append(
                    ImportRefused(
                        self.source,
                        "the unit column says otherwise",
                        code="water_unit_conflict",
                        line=line,
                        column=self.header["unit"],
                        value=row_unit,
                        header=self.header[parameter],
                    )
                )
                return None
            return factor
        row_unit = cell(self.rows[pos], self.header["unit"])
        factor = UNITS.get(_unit_key(row_unit))
        if factor is None and self.header["unit"] is not None and line not in self.told:
            self.told.add(line)  # the row's unit cell is one fault, whatever it applies to
            self.faults.append(
                ImportRefused(
                    self.source,
                    "unknown unit",
                    code="water_unknown_unit",
                    line=line,
                    column=self.header["unit"],
                    value=row_unit,
                    known=KNOWN_UNITS,
                )
            )
        return factor

    def row(self, pos: int) -> dict | None:
        """One row's sample, or None when it has a fault (noted)."""
        line = pos + 2
        before = len(self.faults)

        refuse = self.faults.append

        def at(name: str, value: str) -> dict[str, object]:
            return {"line": line, "column": self.header[name], "value": value}

        code = cell(self.rows[pos], self.header["section"])
        section = self.sections.get(code.upper())
        if not code:
            refuse(
                ImportRefused(self.source, "empty", code="water_empty_value", **at("section", code))
            )
        elif section is None:
            refuse(
                ImportRefused(
                    self.source,
                    "no such section",
                    code="water_unknown_section",
                    **at("section", code),
                )
            )
        written = cell(self.rows[pos], self.header["sampled_on"])
        day = parse_day(written)
        if not written:
            refuse(
                ImportRefused(
                    self.source, "empty", code="water_empty_value", **at("sampled_on", written)
                )
            )
        elif day is None:
            refuse(
                ImportRefused(
                    self.source, "not a day", code="water_bad_date", **at("sampled_on", written)
                )
            )
        elif day > clock.today():
            refuse(
                ImportRefused(
                    self.source,
                    "in the future",
                    code="water_future_date",
                    **at("sampled_on", written),
                )
            )
        values: dict[str, Decimal | None] = {}
        for parameter in PARAMETERS:
            header = self.header[parameter]
            written = cell(self.rows[pos], header)
            if not written:
                if parameter in REQUIRED:
                    refuse(
                        ImportRefused(
                            self.source,
                            "missing parameter",
                            code="water_missing_parameter",
                            **at(parameter, written),
                        )
                    )
                values[parameter] = None
                continue
            value = parse_value(written, parameter)
            if value is None:
                refuse(
                    ImportRefused(
                        self.source,
                        "not a number",
                        code="water_not_a_number",
                        **at(parameter, written),
                    )
                )
                continue
            if value < 0:
                refuse(
                    ImportRefused(
                        self.source,
                        "negative",
                        code="water_negative_value",
                        **at(parameter, written),
                    )
                )
                continue
            if parameter == "ph":
                if value > 14:
                    refuse(
                        ImportRefused(
                            self.source,
                            "pH beyond 14",
                            code="water_bad_ph",
                            **at(parameter, written),
                        )
                    )
                    continue
                values[parameter] = value
                continue
            factor = self.factor(parameter, pos, line)
            if factor is not None:
                values[parameter] = value * factor
        if len(self.faults) > before:
            return None
        assert section is not None and day is not None
        return {
            "line": line,
            "code": code,
            "section_id": section[0],
            "county_id": section[1],
            "sampled_on": day,
            "month": day.replace(day=1),
            "values": values,
            "date_column": self.header["sampled_on"],
            "written_day": cell(self.rows[pos], self.header["sampled_on"]),
        }


def _rows(session: Session, frame: pd.DataFrame, source: str, replace: bool) -> list[dict]:
    reader = _Reader(session, frame, source)
    rows = [r for r in (reader.row(pos) for pos in range(len(frame))) if r is not None]
    seen: dict[tuple[int, date], int] = {}
    for r in rows:
        key = (r["section_id"], r["month"])
        if key in seen:
            reader.faults.append(
                ImportRefused(
                    source,
                    "the same section and month twice",
                    code="water_duplicate_month",
                    line=r["line"],
                    column=r["date_column"],
                    value=r["written_day"],
                    section=r["code"],
                    month=r["month"],
                    other=seen[key],
                )
            )
        seen.setdefault(key, r["line"])
    if not replace and rows:
        stored = session.execute(
            select(
                WaterSample.section_id,
                WaterSample.month,
                WaterSample.sampled_on,
                WaterSample.source,
            )
            .where(WaterSample.section_id.in_({r["section_id"] for r in rows}))
            .where(WaterSample.month.in_({r["month"] for r in rows}))
        ).all()
        known = {(s, m): (day, src) for s, m, day, src in stored}
        for r in rows:
            hit = known.get((r["section_id"], r["month"]))
            if hit is not None:
                reader.faults.append(
                    ImportRefused(
                        source,
                        "the month is stored already",
                        code="water_month_stored",
                        line=r["line"],
                        column=r["date_column"],
                        value=r["written_day"],
                        section=r["code"],
                        month=r["month"],
                        stored_on=hit[0],
                        stored_from=hit[1],
                    )
                )
    if reader.faults:
        raise WaterImportRefused(source, sorted(reader.faults, key=lambda f: f.params["line"]))
    return rows


def _plain(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def store_samples(
    session: Session, actor: Actor, frame: pd.DataFrame, source: str, replace: bool = False
) -> tuple[SampleImport, list[dict]]:
    """The import without the permission check (the demo loader's); returns the result and
    the replaced months with their old values (for the audit log)."""
    rows = _rows(session, frame, source, replace)
    existing = {
        (s.section_id, s.month): s
        for s in session.scalars(
            select(WaterSample)
            .where(WaterSample.section_id.in_({r["section_id"] for r in rows} or {-1}))
            .where(WaterSample.month.in_({r["month"] for r in rows} or {date(1, 1, 1)}))
            .with_for_update()
        )
    }
    now, who = clock.now(), actor_label(actor)[:120]
    replaced: list[dict] = []
    for r in rows:
        columns = {COLUMN[p]: v for p, v in r["values"].items()}
        sample = existing.get((r["section_id"], r["month"]))
        if sample is None:
            session.add(
                WaterSample(
                    section_id=r["section_id"],
                    sampled_on=r["sampled_on"],
                    month=r["month"],
                    county_id=r["county_id"],
                    source=source[:255],
                    imported_at=now,
                    imported_by=who,
                    **columns,
                )
            )
            continue
        replaced.append(
            {
                "section": r["code"],
                "month": r["month"].isoformat()[:7],
                "sampled_on": sample.sampled_on.isoformat(),
                "source": sample.source,
                **{p: _plain(getattr(sample, COLUMN[p])) for p in PARAMETERS},
            }
        )
        for column, value in columns.items():
            setattr(sample, column, value)
        sample.sampled_on = r["sampled_on"]
        sample.source = source[:255]
        sample.imported_at = now
        sample.imported_by = who
    session.flush()
    months = tuple(sorted({r["month"] for r in rows}))
    return SampleImport(source, len(rows) - len(replaced), len(replaced), months), replaced


def import_samples(
    session: Session, actor: Actor, frame: pd.DataFrame, source: str, replace: bool = False
) -> SampleImport:
    """Import monthly results (``import_water_quality``); audited with the values replaced."""
    authorize(actor, "import_water_quality")
    result, replaced = store_samples(session, actor, frame, source, replace)
    record(
        session,
        actor,
        "water_sample_import",
        source,
        {"stored": result.stored, "replaced": replaced},
    )
    return result


__all__ = [
    "COLUMN",
    "HEADERS",
    "UNITS",
    "SampleImport",
    "import_samples",
    "parse_value",
    "store_samples",
]
