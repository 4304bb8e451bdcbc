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


_INFO: Final = "shuijian_scope"  # Connection.info: the scope its transaction began with


def _on_begin(conn: Any) -> None:
    """Tell the database the scope as the transaction starts. Session-level (``false``), so
    it also holds on an autocommit connection; every begin overwrites it, so a pooled
    connection never carries one run's scope into another's."""
    value = current()
    conn.info[_INFO] = value
    dbapi = conn.connection.dbapi_connection
    with dbapi.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, false)", (SETTING, setting_value(value)))


def _county_criteria(state: Any) -> None:
    """An ORM SELECT, UPDATE or DELETE in one county's scope names that county for every
    county-owned entity it touches — joined, aliased, loaded through a relationship — as
    ``county_id = <id>`` (SQLAlchemy's ``with_loader_criteria``, its pattern for tenants).
    Row-level security already confines the rows; this puts the county in the statement
    itself, where the planner and a distributed database (Citus routes by ``county_id``)
    can see it. The scope is the transaction's (``_on_begin``), so a statement never names
    another county than the setting the database holds. INSERTs are untouched (their
    county comes from their parents, migration 0020); the city's scope and nothing add
    nothing."""
    if not (state.is_select or state.is_update or state.is_delete) or state.is_column_load:
        return
    county = state.session.connection(bind_arguments=state.bind_arguments).info.get(_INFO)
    if not isinstance(county, int) or isinstance(county, bool):
        return
    from sqlalchemy.orm import with_loader_criteria

    from db import models

    state.statement = state.statement.options(
        *(
            with_loader_criteria(owned, lambda cls: cls.county_id == county, include_aliases=True)
            for owned in (
                models.CountyOwned,
                models.MaybeCountyOwned,
                models.WaterSection,
                models.WaterSample,
            )
        )
    )


def switch(session: Any, scope: Scope) -> None:
    """Change the scope of a transaction already open on ``session`` (a Session or a
    Connection): the demo loader, which creates a county and then fills it in one
    transaction. Everywhere else a scope is set before the transaction begins."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    session.execute(
        text("SELECT set_config(:name, :value, false)"),
        {"name": SETTING, "value": setting_value(_checked(scope))},
    )
    connection = session.connection() if isinstance(session, Session) else session
    connection.info[_INFO] = scope


def install(engine: Engine) -> None:
    """Make every transaction on ``engine`` carry the scope (``db.database.get_engine``), and
    every ORM statement of a county's scope name its county (``_county_criteria``)."""
    from sqlalchemy.orm import Session

    if not event.contains(engine, "begin", _on_begin):
        event.listen(engine, "begin", _on_begin)
    if not event.contains(Session, "do_orm_execute", _county_criteria):
        event.listen(Session, "do_orm_execute", _county_criteria)


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
