"""Accounts (``shuijian user ...``): the same services as the administration page
(``accounts.admin``), recorded in the audit log as ``cli:<os user>``."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import friendly, migrated_engine

app = typer.Typer(help="Accounts.", no_args_is_help=True)


@app.command("add")
@friendly
def user_add(
    username: str,
    role: Annotated[
        str,
        typer.Option(
            help="leader | analyst | deputy | admin | township | city_leader | city_analyst"
        ),
    ],
    deputy: Annotated[str | None, typer.Option(help="deputy code, for role deputy")] = None,
    name: Annotated[str | None, typer.Option(help="display name (a deputy's: theirs)")] = None,
    township: Annotated[str | None, typer.Option(help="township code, for role township")] = None,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create an account; the password is asked for and stored as an Argon2id hash."""
    from accounts.admin import add_user
    from accounts.audit import shell_operator
    from db.database import session_scope

    with session_scope(migrated_engine()) as session:
        add_user(session, shell_operator(), username, role, password, deputy, name, township)
    typer.echo(f"created {role} account {username!r}")


@app.command("unlock")
@friendly
def user_unlock(username: str) -> None:
    """Unlock an account: reactivate it if locked, and lift the sign-in wait and lock of its
    name (after too many failed sign-ins)."""
    from accounts.admin import unlock_user
    from accounts.audit import shell_operator
    from db.database import session_scope

    with session_scope(migrated_engine()) as session:
        reactivated = unlock_user(session, shell_operator(), username)
    typer.echo(
        f"sign-in of {username!r} unlocked" + ("; account reactivated" if reactivated else "")
    )


@app.command("lock")
@friendly
def user_lock(username: str) -> None:
    """Lock (deactivate) an account: it cannot sign in, and every session of it ends now."""
    from accounts.admin import lock_user
    from accounts.audit import shell_operator
    from db.database import session_scope

    with session_scope(migrated_engine()) as session:
        ended = lock_user(session, shell_operator(), username)
    typer.echo(f"account {username!r} locked; {ended} sign-in session(s) ended")


@app.command("role")
@friendly
def user_role(
    username: str,
    role: Annotated[
        str,
        typer.Argument(
            help="leader | analyst | deputy | admin | township | city_leader | city_analyst"
        ),
    ],
    deputy: Annotated[str | None, typer.Option(help="deputy code, for role deputy")] = None,
    township: Annotated[str | None, typer.Option(help="township code, for role township")] = None,
) -> None:
    """Give an account another role (a deputy account names its deputy, a township account
    its township)."""
    from accounts.admin import change_role
    from accounts.audit import shell_operator
    from db.database import session_scope

    with session_scope(migrated_engine()) as session:
        change_role(session, shell_operator(), username, role, deputy, township)
    typer.echo(f"account {username!r} is now {role}")


@app.command("list")
@friendly
def user_list() -> None:
    """Every account with its role, deputy, whether it is locked, its last sign-in and any
    sign-in wait of its name."""
    from accounts.admin import list_users
    from accounts.audit import shell_operator
    from db.database import session_scope

    with session_scope(migrated_engine()) as session:
        frame = list_users(session, shell_operator())
    typer.echo(frame.fillna("").to_string(index=False))


@app.command("password")
@friendly
def user_password(
    username: str,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Set an account's password (asked for); every session of the account ends."""
    from accounts.admin import reset_password
    from accounts.audit import shell_operator
    from db.database import session_scope

    with session_scope(migrated_engine()) as session:
        ended = reset_password(session, shell_operator(), username, password)
    typer.echo(f"password of {username!r} set; {ended} sign-in session(s) ended")
