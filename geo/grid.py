"""Integrity of the grid hierarchy (全覆盖、无死角), computed in PostGIS.

Areas are geodesic (geography), so the figures do not depend on the deployment's projection.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

import i18n
from core.vocab import GRID_LEVELS

AREA_TOLERANCE_M2 = 1.0
COVERAGE_TOLERANCE = 1e-4  # union area equals county area within 0.01 %


@dataclass
class LevelReport:
    level: int
    count: int
    area_m2: float
    union_area_m2: float
    gap_m2: float
    overlap_m2: float
    overlapping_pairs: int


@dataclass
class GridReport:
    county_area_m2: float | None
    levels: list[LevelReport]
    orphans: list[str]
    wrong_parent_level: list[str]
    outside_parent: list[tuple[str, float]]
    sites_without_cell: list[str]
    expected: tuple[int, int, int] | None
    faults: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.faults

    def counts(self) -> tuple[int, ...]:
        return tuple(lv.count for lv in self.levels)


_LEVEL_SQL = text("""
WITH cells AS (SELECT geom FROM grid_cell WHERE level = :level),
     county AS (SELECT ST_Union(geom) AS geom FROM county)
SELECT
  (SELECT count(*) FROM cells),
  COALESCE((SELECT sum(ST_Area(geom::geography)) FROM cells), 0),
  COALESCE((SELECT ST_Area(ST_Union(geom)::geography) FROM cells), 0),
  COALESCE((SELECT ST_Area(ST_Difference(county.geom, (SELECT ST_Union(geom) FROM cells))
                           ::geography) FROM county WHERE county.geom IS NOT NULL), 0)
""")

_OVERLAP_SQL = text("""
SELECT count(*), COALESCE(sum(a), 0) FROM (
  SELECT ST_Area(ST_Intersection(x.geom, y.geom)::geography) AS a
  FROM grid_cell x JOIN grid_cell y
    ON x.level = :level AND y.level = :level AND x.id < y.id
   AND ST_Intersects(x.geom, y.geom) AND NOT ST_Touches(x.geom, y.geom)
) pairs WHERE a > :tol
""")


def grid_report(session: Session, expected: tuple[int, int, int] | None = None) -> GridReport:
    county_area = session.scalar(text("SELECT ST_Area(ST_Union(geom)::geography) FROM county"))
    levels = []
    for level in GRID_LEVELS:
        count, area, union_area, gap = session.execute(_LEVEL_SQL, {"level": level}).one()
        pairs, overlap = session.execute(
            _OVERLAP_SQL, {"level": level, "tol": AREA_TOLERANCE_M2}
        ).one()
        levels.append(
            LevelReport(
                level, count, float(area), float(union_area), float(gap), float(overlap), pairs
            )
        )
    orphans = list(
        session.scalars(
            text("SELECT code FROM grid_cell WHERE level > 1 AND parent_id IS NULL ORDER BY code")
        )
    )
    wrong_level = list(
        session.scalars(
            text(
                "SELECT c.code FROM grid_cell c JOIN grid_cell p ON p.id = c.parent_id "
                "WHERE p.level <> c.level - 1 ORDER BY c.code"
            )
        )
    )
    outside = [
        (code, float(a))
        for code, a in session.execute(
            text(
                "SELECT c.code, ST_Area(ST_Difference(c.geom, p.geom)::geography) AS a "
                "FROM grid_cell c JOIN grid_cell p ON p.id = c.parent_id "
                "WHERE NOT ST_CoveredBy(c.geom, p.geom) "
                "AND ST_Area(ST_Difference(c.geom, p.geom)::geography) > :tol ORDER BY c.code"
            ),
            {"tol": AREA_TOLERANCE_M2},
        )
    ]
    no_cell = list(
        session.scalars(text("SELECT code FROM site WHERE grid_cell_id IS NULL ORDER BY code"))
    )
    report = GridReport(county_area, levels, orphans, wrong_level, outside, no_cell, expected)
    report.faults = _faults(report)
    return report


def _faults(r: GridReport) -> list[str]:
    faults = []
    if r.county_area_m2 is None:
        faults.append("no county outline is stored, so coverage cannot be checked")
    if r.expected is not None and r.counts() != r.expected:
        got = "/".join(str(c) for c in r.counts())
        want = "/".join(str(c) for c in r.expected)
        faults.append(f"cell counts per level are {got}, expected {want}")
    for lv in r.levels:
        name = i18n.label("grid_level", lv.level, "en").lower()
        if lv.count == 0:
            faults.append(f"level {lv.level} ({name}) has no cells")
            continue
        if r.county_area_m2:
            diff = abs(lv.union_area_m2 - r.county_area_m2) / r.county_area_m2
            if diff > COVERAGE_TOLERANCE or lv.gap_m2 > COVERAGE_TOLERANCE * r.county_area_m2:
                faults.append(
                    f"level {lv.level} ({name}) does not cover the county: union "
                    f"{lv.union_area_m2 / 1e6:,.3f} km² vs county "
                    f"{r.county_area_m2 / 1e6:,.3f} km², "
                    f"gap {lv.gap_m2 / 1e6:,.4f} km²"
                )
        if lv.overlapping_pairs:
            faults.append(
                f"level {lv.level} ({name}) has {lv.overlapping_pairs} overlapping pair(s), "
                f"{lv.overlap_m2:,.0f} m² in all"
            )
    if r.orphans:
        faults.append(
            f"{len(r.orphans)} orphan cell(s) without a parent: {', '.join(r.orphans[:5])}"
        )
    if r.wrong_parent_level:
        faults.append(
            f"{len(r.wrong_parent_level)} cell(s) whose parent is not one level up: "
            f"{', '.join(r.wrong_parent_level[:5])}"
        )
    if r.outside_parent:
        first = ", ".join(f"{c} ({a:,.0f} m²)" for c, a in r.outside_parent[:5])
        faults.append(f"{len(r.outside_parent)} cell(s) outside their parent: {first}")
    if r.sites_without_cell:
        faults.append(
            f"{len(r.sites_without_cell)} site(s) lie in no small cell: "
            f"{', '.join(r.sites_without_cell[:5])}"
        )
    return faults


def format_report(r: GridReport) -> str:
    lines = []
    if r.county_area_m2:
        lines.append(f"county area: {r.county_area_m2 / 1e6:,.2f} km²")
    for lv in r.levels:
        zh, en = (i18n.label("grid_level", lv.level, lang) for lang in i18n.LANGS)
        lines.append(
            f"level {lv.level} {zh} ({en}): {lv.count} cells, "
            f"union {lv.union_area_m2 / 1e6:,.2f} km², "
            f"gap {lv.gap_m2:,.0f} m², overlap {lv.overlap_m2:,.0f} m²"
        )
    lines.append("counts: " + "/".join(str(c) for c in r.counts()))
    lines.append(
        f"orphan cells: {len(r.orphans)}; cells outside parent: {len(r.outside_parent)}; "
        f"sites in no small cell: {len(r.sites_without_cell)}"
    )
    if r.faults:
        lines.append("FAULTS:")
        lines.extend(f"  - {f}" for f in r.faults)
    else:
        lines.append("no faults")
    return "\n".join(lines)
