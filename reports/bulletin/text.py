"""The bulletin's text, composed once (sections of paragraphs and tables) for Word and PDF."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import i18n
from duty.coverage import month_bounds
from reports.bulletin.data import BulletinData, percent
from reports.bulletin.document import Composed, Section
from reports.evaluation import (
    formula_params,
)

TOP_N = 10
OVERDUE_ROWS = 20  # overdue sites listed in the text; the workbook holds them all


def _deputy_rows(frame: pd.DataFrame) -> list[list[str]]:
    header = [
        "全县排名",
        "代表",
        "乡镇（街道）",
        "联系点位",
        "按期巡查率",
        "有效巡查",
        "问题确认",
        "异常轨迹",
        "综合得分",
    ]
    rows = [header]
    for _, r in frame.iterrows():
        rows.append(
            [
                str(r["rank_county"]),
                str(r["deputy_name"]),
                str(r["township"]),
                str(r["assigned_sites"]),
                percent(float(r["on_time_share"])),
                str(r["visits"]),
                str(r["problems_confirmed"]),
                str(r["flagged_tracks"]),
                f"{r['score']:.2f}",
            ]
        )
    return rows


def _township_rows(frame: pd.DataFrame) -> list[list[str]]:
    rows = [
        [
            "排名",
            "乡镇（街道）",
            "代表人数",
            "联系点位",
            "按期巡查点位",
            "按期巡查率",
            "有效巡查",
            "问题确认",
            "平均得分",
        ]
    ]
    for _, r in frame.iterrows():
        rows.append(
            [
                str(r["rank"]),
                str(r["township"]),
                str(r["deputies"]),
                str(r["assigned_sites"]),
                str(r["sites_on_time"]),
                percent(float(r["on_time_share"])),
                str(r["visits"]),
                str(r["problems_confirmed"]),
                f"{r['mean_score']:.2f}",
            ]
        )
    return rows


# The ticket figures' definitions (tickets.figures), as the catalogue words them: the
# bulletin prints each rate with its definition beneath it.
TICKET_NOTES = (
    "figure_def_dispatched_handling",
    "figure_def_platform_handling",
    "figure_def_on_time",
    "figure_def_closing",
)
TOTAL_ROW = "全部交办"


def ticket_notes() -> list[str]:
    """The footnotes under the ticket figures, numbered: one definition per rate shown."""
    return [f"注{i}：{i18n.text(key, 'zh')}" for i, key in enumerate(TICKET_NOTES, 1)]


def platform_rows(frame: pd.DataFrame, whole: pd.Series) -> list[list[str]]:
    """Per platform (its 处置率 is the 平台处置率), then all dispatched tickets (交办处置率)."""
    counts = ("dispatched", "handled", "on_time", "closed")
    rows = [["平台", "交办", "已处置", "按期处置", "办结", "处置率", "办结率"]]
    for name, r in [*((str(r["key"]), r) for _, r in frame.iterrows()), (TOTAL_ROW, whole)]:
        rates = (percent(float(r["handling_rate"])), percent(float(r["closing_rate"])))
        rows.append([name, *(str(int(r[c])) for c in counts), *rates])
    return rows


def _public_reports_text(counts: dict[str, int]) -> str:
    """有奖举报 of the month, apart from the deputies' reports (their tickets are counted
    above with every dispatched ticket, never as a deputy's)."""
    return (
        f"本月收到群众有奖举报{counts.get('total', 0)}件，受理交办{counts.get('accepted', 0)}件，"
        f"不予受理{counts.get('rejected', 0)}件，待审核{counts.get('pending', 0)}件；"
        "群众举报不计入代表反映问题。"
    )


def sections(data: BulletinData, top_n: int = TOP_N) -> list[Section]:
    """The bulletin's body as sections, shared by the Word and the PDF writer."""
    ev = data.evaluation
    summary = dict(zip(data.summary["指标"], data.summary["数值"], strict=True))
    intro = Section(
        "一、总体情况",
        [
            f"{data.year}年{data.month}月，全县{summary['参评代表（名）']}名人大代表联系"
            f"{summary['联系点位（处）']}处水环境监督点位，其中{summary['按期巡查点位（处）']}处"
            f"按期完成巡查，按期巡查率{summary['按期巡查率']}；经轨迹核验的有效巡查"
            f"{summary['有效巡查（次）']}次。代表反映问题{summary['代表反映问题（件）']}件，"
            f"经平台办理反馈确认{summary['问题确认（件）']}件。本月交办问题"
            f"{summary['交办问题（件）']}件，已处置{summary['已处置（件）']}件，"
            f"交办处置率{summary['交办处置率']}；办结{summary['办结（件）']}件，"
            f"办结率{summary['办结率']}（口径见第五部分注）。"
        ],
        [("主要指标", [["指标", "数值"], *data.summary.values.tolist()])],
    )
    towns = Section(
        "二、各乡镇（街道）履职情况",
        ["按代表平均得分排名，按期巡查率按点位数重新计算。"],
        [("乡镇（街道）排名", _township_rows(data.townships))],
    )
    ranking = Section("三、代表履职排名", [], [(f"得分前{top_n}名", _deputy_rows(ev.head(top_n)))])
    if len(ev) > top_n:
        ranking.tables.append((f"得分后{top_n}名", _deputy_rows(ev.tail(top_n))))
    overdue = data.overdue_sites
    shown = overdue.head(OVERDUE_ROWS)
    overdue_section = Section(
        "四、逾期未巡查点位",
        [
            f"截至{min(month_bounds(data.year, data.month)[1], data.as_of):%Y年%m月%d日}，"
            f"共有{len(overdue)}处点位超过巡查期限未巡查"
            + (
                f"，以下列出逾期最久的{len(shown)}处，完整清单见附表。"
                if len(overdue) > len(shown)
                else "。"
            )
        ],
        [("逾期点位", [list(overdue.columns), *shown.astype(str).values.tolist()])]
        if len(shown)
        else [],
    )
    whole = data.ticket_county
    problems = Section(
        "五、问题交办与处置情况",
        [
            f"本月交办{int(whole['dispatched'])}件，已处置{int(whole['handled'])}件，"
            f"交办处置率{percent(float(whole['handling_rate']))}；办结{int(whole['closed'])}件，"
            f"办结率{percent(float(whole['closing_rate']))}；截至"
            f"{data.as_of:%Y年%m月%d日}超期未反馈{data.overdue_ticket_count}件。"
            f"各平台的处置率为平台处置率，“{TOTAL_ROW}”一行为交办处置率。",
            _public_reports_text(data.public_reports),
        ],
        [("各平台处置情况", platform_rows(data.ticket_platforms, whole))],
        notes=ticket_notes(),
    )
    coverage = Section(
        "七、巡查覆盖情况", ["下图按小网格显示本月按期巡查率，灰色为无监督点位的网格。"], image=True
    )
    method = Section(
        "九、评分办法", [i18n.text("evaluation_formula_text", "zh", **formula_params(data.weights))]
    )
    return [
        intro,
        towns,
        ranking,
        overdue_section,
        problems,
        register_section(data),
        coverage,
        supervision_section(data),
        method,
    ]


REGISTER_ROWS = 20  # registrations listed in the text; the workbook holds them all


def register_section(data: BulletinData) -> Section:
    """六、问题挂号销号情况: how many sites are registered at the month's end, how many were
    registered and cancelled in it, and the list (open ones first)."""
    counts = data.register_counts
    ref = min(month_bounds(data.year, data.month)[1], data.as_of)
    shown = data.register.head(REGISTER_ROWS)
    more = f"以下列出{len(shown)}处，完整清单见附表。" if len(data.register) > len(shown) else ""
    return Section(
        "六、问题挂号销号情况",
        [
            f"截至{ref:%Y年%m月%d日}，全县挂号中的问题点位{counts['open']}处；本月新挂号"
            f"{counts['opened']}处，销号{counts['cancelled']}处。平台承办（确认）问题即挂号，"
            f"此后连续{counts['k']}次巡查或复查无问题方可销号。{more}"
        ],
        [("挂号销号台账", [list(data.register.columns), *shown.astype(str).values.tolist()])]
        if len(shown)
        else [],
    )


SUPERVISION_HEADER = ["乡镇（街道）", "督查组", "督查次数", "现场签到", "轨迹", "督查发现"]
FINDINGS_SHOWN = 120  # characters of a township's findings in the text; the workbook has all


def supervision_rows(frame: pd.DataFrame) -> list[list[str]]:
    """Per township: its groups, visits (check-ins, tracks) and findings, header first."""
    rows = [SUPERVISION_HEADER]
    for _, r in frame.iterrows():
        rows.append(
            [
                str(r["township"]),
                str(r["groups"]) or "—",
                str(int(r["visits"])),
                str(int(r["checkins"])),
                str(int(r["tracks"])),
                str(int(r["findings"])),
            ]
        )
    return rows


def supervision_section(data: BulletinData) -> Section:
    """八、督查组督查情况: how often the groups led by the Standing Committee's leaders went to
    each township this month, and what they found."""
    frame = data.supervision
    if frame.empty:
        return Section("八、督查组督查情况", ["本月无督查组督查记录。"])
    visited = frame[frame["visits"] > 0]
    paragraphs = [
        f"本月各督查组共督查{int(frame['visits'].sum())}次（现场签到{int(frame['checkins'].sum())}"
        f"次、轨迹记录{int(frame['tracks'].sum())}次），覆盖{len(visited)}个乡镇（街道），"
        f"发现问题{int(frame['findings'].sum())}条。"
    ]
    for _, r in visited.iterrows():
        if r["finding_text"]:
            text = str(r["finding_text"])
            cut = text if len(text) <= FINDINGS_SHOWN else text[:FINDINGS_SHOWN] + "……"
            paragraphs.append(f"{r['township']}：{cut}")
    return Section(
        "八、督查组督查情况", paragraphs, [("各乡镇（街道）督查情况", supervision_rows(frame))]
    )


OPENING = "各乡镇（街道）人大主席团（工委），各位人大代表："


def opening_text(data: BulletinData) -> str:
    return (
        f"为推动人大代表依法履行水环境监督职责，现将{data.year}年{data.month}月全县人大代表"
        "水环境监督履职情况通报如下："
    )


def closing_text(data: BulletinData) -> str:
    return (
        "请各乡镇（街道）对照通报，督促得分靠后、存在逾期点位的代表及时补巡，"
        "对已交办问题跟踪问效，确保水环境监督全覆盖、无死角。"
    )


def composed(data: BulletinData, map_png: Path) -> Composed:
    """The county's monthly bulletin as a document, for the Word and the PDF writer."""
    return Composed(
        title=data.title,
        salutation=OPENING,
        opening=opening_text(data),
        sections=sections(data),
        closing=closing_text(data),
        issuer=f"{data.county}人大常委会",
        issued=data.issued,
        image=map_png,
    )
