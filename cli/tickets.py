"""Tickets: delivery to the platforms and their keys and endpoints; the working-day calendar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import friendly, migrated_engine

app = typer.Typer()
platform_app = typer.Typer(
    help="The four government platforms: API keys, endpoints.", no_args_is_help=True
)
app.add_typer(platform_app, name="platform")
ogc_app = typer.Typer(
    help="Clients of the open interface (OGC API - Features): keys, revocation, list.",
    no_args_is_help=True,
)
app.add_typer(ogc_app, name="ogc-client")
# The State Council publishes next year's holidays in early November; warning from 60 days
# before the known years run out gives an operator the rest of the year to add it.
HOLIDAY_HORIZON_DAYS = 60


@app.command()
@friendly
def send(
    once: Annotated[bool, typer.Option("--once", help="one pass, then exit")] = False,
    interval: Annotated[float, typer.Option(help="seconds between passes")] = 5.0,
    batch: Annotated[int, typer.Option(help="messages per pass at most")] = 50,
) -> None:
    """Deliver dispatch messages from the outbox to the platforms: a loop until Ctrl-C or
    SIGTERM, or one pass with --once. Several senders may run at once."""
    import logging
    import signal
    import threading

    from db.database import database_url, get_engine
    from tickets.outbox import deliver_due, run_sender

    # Keyed by URL: getengine() alone is cached and would outlive a changed DATABASE_URL.
    engine = get_engine(database_url())
    if once:
        typer.echo(str(deliver_due(engine, batch=batch)))
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    typer.echo(f"sending every {interval:g} s; Ctrl-C stops")
    run_sender(engine, interval, stop, batch=batch)


@platform_app.command("key")
@friendly
def platform_key(code: Annotated[str, typer.Argument(help="platform code, e.g. zhifa")]) -> None:
    """Issue a new API key for a platform (the old one stops working); shown once only."""
    from accounts.audit import shell_operator
    from db.database import session_scope
    from tickets.platforms import issue_key

    with session_scope(migrated_engine()) as session:
        key = issue_key(session, shell_operator(), code)
    typer.echo(key)
    typer.secho(
        f"new key for {code}: shown this once, only its hash is stored", fg="yellow", err=True
    )


@platform_app.command("endpoint")
@friendly
def platform_endpoint(
    code: Annotated[str, typer.Argument(help="platform code, e.g. zhifa")],
    url: Annotated[str, typer.Argument(help="http(s) URL receiving dispatched tickets")],
) -> None:
    """Set the URL to which a platform's dispatched tickets are delivered."""
    from accounts.audit import shell_operator
    from db.database import session_scope
    from tickets.platforms import set_endpoint

    with session_scope(migrated_engine()) as session:
        set_endpoint(session, shell_operator(), code, url)
    typer.echo(f"{code}: endpoint {url}")


@ogc_app.command("key")
@friendly
def ogc_client_key(
    code: Annotated[str, typer.Argument(help="client code, e.g. hezhang_app")],
    name: Annotated[
        str | None, typer.Option(help="the client's name; needed when the code is new")
    ] = None,
) -> None:
    """Issue a new key for an OGC client, creating it when new (the old key stops working);
    shown once only."""
    from accounts.audit import shell_operator
    from archive.clients import issue_client_key
    from db.database import session_scope

    with session_scope(migrated_engine()) as session:
        key = issue_client_key(session, shell_operator(), code, name)
    typer.echo(key)
    typer.secho(
        f"new key for OGC client {code}: shown this once, only its hash is stored",
        fg="yellow",
        err=True,
    )


@ogc_app.command("revoke")
@friendly
def ogc_client_revoke(
    code: Annotated[str, typer.Argument(help="client code")],
) -> None:
    """Revoke an OGC client's key at once (the client stays listed, without a key)."""
    from accounts.audit import shell_operator
    from archive.clients import revoke_client
    from db.database import session_scope

    with session_scope(migrated_engine()) as session:
        revoke_client(session, shell_operator(), code)
    typer.echo(f"{code}: key revoked")


@ogc_app.command("list")
@friendly
def ogc_client_list() -> None:
    """The OGC clients: code, name, whether a key is valid, calls logged."""
    from accounts.audit import shell_operator
    from archive.clients import list_clients
    from db.database import session_scope

    with session_scope(migrated_engine()) as session:
        rows = list_clients(session, shell_operator())
    if not rows:
        typer.echo("no OGC clients; add one with: shuijian ogc-client key CODE --name NAME")
    for row in rows:
        state = "key valid" if row["has_key"] else "revoked"
        typer.echo(f"{row['code']}\t{row['name']}\t{state}\t{row['calls']} calls")


@app.command()
@friendly
def holidays(
    file: Annotated[
        Path | None, typer.Option(dir_okay=False, help="holiday file; default SHUIJIAN_HOLIDAYS")
    ] = None,
) -> None:
    """Which years working days can be counted in (chinesecalendar and the holiday file); a
    bad file is refused by name; exit 1 when the known years end within 60 days."""
    from core import clock
    from tickets.holidays import holiday_calendar, package_version, package_years

    calendar = holiday_calendar(file)
    first, last = package_years()
    typer.echo(f"chinesecalendar {package_version()}: {first}–{last}")
    if calendar.source:
        years = ", ".join(str(y) for y in sorted(calendar.file_years))
        typer.echo(f"holiday file {calendar.source}: {years}")
    else:
        typer.echo("holiday file: none (SHUIJIAN_HOLIDAYS is unset)")
    until = calendar.known_until()
    typer.echo(f"working days can be counted up to {until}")
    if (until - clock.today()).days < HOLIDAY_HORIZON_DAYS:
        typer.secho(
            f"warning: add {until.year + 1} from the State Council's notice to the holiday "
            f"file, or upgrade chinesecalendar: deadlines past {until} are refused",
            fg=typer.colors.YELLOW,
            err=True,
        )
        raise typer.Exit(1)
