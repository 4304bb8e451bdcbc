"""The due list as an Excel workbook, the form in which township offices pass it around.

Labels in Chinese by default (English on request), dates as real Excel dates (so the sheet
sorts and filters by them), the header row frozen, columns wide enough for their content.
"""

from __future__ import annotations

from datetime import date
from os import PathLike
from typing import IO

import pandas as pd
from openpyxl.utils import get_column_letter

import i18n

DATE_FORMAT = "yyyy-mm-dd"
# Each column's header: the same catalogue words the due page heads its table with, so the
# sheet a township office receives says 点位 / 类型 / 类别 as the screen does.
HEADERS: dict[str, str] = {
    "deputy_name": "col_deputy",
    "township": "col_township",
    "site_name": "col_site",
    "kind": "col_kind",
    "site_class": "col_class",
    "last_visit": "col_last_visit",
    "deadline": "col_deadline",
    "status": "col_status",
    "days_left": "col_days_left",
}


def _dates(column: pd.Series) -> list[date | None]:
    """Datetime64 → date objects (None for NaT), which openpyxl writes as dates without time."""
    stamps = pd.to_datetime(column)
    return [None if pd.isna(value) else value.date() for value in stamps]


def _width(value: object) -> int:
    """Display width: CJK characters take two columns."""
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def due_list_to_excel(
    df: pd.DataFrame, path_or_buffer: str | PathLike[str] | IO[bytes], lang: str = "zh"
) -> None:
    """Write ``duty.due.due_list``'s frame as an .xlsx sheet with labelled columns."""
    headers = {column: i18n.text(key, lang) for column, key in HEADERS.items()}
    sheet = pd.DataFrame(
        {
            "deputy_name": df["deputy_name"].astype(object).to_numpy(),
            "township": df["township"].astype(object).to_numpy(),
            "site_name": df["site_name"].astype(object).to_numpy(),
            "kind": [i18n.label("site_kind", k, lang) for k in df["kind"]],
            "site_class": [i18n.label("site_class", int(c), lang) for c in df["site_class"]],
            "last_visit": _dates(df["last_visit"]),
            "deadline": _dates(df["deadline"]),
            "status": [i18n.label("site_status", s, lang) for s in df["status"]],
            "days_left": df["days_left"].astype("int64").to_numpy(),
        }
    ).rename(columns=headers)
    name = i18n.text("due_sheet.name", lang)
    with pd.ExcelWriter(path_or_buffer, engine="openpyxl", date_format=DATE_FORMAT) as writer:
        sheet.to_excel(writer, sheet_name=name, index=False)
        worksheet = writer.sheets[name]
        worksheet.freeze_panes = "A2"
        for position, column in enumerate(sheet.columns, start=1):
            widest = max([_width(column), *(_width(v) for v in sheet[column])])
            letter = get_column_letter(position)
            worksheet.column_dimensions[letter].width = min(max(widest + 2, 8), 60)
            if column in (headers["last_visit"], headers["deadline"]):
                for cell in worksheet[letter][1:]:
                    cell.number_format = DATE_FORMAT


__all__ = ["HEADERS", "due_list_to_excel"]
