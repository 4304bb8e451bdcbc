"""志愿巡河 / Volunteer patrols: the teams (骑行河长, 老骥常青), their members, the month's duty
days (the lunar 15th and the month's end) done or missed; staff upload tracks and import CSV.
Counted apart from the deputies: nothing here enters their duty or evaluation."""

from __future__ import annotations

import calendar
from datetime import date

import streamlit as st

import i18n
from accounts.permissions import may
from core import clock
from core.errors import ShuijianError
from db.database import session_scope
from duty import volunteers
from duty.volunteer_dates import month_duty_days
from ui import session
from ui.i18n import lang, t, year_month
from ui.page import VOLUNTEERS, guard, show_error

MONTHS_BACK = 12
VALUE_LABELS = {
    "kind": "volunteer_kind",
    "status": "volunteer_duty_status",
    "kinds": "volunteer_duty_kind",
}


def _day(value) -> str:
    return i18n.NONE if value is None or value != value else i18n.day(value, lang())


def _table(frame, columns: list[str]) -> None:
    frame = frame[columns].copy()
    for column in {"day", "joined_on", "left_on"} & set(columns):
        frame[column] = [_day(v) for v in frame[column]]
    shown = i18n.headed(frame, "vol_column", lang(), VALUE_LABELS)
    st.dataframe(shown, hide_index=True, width="stretch")


def upload_form(user, members) -> None:
    st.subheader(t("vol_upload"))
    names = {
        i: t("with_aside", name=name, aside=team)
        for i, name, team in zip(members["id"], members["name"], members["team"], strict=True)
    }
    with st.form("vol_upload", clear_on_submit=True):
        member = st.selectbox(t("vol_member"), list(names), format_func=names.get)
        gpx = st.file_uploader(t("vol_gpx"), type=["gpx"])
        gcj02 = st.checkbox(t("sup_gcj02"))
        if not st.form_submit_button(t("vol_do_upload")) or gpx is None:
            return
    try:
        with session_scope(engine) as s:
            result = volunteers.ingest_volunteer_gpx(
                s, gpx.getvalue(), gpx.name, member_id=int(member), uploader=user, gcj02=gcj02
            )
    except ShuijianError as error:
        show_error(error)
        return
    if result.duplicate:
        st.info(t("vol_duplicate", filename=result.filename))
    elif result.flags:
        st.warning(
            t("vol_uploaded_flagged", filename=result.filename, flags=", ".join(result.flags))
        )
    else:
        st.success(t("vol_uploaded", filename=result.filename, visits=result.visits))


def import_form(user) -> None:
    with st.expander(t("vol_import")), st.form("vol_import"):
        teams_file = st.file_uploader(t("vol_import_teams"), type=["csv"])
        members_file = st.file_uploader(t("vol_import_members"), type=["csv"])
        if not st.form_submit_button(t("vol_do_import")):
            return
        try:
            n = 0
            with session_scope(engine) as s:
                if teams_file is not None:
                    n += volunteers.import_teams(s, user, teams_file.getvalue(), teams_file.name)
                if members_file is not None:
                    n += volunteers.import_members(
                        s, user, members_file.getvalue(), members_file.name
                    )
        except ShuijianError as error:
            show_error(error)
            return
        st.success(t("vol_imported", n=n))


user = guard(VOLUNTEERS)
st.title(t("vol_heading"))
st.caption(t("vol_note"))
engine = session.engine()
today = clock.today()
months = [
    ((today.year * 12 + today.month - 1 - k) // 12, (today.month - 1 - k) % 12 + 1)
    for k in range(MONTHS_BACK)
]
cols = st.columns(2)
year, month = cols[0].selectbox(t("vol_month"), months, format_func=year_month, key="vol_month")
first = date(year, month, 1)
last = date(year, month, calendar.monthrange(year, month)[1])
try:
    with session_scope(engine) as s:
        teams = volunteers.teams_frame(s, user, last)
        members = volunteers.members_frame(s, user)
        team_names = dict(zip(teams["id"], teams["name"], strict=True))
        team_id = cols[1].selectbox(
            t("vol_team_filter"),
            [None, *team_names],
            format_func=lambda i: t("all") if i is None else team_names[i],
            key="vol_team",
        )
        duty = volunteers.duty_frame(s, user, first, last, team_id=team_id)
except ShuijianError as error:
    show_error(error)
    st.stop()

days = t("list_separator").join(
    t(
        "with_aside",
        name=i18n.day(d.day, lang()),
        aside=i18n.label("volunteer_duty_kind", "+".join(d.kinds), lang()),
    )
    for d in month_duty_days(year, month)
)
st.markdown(t("vol_duty_days", days=days))
metrics = st.columns(2)
metrics[0].metric(t("vol_done_metric"), int((duty["status"] == "done").sum()))
metrics[1].metric(t("vol_missed_metric"), int((duty["status"] == "missed").sum()))

st.subheader(t("vol_teams"))
if teams.empty:
    st.info(t("vol_no_teams"))
else:
    _table(teams, ["code", "name", "kind", "township", "members"])
    st.subheader(t("vol_members"))
    _table(members, ["code", "name", "team", "kind", "joined_on", "left_on"])

st.subheader(t("vol_duty"))
if duty.empty:
    st.info(t("vol_no_duty"))
else:
    _table(volunteers.duty_summary(duty), ["team", "day", "kinds", "done", "missed"])
    _table(duty, ["day", "kinds", "team", "code", "name", "status"])

if may(user.role, "upload_volunteer_patrol") and not members.empty:
    upload_form(user, members)
if may(user.role, "manage_volunteers"):
    import_form(user)
