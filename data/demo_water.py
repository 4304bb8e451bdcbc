"""The demo's cross-sections (交接断面) and twelve months of their monitoring, sent through the
same importers as a county's files.

Sections sit where two townships of the demo county meet: one on each shared boundary of at
least ``MIN_SHARED_M``, the longest first (at most ``MAX_SECTIONS``), at the point of the
boundary nearest its middle, and two 入境 sections where the water enters the county (on the
county's edge, in the two townships farthest upstream). Water runs from west to east — the
demo has no terrain — so of two neighbours the one whose centre lies farther west is
upstream, and the flow has no loop. Targets: Ⅱ类 for the upstream third, Ⅲ类 elsewhere; two
sections are reservoirs (湖库, TP's lower limits and TN apply).

Each section has a level (a class or so better than its target), a season (summer's heat and
low winter flow are the hard months) and noise, and attains its target unless planned
otherwise: three townships get a bad spell of four, three (running on to the last month) and
two consecutive missed months, so the 约谈 list has two townships and a run of two stays below
it; a fourth township misses two months, is not sampled the next and misses again — no run of
three, since a month without a sample breaks it. Same seed and dates, same values.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Engine, text

from accounts.audit import Operator
from db.database import session_scope
from geo import crs
from water.quality import month_of
from water.samples import store_samples
from water.sections import store_sections

DEMO = Operator("demo")
MIN_SHARED_M = 1000.0
MAX_SECTIONS = 20
MONTHS = 12
LAKES = 2
# (≤ limits for I–V; DO's are ≥) — the shape values are drawn in, not the classification.
CURVES: dict[str, tuple[float, ...]] = {
    "do": (9.0, 7.5, 6.0, 5.0, 3.0, 2.0, 1.2),
    "codmn": (1.0, 2.0, 4.0, 6.0, 10.0, 15.0, 20.0),
    "cod": (8.0, 15.0, 15.0, 20.0, 30.0, 40.0, 55.0),
    "bod5": (1.5, 3.0, 3.0, 4.0, 6.0, 10.0, 14.0),
    "nh3n": (0.05, 0.15, 0.5, 1.0, 1.5, 2.0, 3.0),
    "tp": (0.01, 0.02, 0.1, 0.2, 0.3, 0.4, 0.6),
    "tn": (0.1, 0.2, 0.5, 1.0, 1.5, 2.0, 3.0),
}
LAKE_TP = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3)
HEADERS = {
    "do": "溶解氧（mg/L）",
    "codmn": "高锰酸盐指数（mg/L）",
    "cod": "化学需氧量（mg/L）",
    "bod5": "五日生化需氧量（mg/L）",
    "nh3n": "氨氮（mg/L）",
    "tp": "总磷（mg/L）",
    "tn": "总氮（mg/L）",
}
SPELLS = (4, 3, 2)  # consecutive months of misses for three townships (the 3 runs on to now)
CARRIERS = ("nh3n", "tp", "codmn")  # the items that usually decide a township section's class
HEADERS_ORDER = CARRIERS


@dataclass(frozen=True)
class WaterSummary:
    sections: int
    samples: int
    first: date
    last: date


def _rng(seed: int, *parts: object) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32("/".join(map(str, parts)).encode())])


_PAIRS_SQL = """
WITH shared AS (
    SELECT a.id AS a_id, a.name AS a_name, ST_X(ST_Centroid(a.geom)) AS a_x,
           b.id AS b_id, b.name AS b_name, ST_X(ST_Centroid(b.geom)) AS b_x,
           ST_CollectionExtract(ST_Intersection(ST_Boundary(a.geom), ST_Boundary(b.geom)), 2)
               AS line
    FROM township a JOIN township b ON a.code < b.code AND ST_Touches(a.geom, b.geom)
)
SELECT a_id, a_name, a_x, b_id, b_name, b_x,
       ST_Length(ST_Transform(line, :epsg)) AS metres,
       ST_X(ST_ClosestPoint(line, ST_Centroid(line))) AS lon,
       ST_Y(ST_ClosestPoint(line, ST_Centroid(line))) AS lat
FROM shared WHERE NOT ST_IsEmpty(line)
ORDER BY metres DESC, a_id, b_id
"""
_ENTRY_SQL = """
WITH edge AS (
    SELECT t.id, t.name, ST_CollectionExtract(
               ST_Intersection(ST_Boundary(t.geom), ST_Boundary(c.geom)), 2) AS line
    FROM township t, county c WHERE t.id = :t
)
SELECT name, ST_X(p) AS lon, ST_Y(p) AS lat FROM (
    SELECT name, ST_ClosestPoint(line, ST_Centroid(line)) AS p FROM edge WHERE NOT ST_IsEmpty(line)
) q
"""


def _sections(engine: Engine, seed: int) -> pd.DataFrame:
    """The sections as a county's table would list them (Chinese headers)."""
    epsg = crs.metric_epsg()
    with engine.connect() as conn:
        pairs = conn.execute(text(_PAIRS_SQL), {"epsg": epsg}).mappings().all()
        west = {
            int(i): float(x)
            for i, x in conn.execute(
                text("SELECT id, ST_X(ST_Centroid(geom)) FROM township ORDER BY code")
            )
        }
    chosen = [p for p in pairs if p["metres"] >= MIN_SHARED_M][:MAX_SECTIONS]
    order = sorted(west, key=west.get)  # west first: upstream first
    upstream_third = set(order[: max(1, len(order) // 3)])
    rows = []
    for k, p in enumerate(chosen, start=1):
        up, down = ("a", "b") if p["a_x"] <= p["b_x"] else ("b", "a")
        up_id = int(p[f"{up}_id"])
        rows.append(
            {
                "断面编码": f"JJ{k:02d}",
                "断面名称": f"{p[f'{up}_name']}—{p[f'{down}_name']}交接断面",
                "经度": f"{p['lon']:.7f}",
                "纬度": f"{p['lat']:.7f}",
                "上游乡镇": p[f"{up}_name"],
                "下游乡镇": p[f"{down}_name"],
                "目标类别": "Ⅱ类" if up_id in upstream_third else "Ⅲ类",
                "水体类型": "河流",
            }
        )
    lakes = _rng(seed, "lakes").choice(len(rows), size=min(LAKES, len(rows)), replace=False)
    for i in lakes:
        rows[int(i)]["水体类型"] = "湖库"
        rows[int(i)]["断面名称"] = rows[int(i)]["断面名称"].replace("交接断面", "水库交接断面")
    with engine.connect() as conn:
        for n, town in enumerate(order[:2], start=1):
            entry = conn.execute(text(_ENTRY_SQL), {"t": town}).mappings().first()
            if entry is None:
                continue
            rows.append(
                {
                    "断面编码": f"RJ{n:02d}",
                    "断面名称": f"{entry['name']}入境断面",
                    "经度": f"{entry['lon']:.7f}",
                    "纬度": f"{entry['lat']:.7f}",
                    "上游乡镇": "",
                    "下游乡镇": entry["name"],
                    "目标类别": "Ⅱ类",
                    "水体类型": "河流",
                }
            )
    return pd.DataFrame(rows)


def _previous(month: date) -> date:
    return month_of(month - timedelta(days=1))


def _months(until: date) -> list[date]:
    """The twelve months whose sampling (days 5–15) had happened by ``until``."""
    months = [month_of(until) if until.day >= 15 else _previous(month_of(until))]
    while len(months) < MONTHS:
        months.insert(0, _previous(months[0]))
    return months


def _value(parameter: str, index: float, lake: bool) -> float:
    """A value at a class-like index: 0 very clean, k at class k's limit (so a value at an
    index in (k − 1, k] is of class k), 6 well past V."""
    curve = LAKE_TP if parameter == "tp" and lake else CURVES[parameter]
    return float(np.interp(index, np.arange(len(curve)), curve))


def _round(parameter: str, value: float) -> str:
    digits = {"tp": 3, "nh3n": 2, "tn": 2, "do": 1, "codmn": 1, "bod5": 1, "cod": 0}[parameter]
    return f"{value:.{digits}f}"


def _plan(towns: list[str], seed: int) -> tuple[dict[str, set[int]], str | None]:
    """Which months (by position) each of three townships misses, and a fourth township
    whose misses straddle a month without a sample."""
    rng = _rng(seed, "spells")
    chosen = [str(t) for t in rng.choice(towns, size=min(4, len(towns)), replace=False)]
    starts = (int(rng.integers(1, 5)), MONTHS - SPELLS[1], int(rng.integers(1, 8)))
    spells = {
        town: set(range(start, start + length))
        for town, start, length in zip(chosen, starts, SPELLS, strict=False)
    }
    return spells, chosen[3] if len(chosen) > 3 else None


GAP = 4  # the month (by position) the gap township's sections were not sampled
GAP_MISSES = {2, 3, 5}  # two misses, the gap, a miss: no run of three


def _samples(sections: pd.DataFrame, seed: int, until: date) -> pd.DataFrame:
    """Twelve months per section: a level a class or so better than the target, a season,
    noise; misses only where ``_plan`` puts them, so the story is the same every time."""
    months = _months(until)
    spells, gap_town = _plan(sorted({t for t in sections["上游乡镇"] if t}), seed)
    rows = []
    for _, section in sections.iterrows():
        code, town = section["断面编码"], section["上游乡镇"]
        lake = section["水体类型"] == "湖库"
        target = 2 if section["目标类别"] == "Ⅱ类" else 3
        rng = _rng(seed, "section", code)
        level = target - rng.uniform(0.5, 1.1)
        day = int(rng.integers(5, 16))
        for i, month in enumerate(months):
            gap = town == gap_town
            if gap and i == GAP:
                continue  # the station did not sample these sections that month
            missing = i in spells.get(town, ()) or (gap and i in GAP_MISSES)
            # summer's heat and low winter flow are the hard months
            season = 0.3 * np.cos(2 * np.pi * (month.month - 7) / 12) ** 2
            index = level + season + rng.normal(0.0, 0.2)
            worst = HEADERS_ORDER[int(rng.integers(len(HEADERS_ORDER)))]
            row = {"断面编码": code, "采样日期": month.replace(day=day).isoformat()}
            for parameter, header in HEADERS.items():
                carried = index + rng.normal(0.0, 0.3) - (0 if parameter in CARRIERS else 0.8)
                carried = min(carried, target - 0.05)  # attained unless planned otherwise
                if missing and parameter == worst:
                    carried = target + rng.uniform(0.3, 1.5)  # one or two classes too bad
                if parameter == "tn" and not lake:
                    carried += 1.5  # rivers carry more nitrogen; TN classes lakes only
                row[header] = _round(parameter, _value(parameter, max(0.2, carried), lake))
            row["pH值"] = f"{rng.uniform(6.8, 8.1):.1f}"
            rows.append(row)
    return pd.DataFrame(rows)


def add_demo_water(engine: Engine, seed: int, until: date) -> WaterSummary:
    """The demo's sections and their twelve months up to ``until``, through the importers
    (unaudited, like the rest of the demo county)."""
    sections = _sections(engine, seed)
    results = _samples(sections, seed, until)
    with session_scope(engine) as s:
        store_sections(s, sections, "demo-water-sections.csv")
    with session_scope(engine) as s:
        done, _ = store_samples(s, DEMO, results, "demo-water-samples.csv")
    return WaterSummary(len(sections), done.stored, done.months[0], done.months[-1])


__all__ = ["WaterSummary", "add_demo_water"]
