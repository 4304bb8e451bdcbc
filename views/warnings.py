"""预警管理 / Early warnings: the warnings the daily scan raised, filtered by township, rule
and state; staff acknowledge them and close them with a note."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import i18n
from accounts.auth import SignedIn
from accounts.permissions import may
from core.errors import ShuijianError
from db.database import session_scope
from reports.early_warning import STATES, acknowledge, close, warning_line, warnings_for
from reports.warning_rules import RULES
from ui import cached, session
from ui.filters import township_filter
from ui.i18n import day, label, lang, t
from ui.page import WARNINGS, guard, show_error

TOWNSHIP_KEY = "shuijian_warnings_township"
RULE_KEY = "shuijian_warnings_rule"
STATE_KEY = "shuijian_warnings_state"
PICK_KEY = "shuijian_warnings_pick"
NOTE_KEY = "shuijian_warnings_note"
FLASH_KEY = "shuijian_warnings_flash"
# The warning being handled, by id: the picker's labels carry the state, so acknowledging
# changes the chosen label and Streamlit would fall back to the first option; the page puts
# this one back instead. A note is cleared once its action went through.
SELECTED_KEY = "shuijian_warnings_selected"
CLEAR_NOTE_KEY = "shuijian_warnings_clear_note"


def _what(row: pd.Series) -> str:
    code, params = warning_line(
        str(row["rule"]),
        dict(row["details"] or {}),
        "" if pd.isna(row["site"]) else str(row["site"]),
        "" if pd.isna(row["deputy"]) else str(row["deputy"]),
    )
    return t(code, **params)


def _handled(row: pd.Series) -> str:
    """Who acknowledged and closed it, when, and their notes."""
    parts = []
    for who, when, note in (
        ("acknowledged_by", "acknowledged_at", "acknowledge_note"),
        ("closed_by", "closed_at", "close_note"),
    ):
        if pd.notna(row[when]):
            parts.append(
                t(
                    "warnings_handled_by",
                    who=row[who] or i18n.NONE,
                    when=day(pd.Timestamp(row[when]).to_pydatetime()),
                    note=row[note] if pd.notna(row[note]) and row[note] else i18n.NONE,
                )
            )
    return ("；" if lang() == "zh" else "; ").join(parts) or i18n.NONE


def _table(frame: pd.DataFrame) -> pd.DataFrame:
    """State and what it says first: a phone shows the first columns whole and scrolls the
    rest sideways."""
    return pd.DataFrame(
        {
            t("warnings_col_state"): [label("warning_state", s) for s in frame["state"]],
            t("warnings_col_what"): [_what(r) for _, r in frame.iterrows()],
            t("warnings_col_raised"): [day(v) for v in frame["raised_on"]],
            t("warnings_col_rule"): [label("warning_rule", r) for r in frame["rule"]],
            t("township"): frame["township"].fillna(i18n.NONE),
            t("warnings_col_pushed"): [
                day(pd.Timestamp(v).to_pydatetime()) if pd.notna(v) else i18n.NONE
                for v in frame["pushed_at"]
            ],
            t("warnings_col_handling"): [_handled(r) for _, r in frame.iterrows()],
        }
    )


def _remember_pick() -> None:
    """The user chose another warning: remember it by id (runs before the page)."""
    st.session_state[SELECTED_KEY] = st.session_state.get(PICK_KEY)


def _act(user: SignedIn, frame: pd.DataFrame) -> None:
    """Acknowledge or close one warning that is not closed yet."""
    pending = frame[frame["state"] != "closed"]
    if pending.empty:
        return
    st.subheader(t("warnings_act_heading"))
    choices = {int(r["id"]): r for _, r in pending.iterrows()}
    if (kept := st.session_state.get(SELECTED_KEY)) in choices:
        st.session_state[PICK_KEY] = kept
    picked = st.selectbox(
        t("warnings_pick"),
        list(choices),
        key=PICK_KEY,
        format_func=lambda i: (
            f"{label('warning_state', choices[i]['state'])} · {_what(choices[i])}"
        ),
        on_change=_remember_pick,
    )
    st.session_state[SELECTED_KEY] = picked
    if st.session_state.pop(CLEAR_NOTE_KEY, False):
        st.session_state[NOTE_KEY] = ""
    note = st.text_input(t("warnings_note"), key=NOTE_KEY)
    left, right = st.columns(2)
    action = None
    if left.button(t("warnings_acknowledge"), disabled=choices[picked]["state"] != "open"):
        action = ("acknowledge", acknowledge, "warnings_acknowledged")
    if right.button(t("warnings_close"), disabled=choices[picked]["state"] != "acknowledged"):
        action = ("close", close, "warnings_closed")
    if action is None:
        return
    try:
        with session_scope(session.engine()) as s:
            action[1](s, user, picked, note)
    except ShuijianError as error:
        show_error(error)
        return
    st.session_state[FLASH_KEY] = action[2]
    st.session_state[CLEAR_NOTE_KEY] = True
    st.rerun()


user = guard(WARNINGS)
st.title(t("warnings_heading"))
st.caption(t("warnings_intro"))
if flash := st.session_state.pop(FLASH_KEY, None):
    st.success(t(flash))
engine = session.engine()
towns = dict(cached.township_options(engine))
cols = st.columns(3)
township_id = township_filter(cols[0], engine, TOWNSHIP_KEY, towns, user=user)
rule = cols[1].selectbox(
    t("warnings_rule_filter"),
    [None, *RULES],
    key=RULE_KEY,
    format_func=lambda r: t("all") if r is None else label("warning_rule", r),
)
state = cols[2].selectbox(
    t("warnings_state_filter"),
    [None, *STATES],
    key=STATE_KEY,
    format_func=lambda s: t("all") if s is None else label("warning_state", s),
)
try:
    with session_scope(engine) as s:
        everything = warnings_for(s, user, township_id, rule)
except ShuijianError as error:
    show_error(error)
    st.stop()

counts = everything["state"].value_counts()
metrics = st.columns(len(STATES))
for col, code in zip(metrics, STATES, strict=True):
    col.metric(label("warning_state", code), int(counts.get(code, 0)))
frame = everything if state is None else everything[everything["state"] == state]
if frame.empty:
    st.info(t("warnings_empty"))
    st.stop()
st.dataframe(_table(frame), hide_index=True, width="stretch")
if may(user.role, "act_on_warning"):
    _act(user, frame)
