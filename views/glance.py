"""今日概况 / Today: a leader's landing page. Where patrols stand today (overdue now, never
patrolled), this month's on-time share beside last month's, tickets, the bulletin's township
ranking, a 12-month trend and the map by today's state — each figure computed by the service
that defines it (`reports.glance`) and linked to the page that explains it."""

from __future__ import annotations

from datetime import date, timedelta

import altair as alt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

import i18n
from core import clock, settings
from core.errors import ShuijianError
from layers.basemap import has_basemap
from layers.today import today_map
from reports.glance import Glance, MonthShare, Ranking, standing_for
from ui import cached, session
from ui.filters import township_filter
from ui.i18n import day, label, lang, month, number, percent, t
from ui.page import COVERAGE, DUE, EVALUATION, GLANCE, ISSUES_MAP, guard, page_link, show_error

TOWNSHIP_KEY = "shuijian_glance_township"
OVERDUE_COLUMNS = {
    "site_name": "col_site",
    "township": "col_township",
    "deputy_name": "col_deputy",
    "site_class": "col_class",
    "last_visit": "col_last_visit",
    "deadline": "col_deadline",
    "days_overdue": "glance_days_overdue",
}
RANKING_COLUMNS = ["rank", "township", "mean_score", "on_time_share", "deputies"]
TREND_FIGURES = {"on_time_share": "glance_trend_on_time", "handling_rate": "glance_trend_handling"}
TREND_COLOURS = ["#2b8cbe", "#e6550d"]


def _month_param(share: MonthShare) -> str:
    return f"{share.year}-{share.month:02d}"


def _coverage_params(township_id: int | None, **params: str) -> dict[str, str]:
    """Query parameters the coverage page reads (view, month, township)."""
    return params | ({"township": str(township_id)} if township_id is not None else {})


def _month_help(key: str, share: MonthShare) -> str:
    first = date(share.year, share.month, 1)
    return t(key, month=month(first), on_time=share.sites_on_time, sites=share.sites)


def patrols(data: Glance, township_id: int | None) -> None:
    st.subheader(t("glance_patrols"))
    row = st.columns(4)
    row[0].metric(t("glance_overdue"), number(data.overdue), help=t("glance_overdue_help"))
    row[1].metric(
        t("glance_due_soon"),
        number(data.due_soon),
        help=t("glance_due_soon_help", days=settings.integer("due_soon_days")),
    )
    row[2].metric(t("glance_never"), number(data.never_patrolled), help=t("glance_never_help"))
    row[3].metric(t("glance_unassigned"), number(data.unassigned))
    if data.overdue:
        oldest = t(
            "glance_overdue_since", day=day(data.oldest_deadline), days=data.longest_overdue_days
        )
        st.caption(oldest)
    else:
        st.caption(t("glance_nothing_overdue"))
    links = st.columns(2)
    with links[0]:
        due = {"status": "overdue"} | (
            {"township": str(township_id)} if township_id is not None else {}
        )
        page_link(DUE, t("glance_link_due"), due)
    with links[1]:
        page_link(
            COVERAGE,
            t("glance_link_coverage_today"),
            _coverage_params(township_id, view="today"),
        )
    if data.overdue:
        with st.expander(t("glance_overdue_list", n=data.overdue)):
            shown = data.overdue_sites[list(OVERDUE_COLUMNS)].copy()
            shown["site_class"] = [label("site_class", int(c)) for c in shown["site_class"]]
            shown["last_visit"] = [
                day(v) if pd.notna(v) else i18n.NONE for v in shown["last_visit"]
            ]
            shown["deadline"] = [day(v) for v in shown["deadline"]]
            shown["township"] = shown["township"].fillna(i18n.NONE)
            shown = shown.rename(columns=lambda c: t(OVERDUE_COLUMNS[c]))
            st.dataframe(shown, hide_index=True, width="stretch")

    row = st.columns(2)
    for col, share, key, help_key, link_key in (
        (row[0], data.this_month, "glance_month_share", "glance_month_share_help",
         "glance_link_coverage_month"),
        (row[1], data.last_month, "glance_last_month_share", "glance_last_month_help",
         "glance_link_coverage_last"),
    ):  # fmt: skip
        with col:
            st.metric(t(key), percent(share.share), help=_month_help(help_key, share))
            page_link(
                COVERAGE,
                t(link_key),
                _coverage_params(township_id, view="month", month=_month_param(share)),
            )


def tickets(data: Glance) -> None:
    st.subheader(t("glance_tickets"))
    figures = data.tickets
    row = st.columns(4)
    row[0].metric(t("glance_open_tickets"), number(figures.open), help=t("glance_open_help"))
    row[1].metric(
        t("glance_overdue_tickets"),
        number(figures.overdue),
        help=t("glance_overdue_tickets_help"),
    )
    row[2].metric(
        t("rate_dispatched_handling"),
        percent(figures.handling_rate),
        help=t("figure_def_dispatched_handling"),
    )
    row[3].metric(
        t("rate_satisfaction"), percent(figures.satisfaction), help=t("rate_satisfaction_help")
    )
    last_day = figures.end - timedelta(days=1)  # [start, end): end is the day after today
    days = (last_day - figures.start).days
    st.caption(t("glance_rates_window", start=day(figures.start), end=day(last_day), days=days))
    public = figures.public_reports
    st.metric(
        t("glance_public_reports"),
        number(public.get("total", 0)),
        help=t(
            "glance_public_reports_help",
            pending=public.get("pending", 0),
            accepted=public.get("accepted", 0),
            rejected=public.get("rejected", 0),
        ),
    )
    page_link(ISSUES_MAP, t("glance_link_issues"))


def ranking(standing: Ranking, township: str | None, ranked: int) -> None:
    """The month's township ranking; ``ranked``: how many townships the county ranks (a
    township account's ``standing`` holds its own row only)."""
    st.subheader(t("glance_ranking", month=month(date(standing.year, standing.month, 1))))
    towns = standing.townships
    if towns.empty:
        st.info(t("glance_ranking_empty"))
        return
    st.caption(t("glance_ranking_note"))
    mine = towns[towns["township"] == township] if township else towns.iloc[0:0]
    if len(mine):
        st.metric(
            t("glance_rank_of"),
            t("glance_rank_value", rank=int(mine.iloc[0]["rank"]), of=ranked),
        )
    shown = towns[RANKING_COLUMNS].copy()
    shown["on_time_share"] = [percent(v, 1) for v in shown["on_time_share"]]
    shown["mean_score"] = [number(v, 2) for v in shown["mean_score"]]
    st.dataframe(i18n.headed(shown, "evaluation_column", lang()), hide_index=True, width="stretch")
    page_link(EVALUATION, t("glance_link_evaluation"))


def trend_chart(trend: pd.DataFrame) -> None:
    """On-time share and 处置率 per month as two lines (Altair, drawn by Streamlit's own
    bundled Vega: nothing is fetched). Months are labels, not times, so no browser time
    zone can move a point into the month before."""
    st.subheader(t("glance_trend"))
    long = trend.assign(label=[f"{m:%Y-%m}" for m in trend["month"]]).melt(
        id_vars="label", value_vars=list(TREND_FIGURES), var_name="figure", value_name="value"
    )
    long = long.dropna(subset=["value"])
    if long.empty:
        st.info(t("glance_trend_empty"))
        return
    names = {code: t(key) for code, key in TREND_FIGURES.items()}
    long["figure"] = long["figure"].map(names)
    month_title, value_title, figure_title = (
        t("glance_trend_month"),
        t("glance_trend_value"),
        t("glance_trend_figure"),
    )
    chart = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("label:O", title=month_title, sort=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(
                "value:Q",
                title=value_title,
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color(
                "figure:N",
                title=figure_title,
                scale=alt.Scale(domain=list(names.values()), range=TREND_COLOURS),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("label:O", title=month_title),
                alt.Tooltip("figure:N", title=figure_title),
                alt.Tooltip("value:Q", title=value_title, format=".1%"),
            ],
        )
        .properties(height=280)
    )
    st.altair_chart(chart, width="stretch")
    st.caption(t("glance_trend_note"))


user = guard(GLANCE)
st.title(t("glance_heading"))
engine = session.engine()
today = clock.today()
try:
    towns = dict(cached.township_options(engine))
    township_id = township_filter(st, engine, TOWNSHIP_KEY, towns, user)
    data = cached.glance(engine, today, township_id, user)
    trend = cached.glance_trend(engine, today, township_id, user)
    county_standing = cached.township_standing(engine, today)
    town_name = towns.get(township_id) if township_id is not None else None
    standing = standing_for(county_standing, user, town_name)
    sites = cached.today_sites(engine, today, township_id, user)
    outlines = cached.map_layers(engine, township_id, user)
except ShuijianError as error:
    show_error(error)
    st.stop()

st.caption(t("glance_as_of", day=day(today)))
patrols(data, township_id)
tickets(data)
left, right = st.columns(2)
with left:
    ranking(standing, town_name, len(county_standing.townships))
with right:
    trend_chart(trend)

st.subheader(t("glance_map"))
key = settings.optional_text("tianditu_key")
st.caption(t("glance_map_note") + ("" if has_basemap(key) else " " + t("map_offline_note")))
st_folium(
    today_map(sites, outlines.county, outlines.townships, lang(), key, outlines.bounds),
    height=560,
    width="stretch",
    returned_objects=[],
    key=f"glance_map_{township_id}_{lang()}",
)
page_link(COVERAGE, t("glance_link_coverage_today"), _coverage_params(township_id, view="today"))
