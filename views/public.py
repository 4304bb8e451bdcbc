"""存档公示 / Public archive: the patrols that count, open to anyone without signing in.

Read-only for the visitor (the service draws a deputy's privacy zones, once, the first time
their tracks are shown). Everything shown comes from `archive.public`, which never selects a
deputy's contact, home or code and cuts away every deputy's privacy zones and the ends of every
track; this page only filters, counts and draws.
Records come a page at a time, and the map draws the tracks of the page shown (and says so),
so every counting patrol of the month is reachable and none is dropped unsaid.
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from streamlit_folium import st_folium

from archive import privacy, public
from core import clock, settings
from core.errors import ShuijianError
from db.database import session_scope
from layers.basemap import has_basemap
from layers.public import public_map
from ui import session
from ui.cached import db_key
from ui.filters import township_filter
from ui.i18n import label, lang, t
from ui.i18n import month as month_name  # `month` is this page's chosen month number
from ui.page import show_error
from water import quality as water

# Session keys of this page's filters (named like the others in ui/session.py).
PUBLIC_MONTH = "shuijian_public_month"
PUBLIC_TOWNSHIP = "shuijian_public_township"
PUBLIC_PAGE = "shuijian_public_page"
# The month and township the chosen page belongs to: another choice starts at page 1 again.
PUBLIC_PAGE_SCOPE = "shuijian_public_page_scope"
PUBLIC_WATER_MONTH = "shuijian_public_water_month"
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


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _months(_engine: Engine, db: str, today: str) -> tuple[list[tuple[int, int]], tuple[int, int]]:
    # `today` is part of the cache key, so the current month appears on its first day.
    return public.archive_months(_engine, date.fromisoformat(today))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _period(
    _engine: Engine, db: str, year: int, month: int, township_id: int | None
) -> tuple[public.PublicFigures, gpd.GeoDataFrame]:
    start, end = public.month_period(year, month)
    return (
        public.public_figures(_engine, start, end, township_id),
        public.public_sites(_engine, start, end, township_id),
    )


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _page(
    _engine: Engine, db: str, year: int, month: int, township_id: int | None, page: int
) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    start, end = public.month_period(year, month)
    where = {"page": page, "page_size": public.PAGE_SIZE}
    return (
        public.public_patrols(_engine, start, end, township_id, **where),
        public.public_tracks(_engine, start, end, township_id, **where),
    )


def _choose_page(pages: int, scope: tuple[int, int, int | None]) -> int:
    """The page picker (shown when there is more than one page); page 1 after a new filter."""
    chosen = st.session_state.get(PUBLIC_PAGE, 1)
    if st.session_state.get(PUBLIC_PAGE_SCOPE) != scope or not 1 <= chosen <= pages:
        st.session_state.pop(PUBLIC_PAGE, None)
        st.session_state[PUBLIC_PAGE_SCOPE] = scope
    if pages == 1:
        return 1
    return int(
        st.selectbox(
            t("public_page"),
            list(range(1, pages + 1)),
            key=PUBLIC_PAGE,
            format_func=lambda p: t("public_page_option", page=p, pages=pages),
        )
    )


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _outlines(_engine: Engine, db: str) -> gpd.GeoDataFrame:
    return public.township_outlines(_engine)


def _level(code: str) -> str:
    return label("deputy_level", code)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _water_months(_engine: Engine, db: str) -> list[date]:
    with session_scope(_engine) as s:
        return water.public_months(s)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _water(_engine: Engine, db: str, chosen: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    with session_scope(_engine) as s:
        return water.public_results(s, chosen), water.public_summons(s)


def water_results(engine: Engine) -> None:
    """结果在媒体上公示: each month's cross-section results and the 约谈 list, for everyone.
    Sections, townships and classes only (``water.quality.public_results``): nobody's name."""
    st.subheader(t("public_water_heading"))
    st.caption(t("public_water_intro", n=water.SUMMONS_AFTER))
    try:
        months = _water_months(engine, db_key(engine))
        if not months:
            st.info(t("public_water_none"))
            return
        chosen = st.selectbox(
            t("water_month"), months, key=PUBLIC_WATER_MONTH, format_func=month_name
        )
        results, summons = _water(engine, db_key(engine), chosen)
    except ShuijianError as error:
        show_error(error)
        return
    yes, no = t("water_attained_yes"), t("water_attained_no")
    st.dataframe(
        pd.DataFrame(
            {
                t("water_col.code"): results["code"],
                t("water_col.name"): results["name"],
                t("water_col.upstream"): results["upstream"].fillna(t("water_no_upstream")),
                t("water_col.downstream"): results["downstream"],
                t("water_col.water_class"): [
                    label("water_class", c) for c in results["water_class"]
                ],
                t("water_col.target_class"): [
                    label("water_class", c) for c in results["target_class"]
                ],
                t("water_col.attained"): [yes if a else no for a in results["attained"]],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    st.markdown(f"**{t('public_water_summons')}**")
    if summons.empty:
        st.caption(t("water_summons_empty"))
        return
    st.dataframe(
        pd.DataFrame(
            {
                t("water_summons_col.township"): summons["township"],
                t("water_summons_col.first_month"): [month_name(m) for m in summons["first_month"]],
                t("water_summons_col.last_month"): [month_name(m) for m in summons["last_month"]],
                t("water_summons_col.misses"): summons["misses"],
                t("water_summons_col.sections"): summons["sections"],
            }
        ),
        hide_index=True,
        width="stretch",
    )


st.title(t("public_heading"))
st.caption(
    t(
        "public_intro",
        m=int(public.HIDDEN_M),
        zone_min=int(privacy.RADIUS_M[0]),
        zone_max=int(privacy.RADIUS_M[1]),
    )
)

try:
    engine = session.engine()
    months, opening = _months(engine, db_key(engine), clock.today().isoformat())
    cols = st.columns(2)
    year, month = cols[0].selectbox(
        t("month"),
        months,
        index=months.index(opening),
        key=PUBLIC_MONTH,
        format_func=lambda ym: f"{ym[0]}-{ym[1]:02d}",
    )
    township_id = township_filter(cols[1], engine, PUBLIC_TOWNSHIP)
    figures, sites = _period(engine, db_key(engine), year, month, township_id)
except ShuijianError as error:
    show_error(error)
    st.stop()

row = st.columns(3)
row[0].metric(t("public_patrols"), figures.patrols)
row[1].metric(t("public_visits"), figures.visits)
row[2].metric(t("public_sites"), figures.sites)

st.subheader(t("public_records"))
page = _choose_page(public.page_count(figures.patrols), (year, month, township_id))
try:
    patrols, tracks = _page(engine, db_key(engine), year, month, township_id, page)
except ShuijianError as error:
    show_error(error)
    st.stop()
first = (page - 1) * public.PAGE_SIZE + 1
last = first + len(patrols) - 1
if patrols.empty:
    st.caption(t("public_none"))
else:
    st.caption(t("public_page_range", first=first, last=last, total=figures.patrols))
    shown = patrols.assign(deputy_level=[_level(c) for c in patrols["deputy_level"]])
    st.dataframe(
        shown[list(COLUMNS)].rename(columns=lambda c: t(COLUMNS[c])),
        hide_index=True,
        width="stretch",
    )

st.subheader(t("public_map"))
if not patrols.empty:
    st.caption(t("public_map_page", first=first, last=last, total=figures.patrols))
    undrawn = len(patrols) - len(tracks)
    if undrawn:
        st.caption(t("public_map_undrawn", n=undrawn, m=int(public.MIN_TRACK_M)))
key = settings.optional_text("tianditu_key")
if not has_basemap(key):
    st.caption(t("map_offline_note"))
st_folium(
    public_map(tracks, sites, lang(), key, townships=_outlines(engine, db_key(engine))),
    height=560,
    width="stretch",
    returned_objects=[],
    key=f"public_map_{year}_{month}_{township_id}_{page}_{lang()}",
)

water_results(engine)
