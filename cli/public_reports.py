"""有奖举报 from the command line: list, accept, reject, and the reward ledger's export.

Run by the server's operator (recorded in the audit log as ``cli:<os user>``), through the
same services as the moderation page; the list masks the phone like the page, the export
holds it (for payment)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import CLI_LANG, friendly, migrated_engine

app = typer.Typer(help="有奖举报: public reports with reward.", no_args_is_help=True)
SHOWN = ["id", "receipt", "created_at", "category", "township", "status", "phone", "ticket"]


@app.command("list")
@friendly
def list_(
    status: Annotated[
        str | None, typer.Option(help="pending, accepted or rejected (default: all)")
    ] = None,
) -> None:
    """Public reports, newest first, the phone masked."""
    from accounts.audit import shell_operator
    from db.database import session_scope
    from tickets.public_reports import list_reports

    with session_scope(migrated_engine()) as session:
        frame = list_reports(session, shell_operator(), status)
    if frame.empty:
        typer.echo("no public reports")
        return
    typer.echo(frame[SHOWN].to_string(index=False))
    typer.echo(f"{len(frame)} reports")


@app.command("accept")
@friendly
def accept(
    report: Annotated[int, typer.Argument(help="the report's number (list shows it)")],
) -> None:
    """Accept a pending report: a ticket by the category's routing, and its reward entry."""
    from accounts.audit import shell_operator
    from db.database import session_scope
    from tickets import public_reports

    with session_scope(migrated_engine()) as session:
        ticket = public_reports.accept(session, shell_operator(), report)
        typer.echo(f"report #{report} accepted: ticket {ticket.number} ({ticket.platform_code})")


@app.command("reject")
@friendly
def reject(
    report: Annotated[int, typer.Argument(help="the report's number (list shows it)")],
    reason: Annotated[str, typer.Option(help="why; the reporter reads it by the receipt")],
) -> None:
    """Reject a pending report with a reason."""
    from accounts.audit import shell_operator
    from db.database import session_scope
    from tickets import public_reports

    with session_scope(migrated_engine()) as session:
        public_reports.reject(session, shell_operator(), report, reason)
    typer.echo(f"report #{report} rejected")


@app.command("ledger-export")
@friendly
def ledger_export(
    out: Annotated[Path, typer.Argument(help="file to write: .xlsx or .csv")],
) -> None:
    """The reward ledger for payment (receipt, date, category, amount, phone); audited."""
    import i18n
    from accounts.audit import shell_operator
    from db.database import session_scope
    from tickets.public_reports import LEDGER_COLUMNS, export_ledger

    fmt = out.suffix.lower().lstrip(".")
    headers = {c: i18n.text(f"ledger.{c}", CLI_LANG) for c in LEDGER_COLUMNS}
    with session_scope(migrated_engine()) as session:
        data = export_ledger(session, shell_operator(), fmt, headers)
        out.write_bytes(data)  # inside the transaction: no audit entry without the file
    typer.echo(f"written {out}")
