"""我的待办 / Worklist: what waits on this user, each ticket one click from its page.

A deputy: own reports — and tickets nobody reported whose re-inspector they are — fed back by
the platform (go and re-inspect) and re-inspected ones (rate them). Analysts and admins:
overdue tickets, tickets a platform returned (re-route them), tickets still waiting to be
dispatched, and platform tickets nobody can re-inspect yet (designate a deputy).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

import i18n
from accounts.permissions import may
from db.database import session_scope
from tickets import queries
from ui import session
from ui.i18n import lang, t
from ui.page import REPORT, TICKET, WORKLIST, guard, page_link
from ui.tickets import with_labels

LINKS_MAX = 50  # more than this in one list is a table to read, not a list to click through
COLUMNS = {
    "number": "col_number",
    "category": "col_category",
    "platform": "col_platform",
    "township": "col_township",
    "site": "col_site",
    "status_label": "col_status",
    "deadline": "col_deadline",
    "last_comment": "col_comment",
}


def section(title_key: str, frame: pd.DataFrame, note_key: str) -> None:
    """One list: a heading with its count, a table, and a link per ticket."""
    st.subheader(t("with_aside", name=t(title_key), aside=len(frame)))
    st.caption(t(note_key))
    if frame.empty:
        st.caption(t("none_yet"))
        return
    labelled = with_labels(frame, lang())
    st.dataframe(
        labelled[list(COLUMNS)].fillna(i18n.NONE).rename(columns=lambda c: t(COLUMNS[c])),
        hide_index=True,
        width="stretch",
    )
    for row in labelled.head(LINKS_MAX).itertuples():
        place = row.site or row.township or ""
        page_link(
            TICKET,
            f"{row.number} · {row.category} · {place} · {row.status_label}",
            {"number": str(row.number)},
        )


user = guard(WORKLIST)
st.title(t("worklist_heading"))
engine = session.engine()

with session_scope(engine) as s:
    if not may(user.role, "manage_tickets"):
        lists = queries.deputy_worklist(s, user.deputy_id if user.deputy_id is not None else -1)
    else:
        lists = queries.analyst_worklist(s, viewer=user)

if not may(user.role, "manage_tickets"):
    section("work_reinspect", lists["reinspect"], "work_reinspect_note")
    section("work_rate", lists["rate"], "work_rate_note")
    page_link(REPORT, t("page_report"))
else:
    section("work_overdue", lists["overdue"], "work_overdue_note")
    section("work_returned", lists["returned"], "work_returned_note")
    section("work_undispatched", lists["undispatched"], "work_undispatched_note")
    section("work_no_reinspector", lists["no_reinspector"], "work_no_reinspector_note")
