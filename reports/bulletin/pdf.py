"""The bulletin as a PDF, with WenQuanYi Zen Hei embedded (reportlab reads the collection's
first face)."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from reports.bulletin.data import BulletinData
from reports.bulletin.document import Composed
from reports.bulletin.fonts import register_pdf_font
from reports.bulletin.text import composed


def _pdf_styles() -> dict[str, ParagraphStyle]:
    font = register_pdf_font()
    base = ParagraphStyle(
        "body", fontName=font, fontSize=10.5, leading=17, wordWrap="CJK", firstLineIndent=21
    )
    return {
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontSize=17,
            leading=26,
            alignment=TA_CENTER,
            firstLineIndent=0,
            spaceAfter=12,
        ),
        "heading": ParagraphStyle(
            "heading",
            parent=base,
            fontSize=13,
            leading=20,
            firstLineIndent=0,
            spaceBefore=8,
            spaceAfter=4,
        ),
        "caption": ParagraphStyle(
            "caption",
            parent=base,
            fontSize=10,
            alignment=TA_CENTER,
            firstLineIndent=0,
            spaceBefore=4,
            spaceAfter=2,
        ),
        "plain": ParagraphStyle("plain", parent=base, firstLineIndent=0),
        "note": ParagraphStyle(
            "note", parent=base, fontSize=8.5, leading=13, firstLineIndent=0, spaceBefore=2
        ),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT, firstLineIndent=0),
        "body": base,
        "cell": ParagraphStyle(
            "cell", fontName=font, fontSize=7.5, leading=10, wordWrap="CJK", alignment=TA_CENTER
        ),
    }


def _pdf_table(rows: list[list[str]], styles: dict[str, ParagraphStyle], width: float) -> Table:
    cells = [[Paragraph(str(v), styles["cell"]) for v in row] for row in rows]
    table = Table(cells, colWidths=[width / len(rows[0])] * len(rows[0]), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def write_pdf(data: BulletinData, map_png: Path, path: Path) -> Path:
    """The county's monthly bulletin as PDF."""
    return render_pdf(composed(data, map_png), path)


def render_pdf(document: Composed, path: Path) -> Path:
    """Any composed bulletin (the county's, the city's ranking) as a PDF."""
    styles = _pdf_styles()
    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title=document.title,
        author=document.issuer,
    )
    story: list[object] = [
        Paragraph(document.title, styles["title"]),
        Paragraph(document.salutation, styles["plain"]),
        Paragraph(document.opening, styles["body"]),
    ]
    for section in document.sections:
        story.append(Paragraph(section.heading, styles["heading"]))
        story.extend(Paragraph(p, styles["body"]) for p in section.paragraphs)
        for caption, rows in section.tables:
            story.append(Paragraph(caption, styles["caption"]))
            story.append(_pdf_table(rows, styles, doc.width))
        story.extend(Paragraph(note, styles["note"]) for note in section.notes)
        if section.image and document.image is not None:
            image = Image(str(document.image))
            scale = min(doc.width / image.imageWidth, 16 * cm / image.imageHeight)
            image.drawWidth, image.drawHeight = image.imageWidth * scale, image.imageHeight * scale
            story.append(image)
    story += [
        Spacer(1, 6),
        Paragraph(document.closing, styles["body"]),
        Spacer(1, 12),
        Paragraph(document.issuer, styles["right"]),
        Paragraph(document.issued_text, styles["right"]),
    ]
    doc.build(story)
    return path
