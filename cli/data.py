"""The county's data: importing real files, the demo county, the grid check."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Annotated

import typer

from cli.common import each_county, friendly, migrated_engine, open_engine, owner_engine
from core import clock, settings

app = typer.Typer()
# The demo city's neighbours of the first county: code, name, code prefix, centre of a
# synthetic outline (east and south of the first). Fictional: 3399xx is no real county.
NEIGHBOURS: tuple[tuple[str, str, str, tuple[float, float]], ...] = (
    ("339901", "东溪县", "B", (118.92, 28.92)),
    ("339902", "南岭县", "C", (118.55, 28.52)),
)
offices = typer.Typer(
    help="The townships' people's congress offices (乡镇人大办公室), where overdue sites are "
    "escalated.",
    no_args_is_help=True,
)
app.add_typer(offices, name="township-office")


@app.command("import")
@friendly
def import_file(
    kind: Annotated[
        str,
        typer.Argument(
            help="county | townships | cells | sites | deputies | assignments | "
            "township-offices (the county first: every other row is a county's)"
        ),
    ],
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
    counties: Annotated[
        int, typer.Option(help="counties in the demo city: the first and its neighbours")
    ] = 3,
    neighbour: Annotated[
        list[Path],
        typer.Option(
            exists=True, dir_okay=False, help="a real outline for the next neighbour (repeatable)"
        ),
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
) -> None:
    """Build the deterministic demo city — the first county and its neighbours, each with
    its own grid, deputies and accounts — and load it (kept when already loaded), then
    ingest months of demo patrols per county through the same path as uploads. Runs as the
    owner: ``--reset`` wipes every table, append-only history included."""
    from datetime import date

    from data.demo import generate_demo
    from data.demo_tracks import tracks_start
    from data.loader import load_demo, loaded_source
    from db import scope
    from db.database import session_scope
    from db.roles import truncate_guard_lifted
    from geo.readers import read_vector_file

    try:
        last_day = date.fromisoformat(until) if until else clock.yesterday()
    except ValueError:
        raise typer.BadParameter(f"--until {until!r} is not YYYY-MM-DD") from None
    if not 1 <= counties <= 1 + len(NEIGHBOURS):
        raise typer.BadParameter(f"--counties is 1 to {1 + len(NEIGHBOURS)}, not {counties}")
    if len(neighbour) > counties - 1:
        raise typer.BadParameter(
            f"{len(neighbour)} --neighbour outlines for {counties - 1} neighbours"
        )
    engine = owner_engine()
    if counties > 1 and _bypasses_row_security(engine):
        raise typer.BadParameter(
            "the database role bypasses row-level security (a superuser, or BYPASSRLS), so a "
            "demo of several counties cannot keep each county's history apart: use the "
            "project-local cluster (unset DATABASE_URL), a role that does not, or --counties 1",
            param_hint="--counties",
        )
    label = f"demo seed {seed}" + (f" on {boundary.name}" if boundary else "")
    if counties > 1:
        label += f", {counties} counties"
    with session_scope(engine) as session:
        if not reset and loaded_source(session) == label:
            typer.echo(f"{label} is already loaded; nothing to do (--reset rebuilds it)")
            return
    if patrol_months > 0:
        from data.demo_tickets import check_calendar

        check_calendar(engine, last_day)  # before anything is loaded: no half-built demo
    started = time.perf_counter()
    outline = read_vector_file(boundary) if boundary else None
    first_day = tracks_start(last_day, max(patrol_months, 1))
    county = generate_demo(
        seed, boundary=outline, county_code=settings.text("county_code"), assignments_from=first_day
    )
    # the wipe truncates the append-only history too: its guard is lifted for this one
    # transaction (the owner's right; a failure puts it back with everything else)
    with (
        session_scope(engine) as session,
        truncate_guard_lifted(session) if reset else contextlib.nullcontext(),
    ):
        summary = load_demo(session, county, label, reset=reset)
    _loaded(label, summary, started)
    codes = [settings.text("county_code")]
    for k, (code, name, prefix, centre) in enumerate(NEIGHBOURS[: counties - 1]):
        started = time.perf_counter()
        real = read_vector_file(neighbour[k]) if k < len(neighbour) else None
        joining = generate_demo(
            seed + k + 1,
            boundary=real,
            county_code=code,
            county_name=name,
            assignments_from=first_day,
            code_prefix=prefix,
            centre=centre,
        )
        with session_scope(engine) as session:
            done = load_demo(session, joining, f"{label}: {name}", joining=f"{prefix.lower()}-")
        _loaded(name, done, started)
        codes.append(code)
    if patrol_months > 0:
        from sqlalchemy import select

        from db.models import County

        with session_scope(engine) as session:
            ids = dict(session.execute(select(County.code, County.id)).all())
        for k, code in enumerate(codes):
            # each county's history in its own scope: row-level security keeps the demo's
            # queries (every deputy, every site) to that county
            with scope.within(ids[code]):
                _histories(engine, seed + k, last_day, patrol_months, first_day)
    if counties > 1:
        typer.echo(
            "city accounts: city-leader / city-leader-demo, city-analyst / city-analyst-demo; "
            + ", ".join(
                f"{p.lower()}-admin, {p.lower()}-leader, {p.lower()}-analyst"
                for _, _, p, _ in NEIGHBOURS[: counties - 1]
            )
            + " for the neighbours"
        )


def _bypasses_row_security(engine) -> bool:
    from sqlalchemy import text

    with engine.connect() as conn:
        return bool(
            conn.scalar(
                text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
            )
        )


def _loaded(label: str, summary, started: float) -> None:
    typer.echo(
        f"loaded {label} in {time.perf_counter() - started:.1f} s: {summary.townships} townships, "
        f"cells {'/'.join(map(str, summary.cells))}, {summary.sites} sites, "
        f"{summary.deputies} deputies, {summary.users} accounts"
    )


def _histories(engine, seed: int, last_day, patrol_months: int, first_day) -> None:
    """A county's months of patrols, tickets, public reports, supervision and warnings."""
    from data.demo_tracks import add_demo_patrols
    from db.database import session_scope

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

    made = add_demo_tickets(engine, seed, first_day, last_day)
    typer.echo(
        f"made {made.tickets} demo tickets through their lifecycle: {made.closed} closed, "
        f"{made.open} open"
    )
    from data.demo_public import add_demo_public_reports

    public = add_demo_public_reports(engine, seed)
    typer.echo(
        f"made {public.reports} demo public reports (有奖举报): {public.accepted} accepted, "
        f"{public.rejected} rejected, the rest awaiting review"
    )
    from data.demo_supervision import add_demo_supervision

    supervision = add_demo_supervision(engine, seed, first_day, last_day)
    typer.echo(
        f"made {supervision.groups} supervision groups with {supervision.visits} visits, and "
        f"{supervision.members} volunteers with {supervision.volunteer_tracks} duty-day tracks"
    )
    from data.demo_water import add_demo_water

    water = add_demo_water(engine, seed, last_day)
    typer.echo(
        f"made {water.sections} cross-sections (交接断面) with {water.samples} monthly "
        f"results from {water.first:%Y-%m} to {water.last:%Y-%m}"
    )
    from duty.register import registered_site_ids
    from reports.early_warning import refresh_demo

    with session_scope(engine) as session:
        scanned = refresh_demo(session, last_day)
        registered = len(registered_site_ids(session))
    typer.echo(f"register: {registered} sites registered; {scanned.summary()}")


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
    from db import scope
    from db.database import session_scope
    from geo.grid import format_report, grid_report

    expected = settings.grid_expected() if expect is None else settings.parse_grid_counts(expect)
    ok = True
    for code, name, county in each_county():
        # each county's grid on its own: 15 / 192 / 932 is a county's hierarchy, not the city's
        with scope.within(county), session_scope(open_engine()) as session:
            report = grid_report(session, expected)
        if code is not None:
            typer.echo(f"{name} ({code}):")
        typer.echo(format_report(report))
        ok = ok and report.ok
    if not ok:
        raise typer.Exit(1)


@offices.command("set")
@friendly
def set_office(
    township: Annotated[str, typer.Argument(help="the township's code or name")],
    name: Annotated[str, typer.Option(help="the office's name, e.g. 天马街道人大工委办公室")],
    phone: Annotated[str, typer.Option(help="mobile number: DingTalk @-mention, SMS target")],
    contact: Annotated[str | None, typer.Option(help="the contact person's name")] = None,
) -> None:
    """Set (or replace) one township's office contact; escalations that found none before
    go out on the next `shuijian remind`."""
    from db.database import session_scope
    from geo.importers import set_township_office

    with session_scope(migrated_engine()) as session:
        set_township_office(session, township, name, phone, contact)
    typer.echo(f"office of {township} set: {name.strip()}")


@offices.command("list")
@friendly
def list_offices() -> None:
    """Every township with its office contact; exit 1 when a township has none (its
    escalations are undeliverable)."""
    from db.database import session_scope
    from geo.importers import township_offices

    with session_scope(migrated_engine()) as session:
        frame = township_offices(session)
    if frame.empty:
        typer.echo("no townships stored")
        return
    typer.echo(frame.fillna("-").to_string(index=False))
    missing = frame.loc[frame["office"].isna(), "township_code"].tolist()
    if missing:
        typer.secho(
            f"{len(missing)} township(s) without an office contact: {', '.join(missing)}",
            fg=typer.colors.YELLOW,
        )
        raise typer.Exit(1)


site_class = typer.Typer(
    help="Site classes (一类/二类/三类) with their pollution basis and history.",
    no_args_is_help=True,
)
app.add_typer(site_class, name="site-class")


@site_class.command("set")
@friendly
def set_site_class(
    site: Annotated[str, typer.Argument(help="the site's code, e.g. S0212")],
    new_class: Annotated[int, typer.Argument(metavar="CLASS", help="1, 2 or 3")],
    basis: Annotated[
        str, typer.Option(help="why: large_farm, farm, farm_nearby, village_nearby, ...")
    ] = "reassessed",
    valid_from: Annotated[
        str | None, typer.Option("--from", help="first day of the new class (default today)")
    ] = None,
    note: Annotated[str | None, typer.Option(help="what the assessment found")] = None,
) -> None:
    """Change a site's class from a day on; the old class stays in its history."""
    from datetime import date

    from db.database import session_scope
    from duty.site_class import change_site_class

    try:
        day = date.fromisoformat(valid_from) if valid_from else clock.today()
    except ValueError:
        raise typer.BadParameter(f"--from {valid_from!r} is not YYYY-MM-DD") from None
    with session_scope(migrated_engine()) as session:
        change_site_class(session, site, new_class, basis, day, note)
    typer.echo(f"{site} is class {new_class} from {day.isoformat()} ({basis})")


@site_class.command("history")
@friendly
def site_class_history(
    site: Annotated[str, typer.Argument(help="the site's code")],
) -> None:
    """Every class the site has had, with its basis and first day."""
    from db.database import session_scope
    from duty.site_class import class_history

    with session_scope(migrated_engine()) as session:
        frame = class_history(session, site)
    if frame.empty:
        typer.echo(f"no class history for {site}")
        raise typer.Exit(1)
    typer.echo(frame.fillna("").to_string(index=False))
