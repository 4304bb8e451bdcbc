"""交接断面水质: each month's class per section, attainment, runs of misses and the 约谈 list.

Definitions (the README's "Water quality at township cross-sections" says them too):

- A section's month is classed by GB 3838-2002 (``water.standard``) and **attains** when its
  class is its target or better; it **misses** otherwise.
- A section **assesses its upstream township** (``water.sections``): the water leaving a
  township is that township's. A township's month is *missed* when any of its assessed
  sections sampled that month missed, *attained* when all of them attained, and *not
  assessed* when none was sampled.
- **Consecutive misses** are missed months in consecutive calendar months (December and the
  next January are consecutive). A month without a sample *breaks* the run: the assessment is
  monthly, so "连续三次不达标" is three monthly assessments in a row, and a month nobody
  measured cannot count as a miss — joining the misses either side of it would make failures
  months apart "consecutive". (The sampling is the monitoring station's, not the township's,
  so a gap is no way out for a township; the page shows unsampled months as such.)
- ``SUMMONS_AFTER`` (3) consecutive misses put the township on the **约谈 list** with the
  months and the sections that missed in them; one entry per run, however long it grows.
  The early-warning rule ``water_quality`` (reports/warnings.toml, ``misses``) raises a warning
  from the same runs, and may be set lower to warn before the summons.

Township staff read the sections at their township's edges (upstream or downstream of it) and
their own township's runs (``accounts.scope``); the public page reads the same results without
anyone signed in, and nothing here is personal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import pandas as pd
from sqlalchemy.orm import Session

from accounts.auth import SignedIn
from accounts.permissions import require
from accounts.scope import narrow
from db.query import county_clause, query_frame, read_geoframe, township_label
from water.standard import PARAMETERS, attains, classify

SUMMONS_AFTER = 3  # 对连续三次不达标的乡镇领导实行集中约谈


def month_of(day: date) -> date:
    """The first day of ``day``'s month: how months are kept."""
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


# --------------------------------------------------------------------------- reading samples

_SAMPLES_SQL = f"""
SELECT ws.id AS sample_id, ws.section_id, s.code, s.name, s.waterbody, s.target_class,
       s.county_id, s.upstream_township_id, {township_label("up")} AS upstream,
       s.downstream_township_id, {township_label("dn")} AS downstream, ws.month, ws.sampled_on,
       ws.dissolved_oxygen AS "do", ws.codmn, ws.cod, ws.bod5, ws.nh3n, ws.tp, ws.tn, ws.ph
FROM water_sample ws
JOIN water_section s ON s.id = ws.section_id AND s.county_id = ws.county_id
LEFT JOIN township up ON up.id = s.upstream_township_id AND {{up_county}}
JOIN township dn ON dn.id = s.downstream_township_id AND {{dn_county}}
WHERE {{county}} AND {{where}}
ORDER BY ws.month, s.code
"""
RESULT_COLUMNS = ("water_class", "attained", "exceeding", "deciding")


def _counties(alias: str) -> dict[str, str]:
    """The scope's county on the rows (``alias``) and on both townships of a section. Matched
    by the scope, not by the section's county: an upstream township may be across the
    county's border, named in the city's scope and hidden (row-level security) in a county's."""
    return {
        "county": county_clause(alias),
        "up_county": county_clause("up"),
        "dn_county": county_clause("dn"),
    }


def _touching(township_id: int | None, alias: str = "s") -> tuple[str, dict[str, object]]:
    """Sections at a township's edges: upstream or downstream of it."""
    if township_id is None:
        return "TRUE", {}
    return (
        f"({alias}.upstream_township_id = :touch OR {alias}.downstream_township_id = :touch)",
        {"touch": township_id},
    )


def samples_frame(
    session: Session,
    *,
    month: date | None = None,
    until: date | None = None,
    township_id: int | None = None,
    section_id: int | None = None,
) -> pd.DataFrame:
    """Stored samples with their section, townships, class, attainment and the parameters
    worse than the target (``exceeding``) or deciding the class (``deciding``), oldest first.
    Filters: one month, months up to ``until``'s, sections touching a township, one section."""
    where, params = ["TRUE"], {}
    if month is not None:
        where.append("ws.month = :month")
        params["month"] = month_of(month)
    if until is not None:
        where.append("ws.month <= :until")
        params["until"] = month_of(until)
    if section_id is not None:
        where.append("ws.section_id = :section_id")
        params["section_id"] = section_id
    touching, extra = _touching(township_id)
    where.append(touching)
    params |= extra
    sql = _SAMPLES_SQL.format(**_counties("ws"), where=" AND ".join(where))
    frame = query_frame(session, sql, params)
    return classified(frame)


def classified(frame: pd.DataFrame) -> pd.DataFrame:
    """The sample rows with their class (1–6), attainment and the parameters behind them."""
    results = [
        classify({p: row[p] for p in PARAMETERS}, str(row["waterbody"]))
        for _, row in frame.iterrows()
    ]
    out = frame.copy()
    out["water_class"] = [r.water_class for r in results]
    out["attained"] = [
        attains(r.water_class, int(t)) for r, t in zip(results, frame["target_class"], strict=True)
    ]
    out["exceeding"] = [
        r.exceeding(int(t)) for r, t in zip(results, frame["target_class"], strict=True)
    ]
    out["deciding"] = [r.deciding for r in results]
    if out.empty:
        for column in RESULT_COLUMNS:
            out[column] = pd.Series(dtype=object)
    return out


def monthly_results(
    session: Session, user: SignedIn, month: date, township_id: int | None = None
) -> pd.DataFrame:
    """The month's result per sampled section, as ``user`` may read them
    (``view_water_quality``; township staff: the sections at their township's edges)."""
    require(user, "view_water_quality")
    return samples_frame(session, month=month, township_id=narrow(user, township_id, "section"))


_MONTHS_SQL = """
SELECT DISTINCT ws.month FROM water_sample ws
JOIN water_section s ON s.id = ws.section_id AND s.county_id = ws.county_id
WHERE {county} AND {where} ORDER BY ws.month DESC
"""


def sample_months(session: Session, township_id: int | None = None) -> list[date]:
    """Months with at least one sample (of the sections touching a township), newest first."""
    where, params = _touching(township_id)
    return [
        pd.Timestamp(m).date()
        for m in query_frame(
            session, _MONTHS_SQL.format(county=county_clause("ws"), where=where), params
        )["month"]
    ]


def months_for(session: Session, user: SignedIn, township_id: int | None = None) -> list[date]:
    require(user, "view_water_quality")
    return sample_months(session, narrow(user, township_id, "section"))


# --------------------------------------------------------------------------- runs and 约谈


@dataclass(frozen=True)
class Run:
    """Consecutive missed months of one township: the months and, per month, the sections
    that missed (code and name)."""

    township_id: int
    township: str
    months: tuple[date, ...]
    sections: tuple[tuple[str, str], ...]
    ongoing: bool

    @property
    def first(self) -> date:
        return self.months[0]

    @property
    def last(self) -> date:
        return self.months[-1]


def miss_runs(assessed: Mapping[date, bool], at_least: int = 1) -> list[tuple[date, ...]]:
    """Runs of consecutive missed months (``assessed``: month → missed) of ``at_least``
    months or more, oldest first. A month absent from ``assessed`` (no sample) breaks a run,
    as does an attained one; a December runs on into the next January."""
    runs: list[list[date]] = []
    for month in sorted(assessed):
        if not assessed[month]:
            continue
        if runs and next_month(runs[-1][-1]) == month:
            runs[-1].append(month)
        else:
            runs.append([month])
    return [tuple(r) for r in runs if len(r) >= at_least]


def township_months(frame: pd.DataFrame) -> dict[int, dict[date, bool]]:
    """Per assessed (upstream) township: month → missed (any of its sections sampled that
    month missed). Months without a sample of its sections are absent."""
    out: dict[int, dict[date, bool]] = {}
    assessed = frame[frame["upstream_township_id"].notna()]
    for (township, month), group in assessed.groupby(["upstream_township_id", "month"]):
        out.setdefault(int(township), {})[pd.Timestamp(month).date()] = not bool(
            group["attained"].all()
        )
    return out


def runs_of(frame: pd.DataFrame, at_least: int = SUMMONS_AFTER) -> list[Run]:
    """The runs of ``at_least`` consecutive missed months in classified samples, newest
    last month first, each with the sections that missed in it."""
    if frame.empty:
        return []
    assessed = frame[frame["upstream_township_id"].notna()]
    names = dict(
        zip(assessed["upstream_township_id"].astype(int), assessed["upstream"], strict=True)
    )
    months_of_rows = [pd.Timestamp(m).date() for m in frame["month"]]
    out: list[Run] = []
    for township, months in township_months(frame).items():
        latest = max(months)
        for run in miss_runs(months, at_least):
            within = pd.Series([m in run for m in months_of_rows], index=frame.index)
            missed = frame[
                within
                & (frame["upstream_township_id"] == township)
                & ~frame["attained"].astype(bool)
            ]
            pairs = zip(missed["code"].astype(str), missed["name"].astype(str), strict=True)
            sections = tuple(dict.fromkeys(pairs))
            name = str(names.get(township, ""))
            out.append(Run(township, name, run, sections, run[-1] == latest))
    return sorted(out, key=lambda r: (r.last, r.township), reverse=True)


def summons(
    session: Session,
    *,
    at_least: int = SUMMONS_AFTER,
    until: date | None = None,
    township_id: int | None = None,
) -> list[Run]:
    """The 约谈 list: every run of ``at_least`` consecutive missed months of a township (of
    one township when given), counting months up to ``until``'s."""
    frame = samples_frame(session, until=until)
    if township_id is not None:
        frame = frame[frame["upstream_township_id"] == township_id]
    return runs_of(frame, at_least)


def summons_for(session: Session, user: SignedIn, township_id: int | None = None) -> list[Run]:
    """The 约谈 list as ``user`` may read it (township staff: their own township's)."""
    require(user, "view_water_quality")
    return summons(session, township_id=narrow(user, township_id, "township"))


def summons_frame(runs: Iterable[Run]) -> pd.DataFrame:
    """The list as a table of codes and days (the edges word it): township, first and last
    month, misses, sections (``code name`` joined), ongoing."""
    rows = [
        {
            "township": r.township,
            "first_month": r.first,
            "last_month": r.last,
            "misses": len(r.months),
            "sections": "、".join(f"{code} {name}" for code, name in r.sections),
            "ongoing": r.ongoing,
        }
        for r in runs
    ]
    columns = ["township", "first_month", "last_month", "misses", "sections", "ongoing"]
    return pd.DataFrame(rows, columns=columns)


# --------------------------------------------------------------------------- shares


def _share(attained: pd.Series) -> float | None:
    return None if attained.empty else float(attained.astype(bool).mean())


def attainment_by_county(session: Session, month: date) -> dict[int, float | None]:
    """For each county: the share of the month's sampled sections whose class attains their
    target (0–1), None when none was sampled that month. For the city's monthly ranking
    (一月一排名); every county in the database (the county scope decides which those are)."""
    counties = query_frame(session, "SELECT id FROM county ORDER BY id")["id"]
    frame = samples_frame(session, month=month)
    out: dict[int, float | None] = {}
    for county in counties:
        out[int(county)] = _share(frame.loc[frame["county_id"] == county, "attained"])
    return out


def township_attainment(session: Session, month: date) -> dict[int, float | None]:
    """For each township: the share of the month's sampled sections it is assessed by (it is
    their upstream township) that attain their target; None when none was sampled."""
    towns = query_frame(session, "SELECT id FROM township ORDER BY id")["id"]
    frame = samples_frame(session, month=month)
    return {
        int(t): _share(frame.loc[frame["upstream_township_id"] == t, "attained"]) for t in towns
    }


# --------------------------------------------------------------------------- sections, map, trend

_SECTIONS_SQL = f"""
SELECT s.id, s.code, s.name, s.waterbody, s.target_class, s.county_id,
       s.upstream_township_id, {township_label("up")} AS upstream, s.downstream_township_id,
       {township_label("dn")} AS downstream, s.geom
FROM water_section s
LEFT JOIN township up ON up.id = s.upstream_township_id AND {{up_county}}
JOIN township dn ON dn.id = s.downstream_township_id AND {{dn_county}}
WHERE {{county}} AND {{where}}
ORDER BY s.code
"""


def sections_geo(session: Session, township_id: int | None = None) -> gpd.GeoDataFrame:
    """Every section (touching a township when given) with its point, by code."""
    where, params = _touching(township_id)
    return read_geoframe(session, _SECTIONS_SQL.format(**_counties("s"), where=where), params)


def sections_for(
    session: Session, user: SignedIn, township_id: int | None = None
) -> gpd.GeoDataFrame:
    require(user, "view_water_quality")
    return sections_geo(session, narrow(user, township_id, "section"))


def map_frame(sections: gpd.GeoDataFrame, results: pd.DataFrame) -> gpd.GeoDataFrame:
    """Sections with the month's class and attainment (None where not sampled), for a map."""
    chosen = results.set_index("section_id") if not results.empty else None
    out = sections.copy()
    out["water_class"] = [
        int(chosen.at[i, "water_class"]) if chosen is not None and i in chosen.index else None
        for i in sections["id"]
    ]
    out["attained"] = [
        bool(chosen.at[i, "attained"]) if chosen is not None and i in chosen.index else None
        for i in sections["id"]
    ]
    return out


def section_trend(session: Session, user: SignedIn, section_id: int) -> pd.DataFrame:
    """One section's months: class, target, attained and every parameter's value (as floats,
    for a chart). Township staff: a section at their township's edges only."""
    require(user, "view_water_quality")
    township_id = narrow(user, None, "section")
    return samples_frame(session, section_id=section_id, township_id=township_id)


# --------------------------------------------------------------------------- the public page

PUBLIC_COLUMNS = (
    "code",
    "name",
    "upstream",
    "downstream",
    "water_class",
    "target_class",
    "attained",
)


def public_months(session: Session) -> list[date]:
    """Months with results, newest first (结果在媒体上公示: anyone may read them)."""
    return sample_months(session)


def public_results(session: Session, month: date) -> pd.DataFrame:
    """The month's results for everyone: section, townships, class, target, attained.
    Sections, townships and classes only — no person, no account, no contact."""
    frame = samples_frame(session, month=month)
    return frame[list(PUBLIC_COLUMNS)].reset_index(drop=True)


def public_summons(session: Session) -> pd.DataFrame:
    """The 约谈 list for everyone (townships, months, sections)."""
    return summons_frame(summons(session))


__all__ = [
    "PUBLIC_COLUMNS",
    "SUMMONS_AFTER",
    "Run",
    "attainment_by_county",
    "classified",
    "map_frame",
    "miss_runs",
    "month_of",
    "monthly_results",
    "months_for",
    "next_month",
    "public_months",
    "public_results",
    "public_summons",
    "runs_of",
    "sample_months",
    "samples_frame",
    "section_trend",
    "sections_for",
    "sections_geo",
    "summons",
    "summons_for",
    "summons_frame",
    "township_attainment",
    "township_months",
]
