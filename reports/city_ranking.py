"""一月一排名: the city's monthly ranking of its counties — the rules and the scoring, as plain
functions over plain data (no database here; the figures are gathered by
``reports.city_ranking_service``).

The seed: "市对八个区、县进行'一月一督查、一月一排名、一月一通报'，
每月排名在市内所有媒体上公开公示".

Four indicators per county and month, each a value with the counts behind it:

- ``on_time`` 按期巡查率: sites patrolled within every window of the month ÷ the county's sites,
  as the coverage page and the glance count it (``duty.coverage.site_period_status``);
  missing while no site owed a patrol (nobody was assigned yet).
- ``handling`` 处置率 (交办处置率): handled ÷ dispatched tickets created in the month, counted from
  the events before the day of reckoning (``tickets.figures``); missing when none was
  dispatched.
- ``water_quality`` 水质达标率: from ``water.quality.attainment_by_county``; missing where it
  gives nothing.
- ``supervision`` 督查: supervision groups' visits (``duty.supervision``) in the month ÷ the
  county's townships; missing only for a county without townships.

The rules (``city_ranking.toml``) give each indicator a weight (the weights add up to 100)
and a normalisation to 0–100 (``share``: value × 100; ``target``: min(value ÷ target, 1) × 100;
``best``: value ÷ the month's best county × 100). Points = weight × normalised ÷ 100, rounded
to 0.01; the score is the sum of the points, rounded to 0.01 once. A missing indicator either
earns 0 points (``missing = "zero"``) or is left out and the present weights are scaled up to
add to 100 again (``"renormalise"``, the shipped rule): the effective weight stands beside
the points, so every score can be recomputed by hand. A county with no indicator present (or
whose present weights are all 0) has no score and no rank.

Ranks are competition ranks on the rounded score: equal scores share the best rank and the
next rank skips (1, 2, 2, 4), as the deputies' evaluation ranks them.
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import settings
from core.errors import ConfigurationError

SHIPPED_RULES = Path(__file__).resolve().parent / "city_ranking.toml"

INDICATORS: tuple[str, ...] = ("on_time", "handling", "water_quality", "supervision")
NORMALISATIONS: tuple[str, ...] = ("share", "target", "best")
MISSING_POLICIES: tuple[str, ...] = ("renormalise", "zero")
TOP_KEYS: tuple[str, ...] = ("version", "missing", *INDICATORS)
INDICATOR_KEYS: tuple[str, ...] = ("weight", "normalise", "target")
VERSION_MAX = 40
TOTAL_WEIGHT = 100.0


class RankingRulesError(ConfigurationError):
    """The city ranking's rules file is unreadable or names a key or value it may not."""


@dataclass(frozen=True)
class IndicatorRule:
    """How one indicator counts: its weight (of 100) and its normalisation to 0–100."""

    weight: float
    normalise: str
    target: float | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"weight": self.weight, "normalise": self.normalise}
        if self.target is not None:
            out["target"] = self.target
        return out


@dataclass(frozen=True)
class RankingRules:
    """The whole rules file: its version, the missing-indicator rule, each indicator's rule."""

    version: str
    missing: str
    indicators: dict[str, IndicatorRule] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """As stored with a publication (and read back by ``parse_rules``)."""
        return {
            "version": self.version,
            "missing": self.missing,
            **{code: rule.as_dict() for code, rule in self.indicators.items()},
        }

    @property
    def digest(self) -> str:
        """A short fingerprint of the rules, so two files with one version are told apart."""
        canonical = json.dumps(self.as_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()[:8]


def _number(value: object) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and not math.isnan(value)
        and not math.isinf(value)
    )


def _indicator(raw: object, code: str, source: str) -> IndicatorRule:
    if not isinstance(raw, dict):
        raise RankingRulesError(
            f"{source}: [{code}] must be a table",
            code="city_rules_not_table",
            source=source,
            indicator=code,
        )
    unknown = sorted(set(raw) - set(INDICATOR_KEYS))
    if unknown:
        raise RankingRulesError(
            f"{source}: [{code}] has unknown key(s) {', '.join(unknown)}",
            code="city_rules_unknown_indicator_key",
            source=source,
            indicator=code,
            keys=", ".join(unknown),
            known=", ".join(INDICATOR_KEYS),
        )
    weight = raw.get("weight")
    if not _number(weight) or weight < 0:  # type: ignore[operator]
        raise RankingRulesError(
            f"{source}: [{code}] weight must be a number of 0 or more, not {weight!r}",
            code="city_rules_weight_invalid",
            source=source,
            indicator=code,
            value=repr(weight),
        )
    normalise = raw.get("normalise")
    if normalise not in NORMALISATIONS:
        raise RankingRulesError(
            f"{source}: [{code}] normalise must be one of {', '.join(NORMALISATIONS)}, "
            f"not {normalise!r}",
            code="city_rules_normalise_unknown",
            source=source,
            indicator=code,
            value=repr(normalise),
            known=", ".join(NORMALISATIONS),
        )
    target = raw.get("target")
    if normalise == "target":
        if not _number(target) or target <= 0:  # type: ignore[operator]
            raise RankingRulesError(
                f'{source}: [{code}] normalise = "target" needs a target greater than 0, '
                f"not {target!r}",
                code="city_rules_target_invalid",
                source=source,
                indicator=code,
                value=repr(target),
            )
    elif target is not None:
        raise RankingRulesError(
            f'{source}: [{code}] target is only read with normalise = "target"',
            code="city_rules_target_unused",
            source=source,
            indicator=code,
            normalise=normalise,
        )
    return IndicatorRule(
        float(weight),  # type: ignore[arg-type]
        str(normalise),
        float(target) if target is not None else None,  # type: ignore[arg-type]
    )


def parse_rules(raw: dict[str, Any], source: str) -> RankingRules:
    """Rules from a mapping, every fault refused by name: unknown keys, a missing indicator,
    a weight that is not a number ≥ 0, weights not adding up to 100, an unknown normalisation
    or missing-indicator rule, a target missing (or given where it is not read), no version."""
    unknown = sorted(set(raw) - set(TOP_KEYS))
    if unknown:
        raise RankingRulesError(
            f"{source}: unknown key(s) {', '.join(unknown)}; known: {', '.join(TOP_KEYS)}",
            code="city_rules_unknown_key",
            source=source,
            keys=", ".join(unknown),
            known=", ".join(TOP_KEYS),
        )
    version = raw.get("version")
    if not isinstance(version, str) or not version.strip() or len(version) > VERSION_MAX:
        raise RankingRulesError(
            f"{source}: version must be a text of 1–{VERSION_MAX} characters, not {version!r}",
            code="city_rules_version_invalid",
            source=source,
            value=repr(version),
            most=VERSION_MAX,
        )
    missing = raw.get("missing")
    if missing not in MISSING_POLICIES:
        raise RankingRulesError(
            f"{source}: missing must be one of {', '.join(MISSING_POLICIES)}, not {missing!r}",
            code="city_rules_missing_policy_unknown",
            source=source,
            value=repr(missing),
            known=", ".join(MISSING_POLICIES),
        )
    absent = [code for code in INDICATORS if code not in raw]
    if absent:
        raise RankingRulesError(
            f"{source}: indicator(s) {', '.join(absent)} not given (a weight of 0 leaves one out)",
            code="city_rules_indicator_absent",
            source=source,
            indicators=", ".join(absent),
        )
    indicators = {code: _indicator(raw[code], code, source) for code in INDICATORS}
    total = sum(rule.weight for rule in indicators.values())
    if not math.isclose(total, TOTAL_WEIGHT, abs_tol=1e-6):
        raise RankingRulesError(
            f"{source}: the weights add up to {total:g}, not {TOTAL_WEIGHT:g}",
            code="city_rules_weights_sum",
            source=source,
            total=f"{total:g}",
        )
    return RankingRules(version.strip(), str(missing), indicators)


def read_rules_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (FileNotFoundError, IsADirectoryError):
        raise RankingRulesError(
            f"{path}: the file does not exist",
            code="city_rules_file_missing",
            source=str(path),
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise RankingRulesError(
            f"{path}: not valid TOML: {exc}",
            code="city_rules_not_toml",
            source=str(path),
            detail=str(exc),
        ) from None


def load_rules(path: str | Path | None = None) -> RankingRules:
    """The rules of ``path``, else of the setting ``SHUIJIAN_CITY_RANKING_WEIGHTS``, else the
    shipped file. A chosen file replaces the shipped one as a whole: the weights must add up
    to 100, which an overlay of a few keys would rarely keep."""
    chosen = Path(path or settings.optional_text("city_ranking_weights") or SHIPPED_RULES)
    return parse_rules(read_rules_file(chosen), str(chosen))


# ------------------------------------------------------------------ scoring (pure)


@dataclass(frozen=True)
class CountyFigures:
    """What was gathered for one county and month: per indicator its value (None: missing)
    and the counts behind it, e.g. ``{"on_time": {"value": 0.8, "sites": 10,
    "sites_on_time": 8}}``."""

    county_id: int
    code: str
    name: str
    inputs: dict[str, dict[str, Any]]

    def value(self, indicator: str) -> float | None:
        raw = self.inputs.get(indicator, {}).get("value")
        return None if raw is None or not _number(raw) else float(raw)


@dataclass(frozen=True)
class IndicatorScore:
    """One indicator of one county: value, normalised (0–100), the weight it counted with
    (re-normalised when another is missing), points; a missing one has no norm."""

    value: float | None
    norm: float | None
    weight: float
    points: float
    missing: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "norm": self.norm,
            "weight": self.weight,
            "points": self.points,
            "missing": self.missing,
        }


@dataclass(frozen=True)
class CountyScore:
    """A county's line of the ranking: indicators with their points, score and rank (None
    when nothing could be scored), and the counts behind the values."""

    county_id: int
    code: str
    name: str
    indicators: dict[str, IndicatorScore]
    inputs: dict[str, dict[str, Any]]
    score: float | None
    rank: int | None


def normalised(value: float, rule: IndicatorRule, best: float | None) -> float:
    """``value`` on the 0–100 scale of ``rule`` (``best``: the month's best value, for
    ``best``), rounded to 0.01."""
    if rule.normalise == "share":
        scaled = min(max(value, 0.0), 1.0) * 100.0
    elif rule.normalise == "target":
        scaled = min(max(value, 0.0) / float(rule.target or 1.0), 1.0) * 100.0
    else:
        scaled = 0.0 if not best or best <= 0 else min(max(value, 0.0) / best, 1.0) * 100.0
    return round(scaled, 2)


def competition_ranks(scores: list[float | None]) -> list[int | None]:
    """1, 2, 2, 4 over the scores given (highest first); None stays unranked."""
    return [
        None if s is None else 1 + sum(1 for other in scores if other is not None and other > s)
        for s in scores
    ]


def score_counties(figures: list[CountyFigures], rules: RankingRules) -> list[CountyScore]:
    """Every county's line, best first (unranked last, then by code)."""
    best = {
        code: max((v for f in figures if (v := f.value(code)) is not None), default=None)
        for code in INDICATORS
    }
    lines: list[tuple[CountyFigures, dict[str, IndicatorScore], float | None]] = []
    for county in figures:
        present = [c for c in INDICATORS if county.value(c) is not None]
        if rules.missing == "renormalise":
            present_weight = sum(rules.indicators[c].weight for c in present)
            scale = TOTAL_WEIGHT / present_weight if present_weight > 0 else 0.0
        else:
            present_weight, scale = sum(r.weight for r in rules.indicators.values()), 1.0
        parts: dict[str, IndicatorScore] = {}
        for code in INDICATORS:
            rule, value = rules.indicators[code], county.value(code)
            if value is None:
                weight = 0.0 if rules.missing == "renormalise" else rule.weight
                parts[code] = IndicatorScore(None, None, weight, 0.0, True)
                continue
            norm = normalised(value, rule, best[code])
            weight = rule.weight * scale
            points = round(weight * norm / 100.0, 2)
            parts[code] = IndicatorScore(value, norm, weight, points, False)
        scored = bool(present) and present_weight > 0
        score = round(sum(p.points for p in parts.values()), 2) if scored else None
        lines.append((county, parts, score))
    ranks = competition_ranks([score for _, _, score in lines])
    out = [
        CountyScore(c.county_id, c.code, c.name, parts, c.inputs, score, rank)
        for (c, parts, score), rank in zip(lines, ranks, strict=True)
    ]
    return sorted(out, key=lambda line: (line.rank is None, line.rank or 0, line.code))


@dataclass(frozen=True)
class Change:
    """A county against the month before: score and rank then, and the differences (None
    where either month has no score). A rank that rose has a negative ``rank_delta``."""

    previous_score: float | None
    previous_rank: int | None
    score_delta: float | None
    rank_delta: int | None


def changes(current: list[CountyScore], previous: list[CountyScore]) -> dict[int, Change]:
    """Each county of ``current`` against its line in ``previous`` (by county id)."""
    before = {line.county_id: line for line in previous}
    out: dict[int, Change] = {}
    for line in current:
        old = before.get(line.county_id)
        old_score = old.score if old else None
        old_rank = old.rank if old else None
        out[line.county_id] = Change(
            old_score,
            old_rank,
            round(line.score - old_score, 2)
            if line.score is not None and old_score is not None
            else None,
            line.rank - old_rank if line.rank is not None and old_rank is not None else None,
        )
    return out


__all__ = [
    "INDICATORS",
    "MISSING_POLICIES",
    "NORMALISATIONS",
    "SHIPPED_RULES",
    "Change",
    "CountyFigures",
    "CountyScore",
    "IndicatorRule",
    "IndicatorScore",
    "RankingRules",
    "RankingRulesError",
    "changes",
    "competition_ranks",
    "load_rules",
    "normalised",
    "parse_rules",
    "read_rules_file",
    "score_counties",
]
