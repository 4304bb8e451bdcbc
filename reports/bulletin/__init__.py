"""The monthly bulletin (通报): one set of figures, written as .docx, .pdf, .xlsx and a map.

All four files are made from one `BulletinData` (``data.py``), gathered once; ``text.py``
composes the sections, ``word.py``, ``pdf.py``, ``excel.py`` and ``map.py`` write them. The
evaluation itself is `reports.evaluation`; the handling rate is `tickets.figures.ticket_rates`;
overdue sites are `duty.due.due_list`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from accounts.auth import SignedIn
from accounts.permissions import require
from reports.bulletin.data import BulletinData, bulletin_data
from reports.bulletin.excel import workbook_sheets, write_xlsx
from reports.bulletin.fonts import font_path
from reports.bulletin.map import draw_map
from reports.bulletin.pdf import write_pdf
from reports.bulletin.text import sections
from reports.bulletin.word import write_docx
from reports.evaluation import Weights


@dataclass(frozen=True)
class BulletinFiles:
    docx: Path
    pdf: Path
    xlsx: Path
    map_png: Path


def build_bulletin(
    session: Session,
    year: int,
    month: int,
    out_dir: str | Path,
    as_of: date | None = None,
    weights: Weights | None = None,
    user: SignedIn | None = None,
) -> BulletinFiles:
    """Write 通报-YYYY-MM .docx, .pdf, .xlsx and the map .png into ``out_dir`` (created).
    ``user`` is who asked on a page (``build_bulletin`` in the permission table); None is
    the command line."""
    if user is not None:
        require(user, "build_bulletin")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = bulletin_data(session, year, month, as_of, weights)
    stem = f"通报-{year}-{month:02d}"
    map_png = draw_map(data, out / f"{stem}-覆盖图.png")
    return BulletinFiles(
        docx=write_docx(data, map_png, out / f"{stem}.docx"),
        pdf=write_pdf(data, map_png, out / f"{stem}.pdf"),
        xlsx=write_xlsx(data, out / f"{stem}.xlsx"),
        map_png=map_png,
    )


__all__ = [
    "BulletinData",
    "BulletinFiles",
    "build_bulletin",
    "bulletin_data",
    "draw_map",
    "font_path",
    "sections",
    "workbook_sheets",
    "write_docx",
    "write_pdf",
    "write_xlsx",
]
