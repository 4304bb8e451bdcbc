"""The city's ranking in the page's words: one table for the city's page and the public page
(rank, county, score, the change since last month, each indicator's value beside its points
and the weight it counted with), and the rules in sentences. Never the publisher's name."""

from __future__ import annotations

import pandas as pd

from reports.city_ranking import INDICATORS, Change, CountyScore, RankingRules
from ui.i18n import number, percent, t

SHARES = frozenset({"on_time", "handling", "water_quality"})


def value_text(code: str, value: float | None) -> str:
    if value is None:
        return t("city_points_missing")
    if code in SHARES:
        return percent(value, 1)
    return t("city_value_supervision", value=number(value, 2))


def points_text(line: CountyScore, code: str) -> str:
    part = line.indicators[code]
    if part.missing:
        return t("city_points_missing")
    return t("city_points", points=number(part.points, 2), weight=number(part.weight, 2))


def change_text(change: Change | None) -> str:
    if change is None or change.rank_delta is None:
        return "—"
    if change.rank_delta < 0:
        return t("city_rank_up", n=-change.rank_delta)
    if change.rank_delta > 0:
        return t("city_rank_down", n=change.rank_delta)
    return t("city_rank_same")


def ranking_table(
    lines: list[CountyScore], changes: dict[int, Change] | None = None
) -> pd.DataFrame:
    """The ranking as a page shows it, headed in the page's language."""
    rows = []
    for line in lines:
        row = {
            t("city_col_rank"): "—" if line.rank is None else str(line.rank),
            t("city_col_county"): line.name,
            t("city_col_score"): "—" if line.score is None else number(line.score, 2),
        }
        if changes is not None:
            row[t("city_col_change")] = change_text(changes.get(line.county_id))
        for code in INDICATORS:
            name = t(f"city_indicator.{code}")
            row[name] = value_text(code, line.indicators[code].value)
            row[t("city_col_points", name=name)] = points_text(line, code)
        rows.append(row)
    return pd.DataFrame(rows)


def rules_lines(rules: RankingRules) -> list[str]:
    """How the score is made, one sentence per line."""
    parts = [
        t(
            "city_rule_part",
            name=t(f"city_indicator.{code}"),
            weight=number(rule.weight, 0),
            how=t(f"city_normalise.{rule.normalise}", target=number(rule.target or 0, 2)),
        )
        for code, rule in rules.indicators.items()
    ]
    return [
        *parts,
        t(f"city_missing_rule.{rules.missing}"),
        t("city_ties_rule"),
        t("city_version", version=rules.version, digest=rules.digest),
    ]
