"""上报问题 / Report a problem: where (map click, one of my patrols, or a photo's GPS), what,
photos; before creating, offer to follow an open ticket of the same kind nearby.

A checklist "yes" links here with `?category=…&patrol=…&site=…` (or sets the REPORT_* keys of
ui.session), which preselects category and place. Analysts and admins report for a deputy.
"""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from accounts.permissions import may
from core import settings
from core.errors import ShuijianError
from core.photos import inspect_photo
from core.vocab import CHECKLIST_CATEGORY
from db.database import session_scope
from layers.tickets import chosen_point, report_map
from tickets import queries
from tickets.service import (
    NewProblem,
    Upload,
    actor_for,
    follow_ticket,
    get_ticket,
    nearby_open_tickets,
    report_problem,
)
from ui import cached, session
from ui.i18n import label, lang, t
from ui.page import REPORT, TICKET, guard, page_link, show_error

PHOTO_TYPES = ["jpg", "jpeg", "png"]
SOURCES = ("map", "patrol", "photo")

user = guard(REPORT)
st.title(t("report_heading"))
engine = session.engine()
state = st.session_state
state.setdefault(session.REPORT_NONCE, 0)
nonce = int(state[session.REPORT_NONCE])
categories = {code: (zh, en) for code, zh, en in cached.category_options(engine)}

# Who the report is for: a deputy reports as themselves; staff choose the deputy.
if not may(user.role, "report_for_deputy"):
    deputy_id = user.deputy_id
    if deputy_id is None:
        st.error(t("report_no_deputy"))
        st.stop()
else:
    deputies = dict(cached.deputy_options(engine))
    deputy_id = st.selectbox(
        t("report_for_deputy"),
        list(deputies),
        format_func=deputies.get,
        key=session.REPORT_DEPUTY,
    )

with session_scope(engine) as s:
    patrols = dict(queries.my_patrols(s, int(deputy_id)))

# Arriving from a checklist "yes": apply the link's query parameters, then drop them, so the
# same link followed again applies again and the user's choices stick in between.
params = st.query_params
seed = (params.get("category"), params.get("patrol"), params.get("site"))
if any(seed):
    for name in ("category", "patrol", "site"):
        params.pop(name, None)
    category_param, patrol_param, site_param = seed
    code = CHECKLIST_CATEGORY.get(category_param or "", category_param)
    if code in categories:
        state[session.REPORT_CATEGORY] = code
    if patrol_param and patrol_param.isdigit() and int(patrol_param) in patrols:
        state[session.REPORT_PATROL] = int(patrol_param)
    if site_param and site_param.isdigit():
        with session_scope(engine) as s:
            point = queries.site_point(s, int(site_param))
        if point is not None:
            state[session.REPORT_POINT] = point
            state[session.REPORT_SITE] = int(site_param)

done = state.get(session.REPORT_DONE)
if done:
    kind, number = done
    st.success(t(f"report_{kind}", number=number))
    page_link(TICKET, t("open_ticket", number=number), {"number": number})

# ------------------------------------------------------------------ where
st.subheader(t("report_where"))
source = st.radio(
    t("report_source"),
    SOURCES,
    format_func=lambda k: t(f"report_from_{k}"),
    horizontal=True,
    key=session.REPORT_SOURCE,
)
place_photo = None
if source == "map":
    st.caption(t("report_click_hint"))
    with session_scope(engine) as s:
        sites = queries.deputy_sites(s, int(deputy_id))
    outlines = cached.map_layers(engine, None)
    point = state.get(session.REPORT_POINT)
    result = st_folium(
        report_map(
            sites,
            outlines.county,
            outlines.townships,
            lang(),
            settings.optional_text("tianditu_key"),
        ),
        height=460,
        use_container_width=True,
        returned_objects=["last_clicked"],
        feature_group_to_add=chosen_point(point, lang()),
        key=f"report_map_{deputy_id}_{lang()}_{nonce}",
    )
    click = (result or {}).get("last_clicked")
    if click:
        clicked = (round(float(click["lng"]), 6), round(float(click["lat"]), 6))
        if clicked != state.get(session.REPORT_LAST_CLICK):
            state[session.REPORT_LAST_CLICK] = clicked
            state[session.REPORT_POINT] = clicked
            state.pop(session.REPORT_SITE, None)
            st.rerun()
elif source == "patrol":
    if not patrols:
        st.info(t("report_no_patrols"))
    else:
        if state.get(session.REPORT_PATROL) in patrols:
            state.setdefault(session.REPORT_PATROL_PICK, state[session.REPORT_PATROL])
        patrol_id = st.selectbox(
            t("report_patrol"),
            list(patrols),
            format_func=patrols.get,
            key=session.REPORT_PATROL_PICK,
        )
        mode = st.radio(
            t("report_patrol_mode"),
            ["site", "point"],
            format_func=lambda k: t(f"report_patrol_{k}"),
            horizontal=True,
            key=session.REPORT_PATROL_MODE,
        )
        with session_scope(engine) as s:
            choices = (
                queries.patrol_sites(s, patrol_id)
                if mode == "site"
                else queries.patrol_points(s, patrol_id)
            )
        if choices.empty:
            st.info(t("report_patrol_empty"))
        else:
            if mode == "site":
                labels = {
                    int(r.site_id): t("with_aside", name=r.name, aside=r.code)
                    for r in choices.itertuples()
                }
                picked = st.selectbox(
                    t("report_patrol_site"),
                    list(labels),
                    format_func=labels.get,
                    key=session.REPORT_PATROL_SITE,
                )
                row = choices.set_index("site_id").loc[picked]
                state[session.REPORT_SITE] = int(picked)
            else:
                labels = {
                    int(r.n): f"{r.at or ''} ({r.lon:.5f}, {r.lat:.5f})"
                    for r in choices.itertuples()
                }
                picked = st.selectbox(
                    t("report_patrol_point"),
                    list(labels),
                    format_func=labels.get,
                    key=session.REPORT_PATROL_POINT,
                )
                row = choices.set_index("n").loc[picked]
                state.pop(session.REPORT_SITE, None)
            state[session.REPORT_POINT] = (float(row["lon"]), float(row["lat"]))
            state[session.REPORT_PATROL] = int(patrol_id)
else:
    place_photo = st.file_uploader(
        t("report_photo_place"), type=PHOTO_TYPES, key=f"{session.REPORT_PHOTO_PLACE}_{nonce}"
    )
    if place_photo is not None:
        try:
            info = inspect_photo(
                place_photo.getvalue(), place_photo.name, settings.text("timezone")
            )
        except ShuijianError as error:
            show_error(error)
            place_photo = None
        else:
            if info.lon is None or info.lat is None:
                st.warning(t("report_photo_no_gps"))
            else:
                state[session.REPORT_POINT] = (info.lon, info.lat)
                state.pop(session.REPORT_SITE, None)

point = state.get(session.REPORT_POINT)
if point is None:
    st.info(t("report_need_point"))
else:
    with session_scope(engine) as s:
        place = queries.place_of(s, point[0], point[1])
    st.caption(
        t(
            "report_point",
            lon=f"{point[0]:.6f}",
            lat=f"{point[1]:.6f}",
            township=place["township"] or t("report_outside"),
            site=place["site"] or "—",
        )
    )

# ------------------------------------------------------------------ what
st.subheader(t("report_what"))
# Widget keys carry the nonce: after a report the browser would otherwise send the old
# values back. REPORT_CATEGORY itself is the preset (from a checklist link or another page).
category_key = f"{session.REPORT_CATEGORY}_{nonce}"
preset = state.get(session.REPORT_CATEGORY)
if preset in categories and category_key not in state:
    state[category_key] = preset
category = st.selectbox(
    t("report_category"),
    list(categories),
    index=None,
    placeholder=t("report_choose"),
    format_func=lambda c: categories[c][1 if lang() == "en" else 0],
    key=category_key,
)
description = st.text_area(t("report_description"), key=f"{session.REPORT_DESCRIPTION}_{nonce}")
photos = st.file_uploader(
    t("photos"),
    type=PHOTO_TYPES,
    accept_multiple_files=True,
    key=f"{session.REPORT_PHOTOS}_{nonce}",
)


def _finish(kind: str, number: str) -> None:
    """Remember the outcome, empty the form for the next report, and draw the page again."""
    state[session.REPORT_DONE] = (kind, number)
    state[session.REPORT_NONCE] = nonce + 1
    for key in (
        session.REPORT_POINT,
        session.REPORT_SITE,
        session.REPORT_PATROL,
        session.REPORT_CATEGORY,
    ):
        state.pop(key, None)
    st.rerun()


# An open ticket of the same kind nearby: follow it rather than report it twice.
if point is not None and category:
    with session_scope(engine) as s:
        near = nearby_open_tickets(s, category, point[0], point[1])
    if not near.empty:
        st.warning(t("report_nearby", n=len(near)))
        for row in near.itertuples():
            left, right = st.columns([4, 1])
            left.markdown(
                f"**{row.number}** · {label('ticket_status', row.status)} · "
                f"{row.distance_m:.0f} m · {str(row.description)[:80]}"
            )
            if right.button(t("report_follow"), key=f"{session.REPORT_FOLLOW_PREFIX}_{row.id}"):
                try:
                    with session_scope(engine) as s:
                        follow_ticket(
                            s,
                            get_ticket(s, int(row.id)),
                            int(deputy_id),
                            description.strip() or None,
                        )
                except ShuijianError as error:
                    show_error(error)
                else:
                    _finish("followed", str(row.number))

if st.button(t("report_submit"), type="primary", key=session.REPORT_SUBMIT):
    if point is None:
        st.error(t("report_need_point"))
    elif not category:
        st.error(t("report_need_category"))
    else:
        uploads = [Upload(f.name, f.getvalue()) for f in photos or []]
        if place_photo is not None:
            uploads.append(Upload(place_photo.name, place_photo.getvalue()))
        problem = NewProblem(
            category,
            description,
            float(point[0]),
            float(point[1]),
            site_id=state.get(session.REPORT_SITE),
            patrol_id=state.get(session.REPORT_PATROL),
            photos=uploads,
        )
        try:
            with session_scope(engine) as s:
                ticket = report_problem(
                    s, problem, actor_for(user), reporter_deputy_id=int(deputy_id), source="app"
                )
                number = ticket.number
        except ShuijianError as error:
            show_error(error)
        else:
            _finish("created", number)
