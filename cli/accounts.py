"""Accounts (``shuijian user ...``)."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import friendly, migrated_engine

app = typer.Typer(help="Accounts.", no_args_is_help=True)


@app.command("add")
@friendly
def user_add(
    username: str,
    role: Annotated[str, typer.Option(help="leader | analyst | deputy | admin")],
    deputy: Annotated[str | None, typer.Option(help="deputy code, for role deputy")] = None,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create an account; the password is asked for and stored as an Argon2id hash."""
    from sqlalchemy import select

    from accounts.auth import create_user, hash_password
    from db.database import session_scope
    from db.models import Deputy

    with session_scope(migrated_engine()) as session:
        deputy_id = None
        if deputy:
            deputy_id = session.scalar(select(Deputy.id).where(Deputy.code == deputy))
            if deputy_id is None:
                raise typer.BadParameter(f"no deputy with code {deputy!r}")
        try:
            create_user(session, username, hash_password(password), role, deputy_id)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
    typer.echo(f"created {role} account {username!r}")


@app.command("unlock")
@friendly
def user_unlock(username: str) -> None:
    """Lift the sign-in wait and lock of an account name (after too many failed sign-ins)."""
    from accounts.throttle import unlock
    from db.database import session_scope

    with session_scope(migrated_engine()) as session:
        unlock(session, username)
    typer.echo(f"sign-in of {username!r} unlocked")


@app.command("password")
@friendly
def user_password(
    username: str,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Set an account's password (asked for); every session of the account ends."""
    from accounts.passwords import set_password
    from db.database import session_scope

    with session_scope(migrated_engine()) as session:
        ended = set_password(session, username, password)
    typer.echo(f"password of {username!r} set; {ended} sign-in session(s) ended")
