"""Reports: the monthly evaluation and the bulletin (通报)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import friendly, migrated_engine, require_one_county

app = typer.Typer()


@app.command("evaluate")
@friendly
def evaluate(
    month: Annotated[str, typer.Option(help="YYYY-MM, e.g. 2026-11")],
    csv: Annotated[Path | None, typer.Option(help="also write the whole table to a .csv")] = None,
) -> None:
    """Each deputy's score for a month, with its components, weights and ranks."""
    from db.database import session_scope
    from reports.evaluation import evaluate_month, parse_month

    year, number = parse_month(month)
    engine = migrated_engine()
    require_one_county()
    with session_scope(engine) as session:
        frame = evaluate_month(session, year, number)
    if frame.empty:
        typer.echo("no deputy had assigned sites that month")
        return
    columns = [
        "rank_county",
        "deputy_code",
        "deputy_name",
        "township",
        "assigned_sites",
        "sites_on_time",
        "visits",
        "problems_confirmed",
        "reinspections_on_time",
        "flagged_tracks",
        "score",
    ]
    typer.echo(frame[columns].to_string(index=False))
    typer.echo(f"{len(frame)} deputies, mean score {frame['score'].mean():.2f}")
    if csv:
        frame.to_csv(csv, index=False, encoding="utf-8-sig")
        typer.echo(f"written {csv}")


@app.command("bulletin")
@friendly
def bulletin(
    month: Annotated[str, typer.Option(help="YYYY-MM, e.g. 2026-11")],
    out: Annotated[Path, typer.Option(help="folder for the files")] = Path("."),
) -> None:
    """The monthly bulletin (通报) as .docx, .pdf, .xlsx and the coverage map .png."""
    from db.database import session_scope
    from reports.bulletin import build_bulletin
    from reports.evaluation import parse_month

    year, number = parse_month(month)
    engine = migrated_engine()
    require_one_county()
    with session_scope(engine) as session:
        files = build_bulletin(session, year, number, out)
    for path in (files.docx, files.pdf, files.xlsx, files.map_png):
        typer.echo(f"written {path}")
