"""The county's data: importing real files, the demo county, the grid check."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from cli.common import friendly, migrated_engine, open_engine
from core import clock, settings

app = typer.Typer()


@app.command("import")
@friendly
def import_file(
    kind: Annotated[str, typer.Argument(help="townships | cells | sites | deputies | assignments")],
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
) -> None:
    """Import one file; a bad file is refused as a whole and nothing is stored."""
    import pandas as pd

    from db.database import session_scope
    from geo.importers import IMPORTERS
    from geo.readers import read_vector_file

    if kind not in IMPORTERS:
        raise typer.BadParameter(f"kind must be one of {', '.join(IMPORTERS)}")
    frame = (
        pd.read_csv(path, dtype=str, keep_default_na=False)
        if kind == "assignments"
        else read_vector_file(path)
    )
    with session_scope(migrated_engine()) as session:
        report = IMPORTERS[kind](session, frame, path.name)
    typer.echo(str(report))
    for warning in report.warnings:
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW)


@app.command()
@friendly
def demo(
    seed: Annotated[int, typer.Option(help="same seed, same county")] = 2026,
    boundary: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="a real county outline file")
    ] = None,
    reset: Annotated[bool, typer.Option(help="replace whatever county is stored")] = False,
    patrol_months: Annotated[
        int, typer.Option(help="months of demo patrols up to --until (0: none)")
    ] = 4,
    until: Annotated[
        str | None, typer.Option(help="last day of demo patrols, YYYY-MM-DD; default yesterday")
    ] = None,
) -> None:
    """Build the deterministic demo county and load it (kept when already loaded), then
    ingest months of demo patrols through the same path as uploads."""
    from datetime import date

    from data.demo import generate_demo
    from data.demo_tracks import add_demo_patrols, tracks_start
    from data.loader import load_demo, loaded_source
    from db.database import session_scope
    from geo.readers import read_vector_file

    try:
        last_day = date.fromisoformat(until) if until else clock.yesterday()
    except ValueError:
        raise typer.BadParameter(f"--until {until!r} is not YYYY-MM-DD") from None
    engine = migrated_engine()
    label = f"demo seed {seed}" + (f" on {boundary.name}" if boundary else "")
    with session_scope(engine) as session:
        if not reset and loaded_source(session) == label:
            typer.echo(f"{label} is already loaded; nothing to do (--reset rebuilds it)")
            return
    started = time.perf_counter()
    outline = read_vector_file(boundary) if boundary else None
    county = generate_demo(
        seed,
        boundary=outline,
        county_code=settings.text("county_code"),
        assignments_from=tracks_start(last_day, max(patrol_months, 1)),
    )
    with session_scope(engine) as session:
        summary = load_demo(session, county, label, reset=reset)
    typer.echo(
        f"loaded {label} in {time.perf_counter() - started:.1f} s: {summary.townships} townships, "
        f"cells {'/'.join(map(str, summary.cells))}, {summary.sites} sites, "
        f"{summary.deputies} deputies, {summary.users} accounts"
    )
    if patrol_months > 0:
        started = time.perf_counter()
        done = add_demo_patrols(
            engine,
            seed,
            last_day,
            patrol_months,
            progress=lambda n: typer.echo(f"  {n} patrol files ingested") if n % 500 == 0 else None,
        )
        typer.echo(
            f"ingested {done.files} demo patrol files ({done.points:,} points) to {last_day} in "
            f"{time.perf_counter() - started:.0f} s: {done.visits} visits, "
            f"{done.flagged} flagged for review"
        )
        from data.demo_tickets import add_demo_tickets

        made = add_demo_tickets(engine, seed, tracks_start(last_day, patrol_months), last_day)
        typer.echo(
            f"made {made.tickets} demo tickets through their lifecycle: {made.closed} closed, "
            f"{made.open} open"
        )


@app.command("check-grid")
@friendly
def check_grid(
    expect: Annotated[
        str | None,
        typer.Option(
            help="large/medium/small counts to enforce, or 'none'; default SHUIJIAN_GRID_EXPECTED"
        ),
    ] = None,
) -> None:
    """Report the grid hierarchy's integrity; exit 1 when a rule fails."""
    from db.database import session_scope
    from geo.grid import format_report, grid_report

    expected = settings.grid_expected() if expect is None else settings.parse_grid_counts(expect)
    with session_scope(open_engine()) as session:
        report = grid_report(session, expected)
    typer.echo(format_report(report))
    if not report.ok:
        raise typer.Exit(1)
