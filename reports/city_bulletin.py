"""一月一通报: the city's bulletin of its counties' monthly ranking, as Word, PDF or Excel.

Gathered once (``city_bulletin_data``) and written by the county bulletin's own machinery
(``reports.bulletin``: the composed document, the Word and PDF writers with their fonts, the
workbook writer, the map): the ranking table with each county's score and its change since
last month, each county's indicators with their points and weights, the changes, a map of the
counties coloured by score, and the scoring rules. A published month is written exactly as
published (``city_ranking`` rows); a month not yet published is a draft and says so in its
title. Last month is compared as published when it was, else as drafted now (said beneath
the table). The bulletin is published in Chinese: its words come from the catalogue's
Chinese side.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
from sqlalchemy import Engine

import i18n
from accounts.audit import Actor, authorize
from core import clock, settings
from db import scope
from db.database import session_scope
from db.query import read_geoframe
from reports.bulletin.document import Composed, Section
from reports.bulletin.excel import write_sheets
from reports.bulletin.map import Scale, draw_choropleth
from reports.bulletin.pdf import render_pdf
from reports.bulletin.word import render_docx
from reports.city_ranking import INDICATORS, Change, CountyScore, RankingRules, changes
from reports.city_ranking_service import (
    CityRankingRefused,
    Ranking,
    month_ranking,
    previous_ranking,
)

FORMATS: tuple[str, ...] = ("docx", "pdf", "xlsx")
SHARES = frozenset({"on_time", "handling", "water_quality"})  # values that are shares (0–1)
NONE = "–"


def zh(key: str, **params: object) -> str:
    return i18n.text(key, "zh", **params)


@dataclass(frozen=True)
class CityBulletinData:
    """Everything the city's bulletin says, gathered once."""

    city: str
    ranking: Ranking
    previous: Ranking
    changes: dict[int, Change]
    shapes: gpd.GeoDataFrame  # county_id, name, geom
    issued: date

    @property
    def published(self) -> bool:
        return self.ranking.publication is not None

    @property
    def title(self) -> str:
        r = self.ranking
        draft = "" if self.published else "（草稿）"
        return (
            f"{self.city}人大常委会关于{r.year}年{r.month}月各县（市、区）"
            f"水环境监督工作排名情况的通报{draft}"
        )


def city_bulletin_data(
    engine: Engine, actor: Actor, year: int, month: int, rules: RankingRules | None = None
) -> CityBulletinData:
    """The month's ranking (as published, else drafted now), last month's, the changes and
    the counties' outlines."""
    authorize(actor, "build_city_bulletin")
    ranking = month_ranking(engine, actor, year, month, rules)
    previous = previous_ranking(engine, actor, year, month, rules)
    with scope.within(scope.ALL), session_scope(engine) as session:
        shapes = read_geoframe(session, "SELECT id AS county_id, name, geom FROM county")
    issued = (
        clock.local_date(ranking.publication.published_at)
        if ranking.publication is not None
        else clock.today()
    )
    return CityBulletinData(
        city=settings.text("city_name"),
        ranking=ranking,
        previous=previous,
        changes=changes(ranking.lines, previous.lines),
        shapes=shapes,
        issued=issued,
    )


# ------------------------------------------------------------------ words and tables


def indicator_name(code: str) -> str:
    return zh(f"city_indicator.{code}")


def value_text(code: str, value: float | None) -> str:
    """An indicator's value as the bulletin writes it (shares as percentages)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NONE
    if code in SHARES:
        return f"{value:.1%}"
    return zh("city_value_supervision", value=f"{value:.2f}")


def score_text(value: float | None) -> str:
    return NONE if value is None else f"{value:.2f}"


def rank_text(rank: int | None) -> str:
    return NONE if rank is None else str(rank)


def rank_change_text(change: Change | None) -> str:
    """↑2 (rose two places), ↓1, 持平, – (no rank either month)."""
    if change is None or change.rank_delta is None:
        return NONE
    if change.rank_delta < 0:
        return f"↑{-change.rank_delta}"
    if change.rank_delta > 0:
        return f"↓{change.rank_delta}"
    return "持平"


def score_change_text(change: Change | None) -> str:
    if change is None or change.score_delta is None:
        return NONE
    return f"{change.score_delta:+.2f}"


RANKING_HEADER = [
    "排名",
    "县（市、区）",
    "综合得分",
    "上月排名",
    "排名变化",
    "上月得分",
    "得分变化",
]


def ranking_rows(data: CityBulletinData) -> list[list[str]]:
    rows = [RANKING_HEADER]
    for line in data.ranking.lines:
        change = data.changes.get(line.county_id)
        rows.append(
            [
                rank_text(line.rank),
                line.name,
                score_text(line.score),
                rank_text(change.previous_rank if change else None),
                rank_change_text(change),
                score_text(change.previous_score if change else None),
                score_change_text(change),
            ]
        )
    return rows


def points_text(line: CountyScore, code: str) -> str:
    """Points with the weight they counted with: 32.00（40）; a missing indicator says so."""
    part = line.indicators[code]
    if part.missing:
        return "缺项" if part.weight == 0 else f"0.00（{part.weight:g}，缺项）"
    return f"{part.points:.2f}（{part.weight:.4g}）"


def indicator_rows(data: CityBulletinData) -> list[list[str]]:
    header = ["县（市、区）"]
    for code in INDICATORS:
        header += [indicator_name(code), "得分（权重）"]
    rows = [[*header, "综合得分"]]
    for line in data.ranking.lines:
        row = [line.name]
        for code in INDICATORS:
            row += [value_text(code, line.indicators[code].value), points_text(line, code)]
        rows.append([*row, score_text(line.score)])
    return rows


def rules_paragraphs(rules: RankingRules) -> list[str]:
    """How the score is made, in words: weights, normalisation, the missing rule, ties."""
    parts = []
    for code, rule in rules.indicators.items():
        how = zh(f"city_normalise.{rule.normalise}", target=f"{rule.target or 0:g}")
        parts.append(f"{indicator_name(code)}权重{rule.weight:g}分（{how}）")
    return [
        "综合得分满分100分：" + "；".join(parts) + "。",
        zh(f"city_missing_rule.{rules.missing}"),
        zh("city_ties_rule"),
        f"评分规则版本：{rules.version}（{rules.digest}）。",
    ]


def source_text(data: CityBulletinData) -> str:
    previous = data.previous
    label = f"{previous.year}年{previous.month}月"
    if previous.publication is not None:
        return f"上月比较对象为{label}已发布的排名。"
    return f"{label}排名未发布，上月比较对象为按现有数据计算的排名。"


def composed(data: CityBulletinData, map_png: Path | None) -> Composed:
    r = data.ranking
    ranked = [line for line in r.lines if line.rank is not None]
    first = [line.name for line in ranked if line.rank == 1]
    overview = (
        f"本月参加排名的县（市、区）{len(r.lines)}个，"
        + (f"{'、'.join(first)}排名第一（{score_text(ranked[0].score)}分）。" if ranked else "")
        + (
            f"{len(r.lines) - len(ranked)}个县（市、区）无可计分指标，暂不排名。"
            if len(ranked) < len(r.lines)
            else ""
        )
        + "得分相同的并列同一名次，其后名次顺延。"
    )
    if r.publication is not None:
        published = f"本排名于{clock.local_date(r.publication.published_at):%Y年%m月%d日}发布"
        if r.publication.supersedes_id is not None:
            published += "（更正发布，替代此前发布的排名）"
        overview += published + "。"
    else:
        overview += "本排名尚未发布，仅供审核。"
    return Composed(
        title=data.title,
        salutation="各县（市、区）人大常委会：",
        opening=(
            "根据“一月一督查、一月一排名、一月一通报”工作要求，现将"
            f"{r.year}年{r.month}月各县（市、区）水环境监督工作排名情况通报如下："
        ),
        sections=[
            Section("一、排名情况", [overview], [("综合排名", ranking_rows(data))]),
            Section(
                "二、各项指标得分",
                ["各项指标按评分规则折算为0～100分后乘以权重计分；括号内为计分权重。"],
                [("分项指标", indicator_rows(data))],
            ),
            Section("三、与上月比较", [source_text(data), *movement_paragraphs(data)]),
            Section(
                "四、排名分布图",
                ["下图按综合得分显示各县（市、区），灰色为本月无可计分指标。"],
                image=map_png is not None,
            ),
            Section("五、评分办法", rules_paragraphs(r.rules)),
        ],
        closing=(
            "请各县（市、区）对照排名查找差距、补齐短板，排名靠后的要深入分析原因、"
            "限期整改，持续提升水环境监督工作实效。"
        ),
        issuer=f"{data.city}人大常委会",
        issued=data.issued,
        image=map_png,
    )


def movement_paragraphs(data: CityBulletinData) -> list[str]:
    """Who rose, who fell, in one sentence each."""
    rose, fell = [], []
    for line in data.ranking.lines:
        change = data.changes.get(line.county_id)
        if change is None or change.rank_delta is None or change.rank_delta == 0:
            continue
        (rose if change.rank_delta < 0 else fell).append(
            f"{line.name}（{rank_change_text(change)}）"
        )
    out = []
    if rose:
        out.append("排名上升：" + "、".join(rose) + "。")
    if fell:
        out.append("排名下降：" + "、".join(fell) + "。")
    return out or ["各县（市、区）排名与上月相同或上月无排名。"]


# ------------------------------------------------------------------ files


def draw_city_map(data: CityBulletinData, path: Path) -> Path:
    """The counties coloured by their score (0–100), each named with its rank."""
    lines = {line.county_id: line for line in data.ranking.lines}
    shapes = data.shapes.copy()
    shapes["score"] = [
        lines[c].score if c in lines and lines[c].score is not None else float("nan")
        for c in shapes["county_id"]
    ]
    shapes["label"] = [
        f"{name}\n第{lines[c].rank}名" if c in lines and lines[c].rank else str(name)
        for c, name in zip(shapes["county_id"], shapes["name"], strict=True)
    ]
    ticks = [0.0, 25.0, 50.0, 75.0, 100.0]
    return draw_choropleth(
        gpd.GeoDataFrame(shapes, geometry="geom", crs=data.shapes.crs),
        "score",
        Scale(0.0, 100.0, "综合得分", ticks, [f"{t:g}" for t in ticks]),
        f"{data.city}{data.ranking.year}年{data.ranking.month}月各县（市、区）综合得分",
        path,
        empty_label="无可计分指标",
        lines=((data.shapes, "black", 0.8),),
        labels="label",
        legend_below=True,
    )


def workbook_sheets(data: CityBulletinData) -> dict[str, pd.DataFrame]:
    """The tables in full, headed in Chinese: ranking, indicators with their counts and
    points, the rules, and the publication."""
    ranking = ranking_rows(data)
    indicator_rows_: list[dict[str, object]] = []
    for line in data.ranking.lines:
        row: dict[str, object] = {"县（市、区）": line.name, "代码": line.code}
        for code in INDICATORS:
            name, part = indicator_name(code), line.indicators[code]
            row[name] = value_text(code, part.value)
            for key, count in line.inputs.get(code, {}).items():
                if key != "value":
                    row[f"{name}·{zh(f'city_count.{key}')}"] = count
            row[f"{name}·折算分"] = NONE if part.norm is None else part.norm
            row[f"{name}·权重"] = round(part.weight, 4)
            row[f"{name}·得分"] = part.points
            row[f"{name}·缺项"] = "是" if part.missing else "否"
        row["综合得分"] = score_text(line.score)
        row["排名"] = rank_text(line.rank)
        indicator_rows_.append(row)
    rules = data.ranking.rules
    weights = pd.DataFrame(
        [
            (
                indicator_name(code),
                code,
                rule.weight,
                zh(f"city_normalise.{rule.normalise}", target=f"{rule.target or 0:g}"),
            )
            for code, rule in rules.indicators.items()
        ],
        columns=["指标", "键", "权重", "折算方法"],
    )
    publication = data.ranking.publication
    facts = [
        ("月份", f"{data.ranking.year}年{data.ranking.month}月"),
        ("状态", "已发布" if publication else "草稿（未发布）"),
        ("统计截至", f"{data.ranking.as_of:%Y-%m-%d}（不含当日）"),
        ("评分规则版本", f"{rules.version}（{rules.digest}）"),
        ("缺项处理", zh(f"city_missing_rule.{rules.missing}")),
    ]
    if publication is not None:
        facts.append(("发布日期", f"{clock.local_date(publication.published_at):%Y-%m-%d}"))
        if publication.supersedes_id is not None:
            facts.append(("更正说明", publication.reason or ""))
    return {
        "排名": pd.DataFrame(ranking[1:], columns=ranking[0]),
        "分项指标": pd.DataFrame(indicator_rows_),
        "评分规则": weights,
        "说明": pd.DataFrame(facts, columns=["项目", "内容"]),
    }


def check_format(fmt: str) -> str:
    """One of FORMATS, else refused by name."""
    if fmt not in FORMATS:
        raise CityRankingRefused(
            f"format {fmt!r}: choose one of {', '.join(FORMATS)}",
            code="city_bulletin_format_unknown",
            value=fmt,
            known=", ".join(FORMATS),
        )
    return fmt


def write_city_bulletin(data: CityBulletinData, fmt: str, path: Path) -> Path:
    """One file of the bulletin in ``fmt`` (docx, pdf, xlsx) at ``path``."""
    check_format(fmt)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        return write_sheets(workbook_sheets(data), {"排名": [source_text(data)]}, path)
    with tempfile.TemporaryDirectory(prefix="shuijian-city-map-") as folder:
        map_png = draw_city_map(data, Path(folder) / "map.png")
        document = composed(data, map_png)
        return render_docx(document, path) if fmt == "docx" else render_pdf(document, path)


def build_city_bulletin(
    engine: Engine, actor: Actor, year: int, month: int, fmt: str, path: Path
) -> Path:
    """Gather the month and write the bulletin file (``build_city_bulletin`` in the
    permission table; the command line is the shell's operator)."""
    check_format(fmt)  # before the gathering, which takes a while
    return write_city_bulletin(city_bulletin_data(engine, actor, year, month), fmt, path)


__all__ = [
    "FORMATS",
    "CityBulletinData",
    "build_city_bulletin",
    "check_format",
    "city_bulletin_data",
    "composed",
    "draw_city_map",
    "workbook_sheets",
    "write_city_bulletin",
]
