"""交办单 / Ticket: header, timeline, photos, a small map, and the moves this user may make now.

Who may view: leaders, analysts and admins every ticket; a deputy their own reports, tickets
they follow, tickets in their township and tickets they re-inspect (tickets.queries.may_view).
Who may act comes from the lifecycle table (`available_actions`) for the role the user plays
(`actor_for`): the reporting deputy withdraws, re-inspects and rates; on a ticket nobody
reported (a platform's) its re-inspector — the site's deputy, or the deputy an analyst
designated — re-inspects and rates; analysts dispatch (re-routing after a rejection),
designate that deputy and, for a platform without an API, accept, return or feed back on its
behalf.
"""

from __future__ import annotations

import geopandas as gpd
import streamlit as st
from shapely import Point
from streamlit_folium import st_folium

from accounts.permissions import may
from core import settings
from core.errors import PermissionDenied, ShuijianError
from core.vocab import checklist_for
from db.database import session_scope
from layers.tickets import ticket_map
from tickets import queries
from tickets.lifecycle import RATINGS
from tickets.service import (
    Actor,
    Upload,
    actor_for,
    available_actions,
    designate_reinspector,
    get_ticket,
    move,
    rate,
    reinspect,
    status_of,
)
from ui import cached, session
from ui.figures import show_facts
from ui.i18n import label, lang, t
from ui.page import ISSUES_MAP, TICKET, WORKLIST, guard, page_link, show_error
from ui.tickets import header, timeline_table

PHOTO_TYPES = ["jpg", "jpeg", "png"]
TIMELINE_COLUMNS = {
    "at": "col_at",
    "who": "col_who",
    "action": "col_action",
    "change": "col_change",
    "comment": "col_comment",
    "attachments": "col_attachments",
}

user = guard(TICKET)
st.title(t("ticket_heading"))
engine = session.engine()
state = st.session_state


def key(action: str, name: str) -> str:
    return f"{session.TICKET_ACTION_PREFIX}_{action}_{name}"


number = st.query_params.get("number") or state.get(session.TICKET_NUMBER) or ""
number = st.text_input(t("ticket_number"), value=number).strip()
if not number:
    has_worklist = may(user.role, "view_worklist")
    st.info(t("ticket_need_number" if has_worklist else "ticket_need_number_map"))
    st.stop()
state[session.TICKET_NUMBER] = number
if st.query_params.get("number") != number:
    st.query_params["number"] = number

flash = state.pop(session.TICKET_FLASH, None)
if flash:
    st.success(flash)

try:
    with session_scope(engine) as s:
        detail = queries.ticket_detail(s, number, user)
        ticket = get_ticket(s, number)
        status = status_of(s, ticket.id)
        try:
            actor: Actor | None = actor_for(user, ticket)
        except PermissionDenied:
            actor = None  # a leader, or a deputy viewing someone else's report: read only
except ShuijianError as error:
    show_error(error)
    st.stop()

head = header(detail.header, lang())
show_facts(
    [
        (t("col_number"), head["number"]),
        (t("col_status"), head["status_label"]),
        (t("col_category"), head["category"]),
        (t("col_platform"), head["platform"]),
        (t("col_township"), head["township"] or "—"),
        (t("col_site"), head["site"] or "—"),
        (t("col_deadline"), head["deadline"]),
        (t("col_overdue"), t("yes") if head["overdue"] else t("no")),
    ]
)
if head["overdue"]:
    st.error(t("ticket_overdue", deadline=head["deadline"]))
st.markdown(t("labelled", name=f"**{t('report_description')}**", value=head["description"]))
# 有奖举报: a public report names no one (its reporter's contact stays with the moderators).
public = head.get("source") == "public"
who = head["reporter"] or (t("ticket_public_report") if public else "—")
st.caption(t("ticket_reported_by", who=who, at=head["reported_at"]))
if detail.followers:
    st.caption(t("ticket_followers", names=t("list_separator").join(detail.followers)))
has_reporter = detail.header.get("reporter_deputy_id") is not None
if detail.reinspector is not None:
    st.caption(t(f"reinspector_{detail.reinspector['basis']}", name=detail.reinspector["name"]))
elif not has_reporter:
    st.warning(t("reinspector_none"))

st.subheader(t("timeline_heading"))
st.dataframe(
    timeline_table(detail.timeline, lang())[list(TIMELINE_COLUMNS)].rename(
        columns=lambda c: t(TIMELINE_COLUMNS[c])
    ),
    hide_index=True,
    width="stretch",
)

left, right = st.columns([3, 2])
with left:
    st.subheader(t("photos_heading"))
    if not detail.photos:
        st.caption(t("none_yet"))
    for photo in detail.photos:
        # By the step it documents and when it was taken: a phone's file name says nothing.
        step = label("ticket_action", photo["action"]) if photo["action"] else t("photo")
        taken = t("photo_taken_at", at=photo["taken_at"]) if photo["taken_at"] else ""
        caption = " · ".join(part for part in (step, taken) if part)
        st.image(bytes(photo["content"]), caption=caption, width=280)
with right:
    st.subheader(t("map_heading"))
    frame = gpd.GeoDataFrame([head], geometry=[Point(detail.lon, detail.lat)], crs=4326)
    st_folium(
        ticket_map(
            frame,
            lang(),
            settings.optional_text("tianditu_key"),
            townships=cached.map_layers(engine, None, user).townships,
        ),
        height=300,
        use_container_width=True,
        returned_objects=[],
        key=f"ticket_map_{number}_{lang()}",
    )

# Back to where a user of this role came from: leaders have no worklist, only the issues map.
if may(user.role, "view_worklist"):
    page_link(WORKLIST, t("back_to_worklist"))
else:
    page_link(ISSUES_MAP, t("back_to_issues_map"))

# ------------------------------------------------------------------ actions
st.subheader(t("actions_heading"))
actions = (
    available_actions(status, actor, detail.platform_has_api, has_reporter=has_reporter)
    if actor
    else []
)
if actor is None or not actions:
    st.caption(t("no_actions"))
    st.stop()
acting: Actor = actor


def _done(message: str) -> None:
    state[session.TICKET_FLASH] = message
    st.rerun()


def _run(
    action: str,
    comment: str | None = None,
    payload: dict | None = None,
    photos: list[Upload] | None = None,
) -> None:
    """One simple move through the service; a refusal is shown, the page stays."""
    try:
        with session_scope(engine) as s:
            move(
                s,
                get_ticket(s, number),
                action,
                acting,
                comment=comment,
                payload=payload,
                photos=photos or [],
            )
    except ShuijianError as error:
        show_error(error)
    else:
        _done(t("action_done", action=label("ticket_action", action)))


def _uploads(files: list | None) -> list[Upload]:
    return [Upload(f.name, f.getvalue()) for f in files or []]


platform_code = str(head["platform_code"])
behalf = {"on_behalf": platform_code}
if "dispatch" in actions:
    with st.form(key("dispatch", "form")):
        platforms = {c: (zh, en) for c, zh, en, _ in cached.platform_options(engine)}
        codes = list(platforms)
        target = st.selectbox(
            t("dispatch_platform"),
            codes,
            index=codes.index(platform_code),
            format_func=lambda c: platforms[c][1 if lang() == "en" else 0],
            key=key("dispatch", "platform"),
        )
        comment = st.text_input(t("col_comment"), key=key("dispatch", "comment"))
        if st.form_submit_button(t("do_dispatch"), key=key("dispatch", "submit")):
            _run("dispatch", comment=comment or None, payload={"platform": target})
if "accept" in actions and st.button(t("do_accept"), key=key("accept", "submit")):
    _run("accept", payload=behalf)
if "reject" in actions:
    with st.form(key("reject", "form")):
        reason = st.text_input(t("reject_reason"), key=key("reject", "comment"))
        if st.form_submit_button(t("do_reject"), key=key("reject", "submit")):
            _run("reject", comment=reason, payload=behalf)
if "feedback" in actions:
    with st.form(key("feedback", "form")):
        comment = st.text_area(t("feedback_comment"), key=key("feedback", "comment"))
        files = st.file_uploader(
            t("photos"), type=PHOTO_TYPES, accept_multiple_files=True, key=key("feedback", "photos")
        )
        if st.form_submit_button(t("do_feedback"), key=key("feedback", "submit")):
            _run("feedback", comment=comment or None, payload=behalf, photos=_uploads(files))
if "reinspect" in actions:
    with st.form(key("reinspect", "form")):
        st.markdown(f"**{t('reinspect_heading')}**")
        st.caption(t("reinspect_note"))
        items = checklist_for(detail.site_kind or "pond")
        answers = {
            item: st.radio(
                label("checklist", item),
                [False, True],
                horizontal=True,
                format_func=lambda v: t("yes") if v else t("no"),
                key=key("reinspect", item),
            )
            for item in items
        }
        resolved = st.radio(
            t("reinspect_resolved"),
            [True, False],
            horizontal=True,
            format_func=lambda v: t("yes") if v else t("no"),
            key=key("reinspect", "resolved"),
        )
        files = st.file_uploader(
            t("reinspect_photos"),
            type=PHOTO_TYPES,
            accept_multiple_files=True,
            key=key("reinspect", "photos"),
        )
        comment = st.text_area(t("col_comment"), key=key("reinspect", "comment"))
        if st.form_submit_button(t("do_reinspect"), key=key("reinspect", "submit")):
            try:
                with session_scope(engine) as s:
                    reinspect(
                        s,
                        get_ticket(s, number),
                        acting,
                        resolved=resolved,
                        checklist=answers,
                        photos=_uploads(files),
                        comment=comment or None,
                    )
            except ShuijianError as error:
                show_error(error)
            else:
                _done(
                    t(
                        "action_done",
                        action=label(
                            "ticket_action", "reinspect" if resolved else "reinspect_fail"
                        ),
                    )
                )
if "rate" in actions:
    with st.form(key("rate", "form")):
        rating = st.radio(
            t("rate_heading"),
            list(RATINGS),
            horizontal=True,
            format_func=lambda r: label("rating", r),
            key=key("rate", "rating"),
        )
        comment = st.text_input(t("col_comment"), key=key("rate", "comment"))
        if st.form_submit_button(t("do_rate"), key=key("rate", "submit")):
            try:
                with session_scope(engine) as s:
                    rate(s, get_ticket(s, number), acting, rating, comment or None)
            except ShuijianError as error:
                show_error(error)
            else:
                _done(t("action_done", action=label("rating", rating)))
if "designate" in actions:
    with st.form(key("designate", "form")):
        st.markdown(f"**{t('designate_heading')}**")
        st.caption(t("designate_note"))
        deputies = dict(cached.deputy_options(engine, user.township_id))
        ids = list(deputies)
        current = detail.reinspector["deputy_id"] if detail.reinspector else None
        chosen = st.selectbox(
            t("designate_deputy"),
            ids,
            index=ids.index(current) if current in deputies else 0,
            format_func=lambda d: deputies[d],
            key=key("designate", "deputy"),
        )
        comment = st.text_input(t("col_comment"), key=key("designate", "comment"))
        if st.form_submit_button(t("do_designate"), key=key("designate", "submit")):
            try:
                with session_scope(engine) as s:
                    designate_reinspector(
                        s, get_ticket(s, number), user, int(chosen), comment=comment or None
                    )
            except ShuijianError as error:
                show_error(error)
            else:
                _done(t("action_done", action=label("ticket_action", "designate")))
if "withdraw" in actions:
    with st.form(key("withdraw", "form")):
        comment = st.text_input(t("withdraw_reason"), key=key("withdraw", "comment"))
        if st.form_submit_button(t("do_withdraw"), key=key("withdraw", "submit")):
            _run("withdraw", comment=comment or None)
