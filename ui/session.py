"""Session-state keys in one place, the shared engine, and the signed-in user."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from core import settings
from core.auth import SignedIn
from geo.database import database_url, get_engine

# Fixed keys: every page reads and writes session state only through these names.
USER = "shuijian_user"
ENGLISH = "shuijian_english"
TOWNSHIP = "shuijian_township"


@st.cache_resource(show_spinner=False)
def _engine_for(configured_url: str | None) -> Engine:
    """One engine (and pool) per database for the whole server, not one per rerun."""
    return get_engine(database_url())


def engine() -> Engine:
    # Keyed by DATABASE_URL so a changed setting (or a test's database) gets its own engine.
    return _engine_for(settings.get("database_url"))


def current_user() -> SignedIn | None:
    user = st.session_state.get(USER)
    return user if isinstance(user, SignedIn) else None


def sign_in(user: SignedIn) -> None:
    st.session_state[USER] = user


def sign_out() -> None:
    st.session_state.pop(USER, None)
    st.session_state.pop(TOWNSHIP, None)
