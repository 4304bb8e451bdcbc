"""Administration beyond accounts: a site's deputy from a day on (``shuijian assignment``) and
the audit log (``shuijian audit``). The same services as the administration page; the
actions are recorded in the audit log as ``cli:<os user>``."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from cli.common import friendly, migrated_engine
from core import clock

app = typer.Typer()
assignment_app = typer.Typer(
    help="Which deputy answers for a site (一塘一场一代表), from which day, with the history.",
    no_args_is_help=True,
)
app.add_typer(assignment_app, name="assignment")


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{option} {value!r} is not YYYY-MM-DD") from None


@assignment_app.command("set")
@friendly
def assignment_set(
    site: Annotated[str, typer.Argument(help="the site's code, e.g. S0212")],
    deputy: Annotated[str, typer.Argument(help="the deputy's code, e.g. D0042")],
    valid_from: Annotated[
        str | None, typer.Option("--from", help="the new deputy's first day (default today)")
    ] = None,
) -> None:
    """Make a deputy the site's deputy from a day on; the current assignment ends the day
    before, and stays in the site's history."""
    from accounts.audit import shell_operator
    from db.database import session_scope
    from duty.assignments import assign_deputy

    day = _day(valid_from, "--from") or clock.today()
    with session_scope(migrated_engine()) as session:
        assign_deputy(session, shell_operator(), site, deputy, day)
    typer.echo(f"{deputy} is the deputy of {site} from {day.isoformat()}")


@assignment_app.command("history")
@friendly
def assignment_history(site: Annotated[str, typer.Argument(help="the site's code")]) -> None:
    """Every deputy the site has had, newest first (valid_to: the day the next one took over)."""
    from db.database import session_scope
    from duty.assignments import site_history

    with session_scope(migrated_engine()) as session:
        frame = site_history(session, site)
    if frame.empty:
        typer.echo(f"{site} has never had a deputy")
        raise typer.Exit(1)
    typer.echo(frame.fillna("").to_string(index=False))


@app.command()
@friendly
def audit(
    action: Annotated[
        list[str] | None, typer.Option(help="only this action (repeatable), e.g. user_add")
    ] = None,
    actor: Annotated[str, typer.Option(help="only actors whose label contains this")] = "",
    since: Annotated[str | None, typer.Option(help="from this day (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, typer.Option(help="to this day, inclusive")] = None,
    limit: Annotated[int, typer.Option(help="at most this many, newest first")] = 100,
) -> None:
    """The audit log of administrative actions, newest first."""
    import json

    from accounts.audit import audit_events, shell_operator
    from db.database import session_scope

    with session_scope(migrated_engine()) as session:
        frame = audit_events(
            session,
            shell_operator(),
            actions=tuple(action or ()),
            actor=actor,
            since=_day(since, "--since"),
            until=_day(until, "--until"),
            limit=limit,
        )
    if frame.empty:
        typer.echo("no audit events")
        return
    for row in frame.itertuples(index=False):
        when = clock.local_date(row.at).isoformat() + row.at.astimezone(clock.zone()).strftime(
            " %H:%M:%S"
        )
        details = json.dumps(row.details, ensure_ascii=False, sort_keys=True)
        typer.echo(f"{when}  {row.actor}  {row.action}  {row.target}  {details}")
