"""The bulletin as a Word file (.docx), East Asian fonts named on every run (``w:eastAsia``)."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph as DocxParagraph

from reports.bulletin.data import BulletinData
from reports.bulletin.document import Composed
from reports.bulletin.fonts import DOCX_BODY_FONT, DOCX_HEADING_FONT, DOCX_LATIN_FONT
from reports.bulletin.text import composed


def _set_fonts(
    run_or_style: object, east_asia: str, size: float | None = None, bold: bool = False
) -> None:
    """Latin and East Asian font named explicitly (no theme font), so Word uses it for CJK."""
    font = run_or_style.font  # type: ignore[attr-defined]
    font.name = DOCX_LATIN_FONT
    font.bold = bold
    if size:
        font.size = Pt(size)
    rpr = run_or_style.element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    fonts.set(qn("w:ascii"), DOCX_LATIN_FONT)
    fonts.set(qn("w:hAnsi"), DOCX_LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asia)


def _docx_paragraph(
    doc: Document,
    text_: str,
    *,
    size: float = 14,
    bold: bool = False,
    font: str = DOCX_BODY_FONT,
    align: int | None = None,
    indent: bool = False,
) -> DocxParagraph:
    paragraph = doc.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(size * 2)
    _set_fonts(paragraph.add_run(text_), font, size, bold)
    return paragraph


def _docx_table(doc: Document, rows: list[list[str]]) -> None:
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    # Row by row: table.cell(i, j) rescans the whole table each call (quadratic).
    for i, (row, values) in enumerate(zip(table.rows, rows, strict=True)):
        for cell, value in zip(row.cells, values, strict=True):
            paragraph = cell.paragraphs[0]
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _set_fonts(
                paragraph.add_run(str(value)),
                DOCX_HEADING_FONT if i == 0 else DOCX_BODY_FONT,
                9,
                bold=i == 0,
            )


def write_docx(data: BulletinData, map_png: Path, path: Path) -> Path:
    """The county's monthly bulletin as Word."""
    return render_docx(composed(data, map_png), path)


def render_docx(document: Composed, path: Path) -> Path:
    """Any composed bulletin (the county's, the city's ranking) as a Word file."""
    doc = Document()
    _set_fonts(doc.styles["Normal"], DOCX_BODY_FONT, 14)
    for section in doc.sections:
        section.left_margin = section.right_margin = Cm(2.6)
    _docx_paragraph(
        doc,
        document.title,
        size=20,
        bold=True,
        font=DOCX_HEADING_FONT,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    _docx_paragraph(doc, document.salutation)
    _docx_paragraph(doc, document.opening, indent=True)
    for section in document.sections:
        _docx_paragraph(doc, section.heading, size=15, font=DOCX_HEADING_FONT)
        for paragraph in section.paragraphs:
            _docx_paragraph(doc, paragraph, indent=True)
        for caption, rows in section.tables:
            _docx_paragraph(doc, caption, size=12, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
            _docx_table(doc, rows)
        for note in section.notes:
            _docx_paragraph(doc, note, size=10.5)
        if section.image and document.image is not None:
            doc.add_picture(str(document.image), width=Cm(15))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _docx_paragraph(doc, document.closing, indent=True)
    _docx_paragraph(doc, document.issuer, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _docx_paragraph(doc, document.issued_text, align=WD_ALIGN_PARAGRAPH.RIGHT)
    doc.save(str(path))
    return path
