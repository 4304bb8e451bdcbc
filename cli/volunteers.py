"""Volunteer patrols from the shell (``shuijian volunteers …``): teams and members from CSV,
GPX tracks through the patrols' ingestion, and the month's duty done or missed."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from cli.common import friendly, migrated_engine
from core import clock

app = typer.Typer(
    help="Volunteer teams (骑行河长, 老骥常青): import, tracks, duty days.", no_args_is_help=True
)


@app.command("import-teams")
@friendly
def import_teams(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV: code,name,kind")],
) -> None:
    """Teams from a CSV (code, name, kind[, township]); the whole file or nothing."""
    from accounts.audit import shell_operator
    from db.database import session_scope
    from duty import volunteers

    with session_scope(migrated_engine()) as s:
        n = volunteers.import_teams(s, shell_operator(), path.read_bytes(), path.name)
    typer.echo(f"{path.name}: imported {n} team(s)")


@app.command("import-members")
@friendly
def import_members(
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV: code,name,team,joined_on")
    ],
) -> None:
    """Members from a CSV (code, name, team, joined_on[, contact, left_on]); all or nothing."""
    from accounts.audit import shell_operator
    from db.database import session_scope
    from duty import volunteers

    with session_scope(migrated_engine()) as s:
        n = volunteers.import_members(s, shell_operator(), path.read_bytes(), path.name)
    typer.echo(f"{path.name}: imported {n} member(s)")


@app.command("ingest")
@friendly
def ingest(
    paths: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False)],
    member: Annotated[str, typer.Option(help="code of the volunteer who rode or walked them")],
    gcj02: Annotated[bool, typer.Option(help="the files are in GCJ-02 (Amap-based apps)")] = False,
) -> None:
    """Ingest a volunteer's GPX files; each file gets its own verdict (exit 1 if one failed)."""
    from accounts.audit import shell_operator
    from core.errors import ShuijianError
    from db.database import session_scope
    from duty import volunteers
    from i18n import describe

    engine = migrated_engine()
    with session_scope(engine) as s:
        member_id = volunteers.member_id_by_code(s, member)
    failed = False
    for path in paths:
        try:
            with session_scope(engine) as s:
                result = volunteers.ingest_volunteer_gpx(
                    s,
                    path.read_bytes(),
                    path.name,
                    member_id=member_id,
                    uploader=shell_operator(),
                    gcj02=gcj02,
                )
        except ShuijianError as exc:
            typer.secho(f"{path.name}: {describe(exc, 'en')}", fg=typer.colors.RED, err=True)
            failed = True
            continue
        if result.duplicate:
            typer.echo(f"{path.name}: already stored as volunteer patrol #{result.patrol_id}")
        else:
            state = f"flagged ({', '.join(result.flags)})" if result.flags else "verified"
            typer.echo(
                f"{path.name}: volunteer patrol #{result.patrol_id}, {result.n_kept}/"
                f"{result.n_points} points kept, {result.visits} site(s) visited, {state}"
            )
    if failed:
        raise typer.Exit(1)


@app.command("duty")
@friendly
def duty(
    month: Annotated[str | None, typer.Option(help="YYYY-MM (default this month)")] = None,
) -> None:
    """Each team's duty days of a month (lunar 15th, month's end): members done and missed."""
    import calendar

    from accounts.audit import shell_operator
    from db.database import session_scope
    from duty import volunteers

    today = clock.today()
    try:
        year, mon = (int(p) for p in month.split("-")) if month else (today.year, today.month)
        first = date(year, mon, 1)
    except ValueError:
        raise typer.BadParameter(f"--month {month!r} is not YYYY-MM") from None
    last = date(year, mon, calendar.monthrange(year, mon)[1])
    with session_scope(migrated_engine()) as s:
        frame = volunteers.duty_frame(s, shell_operator(), first, last)
    summary = volunteers.duty_summary(frame)
    if summary.empty:
        typer.echo("no volunteer on duty in that month")
    for r in summary.itertuples():
        typer.echo(f"{r.day}\t{r.kinds}\t{r.team}\t{r.done}/{r.members} done\t{r.missed} missed")
