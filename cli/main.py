"""The `shuijian` command line: one group per module, each command a thin call into a
service (`cli/db.py`, `data.py`, `grid_heads.py`, `accounts.py`, `admin.py`, `patrols.py`,
`tickets.py`, `reports.py`, `warnings.py`, `public_reports.py`, `supervision.py`,
`volunteers.py`, `city_ranking.py`, `water.py`, `serve.py`)."""

from __future__ import annotations

import typer

from cli import (
    accounts,
    admin,
    city_ranking,
    common,
    data,
    db,
    grid_heads,
    patrols,
    public_reports,
    reports,
    serve,
    supervision,
    tickets,
    volunteers,
    warnings,
    water,
)

app = typer.Typer(
    help="水监 Shuijian: water-environment supervision for a county People's Congress.",
    no_args_is_help=True,
)
app.add_typer(db.app, name="db")
app.add_typer(accounts.app, name="user")
app.add_typer(warnings.warnings_app, name="warnings")
app.add_typer(warnings.register_app, name="register")
app.add_typer(public_reports.app, name="public-reports")
app.add_typer(supervision.app, name="supervision")
app.add_typer(volunteers.app, name="volunteers")
app.add_typer(city_ranking.app, name="city-ranking")
app.add_typer(water.app, name="water")
for group in (data, grid_heads, patrols, tickets, admin, reports, serve):
    app.add_typer(group.app)


@app.callback()
def _scope(
    county: str | None = typer.Option(
        None,
        "--county",
        help="Work for this county only (its code, e.g. 330822); default: every county",
    ),
) -> None:
    """Commands are the system's own work across the city (``db.scope``); ``--county``
    narrows one to a county, as row-level security then enforces."""
    from db import scope

    scope.set_process_default(scope.ALL)
    if county is not None:
        scope.set_process_default(common.county_id(county))


if __name__ == "__main__":
    app()
