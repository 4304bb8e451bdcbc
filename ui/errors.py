"""What a person sees when something goes wrong: a short sentence, never a traceback.

Every page runs inside :func:`run_page`. A database that cannot be reached gives
"数据库暂不可用，请稍后再试" and a small probe that reloads the page by itself once the
database answers again; anything else unexpected is logged with its traceback
(``errors.log``) under an id, and the page shows only that id. ``client.showErrorDetails``
is ``none`` in .streamlit/config.toml as the second line of defence, so nothing that slips
past (a widget callback, say) shows a traceback or a link that would send it off the machine.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from sqlalchemy import text

from core.errors import is_database_outage, log_unexpected
from ui.i18n import t

PROBE_SECONDS = 5


def run_page(run: Callable[[], object], where: str) -> bool:
    """Run a page; turn an outage or an unexpected error into a sentence (and say False)."""
    try:
        run()
    except Exception as exc:  # the page boundary (st.stop/st.rerun are BaseExceptions)
        if is_database_outage(exc):
            database_unavailable()
        else:
            error = log_unexpected(exc, where)
            st.error(t("internal_error", error_id=error.error_id))
        return False
    return True


def database_unavailable() -> None:
    """The outage message, and a probe that reruns the app once the database is back."""
    st.error(t("db_unavailable"))
    st.caption(t("db_retrying"))
    _probe()


@st.fragment(run_every=PROBE_SECONDS)
def _probe() -> None:
    if database_reachable():
        st.rerun(scope="app")


def database_reachable() -> bool:
    from ui import session

    try:
        with session.engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach it means "not yet"
        if is_database_outage(exc):
            return False
        raise
    return True
