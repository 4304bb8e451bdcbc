"""水监 Shuijian: entry point. Signs nobody in by itself; shows only the pages a role may see."""

from __future__ import annotations

import streamlit as st

from db import scope
from ui import session
from ui.errors import run_page
from ui.i18n import t
from ui.page import explain_denied, pages_for, sidebar

# No page_icon (nor page icons): Streamlit fetches such favicons from fonts.gstatic.com.
st.set_page_config(page_title="水监 Shuijian", layout="wide")

# Who is signed in: the session cookie, checked in the database on every run (an outage
# says so once, here, and the page waits for the database with its probe).
# The session and its account are looked up across the city; then the run works in the
# account's county (the open pages, for nobody signed in, show the whole city).
scope.enter(scope.ALL)
if not run_page(session.restore, "sign-in"):
    st.stop()
if not run_page(lambda: session.enter_scope(session.current_user()), "sign-in"):
    st.stop()
specs = pages_for(session.current_user())
# Expanded: collapsed, Streamlit lists ten pages and hides the rest behind an English
# "View 4 more" (系统管理 among them for an admin).
navigation = st.navigation(
    [st.Page(s.path, title=t(s.title_key)) for s in specs], position="sidebar", expanded=True
)
sidebar()
explain_denied()
run_page(navigation.run, "a page")
