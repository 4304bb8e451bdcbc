"""Shared page frame: which page each role sees, the sidebar, and the guard every page runs."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from core.auth import SignedIn, require_role
from core.errors import PermissionDenied, ShuijianError
from ui import session
from ui.i18n import t


@dataclass(frozen=True)
class PageSpec:
    """A page and who may open it. No icons: Streamlit turns a page's icon into the favicon
    and fetches that from fonts.gstatic.com, which an offline dashboard must not do."""

    path: str
    title_key: str
    roles: tuple[str, ...]


# require_role lets admin through everywhere; the tuples name the other roles.
OVERVIEW_ROLES: tuple[str, ...] = ("leader", "analyst", "admin")
ACCOUNT_ROLES: tuple[str, ...] = ("leader", "analyst", "deputy", "admin")
LOGIN = PageSpec("views/login.py", "page_login", ())
PAGES: tuple[PageSpec, ...] = (
    PageSpec("views/overview.py", "page_overview", OVERVIEW_ROLES),
    PageSpec("views/account.py", "page_account", ACCOUNT_ROLES),
)


def pages_for(user: SignedIn | None) -> list[PageSpec]:
    """The login page alone when nobody is signed in, else the pages the role may open."""
    if user is None:
        return [LOGIN]
    return [p for p in PAGES if user.role == "admin" or user.role in p.roles]


def sidebar() -> None:
    """Language switch for everyone; who is signed in and a sign-out button once signed in."""
    with st.sidebar:
        st.toggle(t("english"), key=session.ENGLISH)
        user = session.current_user()
        if user is not None:
            st.caption(f"{t('signed_in_as')}: {user.display_name}（{t('role_' + user.role)}）")
            if st.button(t("sign_out"), key="shuijian_sign_out"):
                session.sign_out()
                st.rerun()


def guard(allowed: tuple[str, ...]) -> SignedIn:
    """The signed-in user if the role may open this page; otherwise say why and stop the run."""
    user = session.current_user()
    try:
        return require_role(user, allowed)
    except PermissionDenied:
        if user is None:
            st.warning(t("need_sign_in"))
        else:
            st.error(t("not_allowed", role=t("role_" + user.role)))
        st.stop()


def show_error(error: ShuijianError) -> None:
    """A service refused or failed on purpose: show its sentence, keep the page alive."""
    st.error(t("service_error", error=error))
