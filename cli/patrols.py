"""Patrols: ingesting GPX files, reviews, the due list and the reminders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from cli.common import ChannelOption, TodayOption, friendly, migrated_engine
from core import clock

app = typer.Typer()


@app.command()
@friendly
def ingest(
    paths: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False)],
    deputy: Annotated[str, typer.Option(help="code of the deputy who walked the tracks")],
    gcj02: Annotated[bool, typer.Option(help="the files are in GCJ-02 (Amap-based apps)")] = False,
) -> None:
    """Ingest GPX files for a deputy; each file gets its own verdict, one bad file stops none.

    Exit 0 when every file was stored (or already was), 1 when a file was refused, 2 when an
    unexpected error was logged (its id is printed; the traceback is in errors.log)."""
    from db.database import session_scope
    from db.lookups import deputy_id_by_code
    from tracks.batch import iter_ingest_files
    from tracks.ingest import GpxFile, IngestParams

    engine = migrated_engine()
    params = IngestParams.from_settings()
    with session_scope(engine) as session:
        deputy_id = deputy_id_by_code(session, deputy)
    if deputy_id is None:
        raise typer.BadParameter(f"no deputy with code {deputy!r}")
    worst = 0

    def readable() -> Iterator[GpxFile]:
        # Read as the batch goes (a transaction's worth at a time), not all files at once.
        nonlocal worst
        for path in paths:
            try:
                data = path.read_bytes()
            except OSError as exc:
                typer.secho(f"{path.name}: not read: {exc.strerror}", fg=typer.colors.RED, err=True)
                worst = max(worst, 1)
                continue
            yield GpxFile(data, path.name, deputy_id, gcj02)

    # Together: a transaction per FILES_PER_TRANSACTION files, a savepoint per file.
    for verdict in iter_ingest_files(engine, readable(), params=params):
        if verdict.result is None:
            worst = max(worst, 2 if verdict.status == "error" else 1)
            typer.secho(f"{verdict.filename}: {verdict.message}", fg=typer.colors.RED, err=True)
            continue
        result = verdict.result
        typer.echo(result.summary())
        for flag in result.flags:
            typer.secho(f"  flag {flag.code}: {flag.message}", fg=typer.colors.YELLOW)
        for note in result.notes:
            typer.secho(f"  note: {note}", fg=typer.colors.YELLOW)
    if worst:
        raise typer.Exit(worst)


@app.command()
@friendly
def review(
    patrol: Annotated[int, typer.Argument(help="patrol number")],
    decision: Annotated[str, typer.Option(help="accept or reject")],
    reason: Annotated[str, typer.Option(help="why; recorded with the decision")],
    reviewer: Annotated[
        str, typer.Option(help="user name of the analyst (or township staff: their township's)")
    ] = "analyst",
) -> None:
    """Accept or reject a flagged patrol (an appended review; the latest one decides)."""
    from sqlalchemy import select

    from db.database import session_scope
    from db.models import User
    from tracks.review import review_patrol

    with session_scope(migrated_engine()) as session:
        user = session.scalar(select(User).where(User.username == reviewer))
        if user is None:
            raise typer.BadParameter(f"no user {reviewer!r}")
        review_patrol(session, patrol, decision, reason, user.id, user.role, user.township_id)
    typer.echo(f"patrol #{patrol}: {decision}ed")


@app.command()
@friendly
def due(
    date_: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD; default today")] = None,
    deputy: Annotated[str | None, typer.Option(help="deputy code")] = None,
    excel: Annotated[Path | None, typer.Option(help="also write the list to this .xlsx")] = None,
    lang: Annotated[str, typer.Option(help="zh or en")] = "zh",
) -> None:
    """Each deputy's sites to patrol by when: status ok / due soon / overdue and deadline."""
    from datetime import date

    from db.database import session_scope
    from db.lookups import deputy_id_by_code
    from duty.due import due_list
    from ui.due_workbook import due_list_to_excel

    try:
        on = date.fromisoformat(date_) if date_ else clock.today()
    except ValueError:
        raise typer.BadParameter(f"--date {date_!r} is not YYYY-MM-DD") from None
    with session_scope(migrated_engine()) as session:
        deputy_id = None
        if deputy:
            deputy_id = deputy_id_by_code(session, deputy)
            if deputy_id is None:
                raise typer.BadParameter(f"no deputy with code {deputy!r}")
        frame = due_list(session, on, deputy_id=deputy_id)
    if frame.empty:
        typer.echo("nothing assigned")
        return
    shown = frame[
        [
            "deputy_code",
            "deputy_name",
            "site_code",
            "site_name",
            "site_class",
            "last_visit",
            "deadline",
            "status",
            "days_left",
        ]
    ]
    typer.echo(shown.to_string(index=False))
    counts = frame["status"].value_counts().to_dict()
    typer.echo(f"{len(frame)} site(s): " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if excel:
        due_list_to_excel(frame, excel, lang=lang)
        typer.echo(f"written {excel}")


@app.command("remind")
@friendly
def remind_deputies(
    date_: TodayOption = None,
    channel: ChannelOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="compose the messages; send and log nothing")
    ] = False,
) -> None:
    """Remind each deputy, in one message, of their sites due soon or overdue, and escalate
    sites long overdue to their township's office: due soon once, overdue once, then every
    SHUIJIAN_REMINDER_REPEAT_DAYS, the escalation once after SHUIJIAN_REMINDER_ESCALATE_DAYS
    (run it daily from cron). Exit 1 when a send failed or an escalation found no office
    contact: it is logged and retried by the next run."""
    import logging
    from datetime import date

    from duty.reminders import remind

    try:
        on = date.fromisoformat(date_) if date_ else clock.today()
    except ValueError:
        raise typer.BadParameter(f"--date {date_!r} is not YYYY-MM-DD") from None
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    report = remind(migrated_engine(), on, channel, dry_run=dry_run)
    for message in report.messages if dry_run else ():
        who = message.recipient
        phone = who.phone or ("(no office contact)" if who.office else "(no phone)")
        steps = ", ".join(sorted({s.step for s in message.sites}))
        typer.echo(f"  {who.code} {who.name} {phone}: {len(message.sites)} site(s) ({steps})")
    typer.echo(f"{on}: {report.summary()}")
    if not report.ok:
        raise typer.Exit(1)
