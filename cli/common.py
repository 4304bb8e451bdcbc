"""What every command shares: the error wrapper and the database engine."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import click
import typer
from typer.exceptions import TyperException

import i18n
from core.errors import (
    DatabaseUnavailable,
    ShuijianError,
    is_database_outage,
    log_unexpected,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The command line speaks English, like its other output and the logs it sits beside; the
# sentences come from the same catalogue as the pages'.
CLI_LANG = "en"


# The options the daily reminder commands share (`remind`, `grid-heads remind`,
# `warnings scan`), written once so their help reads the same.
TodayOption = Annotated[
    str | None, typer.Option("--date", help="YYYY-MM-DD; default today (SHUIJIAN_TIMEZONE)")
]
ChannelOption = Annotated[
    str | None, typer.Option(help="dingtalk | http; default SHUIJIAN_REMIND_CHANNEL")
]


def friendly(func: Callable) -> Callable:
    """Show our errors as one sentence and an exit code, not a traceback: a database that
    cannot be reached exits 3, anything unexpected is logged (errors.log) and exits 2 with
    the id under which its traceback was logged."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ShuijianError as exc:
            typer.secho(f"error: {i18n.describe(exc, CLI_LANG)}", fg=typer.colors.RED, err=True)
            raise typer.Exit(exc.exit_code) from None
        except (
            typer.Exit,
            typer.Abort,
            click.exceptions.ClickException,
            TyperException,  # typer's own click (typer.BadParameter): a usage error, said as one
            KeyboardInterrupt,
        ):
            raise
        except Exception as exc:
            if _names_no_county(exc):
                typer.secho(
                    "error: this database holds several counties and the command did not say "
                    "which one it works for: run it as `shuijian --county CODE …`",
                    fg=typer.colors.RED,
                    err=True,
                )
                raise typer.Exit(1) from None
            if is_database_outage(exc):
                typer.secho(
                    "error: the database is unavailable; try again later",
                    fg=typer.colors.RED,
                    err=True,
                )
                raise typer.Exit(DatabaseUnavailable.exit_code) from None
            error = log_unexpected(exc, f"shuijian {func.__name__}")
            typer.secho(f"error: {i18n.describe(error, CLI_LANG)}", fg=typer.colors.RED, err=True)
            raise typer.Exit(error.exit_code) from None

    return wrapper


def _names_no_county(exc: BaseException) -> bool:
    """A row written in the city's scope that no parent row gave a county (migration 0020)."""
    import psycopg

    orig = getattr(exc, "orig", None)
    return (
        isinstance(orig, psycopg.errors.NotNullViolation)
        and getattr(orig.diag, "column_name", None) == "county_id"
    )


def open_engine():
    """The app role's engine (``database_url()``): what every run-time command uses."""
    from db.database import get_engine

    return get_engine()


def migrated_engine():
    """The app role's engine, after the owner has brought the schema to head and given the
    app its rights (``owner_url()``; with one role for everything that is the app's own URL,
    and a refusal for lack of rights says to run ``shuijian db migrate`` as the owner)."""
    owner_migrate()
    return open_engine()


def owner_migrate(revision: str = "head") -> None:
    """Migrate as the owner on a connection of its own (closed after), then grant the app
    role (the user of ``database_url()``) its rights on what the migrations made."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from db import migrate
    from db.database import CONNECT_TIMEOUT_S, database_url, owner_url, role_of

    owner = create_engine(
        owner_url(), poolclass=NullPool, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}
    )
    try:
        migrate.upgrade(owner, revision, app_role=role_of(database_url()))
    finally:
        owner.dispose()


def owner_engine():
    """The owner's engine, schema at head: for the demo, which may wipe and replace data."""
    from db.database import get_engine, owner_url

    owner_migrate()
    return get_engine(owner_url())


def county_id(code: str) -> int:
    """The id of the county with this code (``--county``); a usage error naming the codes
    there are when it is not one of them."""
    from sqlalchemy import text

    from db.scope import ALL, within

    with within(ALL), open_engine().connect() as conn:
        rows = dict(conn.execute(text("SELECT code, id FROM county ORDER BY code")).all())
    if code.strip() not in rows:
        known = ", ".join(rows) or "none"
        raise typer.BadParameter(f"no county with code {code!r} (counties: {known})")
    return int(rows[code.strip()])


def each_county() -> list[tuple[str | None, str, object]]:
    """The counties a county's command (the grid check, the bulletin) runs for, one at a
    time: the one in scope (``--county``, or a database of one county: code None, said no
    more), else every county of the city by code, each as (code, name, its scope)."""
    from sqlalchemy import text

    from db import scope

    if scope.current() != scope.ALL:
        return [(None, "", scope.current())]
    with scope.within(scope.ALL), open_engine().connect() as conn:
        rows = conn.execute(text("SELECT code, name, id FROM county ORDER BY code")).all()
    if len(rows) <= 1:
        return [(None, "", scope.ALL)]
    return [(str(code), str(name), int(county)) for code, name, county in rows]


def require_one_county() -> None:
    """A county's document (the evaluation, the bulletin) is one county's: with several in
    the database, the command must say which (``shuijian --county CODE …``)."""
    counties = each_county()
    if len(counties) > 1:
        codes = ", ".join(str(code) for code, _, _ in counties)
        raise typer.BadParameter(
            f"this database holds {len(counties)} counties ({codes}): say which one with "
            "`shuijian --county CODE …`",
            param_hint="--county",
        )
