"""登录 / Sign in: user name and password, checked by accounts.auth."""

from __future__ import annotations

import streamlit as st

from accounts.auth import sign_in
from core.errors import AuthenticationFailed, ShuijianError
from db.database import session_scope
from ui import session
from ui.i18n import t
from ui.page import show_error

st.title(t("login_heading"))

with st.form("login", clear_on_submit=False):
    username = st.text_input(t("username"), key="login_username")
    password = st.text_input(t("password"), type="password", key="login_password")
    submitted = st.form_submit_button(t("login_button"), type="primary")

if submitted:
    if not username.strip() or not password:
        st.error(t("login_missing"))
        st.stop()
    try:
        with session_scope(session.engine()) as db:
            user = sign_in(db, username, password, session.client_address())
    except AuthenticationFailed:
        st.error(t("login_failed"))
    except ShuijianError as error:
        show_error(error)
    else:
        session.sign_in(user)
        st.rerun()
