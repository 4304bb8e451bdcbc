"""上传巡查轨迹 / Upload: GPX files in, one verdict per file, then checklist, photos and notes."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

import i18n
from accounts.auth import SignedIn
from accounts.permissions import may
from core import settings
from core.errors import ShuijianError
from core.vocab import checklist_for
from db.database import session_scope
from layers.patrols import patrol_map
from tracks import patrol_queries, records
from tracks.outcomes import UploadOutcome, ingest_uploads
from ui import cached, session
from ui.i18n import label, lang, refusal, t
from ui.page import REPORT, UPLOAD, guard, page_link, show_error

VISIT_COLUMNS = {
    "site_name": "col_site",
    "site_code": "col_code",
    "arrived": "col_arrived",
    "left": "col_left",
    "dwell_min": "col_dwell",
    "is_assigned": "col_assigned",
}


def show_outcome(o: UploadOutcome) -> None:
    """Success with visits and flags, duplicate as info, refusal with its reason."""
    if o.refused is not None:
        key = (
            "upload_refused"
            if o.reason not in ("db_unavailable", "internal")
            else ("upload_not_stored")
        )
        st.error(t(key, name=o.filename, reason=refusal(o.reason, o.params, o.refused)))
        return
    if o.duplicate:
        st.info(t("upload_duplicate", name=o.filename, patrol=o.patrol_id))
        return
    state = t("state_flagged") if o.flags else t("state_verified")
    st.success(
        t("upload_ok", name=o.filename, patrol=o.patrol_id, visits=len(o.visits), state=state)
    )
    st.caption(t("upload_points", kept=o.n_kept, n=o.n_points))
    for code, message, details in o.flags:
        said = i18n.details("flag_detail", details, lang()) if details else message
        st.warning(t("flag_line", label=label("flag", code), message=said))
    for note in o.notes:
        st.caption(note)
    if len(o.visits):
        frame = o.visits[list(VISIT_COLUMNS)].rename(columns=lambda c: t(VISIT_COLUMNS[c]))
        st.dataframe(frame, hide_index=True)
    else:
        st.caption(t("no_visits"))


def record_form(o: UploadOutcome, user: SignedIn) -> None:
    """The yes/no checklist per visited site (nothing pre-selected: every item is answered or
    the site's record is refused), photos and notes, saved in one transaction; each "yes"
    then offers the problem report for that site and category."""
    pid = o.patrol_id
    sites = o.visits.drop_duplicates("site_id")
    with st.form(f"{session.RECORD_FORM_PREFIX}_{pid}"):
        answers: dict[int, dict[str, bool | None]] = {}
        for site in sites.itertuples():
            st.markdown(f"**{t('record_heading', patrol=pid, site=site.site_name)}**")
            st.caption(t("checklist_heading"))
            answers[int(site.site_id)] = {
                item: st.radio(
                    label("checklist", item),
                    [False, True],
                    index=None,
                    format_func=lambda v: t("yes") if v else t("no"),
                    horizontal=True,
                    key=f"{session.CHECK_PREFIX}_{pid}_{site.site_id}_{item}",
                )
                for item in checklist_for(site.kind)
            }
        photos = st.file_uploader(
            t("photos"),
            type=["jpg", "jpeg", "png"],
            accept_multiple_files=True,
            key=f"{session.RECORD_PHOTOS_PREFIX}_{pid}",
        )
        notes = st.text_area(t("notes"), key=f"{session.RECORD_NOTES_PREFIX}_{pid}")
        if st.form_submit_button(t("record_save")):
            try:
                with session_scope(session.engine()) as s:
                    saved = records.save_record(
                        s,
                        pid,
                        user,
                        answers=answers,
                        notes=notes,
                        photos=[records.Photo(p.getvalue(), p.name) for p in photos or []],
                    )
                st.success(t("record_saved", answers=saved["answers"], photos=saved["photos"]))
            except ShuijianError as error:
                show_error(error)
    problems_seen(pid, sites)


def problems_seen(patrol_id: int, sites: pd.DataFrame) -> None:
    """A link to the problem report for every "yes" saved, category and site filled in (the
    ticket keeps the patrol and site it came from)."""
    with session_scope(session.engine()) as s:
        status = records.record_status(s, patrol_id)
    names = dict(zip(sites["site_id"].astype(int), sites["site_name"], strict=True))
    for row in status:
        for item in row["yes"]:
            page_link(
                REPORT,
                t(
                    "record_report_yes",
                    site=names.get(row["site_id"], ""),
                    item=label("checklist", item),
                ),
                {"category": item, "patrol": str(patrol_id), "site": str(row["site_id"])},
            )


user = guard(UPLOAD)
st.title(t("upload_heading"))
engine = session.engine()
with st.form("shuijian_upload_form"):
    files = st.file_uploader(
        t("upload_files"), type=["gpx"], accept_multiple_files=True, key=session.UPLOAD_FILES
    )
    gcj02 = st.checkbox(t("upload_gcj02"), key=session.UPLOAD_GCJ02)
    deputy_id = user.deputy_id
    if may(user.role, "upload_for_deputy"):
        deputies = dict(cached.deputy_options(engine))
        deputy_id = st.selectbox(
            t("upload_deputy"), list(deputies), format_func=deputies.get, key=session.UPLOAD_DEPUTY
        )
    submitted = st.form_submit_button(t("upload_submit"))

if submitted and not files:
    st.warning(t("upload_none"))
elif submitted and deputy_id is None:
    st.error(t("upload_no_deputy"))
elif submitted and deputy_id is not None:
    bar = st.progress(0.0)

    def show_progress(i: int, name: str) -> None:
        bar.progress(i / len(files), text=t("upload_progress", name=name, i=i + 1, n=len(files)))

    # The files go in together (a transaction per 50 files, a savepoint each): a refused file
    # stops none of the others. The verdicts are kept once all are in; a run cut short keeps
    # what it committed, and sending the files again says so (already uploaded).
    st.session_state[session.UPLOAD_RESULTS] = ingest_uploads(
        engine,
        [(f.getvalue(), f.name) for f in files],
        deputy_id=deputy_id,
        uploader=user,
        gcj02=gcj02,
        progress=show_progress,
    )
    bar.progress(1.0)

outcomes = st.session_state.get(session.UPLOAD_RESULTS, [])
if outcomes:
    st.info(
        t(
            "upload_verdicts",
            n=len(outcomes),
            stored=sum(o.stored for o in outcomes),
            duplicate=sum(o.duplicate for o in outcomes),
            refused=sum(o.refused is not None for o in outcomes),
        )
    )
# Each file's verdict, and right under it the checklist of each site its track visited (on a
# phone the record is filled in before scrolling past the map).
asked = False
for outcome in outcomes:
    show_outcome(outcome)
    if outcome.stored and len(outcome.visits):
        if not asked:
            st.caption(t("upload_checklist_now"))
            asked = True
        record_form(outcome, user)
stored = [o for o in outcomes if o.stored]
if stored:
    with session_scope(engine) as s:
        tracks = patrol_queries.tracks_of(s, [o.patrol_id for o in stored])
        visited = patrol_queries.sites_of(
            s, sorted({int(v) for o in stored for v in o.visits["site_id"]})
        )
    st.subheader(t("upload_map"))
    st_folium(
        patrol_map(tracks, visited, lang(), settings.optional_text("tianditu_key")),
        height=460,
        use_container_width=True,
        returned_objects=[],
        key=f"upload_map_{'_'.join(str(o.patrol_id) for o in stored)}_{lang()}",
    )
