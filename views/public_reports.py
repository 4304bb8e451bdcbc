"""举报审核 / Public reports: review what the public reported, and the reward ledger.

Accept (a ticket by the same routing as a deputy's report, and a ledger entry) or reject
with a reason; the ledger's export for payment holds the phone numbers and is audited. The
services (`tickets.public_reports`) check the role and scope; this page lists and asks.
"""

from __future__ import annotations

import streamlit as st

from accounts.permissions import may
from accounts.scope import confined_to
from core.errors import ShuijianError
from db.database import session_scope
from tickets import public_reports as pr
from ui import cached, session
from ui.i18n import day, label, lang, t
from ui.page import PUBLIC_REPORTS, guard, show_error

COLUMNS = ("id", "receipt", "created_at", "category", "township", "status", "phone", "ticket")
FILTER = "shuijian_prm_status"
EXPORT = "shuijian_prm_export"  # (format, bytes) of the last export, for its download button
PICK = "shuijian_prm_pick"  # the pending report under review, by id
FLASH = "shuijian_prm_flash"  # (code, params) of the last accept or reject, said after a rerun

user = guard(PUBLIC_REPORTS)
engine = session.engine()
st.title(t("prm_heading"))
st.caption(t("prm_intro"))
if flash := st.session_state.pop(FLASH, None):
    st.success(t(flash[0], **flash[1]))
if (own := confined_to(user)) is not None:  # township staff moderate their own township's
    st.caption(t("prm_scope", township=dict(cached.township_options(engine)).get(own, "")))
names = {c: zh if lang() == "zh" else en for c, zh, en in cached.category_options(engine)}

status = st.selectbox(
    t("prm_filter"),
    [None, *pr.STATUSES],
    index=1,
    format_func=lambda s: t("prm_all") if s is None else label("public_report_status", s),
    key=FILTER,
)
try:
    with session_scope(engine) as s:
        reports = pr.list_reports(s, user, status)
except ShuijianError as error:
    show_error(error)
    st.stop()

if reports.empty:
    st.caption(t("prm_none"))
else:
    st.caption(t("prm_count", count=len(reports)))
    shown = reports.assign(
        category=[names.get(c, c) for c in reports["category"]],
        status=[label("public_report_status", s) for s in reports["status"]],
        created_at=[day(v) for v in reports["created_at"]],
    )
    st.dataframe(
        shown[list(COLUMNS)].rename(columns=lambda c: t(f"prm_col_{c}")),
        hide_index=True,
        width="stretch",
    )
    pending = reports[reports["status"] == "pending"]
    if not pending.empty:
        categories = dict(zip(pending["id"], pending["category"], strict=True))
        chosen = st.selectbox(
            t("prm_pick"),
            [int(i) for i in pending["id"]],
            format_func=lambda i: f"#{i} {names.get(categories[i], categories[i])}",
            key=PICK,
        )
        row = pending.set_index("id").loc[chosen]
        cols = st.columns([1, 2])
        try:
            with session_scope(engine) as s:
                cols[0].image(pr.report_photo(s, user, int(chosen)), width=240)
        except ShuijianError as error:
            show_error(error)
        cols[1].markdown(row["description"])
        cols[1].caption(
            f"{row['township'] or '—'} · {label('location_source', row['location_source'])} · "
            f"{row['lon']:.5f}, {row['lat']:.5f}"
        )
        if cols[1].button(t("prm_accept"), type="primary", key=f"prm_accept_{chosen}"):
            try:
                with session_scope(engine) as s:
                    number = pr.accept(s, user, int(chosen)).number
            except ShuijianError as error:
                show_error(error)
            else:  # said after a rerun, so the list and the picker show it moderated
                st.session_state[FLASH] = ("prm_accepted", {"number": number})
                st.rerun()
        reason = cols[1].text_input(t("prm_reason"), key=f"prm_reason_{chosen}")
        if cols[1].button(t("prm_reject"), key=f"prm_reject_{chosen}"):
            try:
                with session_scope(engine) as s:
                    pr.reject(s, user, int(chosen), reason)
            except ShuijianError as error:
                show_error(error)
            else:
                st.session_state[FLASH] = ("prm_rejected", {})
                st.rerun()

if may(user.role, "export_reward_ledger"):
    st.subheader(t("prm_ledger"))
    try:
        with session_scope(engine) as s:
            ledger = pr.ledger(s, user)
    except ShuijianError as error:
        show_error(error)
        st.stop()
    total = float(ledger["amount"].sum()) if not ledger.empty else 0.0
    st.caption(t("prm_ledger_total", count=len(ledger), total=f"{total:.2f}"))
    st.caption(t("prm_export_note"))
    headers = {c: t(f"ledger.{c}") for c in pr.LEDGER_COLUMNS}
    cols = st.columns(2)
    for col, fmt in zip(cols, ("xlsx", "csv"), strict=True):
        if col.button(t("prm_export", format=fmt), key=f"prm_export_{fmt}"):
            try:
                with session_scope(engine) as s:
                    st.session_state[EXPORT] = (fmt, pr.export_ledger(s, user, fmt, headers))
            except ShuijianError as error:
                show_error(error)
    exported = st.session_state.get(EXPORT)
    if exported:
        fmt, data = exported
        name = f"{t('prm_ledger_file')}.{fmt}"
        st.download_button(t("prm_download", name=name), data, file_name=name)
