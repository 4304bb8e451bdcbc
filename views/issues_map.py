"""问题地图 / Open-issues map: tickets by status on the map, filtered, with 交办处置率, 办结率,
on-time rate and satisfaction county-wide, and per township and per platform (平台处置率), each
with its definition (``tickets.figures``; the words are the catalogue's ``figure_def_*``).

Deputies may open it too, narrowed to the tickets they may see (their own reports, those they
follow, their township's), so they know what is already reported near them. The figures
follow the township, platform, category and dates chosen over every ticket (as the monthly
bulletin counts them), not the statuses: a rate is over every dispatched ticket.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from accounts.permissions import may
from core import clock, settings
from db.database import session_scope
from layers.basemap import has_basemap
from layers.tickets import tickets_map
from tickets import queries
from tickets.figures import county_rates, ticket_rates
from tickets.lifecycle import OPEN_STATUSES, STATUSES
from ui import cached, session
from ui.filters import township_filter
from ui.i18n import label, lang, percent, t
from ui.page import ISSUES_MAP, TICKET, guard, page_link
from ui.tickets import with_labels

RATE_COLUMNS = {
    "key": "col_group",
    "dispatched": "col_dispatched",
    "handled": "col_handled",
    "on_time": "col_on_time_n",
    "closed": "col_closed",
    "rated": "col_rated",
    "handling_rate": "rate_handling",
    "on_time_rate": "rate_on_time",
    "closing_rate": "rate_closing",
    "satisfaction": "rate_satisfaction",
}
RATE_SHARES = ("handling_rate", "on_time_rate", "closing_rate", "satisfaction")
LIST_COLUMNS = {
    "number": "col_number",
    "category": "col_category",
    "platform": "col_platform",
    "township": "col_township",
    "status_label": "col_status",
    "reported_at": "col_reported",
    "deadline": "col_deadline",
    "overdue": "col_overdue",
}


def rate_table(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[list(RATE_COLUMNS)].copy()
    for column in RATE_SHARES:
        out[column] = out[column].map(percent)
    return out.rename(columns=lambda c: t(RATE_COLUMNS[c]))


user = guard(ISSUES_MAP)
st.title(t("issues_heading"))
engine = session.engine()
today = clock.today()
names = lang() == "en"

# Two rows: five filters in one cut the chosen statuses and the end date off.
cols = st.columns(3)
township_id = township_filter(cols[0], engine, session.ISSUES_TOWNSHIP, user=user)
platforms = {c: (zh, en) for c, zh, en, _ in cached.platform_options(engine)}
platform = cols[1].selectbox(
    t("col_platform"),
    [None, *platforms],
    key=session.ISSUES_PLATFORM,
    format_func=lambda c: t("all") if c is None else platforms[c][names],
)
categories = {c: (zh, en) for c, zh, en in cached.category_options(engine)}
category = cols[2].selectbox(
    t("col_category"),
    [None, *categories],
    key=session.ISSUES_CATEGORY,
    format_func=lambda c: t("all") if c is None else categories[c][names],
)
cols = st.columns([2, 1])
# Pills, not a multiselect: its chips stay on one line and scroll, hiding statuses on a phone.
statuses = (
    cols[0].pills(
        t("col_status"),
        list(STATUSES),
        selection_mode="multi",
        default=list(OPEN_STATUSES),
        format_func=lambda s: label("ticket_status", s),
        key=session.ISSUES_STATUSES,
    )
    or []
)
dates = cols[1].date_input(
    t("date_range"), value=(today - timedelta(days=365), today), key=session.ISSUES_DATES
)
date_from = dates[0] if len(dates) > 0 else None
date_to = dates[1] if len(dates) > 1 else date_from
chosen = queries.TicketFilter(
    township_id=township_id,
    platform_code=platform,
    category_code=category,
    statuses=tuple(statuses),
    date_from=date_from,
    date_to=date_to,
    visible_to_deputy=None if may(user.role, "read_any_ticket") else user.deputy_id,
)
end = (date_to or today) + timedelta(days=1)
with session_scope(engine) as s:
    # The rates follow the township, platform, category and dates chosen; not the statuses: a
    # rate is over every dispatched ticket (open ones only would always handle 0 %).
    narrowed = dict(
        township_id=township_id, platform_code=platform, category_code=category, viewer=user
    )
    figures = county_rates(s, date_from, end, **narrowed)
    by_township = ticket_rates(s, "township", date_from, end, **narrowed)
    by_platform = ticket_rates(s, "platform", date_from, end, **narrowed)
    by_platform["key"] = [platforms[c][names] if c in platforms else c for c in by_platform["key"]]
    shown = queries.tickets_geo(s, chosen, today=today, viewer=user)

row = st.columns(3)
row[0].metric(t("issues_shown"), len(shown))
row[1].metric(t("issues_overdue"), int(shown["overdue"].sum()) if not shown.empty else 0)
row[2].metric(
    t("rate_dispatched_handling"),
    percent(figures["handling_rate"]),
    help=t("figure_def_dispatched_handling"),
)
# 有奖举报: tickets from public reports, counted apart (they are no deputy's reports).
from_public = int((shown["source"] == "public").sum()) if not shown.empty else 0
st.caption(t("issues_public_reports", n=from_public))
row = st.columns(3)
row[0].metric(t("rate_closing"), percent(figures["closing_rate"]), help=t("figure_def_closing"))
row[1].metric(t("rate_on_time"), percent(figures["on_time_rate"]), help=t("figure_def_on_time"))
row[2].metric(
    t("rate_satisfaction"), percent(figures["satisfaction"]), help=t("rate_satisfaction_help")
)

st.subheader(t("map_heading"))
outlines = cached.map_layers(engine, township_id, user)
key = settings.optional_text("tianditu_key")
if not has_basemap(key):
    st.caption(t("map_offline_note"))
st_folium(
    tickets_map(shown, outlines.county, outlines.townships, lang(), key, outlines.bounds),
    height=560,
    use_container_width=True,
    returned_objects=[],
    key=f"issues_map_{abs(hash(chosen))}_{lang()}",
)

left, right = st.columns(2)
with left:
    st.subheader(t("rates_by_township"))
    st.dataframe(rate_table(by_township), hide_index=True, width="stretch")
with right:
    st.subheader(t("rates_by_platform"))
    st.dataframe(rate_table(by_platform), hide_index=True, width="stretch")
for definition in (
    "rates_follow_filters",
    "figure_def_dispatched_handling",
    "figure_def_platform_handling",
    "figure_def_on_time",
    "figure_def_closing",
):
    st.caption(t(definition))

st.subheader(t("issues_list"))
if shown.empty:
    st.info(t("issues_none"))
    st.stop()
listing = with_labels(pd.DataFrame(shown.drop(columns="geom")), lang())
listing["overdue"] = listing["overdue"].map({True: t("yes"), False: t("no")})
st.dataframe(
    listing[list(LIST_COLUMNS)].rename(columns=lambda c: t(LIST_COLUMNS[c])),
    hide_index=True,
    width="stretch",
)
numbers = list(listing["number"])
picked = st.selectbox(t("open_which"), numbers, key=session.ISSUES_OPEN)
page_link(TICKET, t("open_ticket", number=picked), {"number": picked})
