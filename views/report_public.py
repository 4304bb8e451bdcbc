"""有奖举报 / Report a water problem: open to anyone, no account.

A photo, the place (a map click, else the photo's EXIF GPS), the kind of problem, a
description, and a phone confirmed by a one-time code sent through the SMS hook; the reporter
gets a receipt code and follows the report by it in the second tab. Everything is checked
in `tickets.public_reports`; this page collects and says. Nothing on it shows anyone's
contact: the status by receipt carries none.
"""

from __future__ import annotations

import geopandas as gpd
import streamlit as st
from streamlit_folium import st_folium

from core import clock, settings
from core.errors import ShuijianError
from core.photos import inspect_photo
from db.database import session_scope
from duty.reminders.channels import sms_text_sender
from layers.tickets import chosen_point, report_map
from tickets import public_reports as pr
from tickets.service import Upload
from ui import cached, session
from ui.i18n import day, label, lang, t
from ui.page import show_error

PHOTO_TYPES = ["jpg", "jpeg", "png"]
# Session keys of this page (like ui/session.py's, named for the page).
POINT = "shuijian_pr_point"  # (lon, lat) clicked
LAST_CLICK = "shuijian_pr_last_click"
NONCE = "shuijian_pr_nonce"  # a new form after a report is sent
RECEIPT = "shuijian_pr_receipt"
CODE_SENT = "shuijian_pr_code_sent"

state = st.session_state
state.setdefault(NONCE, 0)
nonce = int(state[NONCE])


def _client() -> str:
    """Who is asking, for the limits per client: the connection's address, as sign-in
    throttling keys it."""
    return session.client_address() or "unknown"


st.title(t("pr_heading"))
st.caption(t("pr_intro"))
engine = session.engine()
report_tab, follow_tab = st.tabs([t("pr_tab_report"), t("pr_tab_follow")])

with report_tab:
    if state.get(RECEIPT):
        st.success(t("pr_done", receipt=state[RECEIPT]))
    uploaded = st.file_uploader(t("pr_photo"), type=PHOTO_TYPES, key=f"pr_photo_{nonce}")
    photo = Upload(uploaded.name, uploaded.getvalue()) if uploaded is not None else None
    exif_point = None
    if photo is not None:
        try:
            info = inspect_photo(photo.data, photo.filename, settings.text("timezone"))
            if info.lon is not None and info.lat is not None:
                exif_point = (round(info.lon, 6), round(info.lat, 6))
        except ShuijianError as error:
            show_error(error)

    st.subheader(t("pr_where"))
    st.caption(t("pr_click_hint"))
    try:
        outlines = cached.map_layers(engine, None, everyone=True)
    except ShuijianError as error:
        show_error(error)
        st.stop()
    point = state.get(POINT)
    no_sites = gpd.GeoDataFrame({"name": [], "code": []}, geometry=[], crs=4326)
    result = st_folium(
        report_map(
            no_sites,
            outlines.county,
            outlines.townships,
            lang(),
            settings.optional_text("tianditu_key"),
        ),
        height=420,
        use_container_width=True,
        returned_objects=["last_clicked"],
        feature_group_to_add=chosen_point(point or exif_point, lang()),
        key=f"pr_map_{lang()}_{nonce}",
    )
    click = (result or {}).get("last_clicked")
    if click:
        clicked = (round(float(click["lng"]), 6), round(float(click["lat"]), 6))
        if clicked != state.get(LAST_CLICK):
            state[LAST_CLICK] = clicked
            state[POINT] = clicked
            st.rerun()
    if point is not None:
        st.caption(t("pr_point", lon=point[0], lat=point[1]))
    elif exif_point is not None:
        st.caption(t("pr_point_exif", lon=exif_point[0], lat=exif_point[1]))
    else:
        st.caption(t("pr_no_point"))

    categories = {code: (zh, en) for code, zh, en in cached.category_options(engine)}
    category = st.selectbox(
        t("pr_category"),
        list(categories),
        format_func=lambda c: categories[c][0 if lang() == "zh" else 1],
        key=f"pr_category_{nonce}",
    )
    description = st.text_area(
        t("pr_description"), max_chars=pr.DESCRIPTION_MAX, key=f"pr_text_{nonce}"
    )
    phone = st.text_input(t("pr_phone"), max_chars=20, key=f"pr_phone_{nonce}")
    if st.button(t("pr_send_code"), key=f"pr_send_{nonce}"):
        try:
            with session_scope(engine) as s:
                pr.request_code(s, phone, _client(), sms_text_sender())
            state[CODE_SENT] = True
            st.success(t("pr_code_sent", minutes=settings.integer("public_code_minutes")))
        except ShuijianError as error:
            show_error(error)
    code = st.text_input(t("pr_code"), max_chars=6, key=f"pr_code_{nonce}")
    if st.button(t("pr_submit"), type="primary", key=f"pr_submit_{nonce}"):
        lon, lat = point if point is not None else (None, None)
        submission = pr.Submission(phone, code, category, description, photo, lon, lat)
        try:
            with session_scope(engine) as s:
                receipt = pr.submit_report(s, submission, _client())
        except ShuijianError as error:
            show_error(error)
        else:
            state[RECEIPT] = receipt
            state[NONCE] = nonce + 1
            for key in (POINT, LAST_CLICK, CODE_SENT):
                state.pop(key, None)
            st.rerun()

with follow_tab:
    with st.form("pr_follow"):
        receipt = st.text_input(t("pr_receipt"), max_chars=20, key="pr_receipt")
        asked = st.form_submit_button(t("pr_lookup"))
    if asked:
        try:
            with session_scope(engine) as s:
                status = pr.report_status(s, receipt)
        except ShuijianError as error:
            show_error(error)
        else:
            names = {
                c: zh if lang() == "zh" else en for c, zh, en in cached.category_options(engine)
            }
            st.info(t("pr_status", status=label("public_report_status", status.status)))
            st.markdown(
                t(
                    "pr_status_category",
                    category=names.get(status.category_code, status.category_code),
                )
            )
            st.markdown(t("pr_status_date", date=day(clock.local_date(status.created_at))))
            if status.ticket_number:
                st.markdown(
                    t(
                        "pr_status_ticket",
                        number=status.ticket_number,
                        status=label("ticket_status", status.ticket_status),
                    )
                )
            if status.reject_reason:
                st.markdown(t("pr_status_reason", reason=status.reject_reason))
            if status.reward is not None:
                st.markdown(t("pr_status_reward", amount=f"{status.reward:.2f}"))
