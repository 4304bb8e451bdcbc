"""挂号销号 / Problem register: every period a site was registered with a confirmed problem,
open ones first, with its tickets and how many clean patrols it still needs."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import i18n
from core.errors import ShuijianError
from db.database import session_scope
from duty.register import STATES, clean_needed, register_for
from ui import cached, session
from ui.filters import township_filter
from ui.i18n import day, label, t
from ui.page import REGISTER, guard, show_error

TOWNSHIP_KEY = "shuijian_register_township"
STATE_KEY = "shuijian_register_state"
COLUMNS = {
    "state": "register_col_state",
    "site_name": "register_col_site",
    "township": "township",
    "opened_on": "register_col_opened",
    "closed_on": "register_col_closed",
    "streak": "register_col_streak",
    "tickets": "register_col_tickets",
}


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    """The people-facing columns, in the page's language."""
    shown = pd.DataFrame(
        {
            "state": [label("register_state", s) for s in frame["state"]],
            "site_name": frame["site_name"],
            "township": frame["township"].fillna(i18n.NONE),
            "opened_on": [day(v) for v in frame["opened_on"]],
            "closed_on": [day(v) if pd.notna(v) else i18n.NONE for v in frame["closed_on"]],
            "streak": [
                t("register_streak", streak=int(s), k=int(k)) if state == "open" else i18n.NONE
                for s, k, state in zip(
                    frame["clean_streak"], frame["clean_needed"], frame["state"], strict=True
                )
            ],
            "tickets": frame["tickets"].fillna(i18n.NONE),
        }
    )
    return shown.rename(columns=lambda c: t(COLUMNS[c]))


user = guard(REGISTER)
st.title(t("register_heading"))
st.caption(t("register_rule", k=clean_needed()))
engine = session.engine()
towns = dict(cached.township_options(engine))
cols = st.columns(2)
township_id = township_filter(cols[0], engine, TOWNSHIP_KEY, towns, user=user)
state = cols[1].selectbox(
    t("register_state_filter"),
    [None, *STATES],
    key=STATE_KEY,
    format_func=lambda s: t("all") if s is None else label("register_state", s),
)
try:
    with session_scope(engine) as s:
        everything = register_for(s, user, township_id)
except ShuijianError as error:
    show_error(error)
    st.stop()

metrics = st.columns(2)
metrics[0].metric(t("register_open_count"), int((everything["state"] == "open").sum()))
metrics[1].metric(t("register_cancelled_count"), int((everything["state"] == "cancelled").sum()))
frame = everything if state is None else everything[everything["state"] == state]
if frame.empty:
    st.info(t("register_empty"))
    st.stop()
st.dataframe(_shown(frame), hide_index=True, width="stretch")
