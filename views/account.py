"""我的账户 / My account: who is signed in, with which role (every role may open it)."""

from __future__ import annotations

import streamlit as st

from ui.i18n import t
from ui.page import ACCOUNT, guard

user = guard(ACCOUNT)
st.title(t("account_heading"))
st.metric(t("signed_in_as"), user.display_name)
st.metric(t("role"), t("role_" + user.role))
st.caption(f"{t('username')}: {user.username}")
