"""交接断面: the township cross-sections, imported from a table (CSV or Excel).

A section is where a river passes from the upstream township to the downstream one. It is
monitored monthly and **assesses the upstream township**: the water leaving a township is that
township's doing (what enters it is its neighbour's), as in Zhejiang's 交接断面水质考核, where
the 出境 quality is the one a township answers for. A section without an upstream township (the
water enters the county there, or rises there: 入境或源头断面) is monitored and published and
counts in the county's share, and assesses no township.

Columns (Chinese or English headers): 断面编码 / code, 断面名称 / name, 经度 / lon, 纬度 / lat
(WGS84 degrees), 上游乡镇 / upstream (code or name; may be empty), 下游乡镇 / downstream (code
or name), 目标类别 / target (I–V, Ⅰ–Ⅴ, 1–5, "Ⅲ类"), optional 水体类型 / waterbody (河流 /
river, 湖库 / lake; default river). A section must lie within ``NEAR_M`` of both its
townships (it is on their common boundary). A code already stored is updated in place (name,
place, townships, target, water body) and the change audited; the same row again changes
nothing. Every fault of the file is found first; one refuses it whole.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from accounts.audit import Actor, authorize, record
from core import clock
from core.errors import ImportRefused
from db.models import Township, WaterSection
from geo import crs
from water.standard import TARGETS, WATERBODIES
from water.table import WaterImportRefused, cell, find_columns, missing_columns, rows_of

NEAR_M = 1000.0  # a section lies on its townships' common boundary, give or take this
CODE_CHARS, NAME_CHARS = 40, 120
HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("code", "section", "section_code", "断面编码", "断面代码", "编码"),
    "name": ("name", "section_name", "断面名称", "名称"),
    "lon": ("lon", "lng", "longitude", "经度"),
    "lat": ("lat", "latitude", "纬度"),
    "upstream": ("upstream", "upstream_township", "上游乡镇", "上游"),
    "downstream": ("downstream", "downstream_township", "下游乡镇", "下游"),
    "target": ("target", "target_class", "目标类别", "水质目标", "目标"),
    "waterbody": ("waterbody", "water_body", "水体类型", "水体"),
}
REQUIRED = ("code", "name", "lon", "lat", "upstream", "downstream", "target")
NAMED = {
    "code": "断面编码/code",
    "name": "断面名称/name",
    "lon": "经度/lon",
    "lat": "纬度/lat",
    "upstream": "上游乡镇/upstream",
    "downstream": "下游乡镇/downstream",
    "target": "目标类别/target",
}
ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}
WATERBODY_WORDS = {
    "river": "river",
    "河流": "river",
    "河": "river",
    "河道": "river",
    "lake": "lake",
    "reservoir": "lake",
    "湖库": "lake",
    "湖": "lake",
    "湖泊": "lake",
    "库": "lake",
    "水库": "lake",
}


@dataclass(frozen=True)
class SectionImport:
    """What an import did: sections added, changed (updated in place), unchanged."""

    source: str
    added: int
    changed: int
    unchanged: int

    def __str__(self) -> str:
        return (
            f"{self.source}: {self.added} section(s) added, {self.changed} changed, "
            f"{self.unchanged} unchanged"
        )


def parse_target(value: str) -> int | None:
    """A target class from I–V, Ⅰ–Ⅴ, 1–5, "Ⅲ类", "class III"; None otherwise (劣V is no target)."""
    word = unicodedata.normalize("NFKC", value).upper().replace("CLASS", "").replace("类", "")
    word = word.strip()
    if word.isdigit():
        number = int(word)
        return number if number in TARGETS else None
    return ROMAN.get(word)


def parse_waterbody(value: str) -> str | None:
    word = value.strip().lower()
    return "river" if not word else WATERBODY_WORDS.get(word)


def _number(value: str, low: float, high: float) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if low <= number <= high else None


def _rows(session: Session, frame: pd.DataFrame, source: str) -> list[dict]:
    """Every row judged; all faults gathered, then the file refused with them."""
    found = find_columns(frame.columns, HEADERS)
    missing_columns(source, found, REQUIRED, NAMED)
    header = {field: found[field][0] if field in found else None for field in HEADERS}
    towns: dict[str, int] = {}
    for town_id, code, name in session.execute(select(Township.id, Township.code, Township.name)):
        towns[str(code).upper()] = town_id
        towns[str(name)] = town_id
    faults: list[ImportRefused] = []
    rows: list[dict] = []
    table = rows_of(frame)
    seen: dict[str, int] = {}
    for pos in range(len(frame)):
        line = pos + 2
        value = {field: cell(table[pos], column) for field, column in header.items()}

        def at(field: str, line: int = line, value: dict = value) -> dict[str, object]:
            return {"line": line, "column": header[field], "value": value[field]}

        bad = len(faults)
        for field in ("code", "name", "lon", "lat", "downstream", "target"):
            if not value[field]:
                faults.append(ImportRefused(source, "empty", code="water_empty_value", **at(field)))
        if len(faults) > bad:
            continue
        code = value["code"]
        if len(code) > CODE_CHARS or len(value["name"]) > NAME_CHARS:
            field = "code" if len(code) > CODE_CHARS else "name"
            limit = CODE_CHARS if field == "code" else NAME_CHARS
            faults.append(
                ImportRefused(source, "too long", code="water_too_long", limit=limit, **at(field))
            )
        if code.upper() in seen:
            faults.append(
                ImportRefused(
                    source,
                    "code twice in the file",
                    code="water_section_duplicate",
                    other=seen[code.upper()],
                    **at("code"),
                )
            )
        seen.setdefault(code.upper(), line)
        lon = _number(value["lon"], -180.0, 180.0)
        lat = _number(value["lat"], -90.0, 90.0)
        for field, number in (("lon", lon), ("lat", lat)):
            if number is None:
                faults.append(
                    ImportRefused(
                        source, "not a coordinate", code="water_bad_coordinate", **at(field)
                    )
                )
        upstream = None
        if value["upstream"]:
            upstream = towns.get(value["upstream"].upper(), towns.get(value["upstream"]))
            if upstream is None:
                faults.append(
                    ImportRefused(
                        source, "no such township", code="water_unknown_township", **at("upstream")
                    )
                )
        downstream = towns.get(value["downstream"].upper(), towns.get(value["downstream"]))
        if downstream is None:
            faults.append(
                ImportRefused(
                    source, "no such township", code="water_unknown_township", **at("downstream")
                )
            )
        elif upstream == downstream:
            faults.append(
                ImportRefused(
                    source,
                    "upstream and downstream are one township",
                    code="water_same_township",
                    **at("downstream"),
                )
            )
        target = parse_target(value["target"])
        if target is None:
            faults.append(
                ImportRefused(source, "not a class I–V", code="water_bad_target", **at("target"))
            )
        waterbody = parse_waterbody(value["waterbody"])
        if waterbody is None:
            faults.append(
                ImportRefused(
                    source, "not river or lake", code="water_bad_waterbody", **at("waterbody")
                )
            )
        if len(faults) == bad:
            assert lon is not None and lat is not None and target is not None
            rows.append(
                {
                    "line": line,
                    "code": code,
                    "name": value["name"],
                    "lon": lon,
                    "lat": lat,
                    "upstream": upstream,
                    "downstream": downstream,
                    "target": target,
                    "waterbody": waterbody or WATERBODIES[0],
                    "lon_column": header["lon"],
                    "point": f"{value['lon']}, {value['lat']}",
                }
            )
    faults += _far_from_townships(session, rows, source)
    if faults:
        raise WaterImportRefused(source, sorted(faults, key=lambda f: f.params["line"]))
    return rows


_DISTANCE_SQL = """
SELECT r.i, ST_Distance(ST_Transform(p.pt, :epsg), ST_Transform(t.geom, :epsg)) AS metres,
       t.name
FROM unnest(CAST(:i AS int[]), CAST(:lon AS float8[]), CAST(:lat AS float8[]),
            CAST(:town AS int[])) AS r(i, lon, lat, town)
CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_MakePoint(r.lon, r.lat), 4326) AS pt) p
JOIN township t ON t.id = r.town
"""


def _far_from_townships(session: Session, rows: list[dict], source: str) -> list[ImportRefused]:
    """A section must lie on its townships' common boundary: within NEAR_M of each."""
    pairs = [(i, r, r[side]) for i, r in enumerate(rows) for side in ("upstream", "downstream")]
    pairs = [(i, r, town) for i, r, town in pairs if town is not None]
    if not pairs:
        return []
    found = session.execute(
        text(_DISTANCE_SQL),
        {
            "epsg": crs.metric_epsg(),
            "i": [i for i, _, _ in pairs],
            "lon": [r["lon"] for _, r, _ in pairs],
            "lat": [r["lat"] for _, r, _ in pairs],
            "town": [town for _, _, town in pairs],
        },
    ).all()
    faults = []
    for i, metres, town in found:
        if metres > NEAR_M:
            row = rows[i]
            faults.append(
                ImportRefused(
                    source,
                    f"{metres:.0f} m from {town}",
                    code="water_section_far",
                    line=row["line"],
                    column=row["lon_column"],
                    value=row["point"],
                    township=town,
                    metres=round(float(metres)),
                    limit=round(NEAR_M),
                )
            )
    return faults


def _county_of(session: Session, township_id: int) -> int:
    """The county of a section: its downstream township's (migration 0020)."""
    return int(
        session.execute(
            text("SELECT county_id FROM township WHERE id = :t"), {"t": township_id}
        ).scalar_one()
    )


def store_sections(session: Session, frame: pd.DataFrame, source: str) -> SectionImport:
    """The import without a user (the demo loader's; ``import_sections`` audits it)."""
    rows = _rows(session, frame, source)
    stored = {
        s.code.upper(): s
        for s in session.scalars(
            select(WaterSection).where(
                func.upper(WaterSection.code).in_([r["code"].upper() for r in rows] or [""])
            )
        )
    }
    where = {
        s.id: (round(x, 7), round(y, 7))
        for s, x, y in session.execute(
            select(WaterSection, func.ST_X(WaterSection.geom), func.ST_Y(WaterSection.geom)).where(
                WaterSection.id.in_([s.id for s in stored.values()] or [-1])
            )
        )
    }
    now = clock.now()
    added = changed = 0
    counties: dict[int, int] = {}
    for row in rows:
        county = counties.get(row["downstream"])
        if county is None:
            county = counties[row["downstream"]] = _county_of(session, row["downstream"])
        point = func.ST_SetSRID(func.ST_MakePoint(row["lon"], row["lat"]), 4326)
        values = {
            "name": row["name"],
            "waterbody": row["waterbody"],
            "target_class": row["target"],
            "upstream_township_id": row["upstream"],
            "downstream_township_id": row["downstream"],
            "county_id": county,
        }
        section = stored.get(row["code"].upper())
        if section is None:
            session.add(
                WaterSection(code=row["code"], geom=point, created_at=now, updated_at=now, **values)
            )
            added += 1
            continue
        moved = where[section.id] != (round(row["lon"], 7), round(row["lat"], 7))
        if moved or any(getattr(section, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(section, key, value)
            section.geom = point
            section.updated_at = now
            changed += 1
    session.flush()
    return SectionImport(source, added, changed, len(rows) - added - changed)


def import_sections(
    session: Session, actor: Actor, frame: pd.DataFrame, source: str
) -> SectionImport:
    """Import cross-sections (``import_water_quality``), audited when anything changed."""
    authorize(actor, "import_water_quality")
    result = store_sections(session, frame, source)
    if result.added or result.changed:
        record(
            session,
            actor,
            "water_section_import",
            source,
            {"added": result.added, "changed": result.changed, "unchanged": result.unchanged},
        )
    return result


__all__ = [
    "HEADERS",
    "NEAR_M",
    "SectionImport",
    "import_sections",
    "parse_target",
    "parse_waterbody",
    "store_sections",
]
