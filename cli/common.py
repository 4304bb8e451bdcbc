"""What every command shares: the error wrapper and the database engine."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import click
import typer

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
        except (typer.Exit, typer.Abort, click.exceptions.ClickException, KeyboardInterrupt):
            raise
        except Exception as exc:
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


def open_engine():
    from db.database import get_engine

    return get_engine()


def migrated_engine():
    from db import migrate

    migrated = open_engine()
    migrate.upgrade(migrated)
    return migrated
