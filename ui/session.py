"""Session-state keys in one place, the shared engine, and the signed-in user.

Who is signed in comes from the session cookie on every run (:func:`restore`), checked in
the database, so a sign-out in another tab, a password change or a timeout ends this tab's
sign-in at its next action. Only pages served through the gate (web.py sets SHUIJIAN_GATE)
do this; a page run without a server (AppTest) keeps the user its test put in the state,
and a bare ``streamlit run streamlit_app.py`` has no way to sign in at all.
"""

from __future__ import annotations

import os

import streamlit as st
from sqlalchemy import Engine

from accounts import sessions
from accounts.auth import SignedIn
from accounts.scope import county_scope
from core import settings
from core.vocab import CITY_ROLES
from db import scope
from db.database import database_url, get_engine, session_scope

# Fixed keys: every page reads and writes session state only through these names.
USER = "shuijian_user"
ENGLISH = "shuijian_english"
TOWNSHIP = "shuijian_township"
CITY_COUNTY = "shuijian_city_county"  # the county a city account narrowed its view to
# Patrol pages (upload, patrols, due list, coverage).
UPLOAD_RESULTS = "shuijian_upload_results"
UPLOAD_FILES = "shuijian_upload_files"
UPLOAD_GCJ02 = "shuijian_upload_gcj02"
UPLOAD_DEPUTY = "shuijian_upload_deputy"
UPLOAD_BATCH = "shuijian_upload_batch"
PATROL_TOWNSHIP = "shuijian_patrol_township"
PATROL_DEPUTY = "shuijian_patrol_deputy"
PATROL_DATES = "shuijian_patrol_dates"
PATROL_FLAGGED = "shuijian_patrol_flagged"
PATROL_SELECTED = "shuijian_patrol_selected"
REVIEW_DECISION = "shuijian_review_decision"
REVIEW_REASON = "shuijian_review_reason"
DUE_DATE = "shuijian_due_date"
DUE_TOWNSHIP = "shuijian_due_township"
DUE_DEPUTY = "shuijian_due_deputy"
DUE_STATUS = "shuijian_due_status"
COVERAGE_MONTH = "shuijian_coverage_month"
COVERAGE_TOWNSHIP = "shuijian_coverage_township"
COVERAGE_LEVEL = "shuijian_coverage_level"
# Prefixes of per-patrol widget keys: f"{CHECK_PREFIX}_{patrol}_{site}_{item}" and the like.
CHECK_PREFIX = "shuijian_check"
RECORD_PHOTOS_PREFIX = "shuijian_record_photos"
RECORD_NOTES_PREFIX = "shuijian_record_notes"
RECORD_FORM_PREFIX = "shuijian_record_form"
FLASH = "shuijian_flash"  # a catalogue key to say once on the next page (e.g. after a change)
# Ticket pages (report, ticket, issues map, worklist).
REPORT_DEPUTY = "shuijian_report_deputy"
REPORT_SOURCE = "shuijian_report_source"
REPORT_POINT = "shuijian_report_point"  # (lon, lat) of the problem
REPORT_SITE = "shuijian_report_site"  # site id when chosen from a patrol or a checklist
REPORT_PATROL = "shuijian_report_patrol"  # patrol id the report comes from
REPORT_LAST_CLICK = "shuijian_report_last_click"
REPORT_PATROL_PICK = "shuijian_report_patrol_pick"
REPORT_PATROL_MODE = "shuijian_report_patrol_mode"
REPORT_PATROL_SITE = "shuijian_report_patrol_site"
REPORT_PATROL_POINT = "shuijian_report_patrol_point"
REPORT_PHOTO_PLACE = "shuijian_report_photo_place"
REPORT_CATEGORY = "shuijian_report_category"  # preset; the widget is f"{this}_{nonce}"
REPORT_DESCRIPTION = "shuijian_report_description"  # widget f"{this}_{nonce}"
REPORT_PHOTOS = "shuijian_report_photos"
REPORT_NONCE = "shuijian_report_nonce"  # bumped after a report, so the uploaders start empty
REPORT_DONE = "shuijian_report_done"  # number of the ticket just created or followed
REPORT_SUBMIT = "shuijian_report_submit"
REPORT_FOLLOW_PREFIX = "shuijian_report_follow"
TICKET_NUMBER = "shuijian_ticket_number"
TICKET_FLASH = "shuijian_ticket_flash"
TICKET_ACTION_PREFIX = "shuijian_ticket_action"  # f"{prefix}_{action}_{field}"
ISSUES_TOWNSHIP = "shuijian_issues_township"
EVALUATION_TOWNSHIP = "shuijian_evaluation_township"
ISSUES_PLATFORM = "shuijian_issues_platform"
ISSUES_CATEGORY = "shuijian_issues_category"
ISSUES_STATUSES = "shuijian_issues_statuses"
ISSUES_DATES = "shuijian_issues_dates"
ISSUES_OPEN = "shuijian_issues_open"  # the ticket picked to open from the list


@st.cache_resource(show_spinner=False)
def _engine_for(configured_url: str | None) -> Engine:
    """One engine (and pool) per database for the whole server, not one per rerun."""
    return get_engine(database_url())


def engine() -> Engine:
    # Keyed by DATABASE_URL so a changed setting (or a test's database) gets its own engine.
    return _engine_for(settings.optional_text("database_url"))


def gated() -> bool:
    """True when this page run is served through the sign-in gate (web.py)."""
    return os.environ.get("SHUIJIAN_GATE") == "1"


def _cookie_token() -> str | None:
    try:
        token = st.context.cookies.get(sessions.COOKIE)
    except Exception:  # noqa: BLE001 - no request behind this run
        return None
    return token if isinstance(token, str) and token else None


def restore() -> None:
    """Each run: put the cookie's live session (or nobody) in the state. The first run of a
    session also takes the language chosen on the sign-in form, or the one a link names
    (``?lang=en``: the sign-in form's links to the public pages keep its language)."""
    _language_from_link()
    if not gated():
        return
    token = _cookie_token()
    with session_scope(engine()) as db:
        found = sessions.resume(db, token)
        if found is None:
            _forget()
            return
        user, language = found
        if st.session_state.get(USER) != user:
            _forget()
            st.session_state[USER] = user
            if ENGLISH not in st.session_state:
                st.session_state[ENGLISH] = language == "en"
        chosen = "en" if st.session_state.get(ENGLISH) else "zh"
        if chosen != language:  # switched in the sidebar: a reload keeps it
            sessions.set_language(db, token, chosen)


def _language_from_link() -> None:
    """A link's ``lang`` sets the language once, for a session that has not chosen one."""
    try:
        wanted = st.query_params.get("lang")
    except Exception:  # noqa: BLE001 - no request behind this run
        return
    if wanted in ("zh", "en") and ENGLISH not in st.session_state:
        st.session_state[ENGLISH] = wanted == "en"


def session_ended() -> bool:
    """This browser holds a session cookie that no longer works (signed out, timed out)."""
    return gated() and _cookie_token() is not None and current_user() is None


def current_url() -> str:
    """The path and query this page was opened with, for the sign-in form's way back."""
    try:
        url = st.context.url
    except Exception:  # noqa: BLE001 - no request behind this run
        return "/"
    if not isinstance(url, str) or not url:
        return "/"
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def current_user() -> SignedIn | None:
    user = st.session_state.get(USER)
    return user if isinstance(user, SignedIn) else None


def _forget() -> None:
    st.session_state.pop(USER, None)
    st.session_state.pop(TOWNSHIP, None)
    st.session_state.pop(CITY_COUNTY, None)


def enter_scope(user: SignedIn | None) -> None:
    """Put this run in the user's county scope (``db.scope``): their county, or for a city
    account the county chosen in the sidebar or the whole city. Every query of the run,
    cached or not, then sees only that (row-level security, migration 0020)."""
    chosen = st.session_state.get(CITY_COUNTY) if user and user.role in CITY_ROLES else None
    scope.enter(county_scope(user, chosen if isinstance(chosen, int) else None))


def sign_out() -> None:
    """End the session in the database (every tab with this cookie is signed out at its
    next action), then here."""
    if gated():
        with session_scope(engine()) as db:
            sessions.end(db, _cookie_token())
    _forget()


def client_address() -> str | None:
    """The browser's address as Streamlit saw it (None when it cannot tell), the key of
    per-client sign-in throttling."""
    try:
        address = st.context.ip_address
    except Exception:  # noqa: BLE001 - a page run outside a server (AppTest) has none
        return None
    return address if isinstance(address, str) and address else None
