"""督查组 from the shell (``shuijian supervision …``): groups, members, townships, visits (a
check-in or a GPX track) and findings. The same services as the supervision page; the shell's
operator (``cli:<os user>``) may take every action."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from cli.common import friendly, migrated_engine
from core import clock

app = typer.Typer(
    help="Supervision groups (督查组): groups, townships, visits and findings.",
    no_args_is_help=True,
)


def _day(value: str | None) -> date:
    if value is None:
        return clock.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not YYYY-MM-DD") from None


def _moment(value: str) -> datetime:
    """A local date and time (YYYY-MM-DD HH:MM) in the county's zone."""
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"--at {value!r} is not 'YYYY-MM-DD HH:MM'") from None
    return naive if naive.tzinfo else naive.replace(tzinfo=clock.zone())


def _findings(texts: list[str] | None, photo: Path | None):
    from duty.supervision import NewFinding

    found = [NewFinding(t) for t in texts or []]
    if photo is not None:
        data = photo.read_bytes()
        first = found[0].text if found else ""
        found[:1] = [NewFinding(first, data, photo.name)]
    return found


@app.command("add-group")
@friendly
def add_group(
    code: Annotated[str, typer.Argument(help="the group's code, e.g. G1")],
    name: Annotated[str, typer.Argument(help="e.g. 第一督查组")],
    leader: Annotated[str, typer.Option(help="the Standing Committee leader who leads it")],
    title: Annotated[str | None, typer.Option(help="the leader's title")] = None,
    since: Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD")] = None,
) -> None:
    """A new group led by a Standing Committee leader (由常委会领导带队)."""
    from accounts.audit import shell_operator
    from db.database import session_scope
    from duty import supervision

    with session_scope(migrated_engine()) as s:
        supervision.add_group(s, shell_operator(), code, name, leader, title, _day(since))
    typer.echo(f"group {code} added, led by {leader}")


@app.command("add-member")
@friendly
def add_member(
    group: Annotated[str, typer.Argument(help="the group's code")],
    name: Annotated[str, typer.Argument(help="the member's name")],
    title: Annotated[str | None, typer.Option(help="the member's title")] = None,
    leader: Annotated[
        bool, typer.Option(help="the new leader (the former one's period ends)")
    ] = False,
    since: Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD")] = None,
) -> None:
    """A member of a group from a day on, or its new leader."""
    from accounts.audit import shell_operator
    from db.database import session_scope
    from duty import supervision

    with session_scope(migrated_engine()) as s:
        supervision.add_member(s, shell_operator(), group, name, title, _day(since), leader=leader)
    typer.echo(f"{name} joined group {group}" + (" as its leader" if leader else ""))


@app.command("assign")
@friendly
def assign(
    group: Annotated[str, typer.Argument(help="the group's code")],
    township: Annotated[str, typer.Argument(help="the township's name or code")],
    since: Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD")] = None,
) -> None:
    """The group supervises a township from a day on."""
    from accounts.audit import shell_operator
    from db.database import session_scope
    from duty import supervision

    with session_scope(migrated_engine()) as s:
        supervision.assign_township(s, shell_operator(), group, township, _day(since))
    typer.echo(f"group {group} supervises {township}")


@app.command("unassign")
@friendly
def unassign(
    group: Annotated[str, typer.Argument(help="the group's code")],
    township: Annotated[str, typer.Argument(help="the township's name or code")],
    on: Annotated[str | None, typer.Option("--on", help="the first day without it")] = None,
) -> None:
    """The group's assignment to a township ends (kept as history)."""
    from accounts.audit import shell_operator
    from db.database import session_scope
    from duty import supervision

    with session_scope(migrated_engine()) as s:
        supervision.end_township(s, shell_operator(), group, township, _day(on))
    typer.echo(f"group {group} no longer supervises {township}")


@app.command("checkin")
@friendly
def checkin(
    group: Annotated[str, typer.Argument(help="the group's code")],
    township: Annotated[str, typer.Argument(help="the township's name or code")],
    place: Annotated[str, typer.Option(help="the place visited")],
    at: Annotated[str, typer.Option(help="local time, 'YYYY-MM-DD HH:MM'")],
    finding: Annotated[list[str] | None, typer.Option(help="a finding (repeatable)")] = None,
    photo: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="a photo for the 1st finding")
    ] = None,
    lon: Annotated[float | None, typer.Option(help="longitude (WGS84), optional")] = None,
    lat: Annotated[float | None, typer.Option(help="latitude (WGS84), optional")] = None,
) -> None:
    """Record a check-in (place and time) with its findings."""
    from accounts.audit import shell_operator
    from db.database import session_scope
    from duty import supervision

    with session_scope(migrated_engine()) as s:
        visit = supervision.record_checkin(
            s,
            shell_operator(),
            group,
            township,
            place,
            _moment(at),
            _findings(finding, photo),
            lon=lon,
            lat=lat,
        )
        number = visit.id
    typer.echo(f"visit #{number} recorded")


@app.command("visit")
@friendly
def visit(
    group: Annotated[str, typer.Argument(help="the group's code")],
    township: Annotated[str, typer.Argument(help="the township's name or code")],
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="the GPX track")],
    finding: Annotated[list[str] | None, typer.Option(help="a finding (repeatable)")] = None,
    place: Annotated[str | None, typer.Option(help="what was visited, optional")] = None,
    gcj02: Annotated[bool, typer.Option(help="the file is in GCJ-02 (Amap-based apps)")] = False,
) -> None:
    """Record a visit proven by a GPX track (read as a deputy's patrol is)."""
    from accounts.audit import shell_operator
    from db.database import session_scope
    from duty import supervision

    with session_scope(migrated_engine()) as s:
        row = supervision.record_gpx_visit(
            s,
            shell_operator(),
            group,
            township,
            path.read_bytes(),
            path.name,
            _findings(finding, None),
            place=place,
            gcj02=gcj02,
        )
        number, km = row.id, (row.distance_m or 0) / 1000
    typer.echo(f"visit #{number} recorded from {path.name} ({km:.1f} km)")


@app.command("list")
@friendly
def list_groups(
    on: Annotated[str | None, typer.Option("--on", help="the day, YYYY-MM-DD")] = None,
) -> None:
    """The groups with their leader, members and townships on a day."""
    from accounts.audit import shell_operator
    from db.database import session_scope
    from duty import supervision

    with session_scope(migrated_engine()) as s:
        frame = supervision.groups_frame(s, shell_operator(), _day(on))
    for r in frame.itertuples():
        typer.echo(
            f"{r.code}\t{r.name}\t{r.leader or '-'}\t{r.members or '-'}\t{r.townships or '-'}"
        )


@app.command("visits")
@friendly
def visits(
    since: Annotated[str, typer.Option("--from", help="first day, YYYY-MM-DD")],
    until: Annotated[str | None, typer.Option("--to", help="last day (default today)")] = None,
) -> None:
    """The visits of a period, newest first, with their findings."""
    from accounts.audit import shell_operator
    from db.database import session_scope
    from duty import supervision

    with session_scope(migrated_engine()) as s:
        frame = supervision.visits_frame(s, shell_operator(), _day(since), _day(until))
    zone = clock.zone()
    for r in frame.itertuples():
        typer.echo(
            f"#{r.id}\t{r.started_at.astimezone(zone):%Y-%m-%d %H:%M}\t{r.kind}\t{r.group_name}"
            f"\t{r.township}\t{r.place}\t{r.findings} finding(s)\t{r.finding_text}"
        )
