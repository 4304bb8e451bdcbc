"""Shared page frame: which page each role sees, the sidebar, and the guard every page runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from accounts.auth import SignedIn
from accounts.permissions import may
from core.errors import DatabaseUnavailable, ShuijianError
from core.vocab import CITY_ROLES
from ui import session
from ui.i18n import describe, lang, t


@dataclass(frozen=True)
class PageSpec:
    """A page and the action (in ``accounts.permissions``) that opens it; None: open to all.
    No icons: Streamlit turns a page's icon into the favicon and fetches that from
    fonts.gstatic.com, which an offline dashboard must not do."""

    path: str
    title_key: str
    action: str | None


LOGIN = PageSpec("views/login.py", "page_login", None)
# The public archive (公示) is open to everyone, signed in or not: no guard, listed for all.
PUBLIC = PageSpec("views/public.py", "page_public", None)
# 有奖举报: anyone reports a water problem, signed in or not.
PUBLIC_REPORT = PageSpec("views/report_public.py", "page_public_report", None)
# 每月排名公开公示: the city's published monthly rankings of its counties, open to everyone.
CITY_RANKING_PUBLIC = PageSpec("views/city_ranking_public.py", "page_city_ranking_public", None)
# The pages open to everyone, in the order they are listed (last in every navigation).
OPEN: tuple[PageSpec, ...] = (CITY_RANKING_PUBLIC, PUBLIC, PUBLIC_REPORT)
GLANCE = PageSpec("views/glance.py", "page_glance", "view_glance")
MY_SITES = PageSpec("views/my_sites.py", "page_my_sites", "view_my_sites")
ADMIN = PageSpec("views/admin.py", "page_admin", "view_admin")
OVERVIEW = PageSpec("views/overview.py", "page_overview", "view_overview")
ACCOUNT = PageSpec("views/account.py", "page_account", "view_account")
UPLOAD = PageSpec("views/upload.py", "page_upload", "view_upload")
PATROLS = PageSpec("views/patrols.py", "page_patrols", "view_patrols")
DUE = PageSpec("views/due.py", "page_due", "view_due")
COVERAGE = PageSpec("views/coverage.py", "page_coverage", "view_coverage")
EVALUATION = PageSpec("views/evaluation.py", "page_evaluation", "view_evaluation")
REPORT = PageSpec("views/report.py", "page_report", "view_report")
WORKLIST = PageSpec("views/worklist.py", "page_worklist", "view_worklist")
ISSUES_MAP = PageSpec("views/issues_map.py", "page_issues_map", "view_issues_map")
TICKET = PageSpec("views/ticket.py", "page_ticket", "view_ticket")
REGISTER = PageSpec("views/register.py", "page_register", "view_register")
WARNINGS = PageSpec("views/warnings.py", "page_warnings", "view_warnings")
PUBLIC_REPORTS = PageSpec("views/public_reports.py", "page_public_reports", "view_public_reports")
SUPERVISION = PageSpec("views/supervision.py", "page_supervision", "view_supervision")
VOLUNTEERS = PageSpec("views/volunteers.py", "page_volunteers", "view_volunteers")
# 一月一排名: the city's ranking of its counties (the city's roles land here).
CITY_RANKING = PageSpec("views/city_ranking.py", "page_city_ranking", "view_city_ranking")
WATER_QUALITY = PageSpec("views/water_quality.py", "page_water_quality", "view_water_quality")
# In this order in the navigation; the first a role may open is where it lands.
PAGES: tuple[PageSpec, ...] = (
    GLANCE,
    MY_SITES,
    OVERVIEW,
    CITY_RANKING,
    ACCOUNT,
    UPLOAD,
    PATROLS,
    DUE,
    COVERAGE,
    EVALUATION,
    REPORT,
    WORKLIST,
    ISSUES_MAP,
    TICKET,
    REGISTER,
    WARNINGS,
    PUBLIC_REPORTS,
    SUPERVISION,
    VOLUNTEERS,
    WATER_QUALITY,
    ADMIN,
)


# The query parameter with which the gate (ui/gate.py) sends a user home from a page their
# role may not open, naming it.
DENIED = "denied"


def explain_denied() -> None:
    """On the home page the gate sent a user to, say once which page was not for them: a
    silent redirect reads as a broken link."""
    name = st.query_params.get(DENIED)
    if name is None:
        return
    del st.query_params[DENIED]
    spec = next((p for p in PAGES if Path(p.path).stem == name), None)
    if spec is not None:
        st.warning(t("page_denied", page=t(spec.title_key)))


def pages_for(user: SignedIn | None) -> list[PageSpec]:
    """Sign-in and the open pages (the published ranking, the public archive, 有奖举报) when
    nobody is signed in, else the pages the role may open and the open pages last (the first
    page listed is where a user lands)."""
    if user is None:
        return [LOGIN, *OPEN]
    return [*(p for p in PAGES if p.action and may(user.role, p.action)), *OPEN]


def _uploader_words() -> None:
    """Streamlit's file uploader speaks only English ("Upload", "50MB per file • GPX", "text/plain
    files are not allowed"); in Chinese its words are replaced by the catalogue's with CSS,
    the one hook its frontend leaves. The types and size a page accepts are in its own label
    (the uploader's own 50 MB is the server's cap, not a photo's 10 MB)."""
    if lang() != "zh":
        return

    def css(key: str, **values: object) -> str:
        # A CSS string in double quotes; the catalogue's words carry no quote or backslash.
        words = t(key, **values).replace("\\", "").replace('"', "'")
        return f'"{words}"'

    zone = '[data-testid="stFileUploaderDropzone"]'
    st.markdown(
        "<style>"
        f'{zone} [data-testid="stBaseButton-secondary"] p {{font-size: 0}}'
        f'{zone} [data-testid="stBaseButton-secondary"] p::after '
        f"{{content: {css('uploader_button')}; font-size: 1rem}}"
        '[data-testid="stFileUploaderDropzoneInstructions"] span {font-size: 0}'
        '[data-testid="stFileUploaderDropzoneInstructions"] span::after '
        f"{{content: {css('uploader_hint')}; font-size: .875rem}}"
        '[data-testid="stFileChip"][aria-invalid="true"] [data-testid="stFileChipName"]::after '
        f"{{content: {css('uploader_refused')}}}"
        "</style>",
        unsafe_allow_html=True,
    )


# Pills (st.pills, st.segmented_control) wrap onto more lines: Streamlit keeps them on one
# line that scrolls sideways, which hides choices on a phone (the issues map's statuses).
WRAPPING_PILLS = (
    '<style>[data-testid="stButtonGroup"] > div {flex-wrap: wrap; overflow-x: visible}</style>'
)


def sidebar() -> None:
    """Language switch for everyone; who is signed in and a sign-out button once signed in."""
    with st.sidebar:
        st.toggle(t("english"), key=session.ENGLISH)
        _uploader_words()
        st.markdown(WRAPPING_PILLS, unsafe_allow_html=True)
        user = session.current_user()
        if user is not None:
            st.caption(
                f"{t('signed_in_as')}: "
                + t("with_aside", name=user.display_name, aside=t("role_" + user.role))
            )
            if user.role in CITY_ROLES:
                _county_picker()
            if st.button(t("sign_out"), key="shuijian_sign_out"):
                session.sign_out()
                st.rerun()


def _county_picker() -> None:
    """A city account looks at the whole city or narrows every page to one county."""
    from ui.cached import county_options

    options = county_options(session.engine())
    names = dict(options)
    st.selectbox(
        t("city_county"),
        [None, *names],
        key=session.CITY_COUNTY,
        format_func=lambda c: t("city_whole") if c is None else names[c],
    )


def guard(page: PageSpec) -> SignedIn:
    """The signed-in user if the role may open this page; otherwise say why and stop the run."""
    user = session.current_user()
    if user is None:
        st.warning(t("need_sign_in"))
        st.stop()
    if page.action is not None and not may(user.role, page.action):
        st.error(t("not_allowed", role=t("role_" + user.role)))
        st.stop()
    session.enter_scope(user)
    return user


def show_error(error: ShuijianError) -> None:
    """A service refused or failed on purpose: say its code's sentence in the page's
    language, keep the page alive (an unreachable database gets the one outage message and
    its probe)."""
    if isinstance(error, DatabaseUnavailable):
        from ui.errors import database_unavailable

        database_unavailable()
        return
    st.error(t("service_error", error=describe(error)))


def page_link(page: PageSpec, label: str, query_params: dict[str, str] | None = None) -> None:
    """A link to another page that keeps the session (a plain URL would start a new one and
    sign the user out). A page run on its own (AppTest) has no navigation: show the label."""
    from streamlit.errors import StreamlitPageNotFoundError

    try:
        st.page_link(page.path, label=label, query_params=query_params)
    except StreamlitPageNotFoundError:
        st.markdown(label)
