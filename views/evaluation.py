"""履职评价与通报 / Evaluation and bulletin: the month's scores with every component and weight,
the township ranking, one deputy's trend, and the bulletin files to download."""

from __future__ import annotations

import tempfile
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st
from sqlalchemy import Engine

import i18n
from accounts.auth import SignedIn
from accounts.permissions import may
from core import clock
from core.errors import ShuijianError
from db.database import session_scope
from reports.bulletin import build_bulletin
from reports.evaluation import (
    evaluate_month,
    evaluation_for,
    formula_params,
    load_weights,
    opening_month,
    previous_months,
    trend,
)
from ui import session
from ui.cached import db_key
from ui.filters import township_filter
from ui.i18n import lang, number, percent, t, year_month
from ui.page import EVALUATION, guard, show_error

MONTHS_BACK = 12
# Shares shown as percentages (Babel); the scores and points stay numbers.
SHARE_COLUMNS = {
    "on_time_share",
    "on_time_share_norm",
    "visits_norm",
    "problems_norm",
    "reinspections_norm",
    "records_norm",
}
TREND_MONTHS = 6
MONTH_KEY = "shuijian_evaluation_month"
DEPUTY_KEY = "shuijian_evaluation_deputy"
FILES_KEY = "shuijian_evaluation_files"  # {(year, month): {suffix: bytes}}
MIME = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def headed(frame: pd.DataFrame) -> pd.DataFrame:
    """The people-facing columns only, headed in the page's language."""
    shown = frame.copy()
    for column in SHARE_COLUMNS.intersection(shown.columns):
        shown[column] = [percent(v, 1) for v in shown[column]]
    return i18n.headed(shown, "evaluation_column", lang(), {"level": "deputy_level"})


@st.cache_data(ttl=120, show_spinner=False)
def _evaluation(_engine: Engine, db: str, year: int, month: int) -> pd.DataFrame:
    with session_scope(_engine) as s:
        return evaluate_month(s, year, month)


@st.cache_data(ttl=120, show_spinner=False)
def _trend(_engine: Engine, db: str, deputy_id: int, year: int, month: int) -> pd.DataFrame:
    with session_scope(_engine) as s:
        return trend(s, deputy_id, TREND_MONTHS, end=(year, month))


def _bulletin_bytes(engine: Engine, year: int, month: int, user: SignedIn) -> dict[str, bytes]:
    """Build into a temporary folder that is removed at once; keep only the bytes."""
    with tempfile.TemporaryDirectory(prefix="shuijian-bulletin-") as folder:
        with session_scope(engine) as s:
            files = build_bulletin(s, year, month, Path(folder), user=user)
        return {suffix: getattr(files, suffix).read_bytes() for suffix in MIME}


user = guard(EVALUATION)
st.title(t("evaluation_heading"))
today = clock.today()
months = previous_months(today.year, today.month, MONTHS_BACK)[::-1]
engine = session.engine()
pick = st.columns(2)
try:
    with session_scope(engine) as s:
        opening = opening_month(s, today)
    year, month = pick[0].selectbox(
        t("evaluation_month"),
        months,
        index=months.index(opening),
        key=MONTH_KEY,
        format_func=year_month,
    )
    township_id = township_filter(pick[1], engine, session.EVALUATION_TOWNSHIP, user=user)
    weights = load_weights()
    # Every figure below follows the township chosen (a township account: its own).
    frame, towns = evaluation_for(
        _evaluation(engine, db_key(engine), year, month), user, township_id
    )
except ShuijianError as error:
    show_error(error)
    st.stop()

if frame.empty:
    st.info(t("evaluation_empty"))
    st.stop()
sites = int(frame["assigned_sites"].sum())
cols = st.columns(3)
cols[0].metric(t("evaluation_deputies"), len(frame))
cols[1].metric(
    t("evaluation_share"),
    percent(frame["sites_on_time"].sum() / sites if sites else None, 1),
    help=f"{int(frame['sites_on_time'].sum())} / {sites}",
)
cols[2].metric(t("evaluation_mean"), number(frame["score"].mean(), 2))

st.subheader(t("evaluation_table"))
formula = t("evaluation_formula_text", **formula_params(weights))
st.caption(t("labelled", name=t("evaluation_formula"), value=formula))
st.dataframe(headed(frame), hide_index=True, width="stretch")

st.subheader(t("evaluation_townships"))
st.dataframe(headed(towns), hide_index=True, width="stretch")

st.subheader(t("evaluation_trend"))
names = dict(
    zip(frame["deputy_id"], frame["deputy_code"] + " " + frame["deputy_name"], strict=True)
)
deputy_id = st.selectbox(
    t("evaluation_trend_deputy"), list(names), format_func=names.get, key=DEPUTY_KEY
)
series = _trend(engine, db_key(engine), int(deputy_id), year, month)
if not series.empty:
    # A line with points: a deputy evaluated in one month only still shows that month.
    chart = (
        alt.Chart(series)
        .mark_line(point=True)
        .encode(
            x=alt.X("month:N", title=t("evaluation_column.month")),
            y=alt.Y("score:Q", title=t("evaluation_column.score")),
        )
    )
    st.altair_chart(chart, width="stretch")

if not may(user.role, "build_bulletin"):
    st.stop()  # the bulletin is the county's document (township staff see their summary)
stored: dict = st.session_state.setdefault(FILES_KEY, {})
if township_id is not None:
    st.caption(t("evaluation_bulletin_county"))
if st.button(t("evaluation_build"), key="shuijian_evaluation_build"):
    try:
        with st.spinner(t("evaluation_building")):
            stored[(year, month)] = _bulletin_bytes(engine, year, month, user)
    except ShuijianError as error:
        show_error(error)
files = stored.get((year, month))
if files:
    st.success(t("evaluation_built"))
    row = st.columns(len(MIME))
    for col, (suffix, mime) in zip(row, MIME.items(), strict=True):
        col.download_button(
            t(f"evaluation_download_{suffix}"),
            data=files[suffix],
            file_name=f"通报-{year}-{month:02d}.{suffix}",
            mime=mime,
            key=f"shuijian_evaluation_download_{suffix}",
        )
