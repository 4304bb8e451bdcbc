"""The `shuijian` command line: one group per module, each command a thin call into a
service (`cli/db.py`, `data.py`, `grid_heads.py`, `accounts.py`, `admin.py`, `patrols.py`,
`tickets.py`, `reports.py`, `warnings.py`, `public_reports.py`, `supervision.py`,
`volunteers.py`, `water.py`, `serve.py`)."""

from __future__ import annotations

import typer

from cli import (
    accounts,
    admin,
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
app.add_typer(water.app, name="water")
for group in (data, grid_heads, patrols, tickets, admin, reports, serve):
    app.add_typer(group.app)

if __name__ == "__main__":
    app()
