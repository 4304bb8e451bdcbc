"""覆盖缺口 / Coverage gaps: grid cells by share of sites patrolled on time in a month, or
"as of today" (the current windows: an overdue site is a gap, `duty.today`).

Query parameters (from the glance page's links) choose the view, the month (YYYY-MM) and the
township each time a link is followed (then leave the URL); the widgets keep the user's
later choices."""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st
from streamlit_folium import st_folium

from accounts.permissions import may
from core import clock, settings
from core.errors import ShuijianError
from core.vocab import GRID_LEVELS
from db import scope
from db.database import session_scope
from duty import volunteers
from duty.coverage import month_bounds
from layers.basemap import has_basemap
from layers.coverage import coverage_map_figure, reasons_text
from tracks import patrol_queries
from ui import cached, session, vector_tiles
from ui.filters import seed_from_link, township_filter
from ui.i18n import label, lang, percent, t, year_month
from ui.page import COVERAGE, guard, show_error

MONTHS_BACK = 12
VIEWS = ("month", "today")
VIEW_KEY = "shuijian_coverage_view"


def level_name(level: int) -> str:
    return label("grid_level", level)


user = guard(COVERAGE)
st.title(t("coverage_heading"))
today = clock.today()
months = [
    ((today.year * 12 + today.month - 1 - k) // 12, (today.month - 1 - k) % 12 + 1)
    for k in range(MONTHS_BACK)
]
engine = session.engine()
towns = dict(cached.township_options(engine))
seed_from_link(
    {
        "view": (VIEW_KEY, {v: v for v in VIEWS}),
        "month": (session.COVERAGE_MONTH, {f"{y}-{m:02d}": (y, m) for y, m in months}),
        "township": (session.COVERAGE_TOWNSHIP, {str(i): i for i in towns}),
    },
)
cols = st.columns([2, 2, 3, 3])
view = cols[0].radio(
    t("coverage_view"),
    VIEWS,
    horizontal=True,
    format_func=lambda v: t(f"coverage_view_{v}"),
    key=VIEW_KEY,
)
year, month = cols[1].selectbox(
    t("month"),
    months,
    key=session.COVERAGE_MONTH,
    format_func=year_month,
    disabled=view == "today",
)
township_id = township_filter(cols[2], engine, session.COVERAGE_TOWNSHIP, towns, user)
level = cols[3].radio(
    t("level"),
    list(GRID_LEVELS),
    index=2,
    horizontal=True,
    format_func=level_name,
    key=session.COVERAGE_LEVEL,
)
try:
    if view == "today":
        data = cached.coverage_today(engine, today, level, township_id, user)
    else:
        data = cached.coverage(engine, year, month, level, township_id, user)
    volunteer_tracks = None
    if view == "month" and may(user.role, "read_volunteers"):
        # the volunteer teams' tracks of the month: their own layer, counted in no figure here
        first, last = month_bounds(year, month)
        with session_scope(engine) as s:
            volunteer_tracks = volunteers.tracks_geojson(s, user, first, last)
except ShuijianError as error:
    show_error(error)
    st.stop()

figures = data.figures
row = st.columns(1 + len(GRID_LEVELS))
share = percent(figures.share)
share_label = t("coverage_today_share" if view == "today" else "share_on_time")
row[0].metric(share_label, share, help=f"{figures.sites_on_time} / {figures.sites}")
for col, lv in zip(row[1:], GRID_LEVELS, strict=True):
    col.metric(t("dead_corners_of", level=level_name(lv)), figures.dead_corners[lv])

key = settings.optional_text("tianditu_key")
if view == "today":
    st.caption(t("coverage_today_note"))
st.caption(
    t("tracks_note", n=patrol_queries.TRACK_LIMIT)
    + ("" if has_basemap(key) else " " + t("map_offline_note"))
)
# A city or a province: the cells come as vector tiles (ui/vector_tiles.py), each square only
# what it holds, instead of one GeoJSON layer of every cell (README, "Maps at city and province
# scale"). The county stays GeoJSON: a thousand cells draw at once, popups and all.
tiles_url = None
if len(data.cells) > settings.integer("vector_tiles_above"):
    query = {"view": view, "month": f"{year}-{month:02d}", "level": level, "on": str(today)}
    if township_id is not None:
        query["township"] = township_id
    if scope.current_county() is not None:
        query["county"] = scope.current_county()  # a city account's choice; checked again
    tiles_url = f"{vector_tiles.URL_TEMPLATE}?{urlencode(query)}"
st_folium(
    coverage_map_figure(
        data,
        lang(),
        key,
        today=view == "today",
        registered=cached.registered_codes(engine),
        volunteer_tracks=volunteer_tracks,
        tiles_url=tiles_url,
    ),
    height=640,
    width="stretch",
    returned_objects=[],
    key=f"coverage_map_{view}_{year}_{month}_{level}_{township_id}_{lang()}_{tiles_url is None}",
)

st.subheader(t("dead_corners_heading"))
dead = data.dead_corners
if dead.empty:
    st.caption(t("no_dead_corners"))
else:
    dead = dead.assign(
        share=[percent(v) for v in dead["share"]],
        reasons=reasons_text(dead["sites_missed"], dead["sites_unassigned"], lang()),
    ).drop(columns=["sites_missed", "sites_unassigned"])
    labels = {
        "code": "col_cell",
        "township": "col_township",
        "sites": "col_sites",
        "sites_on_time": "col_on_time",
        "share": "col_share",
        "reasons": "col_reason",
    }
    st.dataframe(dead.rename(columns=lambda c: t(labels[c])), hide_index=True, width="stretch")
