"""The bulletin on the demo county with a few real demo patrols: Word, PDF (text extracted, so
no tofu), page 1 rendered, the workbook, and its figures equal to the evaluation's."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import time_machine
from docx import Document
from PIL import Image
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from data.demo_tickets import add_demo_tickets
from data.demo_tracks import add_demo_patrols
from duty.register import sync_register
from reports.bulletin import BulletinFiles, build_bulletin, font_path
from reports.bulletin.text import ticket_notes
from reports.evaluation import evaluate_month, month_after
from tests.conftest import DEMO_DB, _admin, _fresh

# Reads today's date: run again under each frozen date (tests/clock.py).
pytestmark = pytest.mark.clock

YEAR, MONTH = 2026, 10
TITLE = "示范县人大常委会关于2026年10月人大代表水环境监督履职情况的通报"
NOTES = ticket_notes()


@pytest.fixture(scope="module")
def built(
    server_url: str, demo_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[BulletinFiles, object, list[str]]]:
    """One bulletin for the module, with its evaluation and the township names."""
    font_path()  # a missing font must fail loudly here, as it would for users
    # demo_copy, once for the module: building the bulletin is the slow part.
    with _admin(server_url) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (DEMO_DB,),
        )
    generator = _fresh(server_url, DEMO_DB)
    engine: Engine = next(generator)
    try:
        add_demo_patrols(engine, 2026, date(YEAR, MONTH, 31), months=1, limit=20)
        # Demo tickets of the month, and the register they open (挂号销号), as of its end.
        add_demo_tickets(engine, 2026, date(YEAR, MONTH, 1), date(YEAR, MONTH, 31))
        month_end = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
        with time_machine.travel(month_end, tick=False), Session(engine) as session:
            sync_register(session)
            session.commit()
        _supervision_visit(engine)
        out = tmp_path_factory.mktemp("bulletin")
        with Session(engine) as session:
            files = build_bulletin(session, YEAR, MONTH, out, as_of=month_after(YEAR, MONTH))
            evaluation = evaluate_month(session, YEAR, MONTH, as_of=month_after(YEAR, MONTH))
            towns = list(session.scalars(text("SELECT name FROM township ORDER BY code")))
        yield files, evaluation, towns
    finally:
        generator.close()


def _supervision_visit(engine: Engine) -> None:
    """One group with a check-in and two findings in the first township this month."""
    from accounts.audit import Operator
    from db.database import session_scope
    from duty import supervision as sv

    with engine.connect() as conn:
        town = conn.scalar(text("SELECT name FROM township ORDER BY code LIMIT 1"))
    with session_scope(engine) as s:
        shell = Operator("tester")
        sv.add_group(s, shell, "G1", "第一督查组", "周主任", "常委会副主任", date(2026, 1, 1))
        sv.assign_township(s, shell, "G1", town, date(2026, 1, 1))
        sv.record_checkin(
            s,
            shell,
            "G1",
            town,
            "村口排污口",
            datetime(YEAR, MONTH, 15, 2, 0, tzinfo=UTC),
            [sv.NewFinding("排污口仍在直排"), sv.NewFinding("公示牌缺失")],
        )


def test_the_word_file_has_the_title_tables_and_the_evaluations_figures(built) -> None:
    files, evaluation, _ = built
    doc = Document(str(files.docx))
    assert doc.paragraphs[0].text == TITLE
    headers = [[c.text for c in table.rows[0].cells] for table in doc.tables]
    assert ["指标", "数值"] in headers
    assert any(h[:2] == ["排名", "乡镇（街道）"] and "平均得分" in h for h in headers)
    assert any(h[:2] == ["全县排名", "代表"] and h[-1] == "综合得分" for h in headers)
    assert any(h[0] == "平台" and {"处置率", "办结率"} <= set(h) for h in headers)
    # Each ticket rate with its definition beneath the table (tickets.figures).
    texts = [p.text for p in doc.paragraphs]
    for note, start in zip(
        NOTES, ("注1：交办处置率", "注2：平台处置率", "注3：按期处置率", "注4：办结率"), strict=True
    ):
        assert note in texts and note.startswith(start)
    summary = {row.cells[0].text: row.cells[1].text for row in doc.tables[0].rows[1:]}
    assert {"交办处置率", "办结率"} <= set(summary)
    sites = int(evaluation["assigned_sites"].sum())
    on_time = int(evaluation["sites_on_time"].sum())
    assert summary["参评代表（名）"] == str(len(evaluation))
    assert summary["联系点位（处）"] == str(sites)
    assert summary["按期巡查点位（处）"] == str(on_time)
    assert summary["按期巡查率"] == f"{on_time / sites:.1%}"
    assert summary["有效巡查（次）"] == str(int(evaluation["visits"].sum()))
    assert int(summary["有效巡查（次）"]) > 0  # the demo patrols proved visits
    assert summary["平均得分"] == f"{evaluation['score'].mean():.2f}"
    # The first ranked row is the evaluation's best deputy, with the same score.
    ranking = next(t for t in doc.tables if t.rows[0].cells[0].text == "全县排名")
    best = evaluation.iloc[0]
    assert [ranking.rows[1].cells[i].text for i in (0, 1, 8)] == [
        "1",
        best["deputy_name"],
        f"{best['score']:.2f}",
    ]
    # East Asian font named on the runs, so Word does not fall back to a Latin font.
    fonts = doc.paragraphs[0].runs[0].element.rPr.rFonts
    assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
    assert len(doc.inline_shapes) == 1  # the map
    # 挂号销号: its section, counts in words, and the register's table.
    heading = texts.index("六、问题挂号销号情况")
    assert (
        "挂号中的问题点位" in texts[heading + 1] and "连续3次巡查或复查无问题" in texts[heading + 1]
    )
    assert any(
        h[:3] == ["乡镇（街道）", "点位编码", "点位名称"] and "挂号日期" in h for h in headers
    )
    assert texts.index("七、巡查覆盖情况") > heading
    # 督查组 per township: every township listed, the visited one with its findings.
    supervision = next(t for t in doc.tables if t.rows[0].cells[1].text == "督查组")
    rows = [[c.text for c in row.cells] for row in supervision.rows[1:]]
    assert len(rows) == len(built[2])
    assert rows[0][1:] == ["第一督查组", "1", "1", "0", "2"]
    assert all(r[2] == "0" for r in rows[1:])
    assert texts.index("八、督查组督查情况") < texts.index("九、评分办法")
    assert texts.index("八、督查组督查情况") > texts.index("七、巡查覆盖情况")
    assert any("排污口仍在直排；公示牌缺失" in p for p in texts)


def test_the_pdf_text_is_chinese_not_tofu_and_page_one_renders(built, tmp_path: Path) -> None:
    files, _, towns = built
    extracted = subprocess.run(
        ["pdftotext", "-layout", str(files.pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    flat = "".join(extracted.split())
    assert TITLE in flat
    assert all(name in flat for name in towns)
    assert "处置率" in flat and "综合得分" in flat
    assert "督查组督查情况" in flat and "排污口仍在直排" in flat
    assert all("".join(note.split()) in flat for note in NOTES)  # the footnotes, not tofu
    fonts = subprocess.run(["pdffonts", str(files.pdf)], capture_output=True, text=True).stdout
    assert "WenQuanYi" in fonts or "WQY" in fonts
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(files.pdf), str(tmp_path / "p")],
        check=True,
    )
    [page] = list(tmp_path.glob("p*.png"))
    pixels = np.asarray(Image.open(page).convert("L"))
    assert pixels.shape[0] > 300
    assert (pixels < 128).mean() > 0.01  # ink on the page, not a blank sheet


def test_the_map_and_the_workbook(built) -> None:
    files, evaluation, _ = built
    pixels = np.asarray(Image.open(files.map_png).convert("RGB")).astype(int)
    assert pixels.shape[0] > 500
    coloured = np.abs(pixels[..., 0] - pixels[..., 1]) > 40  # red/green cells, not grey
    assert coloured.mean() > 0.02
    book = openpyxl.load_workbook(files.xlsx, read_only=True)
    assert book.sheetnames == [
        "汇总",
        "代表评价",
        "乡镇排名",
        "逾期点位",
        "问题处置",
        "挂号销号",
        "督查情况",
        "评分权重",
    ]
    register = [[c.value for c in row] for row in book["挂号销号"].iter_rows()]
    assert register[0] == [
        "乡镇（街道）",
        "点位编码",
        "点位名称",
        "挂号日期",
        "销号日期",
        "状态",
        "交办单",
    ]
    assert len(register) > 1 and {r[5] for r in register[1:]} <= {"挂号中", "已销号"}
    visited = [[c.value for c in row] for row in book["督查情况"].iter_rows(min_row=2, max_row=2)]
    assert visited[0][1:] == ["第一督查组", "1", "1", "0", "2", "排污口仍在直排；公示牌缺失"]
    header = [c.value for c in next(book["代表评价"].iter_rows(max_row=1))]
    assert header[:4] == ["代表编号", "代表姓名", "代表层级", "乡镇（街道）"]
    assert {"综合得分", "按期巡查权重", "按期巡查得分", "全县排名", "乡镇内排名"} <= set(header)
    assert book["代表评价"].max_row == len(evaluation) + 1
    assert [c.value for c in next(book["乡镇排名"].iter_rows(max_row=1))][:2] == [
        "乡镇（街道）",
        "代表人数",
    ]
    for sheet in ("汇总", "问题处置"):
        cells = [c.value for row in book[sheet].iter_rows() for c in row if c.value]
        assert all(note in cells for note in NOTES), sheet
    assert [c.value for c in next(book["逾期点位"].iter_rows(max_row=1))][:3] == [
        "乡镇（街道）",
        "点位编码",
        "点位名称",
    ]
    book.close()
