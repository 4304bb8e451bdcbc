"""督查组 / Supervision groups: the groups (leader, members, townships), their visits with
findings, per township; record a check-in or a track; staff manage groups."""

from __future__ import annotations

from datetime import datetime, timedelta

import streamlit as st
from streamlit_folium import st_folium

import i18n
from accounts.permissions import may
from core import clock, settings
from core.errors import ShuijianError
from db.database import session_scope
from duty import supervision
from layers.supervision import supervision_map
from ui import cached, session
from ui.filters import township_filter
from ui.i18n import lang, t
from ui.page import SUPERVISION, guard, show_error

VISIT_COLUMNS = {"kind": "supervision_visit_kind"}
DEFAULT_STEP = timedelta(minutes=5)  # the time input's step and the default's rounding


def _table(frame, columns: list[str]) -> None:
    shown = i18n.headed(frame[columns], "sup_column", lang(), VISIT_COLUMNS)
    st.dataframe(shown, hide_index=True, width="stretch")


def _findings(text: str, photo) -> list[supervision.NewFinding]:
    lines = [line for line in text.splitlines() if line.strip()]
    found = [supervision.NewFinding(line) for line in lines]
    if photo is not None:
        data = photo.getvalue()
        if found:
            found[0] = supervision.NewFinding(found[0].text, data, photo.name)
        else:
            found = [supervision.NewFinding("", data, photo.name)]  # refused: a photo needs text
    return found


def _checkin_default() -> datetime:
    """The check-in form's date and time: the county's local now, rounded down to 5 minutes
    (never ahead of the clock the service checks against)."""
    now = clock.local_now().replace(second=0, microsecond=0)
    return now - timedelta(minutes=now.minute % (DEFAULT_STEP.seconds // 60))


def record_form(user, groups) -> None:
    """A check-in or a track, with findings; the service checks everything before storing."""
    st.subheader(t("sup_record"))
    codes = dict(zip(groups["code"], groups["name"], strict=True))
    group = st.selectbox(t("sup_group"), list(codes), format_func=codes.get, key="sup_group")
    with session_scope(engine) as s:
        group_id = int(groups.loc[groups["code"] == group, "id"].iloc[0])
        towns = supervision.group_townships(s, group_id, today)
    if not towns:
        st.info(t("sup_no_assigned"))
        return
    checkin, track = st.tabs([t("sup_tab_checkin"), t("sup_tab_gpx")])
    with checkin, st.form("sup_checkin", clear_on_submit=False):
        town = st.selectbox(t("sup_township"), [n for _, n in towns])
        place = st.text_input(t("sup_place"))
        c1, c2, c3, c4 = st.columns(4)
        # Now, to the 5 minutes before: a default in the future would be refused (at 07:00,
        # "09:00" was), hiding whatever else is wrong. Keyed, so a rerun keeps what was set.
        moment = _checkin_default()
        day = c1.date_input(t("sup_date"), value=moment.date(), key="sup_checkin_date")
        at = c2.time_input(
            t("sup_time"), value=moment.time(), step=DEFAULT_STEP, key="sup_checkin_time"
        )
        lon = c3.number_input(t("sup_lon"), value=None, format="%.6f")
        lat = c4.number_input(t("sup_lat"), value=None, format="%.6f")
        text = st.text_area(t("sup_findings"))
        photo = st.file_uploader(t("sup_photo"), type=["jpg", "jpeg", "png"])
        if st.form_submit_button(t("sup_save")):
            when = datetime.combine(day, at, tzinfo=clock.zone())
            _save(
                lambda s: supervision.record_checkin(
                    s, user, group, town, place, when, _findings(text, photo), lon=lon, lat=lat
                )
            )
    with track, st.form("sup_gpx", clear_on_submit=False):
        town = st.selectbox(t("sup_township"), [n for _, n in towns], key="sup_gpx_town")
        place = st.text_input(t("sup_place"), key="sup_gpx_place")
        gpx = st.file_uploader(t("sup_gpx_file"), type=["gpx"])
        gcj02 = st.checkbox(t("sup_gcj02"))
        text = st.text_area(t("sup_findings"), key="sup_gpx_findings")
        if st.form_submit_button(t("sup_save")) and gpx is not None:
            _save(
                lambda s: supervision.record_gpx_visit(
                    s,
                    user,
                    group,
                    town,
                    gpx.getvalue(),
                    gpx.name,
                    _findings(text, None),
                    place=place,
                    gcj02=gcj02,
                )
            )


def _save(call) -> None:
    try:
        with session_scope(engine) as s:
            visit = call(s)
            number = visit.id
    except ShuijianError as error:
        show_error(error)
        return
    st.success(t("sup_saved", visit=number))


def manage_form(user) -> None:
    """New groups and their townships (members and leader changes: the command line)."""
    with st.expander(t("sup_manage")):
        with st.form("sup_new_group"):
            st.markdown(f"**{t('sup_new_group')}**")
            c1, c2, c3, c4, c5 = st.columns(5)
            code = c1.text_input(t("sup_code"))
            name = c2.text_input(t("sup_name"))
            leader = c3.text_input(t("sup_leader"))
            title = c4.text_input(t("sup_leader_title"))
            since = c5.date_input(t("sup_since"), value=today)
            if st.form_submit_button(t("sup_add_group")):
                _manage(lambda s: supervision.add_group(s, user, code, name, leader, title, since))
        if groups.empty:
            return
        with st.form("sup_assign"):
            st.markdown(f"**{t('sup_assign')}**")
            c1, c2, c3 = st.columns(3)
            codes = dict(zip(groups["code"], groups["name"], strict=True))
            group = c1.selectbox(t("sup_group"), list(codes), format_func=codes.get)
            town = c2.selectbox(t("sup_township"), list(towns.values()))
            since = c3.date_input(t("sup_since"), value=today, key="sup_assign_since")
            if st.form_submit_button(t("sup_do_assign")):
                _manage(lambda s: supervision.assign_township(s, user, group, town, since))


def _manage(call) -> None:
    try:
        with session_scope(engine) as s:
            call(s)
    except ShuijianError as error:
        show_error(error)
        return
    st.success(t("sup_done"))


user = guard(SUPERVISION)
st.title(t("sup_heading"))
engine = session.engine()
today = clock.today()
towns = dict(cached.township_options(engine))
cols = st.columns(3)
first = cols[0].date_input(t("sup_from"), value=today.replace(day=1), key="sup_from")
last = cols[1].date_input(t("sup_to"), value=today, key="sup_to")
township_id = township_filter(cols[2], engine, "sup_township_filter", towns, user)
try:
    with session_scope(engine) as s:
        groups = supervision.groups_frame(s, user, today)
        visits = supervision.visits_frame(s, user, first, last, township_id=township_id)
        summary = supervision.township_summary(s, first, last)
        geo = supervision.visit_geojson(s, user, first, last, township_id=township_id)
except ShuijianError as error:
    show_error(error)
    st.stop()

metrics = st.columns(3)
metrics[0].metric(t("sup_visits_metric"), len(visits))
metrics[1].metric(t("sup_findings_metric"), int(visits["findings"].sum()) if len(visits) else 0)
metrics[2].metric(t("sup_townships_metric"), int((summary["visits"] > 0).sum()))

st.subheader(t("sup_groups"))
if groups.empty:
    st.info(t("sup_no_groups"))
else:
    _table(groups, ["code", "name", "leader", "members", "townships"])

st.subheader(t("sup_visits"))
if visits.empty:
    st.info(t("sup_no_visits"))
else:
    visits = visits.assign(
        started_at=[
            i18n.day(v, lang()) + f" {v:%H:%M}"
            for v in visits["started_at"].dt.tz_convert(clock.zone())
        ]
    )
    _table(
        visits,
        [
            "started_at",
            "kind",
            "group_name",
            "township",
            "place",
            "findings",
            "photos",
            "finding_text",
        ],
    )

st.caption(t("sup_map_note"))
shapes = cached.map_layers(engine, township_id, user)
st_folium(
    supervision_map(
        geo,
        shapes.townships,
        shapes.bounds,
        lang(),
        settings.optional_text("tianditu_key"),
        county=shapes.county,
    ),
    height=420,
    width="stretch",
    returned_objects=[],
    key=f"sup_map_{first}_{last}_{township_id}_{lang()}",
)

st.subheader(t("sup_by_township"))
_table(summary, ["township", "groups", "visits", "checkins", "tracks", "findings"])

if may(user.role, "record_supervision_visit") and not groups.empty:
    record_form(user, groups)
if may(user.role, "manage_supervision_groups"):
    manage_form(user)
