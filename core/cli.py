"""The `shuijian` command line. Each command is a thin call into a service."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import click
import typer

from core import clock, settings
from core.errors import (
    DatabaseUnavailable,
    ShuijianError,
    is_database_outage,
    log_unexpected,
)

app = typer.Typer(
    help="水监 Shuijian: water-environment supervision for a county People's Congress.",
    no_args_is_help=True,
)
db_app = typer.Typer(help="The database: project-local cluster and schema.", no_args_is_help=True)
user_app = typer.Typer(help="Accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
platform_app = typer.Typer(
    help="The four government platforms: API keys, endpoints.", no_args_is_help=True
)
app.add_typer(platform_app, name="platform")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def friendly(func: Callable) -> Callable:
    """Show our errors as one sentence and an exit code, not a traceback: a database that
    cannot be reached exits 3, anything unexpected is logged (errors.log) and exits 2 with
    the id under which its traceback was logged."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ShuijianError as exc:
            typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, click.exceptions.ClickException, KeyboardInterrupt):
            raise
        except Exception as exc:
            if is_database_outage(exc):
                typer.secho(
                    "error: the database is unavailable; try again later",
                    fg=typer.colors.RED,
                    err=True,
                )
                raise typer.Exit(DatabaseUnavailable.exit_code) from None
            error = log_unexpected(exc, f"shuijian {func.__name__}")
            typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
            raise typer.Exit(error.exit_code) from None

    return wrapper


def _engine():
    from geo.database import get_engine

    return get_engine()


def _migrated_engine():
    from geo import migrate

    engine = _engine()
    migrate.upgrade(engine)
    return engine


@db_app.command("up")
@friendly
def db_up() -> None:
    """Create (first time) and start the project-local cluster; apply migrations."""
    if settings.get("database_url"):
        typer.echo("DATABASE_URL is set: using that server, no local cluster needed.")
    else:
        from geo import cluster

        info = cluster.up()
        typer.echo(f"local cluster running on 127.0.0.1:{info.port} (data in {info.data_dir})")
    _migrated_engine()
    typer.echo("schema is up to date")


@db_app.command("down")
@friendly
def db_down() -> None:
    """Stop the project-local cluster."""
    from geo import cluster

    typer.echo("stopped" if cluster.down() else "the local cluster was not running")


@db_app.command("status")
@friendly
def db_status() -> None:
    """Say which database is used, whether it runs, and the schema revision."""
    from geo import cluster, migrate

    if settings.get("database_url"):
        typer.echo("database: DATABASE_URL")
    else:
        info = cluster.load_info()
        if info is None:
            typer.echo("local cluster: not created yet (run `shuijian db up`)")
            raise typer.Exit(1)
        running = cluster.is_running(info)
        typer.echo(
            f"local cluster: {'running' if running else 'stopped'} on 127.0.0.1:"
            f"{info.port}, data in {info.data_dir}"
        )
        if not running:
            raise typer.Exit(1)
    typer.echo(f"schema revision: {migrate.current_revision(_engine()) or '(empty)'}")


@db_app.command("migrate")
@friendly
def db_migrate(revision: str = "head") -> None:
    """Upgrade the schema (to head by default)."""
    from geo import migrate

    migrate.upgrade(_engine(), revision)
    typer.echo(f"schema at {migrate.current_revision(_engine())}")


@db_app.command("downgrade")
@friendly
def db_downgrade(revision: Annotated[str, typer.Argument(help="target, e.g. base")]) -> None:
    """Downgrade the schema (drops tables: data in them is lost)."""
    from geo import migrate

    migrate.downgrade(_engine(), revision)
    typer.echo(f"schema at {migrate.current_revision(_engine()) or '(empty)'}")


@app.command("import")
@friendly
def import_file(
    kind: Annotated[str, typer.Argument(help="townships | cells | sites | deputies | assignments")],
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
) -> None:
    """Import one file; a bad file is refused as a whole and nothing is stored."""
    import pandas as pd

    from geo.database import session_scope
    from geo.importers import IMPORTERS
    from geo.readers import read_vector_file

    if kind not in IMPORTERS:
        raise typer.BadParameter(f"kind must be one of {', '.join(IMPORTERS)}")
    frame = (
        pd.read_csv(path, dtype=str, keep_default_na=False)
        if kind == "assignments"
        else read_vector_file(path)
    )
    with session_scope(_migrated_engine()) as session:
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
    from geo.database import session_scope
    from geo.readers import read_vector_file

    try:
        last_day = date.fromisoformat(until) if until else clock.yesterday()
    except ValueError:
        raise typer.BadParameter(f"--until {until!r} is not YYYY-MM-DD") from None
    engine = _migrated_engine()
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
        county_code=settings.get("county_code"),
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
    from geo.database import session_scope
    from geo.grid import format_report, grid_report

    expected = settings.grid_expected() if expect is None else settings.parse_grid_counts(expect)
    with session_scope(_engine()) as session:
        report = grid_report(session, expected)
    typer.echo(format_report(report))
    if not report.ok:
        raise typer.Exit(1)


@app.command()
@friendly
def serve(
    port: Annotated[int | None, typer.Option(help="default SHUIJIAN_PORT")] = None,
    address: Annotated[
        str, typer.Option(help="interface to listen on; 0.0.0.0 to serve the network")
    ] = "127.0.0.1",
    headless: bool = True,
) -> None:
    """Start the web app (Streamlit) on the configured database."""
    from geo.database import database_url

    _migrated_engine()
    env = {**os.environ, "DATABASE_URL": database_url()}
    args = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(PROJECT_ROOT / "streamlit_app.py"),
        "--server.port",
        str(port or settings.get("port")),
        "--server.headless",
        str(headless).lower(),
        "--server.address",
        address,
    ]
    typer.echo(f"serving on http://{address}:{port or settings.get('port')}")
    raise typer.Exit(subprocess.call(args, cwd=PROJECT_ROOT, env=env))


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
    from sqlalchemy import func, select

    from geo.database import session_scope
    from geo.models import Deputy
    from tracks.batch import ingest_file
    from tracks.ingest import IngestParams

    engine = _migrated_engine()
    params = IngestParams.from_settings()
    with session_scope(engine) as session:
        deputy_id = session.scalar(
            select(Deputy.id).where(func.upper(Deputy.code) == deputy.strip().upper())
        )
    if deputy_id is None:
        raise typer.BadParameter(f"no deputy with code {deputy!r}")
    worst = 0
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            typer.secho(f"{path.name}: not read: {exc.strerror}", fg=typer.colors.RED, err=True)
            worst = max(worst, 1)
            continue
        verdict = ingest_file(
            engine, data, path.name, deputy_id=deputy_id, gcj02=gcj02, params=params
        )
        if verdict.result is None:
            worst = max(worst, 2 if verdict.status == "error" else 1)
            typer.secho(f"{path.name}: {verdict.message}", fg=typer.colors.RED, err=True)
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
def due(
    date_: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD; default today")] = None,
    deputy: Annotated[str | None, typer.Option(help="deputy code")] = None,
    excel: Annotated[Path | None, typer.Option(help="also write the list to this .xlsx")] = None,
    lang: Annotated[str, typer.Option(help="zh or en")] = "zh",
) -> None:
    """Each deputy's sites to patrol by when: status ok / due soon / overdue and deadline."""
    from datetime import date

    from sqlalchemy import select

    from duty.due import due_list
    from duty.export import due_list_to_excel
    from geo.database import session_scope
    from geo.models import Deputy

    try:
        on = date.fromisoformat(date_) if date_ else clock.today()
    except ValueError:
        raise typer.BadParameter(f"--date {date_!r} is not YYYY-MM-DD") from None
    with session_scope(_migrated_engine()) as session:
        deputy_id = None
        if deputy:
            deputy_id = session.scalar(select(Deputy.id).where(Deputy.code == deputy))
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
    date_: Annotated[
        str | None, typer.Option("--date", help="YYYY-MM-DD; default today (SHUIJIAN_TIMEZONE)")
    ] = None,
    channel: Annotated[
        str | None, typer.Option(help="dingtalk | http; default SHUIJIAN_REMIND_CHANNEL")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="compose the messages; send and log nothing")
    ] = False,
) -> None:
    """Remind each deputy, in one message, of their sites due soon or overdue (once per site
    and deadline; run it daily from cron). Exit 1 when a send failed: it is logged and retried
    by the next run."""
    import logging
    from datetime import date

    from duty.reminders import remind, today

    try:
        on = date.fromisoformat(date_) if date_ else today()
    except ValueError:
        raise typer.BadParameter(f"--date {date_!r} is not YYYY-MM-DD") from None
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    report = remind(_migrated_engine(), on, channel, dry_run=dry_run)
    for message in report.messages if dry_run else ():
        who = message.recipient
        phone = who.phone or "(no phone)"
        typer.echo(f"  {who.code} {who.name} {phone}: {len(message.sites)} site(s)")
    typer.echo(f"{on}: {report.summary()}")
    if not report.ok:
        raise typer.Exit(1)


@app.command()
@friendly
def review(
    patrol: Annotated[int, typer.Argument(help="patrol number")],
    decision: Annotated[str, typer.Option(help="accept or reject")],
    reason: Annotated[str, typer.Option(help="why; recorded with the decision")],
    reviewer: Annotated[str, typer.Option(help="user name of the analyst")] = "analyst",
) -> None:
    """Accept or reject a flagged patrol (an appended review; the latest one decides)."""
    from sqlalchemy import select

    from geo.database import session_scope
    from geo.models import User
    from tracks.review import review_patrol

    with session_scope(_migrated_engine()) as session:
        user = session.scalar(select(User).where(User.username == reviewer))
        if user is None:
            raise typer.BadParameter(f"no user {reviewer!r}")
        review_patrol(session, patrol, decision, reason, user.id, user.role)
    typer.echo(f"patrol #{patrol}: {decision}ed")


@app.command()
@friendly
def send(
    once: Annotated[bool, typer.Option("--once", help="one pass, then exit")] = False,
    interval: Annotated[float, typer.Option(help="seconds between passes")] = 5.0,
    batch: Annotated[int, typer.Option(help="messages per pass at most")] = 50,
) -> None:
    """Deliver dispatch messages from the outbox to the platforms: a loop until Ctrl-C or
    SIGTERM, or one pass with --once. Several senders may run at once."""
    import logging
    import signal
    import threading

    from geo.database import database_url, get_engine
    from tickets.outbox import deliver_due, run_sender

    # Keyed by URL: get_engine() alone is cached and would outlive a changed DATABASE_URL.
    engine = get_engine(database_url())
    if once:
        typer.echo(str(deliver_due(engine, batch=batch)))
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    typer.echo(f"sending every {interval:g} s; Ctrl-C stops")
    run_sender(engine, interval, stop, batch=batch)


@user_app.command("add")
@friendly
def user_add(
    username: str,
    role: Annotated[str, typer.Option(help="leader | analyst | deputy | admin")],
    deputy: Annotated[str | None, typer.Option(help="deputy code, for role deputy")] = None,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create an account; the password is asked for and stored as an Argon2id hash."""
    from sqlalchemy import select

    from core.auth import create_user, hash_password
    from geo.database import session_scope
    from geo.models import Deputy

    with session_scope(_migrated_engine()) as session:
        deputy_id = None
        if deputy:
            deputy_id = session.scalar(select(Deputy.id).where(Deputy.code == deputy))
            if deputy_id is None:
                raise typer.BadParameter(f"no deputy with code {deputy!r}")
        try:
            create_user(session, username, hash_password(password), role, deputy_id)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
    typer.echo(f"created {role} account {username!r}")


@app.command("api")
@friendly
def api_serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="default SHUIJIAN_API_PORT")] = None,
) -> None:
    """Serve the platform API (GeoReport v2 and the platforms' callbacks) with uvicorn."""
    import uvicorn

    from api.app import create_app

    engine = _migrated_engine()
    chosen = port or settings.get("api_port")
    typer.echo(f"platform API on http://{host}:{chosen}/open311/v2/services.json")
    uvicorn.run(create_app(engine), host=host, port=chosen)


@platform_app.command("key")
@friendly
def platform_key(code: Annotated[str, typer.Argument(help="platform code, e.g. zhifa")]) -> None:
    """Issue a new API key for a platform (the old one stops working); shown once only."""
    from api.keys import issue_key
    from geo.database import session_scope

    with session_scope(_migrated_engine()) as session:
        key = issue_key(session, code)
    typer.echo(key)
    typer.secho(
        f"new key for {code}: shown this once, only its hash is stored", fg="yellow", err=True
    )


@platform_app.command("endpoint")
@friendly
def platform_endpoint(
    code: Annotated[str, typer.Argument(help="platform code, e.g. zhifa")],
    url: Annotated[str, typer.Argument(help="http(s) URL receiving dispatched tickets")],
) -> None:
    """Set the URL to which a platform's dispatched tickets are delivered."""
    from api.keys import set_endpoint
    from geo.database import session_scope

    with session_scope(_migrated_engine()) as session:
        set_endpoint(session, code, url)
    typer.echo(f"{code}: endpoint {url}")


@app.command("evaluate")
@friendly
def evaluate(
    month: Annotated[str, typer.Option(help="YYYY-MM, e.g. 2026-11")],
    csv: Annotated[Path | None, typer.Option(help="also write the whole table to a .csv")] = None,
) -> None:
    """Each deputy's score for a month, with its components, weights and ranks."""
    from geo.database import session_scope
    from reports.evaluation import evaluate_month, parse_month

    year, number = parse_month(month)
    with session_scope(_migrated_engine()) as session:
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
    from geo.database import session_scope
    from reports.bulletin import build_bulletin
    from reports.evaluation import parse_month

    year, number = parse_month(month)
    with session_scope(_migrated_engine()) as session:
        files = build_bulletin(session, year, number, out)
    for path in (files.docx, files.pdf, files.xlsx, files.map_png):
        typer.echo(f"written {path}")


if __name__ == "__main__":
    app()
