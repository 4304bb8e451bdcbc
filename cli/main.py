"""The `shuijian` command line: one group per module, each command a thin call into a
service (`cli/db.py`, `data.py`, `accounts.py`, `admin.py`, `patrols.py`, `tickets.py`,
`reports.py`, `serve.py`, `supervision.py`, `volunteers.py`)."""

from __future__ import annotations

import typer

from cli import (
    accounts,
    admin,
    data,
    db,
    patrols,
    reports,
    serve,
    supervision,
    tickets,
    volunteers,
)

app = typer.Typer(
    help="水监 Shuijian: water-environment supervision for a county People's Congress.",
    no_args_is_help=True,
)
app.add_typer(db.app, name="db")
app.add_typer(accounts.app, name="user")
app.add_typer(supervision.app, name="supervision")
app.add_typer(volunteers.app, name="volunteers")
for group in (data, patrols, tickets, admin, reports, serve):
    app.add_typer(group.app)

if __name__ == "__main__":
    app()
