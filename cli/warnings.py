"""Early warnings (预警管理) and the problem register (挂号销号): `shuijian warnings scan` for
cron (sync the register, raise new warnings, push them to township offices), `warnings list`
and `register list` for staff who script."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from cli.common import TodayOption, friendly, migrated_engine

warnings_app = typer.Typer(help="Early warnings (预警管理): scan and list.", no_args_is_help=True)
register_app = typer.Typer(
    help="The problem register (挂号销号): sync and list.", no_args_is_help=True
)

WARNING_STATES = ("open", "acknowledged", "closed")
REGISTER_STATES = ("open", "cancelled")


def _on(value: str | None) -> date:
    from core import clock

    try:
        return date.fromisoformat(value) if value else clock.today()
    except ValueError:
        raise typer.BadParameter(f"--date {value!r} is not YYYY-MM-DD") from None


def _choice(value: str | None, option: str, allowed: tuple[str, ...]) -> str | None:
    if value is not None and value not in allowed:
        raise typer.BadParameter(f"{option} {value!r}: choose one of {', '.join(allowed)}")
    return value


def _township(session, value: str | None) -> int | None:
    """A township's id from its code or name (None: the whole county)."""
    if value is None:
        return None
    from sqlalchemy import text

    found = session.scalar(
        text("SELECT id FROM township WHERE code = :v OR name = :v"), {"v": value.strip()}
    )
    if found is None:
        raise typer.BadParameter(f"--township {value!r}: no township has that code or name")
    return int(found)


@warnings_app.command("scan")
@friendly
def scan(
    date_: TodayOption = None,
    rules: Annotated[
        Path | None, typer.Option(help="rules file; default SHUIJIAN_WARNING_RULES")
    ] = None,
    channel: Annotated[
        str | None,
        typer.Option(help="dingtalk, http or none; default SHUIJIAN_REMIND_CHANNEL"),
    ] = None,
    no_push: Annotated[bool, typer.Option("--no-push", help="raise only, push nothing")] = False,
) -> None:
    """Bring the register up to date, raise the day's new warnings (each once) and push every
    unpushed one to its township office. Exit 1 when a push failed or had nobody to go to."""
    from db.database import session_scope
    from reports.early_warning import scan as run_scan
    from reports.warning_rules import load_rules

    on = _on(date_)
    chosen = load_rules(rules)  # before the database: a bad file is refused by name first
    with session_scope(migrated_engine()) as session:
        report = run_scan(session, on, chosen, channel, push=not no_push)
    typer.echo(report.summary())
    if report.failed or report.undeliverable:
        raise typer.Exit(1)


@warnings_app.command("list")
@friendly
def list_warnings(
    township: Annotated[str | None, typer.Option(help="township code or name")] = None,
    rule: Annotated[str | None, typer.Option(help="rule kind, e.g. repeat_problem")] = None,
    state: Annotated[str | None, typer.Option(help="open, acknowledged or closed")] = None,
) -> None:
    """The warnings, open first, newest first."""
    import i18n
    from db.database import session_scope
    from reports.early_warning import warning_line, warnings_frame
    from reports.warning_rules import RULES

    _choice(rule, "--rule", RULES)
    _choice(state, "--state", WARNING_STATES)
    with session_scope(migrated_engine()) as session:
        frame = warnings_frame(session, _township(session, township), rule, state)
    if frame.empty:
        typer.echo("no warnings")
        return
    frame = frame.astype(object).where(frame.notna(), None)  # NaN reads as nothing
    for r in frame.itertuples(index=False):
        code, params = warning_line(r.rule, dict(r.details or {}), r.site or "", r.deputy or "")
        what = i18n.text(code, "zh", **params)  # the warnings' words: the offices' Chinese
        typer.echo(f"{r.id}\t{r.raised_on}\t{r.state}\t{r.rule}\t{r.township or i18n.NONE}\t{what}")
    typer.echo(f"{len(frame)} warning(s)")


@register_app.command("list")
@friendly
def list_register(
    township: Annotated[str | None, typer.Option(help="township code or name")] = None,
    state: Annotated[str | None, typer.Option(help="open or cancelled")] = None,
) -> None:
    """The register: each period a site was registered (挂号) and, if so, cancelled (销号)."""
    from db.database import session_scope
    from duty.register import register_frame

    _choice(state, "--state", REGISTER_STATES)
    with session_scope(migrated_engine()) as session:
        frame = register_frame(session, _township(session, township), state)
    if frame.empty:
        typer.echo("nothing registered")
        return
    frame = frame.astype(object).where(frame.notna(), None)  # NaN and NaT read as nothing
    for r in frame.itertuples(index=False):
        closed = r.closed_on or "—"
        typer.echo(
            f"{r.site_code}\t{r.site_name}\t{r.township or '—'}\t{r.opened_on}\t{closed}\t"
            f"{r.state}\t{r.clean_streak}/{r.clean_needed}\t{r.tickets or ''}"
        )
    typer.echo(f"{len(frame)} registration(s), {int((frame['state'] == 'open').sum())} open")


@register_app.command("sync")
@friendly
def sync() -> None:
    """Bring the register up to date now (the daily `warnings scan` does it too)."""
    from db.database import session_scope
    from duty.register import sync_register

    with session_scope(migrated_engine()) as session:
        report = sync_register(session)
    typer.echo(
        f"register: {report.opened} opened, {report.cancelled} cancelled, "
        f"{report.open_now} registered now"
    )
