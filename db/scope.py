"""Which county's rows a database transaction may see: the one place that tells PostgreSQL.

A deployment holds a city of counties. Every county-owned row carries ``county_id``, and
row-level security (migration 0020) lets a transaction see and write only the rows of the
county in its *scope*:

- a county id: that county only — what a county's users get on every page and API call;
- ``ALL``: every county — the city's users, the sign-in lookup, the system's own jobs (the
  sender, the reminders, the scans, the demo loader), each said explicitly;
- nothing: no county-owned row at all (fail closed: code that forgot to say whose data it
  works on sees nothing rather than everything).

The scope lives in a context variable (per thread and per task, so one Streamlit run or one
API request cannot leak into another) and reaches the database as the setting
``shuijian.county`` at the start of every transaction (``install``). A login role pinned to
one county in ``county_db_role`` ignores the setting altogether: that is the database's own
guarantee, for a county run as its own deployment or an adversary with the app's SQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Final

from sqlalchemy import Engine, event

ALL: Final = "all"
SETTING: Final = "shuijian.county"

Scope = int | str | None  # a county id, ALL, or None (nothing)

_UNSET: Final = object()
_scope: ContextVar[object] = ContextVar("shuijian_county_scope", default=_UNSET)
# What a thread or task that said nothing gets: nothing, unless the process's entry point (the
# command line, the API) said it works for the whole city.
_process_default: list[Scope] = [None]


def set_process_default(scope: Scope) -> None:
    """The scope of every thread and task of this process that sets none itself: ``ALL`` for
    the command line and the platform API (system work across the city), None elsewhere."""
    _process_default[0] = _checked(scope)


def current() -> Scope:
    """The scope of this thread or task: a county id, ``ALL`` or None."""
    value = _scope.get()
    return _process_default[0] if value is _UNSET else value  # type: ignore[return-value]


def current_county() -> int | None:
    """The one county in scope; None when the scope is the city or nothing."""
    value = current()
    return value if isinstance(value, int) else None


def _checked(scope: Scope) -> Scope:
    if scope is None or scope == ALL:
        return scope
    if isinstance(scope, bool) or not isinstance(scope, int) or scope <= 0:
        raise ValueError(f"a county scope is a county id or ALL, not {scope!r}")
    return scope


@contextmanager
def within(scope: Scope) -> Iterator[None]:
    """Run the block in a county's scope (or the city's, ``ALL``). Transactions begun inside
    it see that scope; a transaction already open keeps the scope it began with."""
    token = _scope.set(_checked(scope))
    try:
        yield
    finally:
        _scope.reset(token)


def enter(scope: Scope) -> None:
    """Set the scope for the rest of this thread's run (a Streamlit script run, which has no
    block to wrap: the next run sets it again)."""
    _scope.set(_checked(scope))


def setting_value(scope: Scope) -> str:
    return "" if scope is None else str(scope)


def _on_begin(conn: Any) -> None:
    """Tell the database the scope as the transaction starts. Session-level (``false``), so
    it also holds on an autocommit connection; every begin overwrites it, so a pooled
    connection never carries one run's scope into another's."""
    dbapi = conn.connection.dbapi_connection
    with dbapi.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, false)", (SETTING, setting_value(current())))


def switch(session: Any, scope: Scope) -> None:
    """Change the scope of a transaction already open on ``session`` (a Session or a
    Connection): the demo loader, which creates a county and then fills it in one
    transaction. Everywhere else a scope is set before the transaction begins."""
    from sqlalchemy import text

    session.execute(
        text("SELECT set_config(:name, :value, false)"),
        {"name": SETTING, "value": setting_value(_checked(scope))},
    )


def install(engine: Engine) -> None:
    """Make every transaction on ``engine`` carry the scope (``db.database.get_engine``)."""
    if not event.contains(engine, "begin", _on_begin):
        event.listen(engine, "begin", _on_begin)


__all__ = [
    "ALL",
    "SETTING",
    "Scope",
    "current",
    "current_county",
    "enter",
    "install",
    "set_process_default",
    "switch",
    "within",
]
