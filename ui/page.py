"""Shared page frame: which page each role sees, the sidebar, and the guard every page runs."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from core.auth import SignedIn, require_role
from core.errors import DatabaseUnavailable, PermissionDenied, ShuijianError
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
UPLOAD_ROLES: tuple[str, ...] = ("deputy", "analyst", "admin")
PATROL_ROLES: tuple[str, ...] = ("deputy", "analyst", "admin")
DUE_ROLES: tuple[str, ...] = ("deputy", "leader", "analyst", "admin")
COVERAGE_ROLES: tuple[str, ...] = ("leader", "analyst", "admin")
# Ticket pages. Deputies report and see their own (and their township's) tickets; leaders
# read tickets and the issues map but act on none.
REPORT_ROLES: tuple[str, ...] = ("deputy", "analyst", "admin")
TICKET_ROLES: tuple[str, ...] = ("deputy", "leader", "analyst", "admin")
ISSUES_ROLES: tuple[str, ...] = ("deputy", "leader", "analyst", "admin")
WORKLIST_ROLES: tuple[str, ...] = ("deputy", "analyst", "admin")
# Monthly evaluation and bulletin (通报): the Standing Committee's reading, not deputies'.
EVALUATION_ROLES: tuple[str, ...] = ("leader", "analyst", "admin")
LOGIN = PageSpec("views/login.py", "page_login", ())
# The public archive (公示) is open to everyone, signed in or not: no guard, listed for all.
PUBLIC = PageSpec("views/public.py", "page_public", ())
PAGES: tuple[PageSpec, ...] = (
    PageSpec("views/overview.py", "page_overview", OVERVIEW_ROLES),
    PageSpec("views/account.py", "page_account", ACCOUNT_ROLES),
    PageSpec("views/upload.py", "page_upload", UPLOAD_ROLES),
    PageSpec("views/patrols.py", "page_patrols", PATROL_ROLES),
    PageSpec("views/due.py", "page_due", DUE_ROLES),
    PageSpec("views/coverage.py", "page_coverage", COVERAGE_ROLES),
    PageSpec("views/evaluation.py", "page_evaluation", EVALUATION_ROLES),
    PageSpec("views/report.py", "page_report", REPORT_ROLES),
    PageSpec("views/worklist.py", "page_worklist", WORKLIST_ROLES),
    PageSpec("views/issues_map.py", "page_issues_map", ISSUES_ROLES),
    PageSpec("views/ticket.py", "page_ticket", TICKET_ROLES),
)


def pages_for(user: SignedIn | None) -> list[PageSpec]:
    """Sign-in and the public archive when nobody is signed in, else the pages the role may
    open and the public archive last (the first page listed is where a user lands)."""
    if user is None:
        return [LOGIN, PUBLIC]
    return [*(p for p in PAGES if user.role == "admin" or user.role in p.roles), PUBLIC]


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
    """A service refused or failed on purpose: show its sentence, keep the page alive (an
    unreachable database gets the one outage message and its probe)."""
    if isinstance(error, DatabaseUnavailable):
        from ui.errors import database_unavailable

        database_unavailable()
        return
    st.error(t("service_error", error=error))


def page_link(path: str, label: str, query_params: dict[str, str] | None = None) -> None:
    """A link to another page that keeps the session (a plain URL would start a new one and
    sign the user out). A page run on its own (AppTest) has no navigation: show the label."""
    from streamlit.errors import StreamlitPageNotFoundError

    try:
        st.page_link(path, label=label, query_params=query_params)
    except StreamlitPageNotFoundError:
        st.markdown(label)
