"""我的账户 / My account: who is signed in, with which role, and a password change (every
role may open it)."""

from __future__ import annotations

import streamlit as st

from accounts.passwords import change_password
from core.errors import ShuijianError
from db.database import session_scope
from ui import session
from ui.figures import show_facts
from ui.i18n import t
from ui.page import ACCOUNT, guard, show_error

user = guard(ACCOUNT)
st.title(t("account_heading"))
show_facts(
    [
        (t("signed_in_as"), user.display_name),
        (t("role"), t("role_" + user.role)),
        (t("username"), user.username),
    ]
)

st.subheader(t("password_heading"))
with st.form("shuijian_password", clear_on_submit=True):
    current = st.text_input(t("password_current"), type="password", key="password_current")
    new = st.text_input(t("password_new"), type="password", key="password_new")
    repeat = st.text_input(t("password_repeat"), type="password", key="password_repeat")
    submitted = st.form_submit_button(t("password_button"))
if submitted:
    if not current or not new or not repeat:
        st.error(t("password_missing"))
    elif new != repeat:
        st.error(t("password_mismatch"))
    else:
        try:
            with session_scope(session.engine()) as db:
                change_password(db, user.user_id, current, new)
        except ShuijianError as error:
            show_error(error)
        else:
            # Every session of the account has ended, this one too: sign in again.
            session.sign_out()
            st.session_state[session.FLASH] = "password_changed"
            st.rerun()
