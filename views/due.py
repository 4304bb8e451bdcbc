"""巡查到期 / Due list: each site's next patrol deadline and status, as a table and as Excel."""

from __future__ import annotations

from io import BytesIO

import pandas as pd
import streamlit as st

import i18n
from accounts.permissions import may
from core import clock
from db.database import session_scope
from duty.due import due_list_for
from duty.windows import STATUSES
from ui import cached, session
from ui.due_workbook import due_list_to_excel
from ui.filters import deputy_filter, seed_from_link, township_filter
from ui.i18n import day as day_text
from ui.i18n import label, lang, t
from ui.page import DUE, guard

STATUS_COLOURS = {"ok": "#d9f0d3", "due_soon": "#fee08b", "overdue": "#f4a582"}
# What decides first, the names after: on a phone (390 px) the table shows its first three
# columns whole and scrolls the rest sideways; at 1440 px every column fits.
COLUMNS = {
    "status": "col_status",
    "deadline": "col_deadline",
    "days_left": "col_days_left",
    "site_name": "col_site",
    "last_visit": "col_last_visit",
    "site_class": "col_class",
    "kind": "col_kind",
    "township": "col_township",
    "deputy_name": "col_deputy",
}
# A deputy's own list leaves out what is the same on every row: their township and name.
OWN_HIDDEN = ("township", "deputy_name")


user = guard(DUE)
st.title(t("due_heading"))
engine = session.engine()
towns = dict(cached.township_options(engine))
seed_from_link(
    {
        "status": (session.DUE_STATUS, {s: s for s in STATUSES}),
        "township": (session.DUE_TOWNSHIP, {str(i): i for i in towns}),
    },
)
cols = st.columns(4)
day = cols[0].date_input(t("due_date"), value=clock.today(), key=session.DUE_DATE)
chosen_status = cols[3].selectbox(
    t("col_status"),
    [None, *STATUSES],
    key=session.DUE_STATUS,
    format_func=lambda s: t("all") if s is None else label("site_status", s),
)
township_id = None
own = not may(user.role, "read_any_due_list")
deputy_id = user.deputy_id if own else None
if own and deputy_id is None:
    deputy_id = -1  # a deputy account without a deputy record owns no site
if not own:
    township_id = township_filter(cols[1], engine, session.DUE_TOWNSHIP, towns, user)
    deputy_id = deputy_filter(cols[2], engine, session.DUE_DEPUTY, user.township_id)
with session_scope(engine) as s:
    frame = due_list_for(s, user, day, deputy_id=deputy_id, township_id=township_id)

counts = frame["status"].value_counts()
metrics = st.columns(len(STATUSES) + 1)
metrics[0].metric(t("sites_total"), len(frame))
for col, status in zip(metrics[1:], STATUSES, strict=True):
    col.metric(label("site_status", status), int(counts.get(status, 0)))

# The counts above are the breakdown the status filter picks from; the table and the
# workbook follow it.
if chosen_status is not None:
    frame = frame[frame["status"] == chosen_status]
buffer = BytesIO()
due_list_to_excel(frame, buffer, lang())
st.download_button(
    t("due_download"),
    buffer.getvalue(),
    file_name=f"due-{day.isoformat()}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
if frame.empty:
    st.info(t("due_empty"))
    st.stop()
columns = [c for c in COLUMNS if not (own and c in OWN_HIDDEN)]
shown = frame[columns].copy()
shown["kind"] = [label("site_kind", k) for k in shown["kind"]]
shown["site_class"] = [label("site_class", int(c)) for c in shown["site_class"]]
shown["last_visit"] = [day_text(v) if pd.notna(v) else i18n.NONE for v in shown["last_visit"]]
shown["deadline"] = [day_text(v) for v in shown["deadline"]]
colour = {label("site_status", k): v for k, v in STATUS_COLOURS.items()}
shown["status"] = [label("site_status", s) for s in shown["status"]]
shown = shown.rename(columns=lambda c: t(COLUMNS[c]))
st.dataframe(
    shown.style.map(lambda v: f"background-color: {colour.get(v, '')}", subset=[t("col_status")]),
    hide_index=True,
    width="stretch",
    column_config={
        t("col_status"): st.column_config.TextColumn(width="small"),
        t("col_deadline"): st.column_config.TextColumn(width=124),  # a whole date, in zh too
        t("col_last_visit"): st.column_config.TextColumn(width=124),
        t("col_days_left"): st.column_config.NumberColumn(width="small"),
    },
)
