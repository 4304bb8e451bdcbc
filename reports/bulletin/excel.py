"""The bulletin's workbook (.xlsx): every table in full, the weights beside the scores."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import i18n
from reports.bulletin.data import BulletinData
from reports.bulletin.text import platform_rows, supervision_rows, ticket_notes
from reports.evaluation import COMPONENTS

COMPONENT_ZH = {
    "on_time_share": "按期巡查率",
    "visits": "有效巡查次数",
    "records": "完整巡查记录率",
    "problems": "问题确认数",
    "reinspections": "按时复查率",
}


def _headed(frame: pd.DataFrame) -> pd.DataFrame:
    """The bulletin is published in Chinese: its tables are headed from the catalogue."""
    return i18n.headed(frame, "evaluation_column", "zh", {"level": "deputy_level"})


def workbook_sheets(data: BulletinData) -> dict[str, pd.DataFrame]:
    """The underlying tables, one sheet each, headed in Chinese."""
    weights = pd.DataFrame(
        [(COMPONENT_ZH[c], c, data.weights.weight(c)) for c in COMPONENTS]
        + [
            ("每处点位计分巡查次数上限", "visits_cap_per_site", data.weights.visits_cap_per_site),
            ("计分问题确认数上限", "problems_cap", data.weights.problems_cap),
            ("复查时限（工作日）", "reinspect_workdays", data.weights.reinspect_workdays),
            ("每条异常轨迹扣分", "flagged_per_track", data.weights.flagged_per_track),
            ("异常轨迹扣分上限", "flagged_cap", data.weights.flagged_cap),
        ],
        columns=["项目", "键", "数值"],
    )
    platforms = pd.DataFrame(
        platform_rows(data.ticket_platforms, data.ticket_county)[1:],
        columns=platform_rows(data.ticket_platforms, data.ticket_county)[0],
    )
    supervision = pd.DataFrame(columns=supervision_rows(data.supervision)[0])
    if not data.supervision.empty:
        rows = supervision_rows(data.supervision)
        supervision = pd.DataFrame(rows[1:], columns=rows[0])
        supervision["督查发现内容"] = data.supervision["finding_text"].to_list()
    return {
        "汇总": data.summary,
        "代表评价": _headed(data.evaluation),
        "乡镇排名": _headed(data.townships),
        "逾期点位": data.overdue_sites,
        "问题处置": platforms,
        "挂号销号": data.register,
        "督查情况": supervision,
        "评分权重": weights,
    }


def workbook_notes() -> dict[str, list[str]]:
    """Footnotes written under a sheet's table: the ticket figures' definitions, wherever a
    sheet shows one of those rates."""
    notes = ticket_notes()
    return {"汇总": notes, "问题处置": notes}


def write_xlsx(data: BulletinData, path: Path) -> Path:
    return write_sheets(workbook_sheets(data), workbook_notes(), path)


def write_sheets(sheets: dict[str, pd.DataFrame], notes: dict[str, list[str]], path: Path) -> Path:
    """One sheet per table, columns as wide as their text, a sheet's footnotes under it."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            for column in sheet.columns:
                letter = column[0].column_letter
                sheet.column_dimensions[letter].width = max(
                    10, min(40, max(len(str(c.value or "")) for c in column) * 2)
                )
            # After the widths, so a long footnote does not widen its column.
            for offset, note in enumerate(notes.get(name, ())):
                sheet.cell(row=len(frame) + 3 + offset, column=1, value=note)
    return path
