"""巡查记录 / Patrols: filtered list, one patrol's detail, and the analyst's accept/reject."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

import i18n
from accounts.permissions import may
from core import clock, settings
from core.errors import ShuijianError
from db.database import session_scope
from layers.patrols import patrol_map
from tracks import patrol_queries
from tracks.review import review_patrol
from ui import cached, session
from ui.figures import show_facts
from ui.filters import deputy_filter, township_filter
from ui.i18n import label, lang, t
from ui.page import PATROLS, guard, show_error

LIST_COLUMNS = {
    "patrol_id": "col_patrol",
    "deputy_name": "col_deputy",
    "started": "col_started",
    "distance_km": "col_distance",
    "visits": "col_visits",
    "flagged": "col_flagged",
    "review": "col_review",
    "counts": "col_counts",
}
VISIT_COLUMNS = {
    "site_name": "col_site",
    "arrived": "col_arrived",
    "left": "col_left",
    "dwell_min": "col_dwell",
    "is_assigned": "col_assigned",
}


ANSWER_COLUMNS = {"site_name": "col_site", "item": "col_item", "answer": "col_answer"}
REVIEW_COLUMNS = {
    "at": "col_at",
    "decision": "col_decision",
    "reason": "col_reason",
    "reviewer": "col_reviewer",
}


def labelled(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """The columns a table shows, under their labels in the current language; yes/no for
    true/false, "—" for nothing."""
    shown = frame[list(columns)].copy()
    for column in shown.columns:
        if shown[column].dtype == bool or set(shown[column].dropna().unique()) <= {True, False}:
            shown[column] = [
                "—" if pd.isna(v) else t("yes") if v else t("no") for v in shown[column]
            ]
    return shown.fillna("—").rename(columns=lambda c: t(columns[c]))


user = guard(PATROLS)
st.title(t("patrols_heading"))
engine = session.engine()
own = not may(user.role, "read_any_patrol")
today = clock.today()
cols = st.columns(4)
township_id = deputy_id = None
if own:
    deputy_id = user.deputy_id if user.deputy_id is not None else -1
else:
    township_id = township_filter(cols[0], engine, session.PATROL_TOWNSHIP, user=user)
    deputy_id = deputy_filter(cols[1], engine, session.PATROL_DEPUTY, user.township_id)
dates = cols[2].date_input(
    t("date_range"), value=(today - timedelta(days=90), today), key=session.PATROL_DATES
)
flagged = cols[3].checkbox(t("flagged_only"), key=session.PATROL_FLAGGED)
date_from = dates[0] if len(dates) > 0 else None
date_to = dates[1] if len(dates) > 1 else None
with session_scope(engine) as s:
    listing = patrol_queries.list_patrols(
        s,
        viewer=user,
        township_id=township_id,
        deputy_id=deputy_id,
        date_from=date_from,
        date_to=date_to,
        flagged_only=flagged,
    )
if listing.empty:
    st.info(t("no_patrols"))
    st.stop()
st.dataframe(labelled(listing, LIST_COLUMNS), hide_index=True)
names = {
    int(r.patrol_id): f"#{r.patrol_id} {r.deputy_name} {r.started}" for r in listing.itertuples()
}
patrol_id = st.selectbox(
    t("patrol_select"), list(names), format_func=names.get, key=session.PATROL_SELECTED
)

detail_area = st.container()
if may(user.role, "review_patrol") and bool(
    listing.set_index("patrol_id").loc[patrol_id, "flagged"]
):
    with st.form("shuijian_review_form"):
        st.subheader(t("review_heading"))
        decision = st.radio(
            t("col_decision"),
            ["accept", "reject"],
            horizontal=True,
            format_func=lambda d: t(f"decision_{d}"),
            key=session.REVIEW_DECISION,
        )
        reason = st.text_area(t("review_reason"), key=session.REVIEW_REASON)
        if st.form_submit_button(t("review_submit")):
            if not reason.strip():
                st.error(t("review_need_reason"))
            else:
                try:
                    with session_scope(engine) as s:
                        review_patrol(
                            s,
                            patrol_id,
                            decision,
                            reason,
                            user.user_id,
                            user.role,
                            user.township_id,
                        )
                    st.success(t("review_saved"))
                except ShuijianError as error:
                    show_error(error)

with detail_area:
    try:
        with session_scope(engine) as s:
            detail = patrol_queries.patrol_detail(s, patrol_id, user)
            visited = patrol_queries.sites_of(
                s, [int(i) for i in detail.visits["site_id"].unique()]
            )
    except ShuijianError as error:
        show_error(error)
        st.stop()
    head = detail.header
    show_facts(
        [
            (t("col_deputy"), head["deputy_name"]),
            (t("col_started"), str(head["started"])[:16]),
            (t("col_distance"), f"{float(head['distance_m']) / 1000:.2f}"),
            (t("col_counts"), t("yes") if head["counts"] else t("no")),
        ]
    )
    if head["notes"]:
        st.caption(f"{t('notes')}: {head['notes']}")
    st_folium(
        patrol_map(
            detail.track,
            visited,
            lang(),
            settings.optional_text("tianditu_key"),
            townships=cached.map_layers(engine, None, user).townships,
        ),
        height=420,
        use_container_width=True,
        returned_objects=[],
        key=f"patrol_map_{patrol_id}_{lang()}",
    )
    st.subheader(t("visits_heading"))
    st.dataframe(labelled(detail.visits, VISIT_COLUMNS), hide_index=True)
    st.subheader(t("flags_heading"))
    for flag in detail.flags.itertuples():
        said = i18n.details("flag_detail", flag.details, lang()) if flag.details else flag.message
        st.warning(t("flag_line", label=label("flag", flag.code), message=said))
    if detail.flags.empty:
        st.caption(t("none_yet"))
    st.subheader(t("answers_heading"))
    if detail.answers.empty:
        st.caption(t("none_yet"))
    else:
        answers = detail.answers.assign(
            item=[label("checklist", i) for i in detail.answers["item"]]
        )
        st.dataframe(labelled(answers, ANSWER_COLUMNS), hide_index=True)
    st.subheader(t("photos_heading"))
    for photo in detail.photos:
        st.image(photo["content"], caption=photo["caption"] or t("photo"), width=320)
    if not detail.photos:
        st.caption(t("none_yet"))
    st.subheader(t("reviews_heading"))
    if detail.reviews.empty:
        st.caption(t("none_yet"))
    else:
        reviews = detail.reviews.assign(
            decision=[t(f"decision_{d}") for d in detail.reviews["decision"]]
        )
        st.dataframe(labelled(reviews, REVIEW_COLUMNS), hide_index=True)
