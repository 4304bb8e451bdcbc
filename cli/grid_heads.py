"""Grid heads (小微水体网格长): import them from a table, list them (``duty.grid_heads``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import ChannelOption, TodayOption, friendly, migrated_engine

app = typer.Typer()
heads = typer.Typer(
    help="The small cells' grid heads (小微水体网格长), with history.", no_args_is_help=True
)
app.add_typer(heads, name="grid-heads")


@heads.command("import")
@friendly
def import_heads(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or .xlsx")],
    valid_from: Annotated[
        str | None,
        typer.Option("--from", help="first day of rows without valid_from (default today)"),
    ] = None,
) -> None:
    """Import grid heads by cell code (columns cell, name, phone, optional valid_from): the
    same head again changes nothing, a new head closes the previous one's period the day
    before. One bad row refuses the file, by line, column and reason; nothing is stored."""
    from datetime import date

    from accounts.audit import shell_operator
    from db.database import session_scope
    from duty.grid_heads import import_grid_heads
    from geo.readers import read_table

    try:
        day = date.fromisoformat(valid_from) if valid_from else None
    except ValueError:
        raise typer.BadParameter(f"--from {valid_from!r} is not YYYY-MM-DD") from None
    frame = read_table(path.read_bytes(), path.name)
    with session_scope(migrated_engine()) as session:
        result = import_grid_heads(session, shell_operator(), frame, path.name, day)
    typer.echo(str(result))


@heads.command("list")
@friendly
def list_heads(
    cell: Annotated[str | None, typer.Option(help="one cell's code")] = None,
    history: Annotated[bool, typer.Option(help="former heads too, newest first")] = False,
) -> None:
    """The current grid head of every small cell (or of one), with phone and first day;
    ``--history`` adds the former ones with the day after their last."""
    from accounts.audit import shell_operator
    from db.database import session_scope
    from duty.grid_heads import list_grid_heads

    with session_scope(migrated_engine()) as session:
        frame = list_grid_heads(session, shell_operator(), cell, history)
    if frame.empty:
        typer.echo(f"no grid head for cell {cell}" if cell else "no grid heads stored")
        raise typer.Exit(1)
    frame = frame.rename(columns={"valid_to": "until (exclusive)"})
    typer.echo(frame.fillna("-").to_string(index=False))


@heads.command("remind")
@friendly
def remind_heads(
    date_: TodayOption = None,
    channel: ChannelOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="compose the messages; send and record nothing")
    ] = False,
) -> None:
    """Tell each grid head of the dead corners of their cell (a site overdue now or without a
    deputy), once per gap and reminder round, through the reminders' channel; run it daily
    from cron beside `shuijian remind`. Exit 1 when a send failed (retried next run)."""
    import logging
    from datetime import date

    from core import clock
    from duty.reminders.grid_heads import remind_grid_heads

    try:
        on = date.fromisoformat(date_) if date_ else clock.today()
    except ValueError:
        raise typer.BadParameter(f"--date {date_!r} is not YYYY-MM-DD") from None
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    report = remind_grid_heads(migrated_engine(), on, channel, dry_run=dry_run)
    for message in report.messages if dry_run else ():
        who = message.recipient
        causes = ", ".join(sorted({g.cause for g in message.sites}))
        typer.echo(f"  {who.code} {who.name}: {len(message.sites)} gap(s) ({causes})")
    typer.echo(f"{on}: {report.summary()}")
    if not report.ok:
        raise typer.Exit(1)
