"""存档公示 / Public archive: the patrols that count, open to anyone without signing in.

Read-only. Everything shown comes from `archive.public`, which never selects a deputy's contact,
home or code and cuts the ends off every track; this page only filters, counts and draws.
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from streamlit_folium import st_folium

from archive import public
from core import clock, settings
from core.errors import ShuijianError
from layers.public import public_map
from ui import session
from ui.filters import township_filter
from ui.i18n import label, lang, t
from ui.page import show_error

# Session keys of this page's filters (named like the others in ui/session.py).
PUBLIC_MONTH = "shuijian_public_month"
PUBLIC_TOWNSHIP = "shuijian_public_township"
# An anonymous page may be opened often; its data changes only with uploads and reviews.
TTL_SECONDS = 120
COLUMNS: dict[str, str] = {
    "patrol_no": "col_patrol_no",
    "date": "col_date",
    "deputy_name": "col_deputy",
    "deputy_level": "col_level",
    "township": "col_township",
    "duration_min": "col_duration",
    "distance_km": "col_distance",
    "site_count": "col_site_count",
    "sites": "col_sites_visited",
}


def _db(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _months(_engine: Engine, db: str, today: str) -> tuple[list[tuple[int, int]], tuple[int, int]]:
    # `today` is part of the cache key, so the current month appears on its first day.
    return public.archive_months(_engine, date.fromisoformat(today))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _data(
    _engine: Engine, db: str, year: int, month: int, township_id: int | None
) -> tuple[public.PublicFigures, pd.DataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    start, end = public.month_period(year, month)
    return (
        public.public_figures(_engine, start, end, township_id),
        public.public_patrols(_engine, start, end, township_id),
        public.public_tracks(_engine, start, end, township_id),
        public.public_sites(_engine, start, end, township_id),
    )


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _outlines(_engine: Engine, db: str) -> gpd.GeoDataFrame:
    return public.township_outlines(_engine)


def _level(code: str) -> str:
    return label("deputy_level", code)


st.title(t("public_heading"))
st.caption(t("public_intro", m=int(public.HIDDEN_M)))

try:
    engine = session.engine()
    months, opening = _months(engine, _db(engine), clock.today().isoformat())
    cols = st.columns(2)
    year, month = cols[0].selectbox(
        t("month"),
        months,
        index=months.index(opening),
        key=PUBLIC_MONTH,
        format_func=lambda ym: f"{ym[0]}-{ym[1]:02d}",
    )
    township_id = township_filter(cols[1], engine, PUBLIC_TOWNSHIP)
    figures, patrols, tracks, sites = _data(engine, _db(engine), year, month, township_id)
except ShuijianError as error:
    show_error(error)
    st.stop()

row = st.columns(3)
row[0].metric(t("public_patrols"), figures.patrols)
row[1].metric(t("public_visits"), figures.visits)
row[2].metric(t("public_sites"), figures.sites)

st.subheader(t("public_records"))
if patrols.empty:
    st.caption(t("public_none"))
else:
    if figures.patrols > len(patrols):
        st.caption(t("public_capped", n=len(patrols)))
    shown = patrols.assign(deputy_level=[_level(c) for c in patrols["deputy_level"]])
    st.dataframe(
        shown[list(COLUMNS)].rename(columns=lambda c: t(COLUMNS[c])),
        hide_index=True,
        width="stretch",
    )

st.subheader(t("public_map"))
key = settings.optional_text("tianditu_key")
if not key:
    st.caption(t("map_offline_note"))
st_folium(
    public_map(tracks, sites, lang(), key, townships=_outlines(engine, _db(engine))),
    height=560,
    width="stretch",
    returned_objects=[],
    key=f"public_map_{year}_{month}_{township_id}_{lang()}",
)
