"""The cross-section page through AppTest as an analyst (both languages), township staff and a
deputy; the public page's part with nobody signed in; a refused file's rows on a page. On the
county of tests/test_water.py with its four months of results (Jan–Apr 2026): 东镇 missed
four months in a row at W01, so it is on the 约谈 list."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
import time_machine
from sqlalchemy import Engine, text
from streamlit.testing.v1 import AppTest

from accounts.auth import SignedIn
from tests.test_water import NOW, both_files, load_county
from ui import session

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "views" / "water_quality.py")
PUBLIC = str(ROOT / "views" / "public.py")
TIMEOUT = 60


@pytest.fixture
def pages(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    with time_machine.travel(NOW, tick=True):
        load_county(engine)
        both_files(engine)
        monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
        monkeypatch.delenv("TIANDITU_KEY", raising=False)
        st.cache_data.clear()
        st.cache_resource.clear()
        yield engine
        st.cache_data.clear()
        st.cache_resource.clear()


def _user(engine: Engine, role: str, town: str | None = None) -> SignedIn:
    with engine.begin() as conn:
        town_id = conn.scalar(text("SELECT id FROM township WHERE code = :c"), {"c": town})
        user_id = conn.scalar(
            text(
                "INSERT INTO app_user (username, password_hash, role, township_id) "
                "VALUES (:u, 'x', :r, :t) RETURNING id"
            ),
            {"u": f"{role}-{town or 'county'}-water", "r": role, "t": town_id},
        )
    return SignedIn(int(user_id), f"{role}-water", role, None, role, town_id)


def _page(path: str, user: SignedIn | None, english: bool = False) -> AppTest:
    at = AppTest.from_file(path, default_timeout=TIMEOUT)
    at.session_state[session.ENGLISH] = english
    if user is not None:
        at.session_state[session.USER] = user
    return at.run()


def _script(at: AppTest) -> str:
    return json.loads(at.get("component_instance")[0].proto.json_args)["script"]


def _has(script: str, word: str) -> bool:
    """folium writes non-ASCII text as JSON escapes."""
    return word in script or json.dumps(word)[1:-1] in script


def _charts(at: AppTest) -> list:
    return at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")


def _forms(at: AppTest) -> set[str]:
    return {f.proto.form.form_id for f in at.get("form")}


def test_the_page_as_an_analyst(pages: Engine) -> None:
    at = _page(PAGE, _user(pages, "analyst"))
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["乡镇交接断面水质"]
    assert [m.value for m in at.metric] == ["4", "2", "50.0%", "1"]  # April: W00 and W02
    table = at.dataframe[0].value
    assert list(table["断面编码"]) == ["W00", "W01", "W02", "W03"]
    assert {"溶解氧（mg/L）", "氨氮（mg/L）", "pH", "水质类别", "目标类别", "达标"} <= set(
        table.columns
    )
    row = table.set_index("断面编码").loc["W03"]  # imported in µg/L, shown in mg/L
    assert (row["总磷（mg/L）"], row["水质类别"], row["达标"]) == ("0.08", "Ⅳ类", "✗")
    assert table.set_index("断面编码").loc["W00", "上游乡镇（被考核）"].startswith("—")
    script = _script(at)
    assert _has(script, "东镇—西乡南交界断面") and _has(script, "水质类别（2026年4月）")
    assert "#ffd92f" in script  # class IV's yellow
    summons = at.dataframe[1].value
    assert list(summons["乡镇"]) == ["东镇"] and list(summons["连续不达标（月）"]) == [4]
    assert list(summons["状态"]) == ["持续中"]
    assert {"water_import_sections", "water_import_samples"} <= _forms(at)
    assert len(_charts(at)) == 2  # the first section's trend: class, then DO


def test_a_month_and_a_parameter_chosen_then_the_page_in_english(pages: Engine) -> None:
    at = _page(PAGE, _user(pages, "analyst"))
    months = at.selectbox(key="shuijian_water_month")
    assert months.options == ["2026年4月", "2026年3月", "2026年2月", "2026年1月"]
    months.select_index(3).run()
    assert not at.exception, at.exception
    assert [m.value for m in at.metric][:3] == ["4", "1", "25.0%"]
    assert set(at.dataframe[0].value["水质类别"]) == {"Ⅰ类", "Ⅲ类", "Ⅳ类"}
    at.selectbox(key="shuijian_water_parameter").select_index(4).run()  # 氨氮 at W00
    assert not at.exception and len(_charts(at)) == 2
    assert "虚线：目标类别（Ⅱ类）的限值" in [c.value for c in at.caption]

    english = _page(PAGE, _user(pages, "admin"), english=True)
    assert not english.exception, english.exception
    assert [t.value for t in english.title] == ["Water quality at township cross-sections"]
    table = english.dataframe[0].value
    assert {"DO (mg/L)", "NH3-N (mg/L)", "Class", "Target", "Attained"} <= set(table.columns)
    assert set(table["Class"]) == {"I", "II", "IV"}
    assert english.selectbox(key="shuijian_water_month").options[0] == "Apr 2026"


def test_township_staff_see_the_sections_at_their_edges_and_import_nothing(
    pages: Engine,
) -> None:
    at = _page(PAGE, _user(pages, "township", "T2"))
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value["断面编码"]) == ["W01", "W02", "W03"]
    script = _script(at)
    assert not _has(script, "东镇入境断面")  # W00 touches only 东镇
    assert "没有乡镇达到约谈条件" in at.info[0].value  # 西乡 missed two months in a row only
    assert not {"water_import_sections", "water_import_samples"} & _forms(at)
    east = _page(PAGE, _user(pages, "township", "T1"))
    assert list(east.dataframe[1].value["乡镇"]) == ["东镇"]
    deputy = SignedIn(99, "d0001", "deputy", 1, "代表")
    assert "无权查看" in _page(PAGE, deputy).error[0].value


def test_the_public_page_publishes_the_results_and_the_summons(pages: Engine) -> None:
    at = _page(PUBLIC, None)
    assert not at.exception, at.exception
    assert "交接断面水质公示" in [h.value for h in at.subheader]
    results, summons = at.dataframe[-2].value, at.dataframe[-1].value
    assert list(results.columns) == [
        "断面编码",
        "断面名称",
        "上游乡镇（被考核）",
        "下游乡镇",
        "水质类别",
        "目标类别",
        "达标",
    ]
    assert len(results) == 4 and list(summons["乡镇"]) == ["东镇"]
    english = _page(PUBLIC, None, english=True)
    assert "Township cross-section water quality" in [h.value for h in english.subheader]


def test_a_refused_file_shows_every_fault_by_row_in_the_page_language() -> None:
    def page() -> None:
        import streamlit as st

        from core.errors import ImportRefused
        from ui.refusals import show_refusal
        from water.table import WaterImportRefused

        faults = [
            ImportRefused(
                "月报.csv", "x", code="water_unknown_section", line=3, column="断面编码", value="W9"
            ),
            ImportRefused(
                "月报.csv",
                "x",
                code="water_negative_value",
                line=5,
                column="氨氮（mg/L）",
                value="-1",
            ),
        ]
        st.session_state.setdefault("shuijian_english", False)
        show_refusal(WaterImportRefused("月报.csv", faults))

    at = AppTest.from_function(page, default_timeout=TIMEOUT).run()
    shown = at.error[0].value
    assert "月报.csv：未导入：共 2 处错误" in shown
    assert "第 3 行“断面编码”列：没有编码为“W9”的断面" in shown
    assert "第 5 行“氨氮（mg/L）”列：\\-1 为负数" in shown
    at.session_state[session.ENGLISH] = True
    shown = at.run().error[0].value
    assert "Line 5, column '氨氮（mg/L）': \\-1 is negative." in shown
