"""The monthly bulletin (通报): one set of figures, written as .docx, .pdf, .xlsx and a map.

All four files are made from one `BulletinData`, gathered once, so the Word text, the PDF, the
workbook and the map can never disagree. The evaluation itself is `reports.evaluation`; the
handling rate is `tickets.service.ticket_rates`; overdue sites are `duty.due.due_list`.

Chinese text must never turn into tofu (□): the PDF embeds WenQuanYi Zen Hei (a TrueType
collection; reportlab reads its first face), the map draws its labels with the same file, and
the Word file names East Asian fonts on every run (``w:eastAsia``), which Word uses for CJK.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph as DocxParagraph
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import text
from sqlalchemy.orm import Session

from accounts.auth import SignedIn
from accounts.permissions import require
from core import clock
from core.errors import ConfigurationError
from db.query import read_geoframe
from duty.coverage import cell_coverage, load_cells, month_bounds, site_period_status
from duty.due import due_list
from geo import crs
from reports.evaluation import (
    COMPONENTS,
    Weights,
    evaluate_month,
    formula_text,
    labelled,
    load_weights,
    month_after,
    township_ranking,
)
from tickets.service import overdue_tickets, ticket_rates

FONT_CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc"),
)
PDF_FONT = "WQY"
# Word picks these for CJK text (w:eastAsia); every Chinese Windows and WPS has them.
DOCX_BODY_FONT = "仿宋"
DOCX_HEADING_FONT = "黑体"
DOCX_LATIN_FONT = "Times New Roman"
TOP_N = 10
OVERDUE_ROWS = 20  # overdue sites listed in the text; the workbook holds them all
COMPONENT_ZH = {
    "on_time_share": "按期巡查率",
    "visits": "有效巡查次数",
    "problems": "问题确认数",
    "reinspections": "按时复查率",
}


@dataclass(frozen=True)
class BulletinFiles:
    docx: Path
    pdf: Path
    xlsx: Path
    map_png: Path


@dataclass
class Section:
    """A heading, paragraphs of text and tables (header row first), in order."""

    heading: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[str, list[list[str]]]] = field(default_factory=list)
    image: bool = False


@dataclass
class BulletinData:
    """Everything the bulletin says, gathered once from the database."""

    county: str
    year: int
    month: int
    as_of: date
    issued: date
    weights: Weights
    evaluation: pd.DataFrame
    townships: pd.DataFrame
    summary: pd.DataFrame  # 指标, 数值
    overdue_sites: pd.DataFrame
    ticket_platforms: pd.DataFrame
    ticket_county: pd.Series
    overdue_ticket_count: int
    cells: gpd.GeoDataFrame
    outline: gpd.GeoDataFrame
    township_shapes: gpd.GeoDataFrame

    @property
    def title(self) -> str:
        return (
            f"{self.county}人大常委会关于{self.year}年{self.month}月"
            "人大代表水环境监督履职情况的通报"
        )

    @property
    def map_title(self) -> str:
        return f"{self.county}{self.year}年{self.month}月小网格按期巡查率"


def font_path() -> Path:
    """The CJK TrueType font embedded in PDFs and used on the map; refused clearly if absent."""
    for path in FONT_CANDIDATES:
        if path.is_file():
            return path
    raise ConfigurationError(
        "no Chinese TrueType font found for the bulletin; install the Debian package "
        "fonts-wqy-zenhei (looked for: " + ", ".join(str(p) for p in FONT_CANDIDATES) + ")"
    )


@lru_cache(maxsize=1)
def _register_pdf_font() -> str:
    pdfmetrics.registerFont(TTFont(PDF_FONT, str(font_path()), subfontIndex=0))
    return PDF_FONT


# ------------------------------------------------------------------ gathering


def _percent(value: float) -> str:
    return (
        "–"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else (f"{value:.1%}")
    )


def bulletin_data(
    session: Session,
    year: int,
    month: int,
    as_of: date | None = None,
    weights: Weights | None = None,
) -> BulletinData:
    """The month's figures: evaluation, townships, summary, overdue sites, tickets, map cells.

    ``as_of`` defaults to the day after the month (a closed month) or today, if earlier.
    """
    start, end = month_bounds(year, month)
    today = clock.today()
    as_of = as_of or min(month_after(year, month), today)
    ref = min(end, as_of)
    weights = weights or load_weights()
    evaluation = evaluate_month(session, year, month, weights, as_of)
    townships = township_ranking(evaluation)
    county = session.scalar(text("SELECT name FROM county ORDER BY id LIMIT 1")) or "本县"

    by_platform = ticket_rates(session, "platform", start, end + timedelta(days=1))
    whole = ticket_rates(session, "county", start, end + timedelta(days=1))
    whole_row = (
        whole.iloc[0]
        if len(whole)
        else pd.Series(
            {"dispatched": 0, "handled": 0, "on_time": 0, "closed": 0, "handling_rate": np.nan}
        )
    )
    overdue_count = len(overdue_tickets(session, as_of))

    due = due_list(session, ref)
    overdue = due[due["status"] == "overdue"].sort_values(["days_left", "site_code"])
    overdue_sites = pd.DataFrame(
        {
            "乡镇（街道）": overdue["township"].fillna(""),
            "点位编码": overdue["site_code"],
            "点位名称": overdue["site_name"],
            "类别": overdue["site_class"].astype(int).map(lambda c: f"{c}类"),
            "联系代表": overdue["deputy_name"],
            "最近巡查": overdue["last_visit"].dt.strftime("%Y-%m-%d").fillna("从未"),
            "截止日期": overdue["deadline"].dt.strftime("%Y-%m-%d"),
            "逾期天数": (-overdue["days_left"]).astype(int),
        }
    ).reset_index(drop=True)

    sites = int(evaluation["assigned_sites"].sum())
    on_time = int(evaluation["sites_on_time"].sum())
    summary = pd.DataFrame(
        [
            ("参评代表（名）", len(evaluation)),
            ("联系点位（处）", sites),
            ("按期巡查点位（处）", on_time),
            ("按期巡查率", _percent(on_time / sites if sites else math.nan)),
            ("有效巡查（次）", int(evaluation["visits"].sum())),
            ("代表反映问题（件）", int(evaluation["problems_reported"].sum())),
            ("问题确认（件）", int(evaluation["problems_confirmed"].sum())),
            ("异常轨迹（条）", int(evaluation["flagged_tracks"].sum())),
            ("交办问题（件）", int(whole_row["dispatched"])),
            ("已反馈（件）", int(whole_row["handled"])),
            ("处置率", _percent(float(whole_row["handling_rate"]))),
            ("逾期未反馈（件）", overdue_count),
            ("逾期未巡查点位（处）", len(overdue_sites)),
            ("平均得分", f"{evaluation['score'].mean():.2f}" if len(evaluation) else "–"),
        ],
        columns=["指标", "数值"],
    )
    summary["数值"] = summary["数值"].astype(str)

    status = site_period_status(session, start, end, as_of)
    scored = cell_coverage(status, load_cells(session), 3)
    shapes = read_geoframe(session, "SELECT id AS cell_id, geom FROM grid_cell WHERE level = 3")
    cells = gpd.GeoDataFrame(shapes.merge(scored, on="cell_id"), geometry="geom", crs=shapes.crs)
    outline = read_geoframe(session, "SELECT name, geom FROM county")
    township_shapes = read_geoframe(session, "SELECT name, geom FROM township")
    return BulletinData(
        county=county,
        year=year,
        month=month,
        as_of=as_of,
        issued=today,
        weights=weights,
        evaluation=evaluation,
        townships=townships,
        summary=summary,
        overdue_sites=overdue_sites,
        ticket_platforms=by_platform,
        ticket_county=whole_row,
        overdue_ticket_count=overdue_count,
        cells=cells,
        outline=outline,
        township_shapes=township_shapes,
    )


# ------------------------------------------------------------------ the text, once


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
                _percent(float(r["on_time_share"])),
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
                _percent(float(r["on_time_share"])),
                str(r["visits"]),
                str(r["problems_confirmed"]),
                f"{r['mean_score']:.2f}",
            ]
        )
    return rows


def _platform_rows(frame: pd.DataFrame, whole: pd.Series) -> list[list[str]]:
    counts = ("dispatched", "handled", "on_time", "closed")
    rows = [["平台", "交办", "已反馈", "按期反馈", "办结", "处置率"]]
    for name, r in [*((str(r["key"]), r) for _, r in frame.iterrows()), ("合计", whole)]:
        rows.append([name, *(str(int(r[c])) for c in counts), _percent(float(r["handling_rate"]))])
    return rows


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
            f"{summary['交办问题（件）']}件，已反馈{summary['已反馈（件）']}件，"
            f"处置率{summary['处置率']}。"
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
    problems = Section(
        "五、问题交办与处置情况",
        [
            f"本月交办{int(data.ticket_county['dispatched'])}件，已反馈"
            f"{int(data.ticket_county['handled'])}件，处置率"
            f"{_percent(float(data.ticket_county['handling_rate']))}；截至"
            f"{data.as_of:%Y年%m月%d日}超期未反馈{data.overdue_ticket_count}件。"
        ],
        [("各平台处置情况", _platform_rows(data.ticket_platforms, data.ticket_county))],
    )
    coverage = Section(
        "六、巡查覆盖情况", ["下图按小网格显示本月按期巡查率，灰色为无监督点位的网格。"], image=True
    )
    method = Section("七、评分办法", [formula_text(data.weights)])
    return [intro, towns, ranking, overdue_section, problems, coverage, method]


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


# ------------------------------------------------------------------ the map


def draw_map(data: BulletinData, path: Path) -> Path:
    """Small cells coloured by the month's share on time (grey: no site), county outline and
    township lines, a Chinese title and legend, as PNG (no pyplot: safe inside Streamlit)."""
    font = FontProperties(fname=str(font_path()))
    epsg = crs.metric_epsg()
    fig = Figure(figsize=(7.0, 7.6), dpi=150)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    cmap = colormaps["RdYlGn"]
    norm = Normalize(vmin=0.0, vmax=1.0)
    cells = data.cells.to_crs(epsg)
    empty = cells[cells["share"].isna()]
    scored = cells[cells["share"].notna()]
    if len(empty):
        empty.plot(ax=ax, color="#d9d9d9", edgecolor="white", linewidth=0.15)
    if len(scored):
        scored.plot(ax=ax, column="share", cmap=cmap, norm=norm, edgecolor="white", linewidth=0.15)
    if len(data.township_shapes):
        data.township_shapes.to_crs(epsg).boundary.plot(ax=ax, color="#555555", linewidth=0.5)
    if len(data.outline):
        data.outline.to_crs(epsg).boundary.plot(ax=ax, color="black", linewidth=1.2)
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.set_title(data.map_title, fontproperties=font, fontsize=14)
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, fraction=0.035, pad=0.02)
    bar.set_label("按期巡查率", fontproperties=font)
    bar.ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    ax.legend(
        handles=[Patch(facecolor="#d9d9d9", edgecolor="white", label="无监督点位")],
        prop=font,
        loc="lower left",
        frameon=False,
    )
    fig.savefig(path, dpi=150, bbox_inches="tight", facecolor="white")
    return path


# ------------------------------------------------------------------ Word


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
    doc = Document()
    _set_fonts(doc.styles["Normal"], DOCX_BODY_FONT, 14)
    for section in doc.sections:
        section.left_margin = section.right_margin = Cm(2.6)
    _docx_paragraph(
        doc, data.title, size=20, bold=True, font=DOCX_HEADING_FONT, align=WD_ALIGN_PARAGRAPH.CENTER
    )
    _docx_paragraph(doc, OPENING)
    _docx_paragraph(doc, opening_text(data), indent=True)
    for section in sections(data):
        _docx_paragraph(doc, section.heading, size=15, font=DOCX_HEADING_FONT)
        for paragraph in section.paragraphs:
            _docx_paragraph(doc, paragraph, indent=True)
        for caption, rows in section.tables:
            _docx_paragraph(doc, caption, size=12, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
            _docx_table(doc, rows)
        if section.image:
            doc.add_picture(str(map_png), width=Cm(15))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _docx_paragraph(doc, closing_text(data), indent=True)
    _docx_paragraph(doc, f"{data.county}人大常委会", align=WD_ALIGN_PARAGRAPH.RIGHT)
    _docx_paragraph(
        doc,
        f"{data.issued.year}年{data.issued.month}月{data.issued.day}日",
        align=WD_ALIGN_PARAGRAPH.RIGHT,
    )
    doc.save(str(path))
    return path


# ------------------------------------------------------------------ PDF


def _pdf_styles() -> dict[str, ParagraphStyle]:
    font = _register_pdf_font()
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


# ------------------------------------------------------------------ Excel


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
        _platform_rows(data.ticket_platforms, data.ticket_county)[1:],
        columns=_platform_rows(data.ticket_platforms, data.ticket_county)[0],
    )
    return {
        "汇总": data.summary,
        "代表评价": labelled(data.evaluation),
        "乡镇排名": labelled(data.townships),
        "逾期点位": data.overdue_sites,
        "问题处置": platforms,
        "评分权重": weights,
    }


def write_xlsx(data: BulletinData, path: Path) -> Path:
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in workbook_sheets(data).items():
            frame.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            for column in sheet.columns:
                letter = column[0].column_letter
                sheet.column_dimensions[letter].width = max(
                    10, min(40, max(len(str(c.value or "")) for c in column) * 2)
                )
    return path


# ------------------------------------------------------------------ all four


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
    "bulletin_data",
    "build_bulletin",
    "draw_map",
    "font_path",
    "sections",
    "workbook_sheets",
    "write_docx",
    "write_pdf",
    "write_xlsx",
]
