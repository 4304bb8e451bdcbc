"""各县月度排名 / County ranking: the city's monthly ranking of its counties (一月一排名) — every
indicator's value beside its points and weight, the change since last month, publishing a
month (一月一通报, city analysts) and the bulletin's files. The figures, the rules and every
refusal are `reports.city_ranking` and `reports.city_ranking_service`'s; this page picks,
shows and asks."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st
from sqlalchemy import Engine

from accounts.auth import SignedIn
from accounts.permissions import may, require
from core import clock, settings
from core.errors import ShuijianError
from reports.city_bulletin import FORMATS, city_bulletin_data, write_city_bulletin
from reports.city_ranking import changes
from reports.city_ranking_service import (
    Ranking,
    draft_ranking,
    month_history,
    previous_ranking,
    publish,
    published_ranking,
)
from reports.evaluation import month_after, previous_months
from ui import session
from ui.cached import db_key
from ui.city_ranking import ranking_table, rules_lines
from ui.i18n import day, t, year_month
from ui.page import CITY_RANKING, CITY_RANKING_PUBLIC, guard, page_link, show_error

MONTHS_BACK = 12
MONTH_KEY = "shuijian_city_ranking_month"
DRAFT_KEY = "shuijian_city_ranking_draft"
REASON_KEY = "shuijian_city_ranking_reason"
FLASH_KEY = "shuijian_city_ranking_flash"
FILES_KEY = "shuijian_city_ranking_files"  # {(year, month, published id): {suffix: bytes}}
MIME = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@st.cache_data(ttl=120, show_spinner=False)
def _draft(_engine: Engine, db: str, year: int, month: int, today: str) -> Ranking:
    # The page checked read_city_ranking before asking; `today` keys the running month.
    return draft_ranking(_engine, None, year, month)


@st.cache_data(ttl=120, show_spinner=False)
def _previous(_engine: Engine, db: str, year: int, month: int, today: str) -> Ranking:
    return previous_ranking(_engine, None, year, month)


def _bulletin_bytes(engine: Engine, user: SignedIn, year: int, month: int) -> dict[str, bytes]:
    """Gathered once, written three ways into a folder removed at once; only the bytes stay."""
    data = city_bulletin_data(engine, user, year, month)
    with tempfile.TemporaryDirectory(prefix="shuijian-city-bulletin-") as folder:
        return {
            fmt: write_city_bulletin(data, fmt, Path(folder) / f"bulletin.{fmt}").read_bytes()
            for fmt in FORMATS
        }


user = guard(CITY_RANKING)
st.title(t("city_heading", city=settings.text("city_name")))
st.caption(t("city_intro"))
engine = session.engine()
today = clock.today()
months = previous_months(today.year, today.month, MONTHS_BACK)[::-1]
year, month = st.selectbox(
    t("city_month"),
    months,
    index=1,
    key=MONTH_KEY,
    format_func=year_month,
)
label = year_month((year, month))
flash = st.session_state.pop(FLASH_KEY, None)
if flash:
    st.success(flash)

try:
    require(user, "read_city_ranking")
    published = published_ranking(engine, year, month)
    show_draft = published is None or st.toggle(t("city_show_draft"), key=DRAFT_KEY)
    shown = _draft(engine, db_key(engine), year, month, str(today)) if show_draft else published
    previous = _previous(engine, db_key(engine), year, month, str(today))
except ShuijianError as error:
    show_error(error)
    st.stop()

if published is not None and published.publication is not None:
    st.success(
        t(
            "city_status_published",
            day=day(published.publication.published_at),
            version=published.publication.weights_version,
        )
    )
if shown is None or shown.publication is None:
    st.info(t("city_status_draft"))
if shown is None or not shown.lines:
    st.info(t("city_empty"))
    st.stop()

st.dataframe(
    ranking_table(shown.lines, changes(shown.lines, previous.lines)),
    hide_index=True,
    width="stretch",
)
before = year_month((previous.year, previous.month))
st.caption(
    t("city_previous_published", month=before)
    if previous.publication is not None
    else t("city_previous_draft", month=before)
)
with st.expander(t("city_rules_heading")):
    for line in rules_lines(shown.rules):
        st.markdown(f"- {line}")

history = month_history(engine, year, month)
if history:
    with st.expander(t("city_history")):
        for item in history:
            text_ = t("city_history_line", day=day(item.published_at), version=item.weights_version)
            if item.superseded_at is not None:
                text_ += t("city_history_superseded", day=day(item.superseded_at))
            st.markdown(f"- {text_}")
            if item.reason:
                st.caption(
                    t("city_status_corrected", day=day(item.published_at), reason=item.reason)
                )

if may(user.role, "publish_city_ranking"):
    st.subheader(t("city_publish_heading"))
    if month_after(year, month) > today:
        st.info(t("city_publish_month_open", month=label))
    elif published is None:
        if st.button(t("city_publish_button"), key="shuijian_city_ranking_publish", type="primary"):
            try:
                publish(engine, user, year, month)
            except ShuijianError as error:
                show_error(error)
            else:
                st.session_state[FLASH_KEY] = t("city_published_done", month=label)
                st.rerun()
    else:
        st.caption(t("city_supersede_help"))
        reason = st.text_area(t("city_supersede_reason"), key=REASON_KEY, max_chars=500)
        if st.button(t("city_supersede_button"), key="shuijian_city_ranking_supersede"):
            try:
                publish(engine, user, year, month, supersede_reason=reason)
            except ShuijianError as error:
                show_error(error)
            else:
                st.session_state[FLASH_KEY] = t("city_published_done", month=label)
                st.rerun()

if may(user.role, "build_city_bulletin"):
    st.subheader(t("city_bulletin_heading"))
    if published is None:
        st.caption(t("city_bulletin_draft"))
    stored: dict = st.session_state.setdefault(FILES_KEY, {})
    key = (year, month, published.publication.id if published and published.publication else None)
    if st.button(t("city_bulletin_build"), key="shuijian_city_ranking_build"):
        try:
            with st.spinner(t("city_bulletin_building")):
                stored[key] = _bulletin_bytes(engine, user, year, month)
        except ShuijianError as error:
            show_error(error)
    files = stored.get(key)
    if files:
        name = t("city_bulletin_file", month=f"{year}-{month:02d}")
        row = st.columns(len(MIME))
        for col, (suffix, mime) in zip(row, MIME.items(), strict=True):
            col.download_button(
                t(f"city_download_{suffix}"),
                data=files[suffix],
                file_name=f"{name}.{suffix}",
                mime=mime,
                key=f"shuijian_city_ranking_download_{suffix}",
            )

page_link(CITY_RANKING_PUBLIC, t("page_city_ranking_public"))
