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
from reports.bulletin.fonts import register_pdf_font
from reports.bulletin.text import OPENING, closing_text, opening_text, sections


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
    styles = _pdf_styles()
    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title=data.title,
        author=f"{data.county}人大常委会",
    )
    story: list[object] = [
        Paragraph(data.title, styles["title"]),
        Paragraph(OPENING, styles["plain"]),
        Paragraph(opening_text(data), styles["body"]),
    ]
    for section in sections(data):
        story.append(Paragraph(section.heading, styles["heading"]))
        story.extend(Paragraph(p, styles["body"]) for p in section.paragraphs)
        for caption, rows in section.tables:
            story.append(Paragraph(caption, styles["caption"]))
            story.append(_pdf_table(rows, styles, doc.width))
        story.extend(Paragraph(note, styles["note"]) for note in section.notes)
        if section.image:
            image = Image(str(map_png))
            scale = min(doc.width / image.imageWidth, 16 * cm / image.imageHeight)
            image.drawWidth, image.drawHeight = image.imageWidth * scale, image.imageHeight * scale
            story.append(image)
    story += [
        Spacer(1, 6),
        Paragraph(closing_text(data), styles["body"]),
        Spacer(1, 12),
        Paragraph(f"{data.county}人大常委会", styles["right"]),
        Paragraph(f"{data.issued.year}年{data.issued.month}月{data.issued.day}日", styles["right"]),
    ]
    doc.build(story)
    return path
