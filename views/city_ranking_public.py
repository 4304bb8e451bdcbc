"""月度排名公示 / Monthly ranking (public): every published month of the city's ranking of its
counties, exactly as published (一月一排名、每月排名公开公示), open to anyone without signing in.

It reads only `city_ranking` rows through `reports.city_ranking_service.published_ranking`:
ranks, scores, indicators, points and weights, the rules, the day of publication. Nobody's
name, account or contact is shown — not even who published it.
"""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st
from sqlalchemy import Engine

from core import settings
from core.errors import ShuijianError
from reports.city_ranking import changes
from reports.city_ranking_service import Ranking, published_months, published_ranking
from ui import session
from ui.cached import db_key
from ui.city_ranking import ranking_table, rules_lines
from ui.i18n import day, month, t
from ui.page import show_error

MONTH_KEY = "shuijian_city_ranking_public_month"
# An anonymous page may be opened often; what it shows changes only when a month is published.
TTL_SECONDS = 120


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _months(_engine: Engine, db: str) -> list[date]:
    return published_months(_engine)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _ranking(_engine: Engine, db: str, first: date) -> Ranking | None:
    return published_ranking(_engine, first.year, first.month)


def _before(first: date) -> tuple[int, int]:
    """The month before the one starting on ``first``."""
    last = first - timedelta(days=1)
    return last.year, last.month


st.title(t("city_public_heading", city=settings.text("city_name")))
st.caption(t("city_public_intro"))
engine = session.engine()
try:
    months = _months(engine, db_key(engine))
    if not months:
        st.info(t("city_public_none"))
        st.stop()
    chosen = st.selectbox(t("city_month"), months, key=MONTH_KEY, format_func=month)
    ranking = _ranking(engine, db_key(engine), chosen)
    # Last month as it was published, if it was: the public page compares published figures.
    before = [m for m in months if m < chosen]
    previous = _ranking(engine, db_key(engine), before[0]) if before else None
except ShuijianError as error:
    show_error(error)
    st.stop()

if ranking is None or ranking.publication is None:
    st.info(t("city_public_none"))
    st.stop()
publication = ranking.publication
st.caption(t("city_public_published", day=day(publication.published_at)))
if publication.supersedes_id is not None:
    st.info(t("city_public_corrected", day=day(publication.published_at)))
moved = None
if previous is not None and (previous.year, previous.month) == _before(chosen):
    moved = changes(ranking.lines, previous.lines)
st.dataframe(ranking_table(ranking.lines, moved), hide_index=True, width="stretch")
if moved is not None:
    st.caption(t("city_previous_published", month=month(previous.first_day)))
st.subheader(t("city_rules_heading"))
for line in rules_lines(ranking.rules):
    st.markdown(f"- {line}")
