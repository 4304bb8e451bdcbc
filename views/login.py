"""登录 / Sign in: shown inside the app once a sign-in has ended in this tab (sign-out, a
timeout, a sign-out in another tab). The form posts to the web gate (ui/gate.py), which
checks the password and sets the HttpOnly session cookie that a page script cannot set."""

from __future__ import annotations

import streamlit as st

from ui import session
from ui.gate import form_html
from ui.i18n import lang, t
from ui.page import PUBLIC, page_link

st.title(t("login_heading"))
if not session.gated():
    st.info(t("gate_no_gate"))
flash = st.session_state.pop(session.FLASH, None)
if flash:
    st.success(t(flash))
elif session.session_ended():
    st.info(t("gate_session_ended"))
st.html(form_html(lang(), session.current_url()))
page_link(PUBLIC, t("gate_public_link"))
