"""交接断面水质 on the command line: import the sections and the monthly results, list a month
and the 约谈 list (``water/``). A refused file prints every fault by line and column."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from cli.common import CLI_LANG, friendly, migrated_engine

app = typer.Typer(
    help="Water quality at township cross-sections (交接断面水质).", no_args_is_help=True
)

FileArgument = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or .xlsx")]


def _refused(error) -> None:
    """Every fault of a refused file, one per line, then exit 1 (nothing was stored)."""
    import i18n

    typer.secho(f"error: {i18n.describe(error, CLI_LANG)}", fg=typer.colors.RED, err=True)
    for fault in error.faults:
        typer.secho(f"  {i18n.describe(fault, CLI_LANG)}", err=True)
    if error.params.get("more"):
        typer.secho(
            f"  {i18n.text('water_refusal_more', CLI_LANG, n=error.params['more'])}", err=True
        )
    raise typer.Exit(1)


def _month(value: str) -> date:
    try:
        return date.fromisoformat(f"{value}-01")
    except ValueError:
        raise typer.BadParameter(f"--month {value!r} is not YYYY-MM") from None


@app.command("import-sections")
@friendly
def import_sections(path: FileArgument) -> None:
    """Import cross-sections (断面编码/code, 断面名称/name, 经度/lon, 纬度/lat, 上游乡镇/upstream,
    下游乡镇/downstream, 目标类别/target, optional 水体类型/waterbody); a stored code is
    updated; one bad row refuses the file, every fault named by line and column."""
    from accounts.audit import shell_operator
    from db.database import session_scope
    from geo.readers import read_table
    from water import sections
    from water.table import WaterImportRefused

    frame = read_table(path.read_bytes(), path.name)
    try:
        with session_scope(migrated_engine()) as session:
            result = sections.import_sections(session, shell_operator(), frame, path.name)
    except WaterImportRefused as error:
        _refused(error)
    typer.echo(str(result))


@app.command("import")
@friendly
def import_results(
    path: FileArgument,
    replace: Annotated[
        bool,
        typer.Option(help="replace months already stored (the old values go to the audit log)"),
    ] = False,
) -> None:
    """Import monthly results (断面编码/section, 采样日期/date, DO, CODMn, COD, BOD5, NH3-N, TP,
    TN, optional pH; units in the headers or a 单位/unit column). One bad row refuses the
    file, every fault named by line and column; a month already stored is refused unless
    ``--replace``."""
    from accounts.audit import shell_operator
    from db.database import session_scope
    from geo.readers import read_table
    from water import samples
    from water.table import WaterImportRefused

    frame = read_table(path.read_bytes(), path.name)
    try:
        with session_scope(migrated_engine()) as session:
            result = samples.import_samples(session, shell_operator(), frame, path.name, replace)
    except WaterImportRefused as error:
        _refused(error)
    typer.echo(str(result))


@app.command("list")
@friendly
def list_month(
    month: Annotated[str, typer.Option(help="YYYY-MM")],
    township: Annotated[str | None, typer.Option(help="sections touching this township")] = None,
) -> None:
    """The month's result per section: townships (upstream assessed), class, target,
    attained, the items above target. Exit 1 when the month has no result."""
    import i18n
    from cli.warnings import _township
    from db.database import session_scope
    from water.quality import samples_frame

    chosen = _month(month)
    with session_scope(migrated_engine()) as session:
        frame = samples_frame(session, month=chosen, township_id=_township(session, township))
    if frame.empty:
        typer.echo(f"no results for {chosen:%Y-%m}")
        raise typer.Exit(1)
    shown = frame.assign(
        upstream=frame["upstream"].fillna("-"),
        water_class=[i18n.label("water_class", c, CLI_LANG) for c in frame["water_class"]],
        target_class=[i18n.label("water_class", c, CLI_LANG) for c in frame["target_class"]],
        attained=["yes" if a else "NO" for a in frame["attained"]],
        exceeding=[
            ", ".join(i18n.label("water_param", p, CLI_LANG) for p in e) or "-"
            for e in frame["exceeding"]
        ],
    )
    columns = ["code", "name", "upstream", "downstream", "sampled_on", "water_class"]
    columns += ["target_class", "attained", "exceeding"]
    typer.echo(shown[columns].to_string(index=False))
    attained = int(frame["attained"].sum())
    typer.echo(f"{chosen:%Y-%m}: {attained} of {len(frame)} section(s) attained their target")


@app.command("summons")
@friendly
def list_summons() -> None:
    """The 约谈 list: each township's run of 3 or more consecutive missed months, with the
    sections that missed."""
    from db.database import session_scope
    from water.quality import summons, summons_frame

    with session_scope(migrated_engine()) as session:
        frame = summons_frame(summons(session))
    if frame.empty:
        typer.echo("no township has reached a summons")
        return
    frame = frame.assign(
        first_month=[f"{m:%Y-%m}" for m in frame["first_month"]],
        last_month=[f"{m:%Y-%m}" for m in frame["last_month"]],
        ongoing=["ongoing" if o else "ended" for o in frame["ongoing"]],
    )
    typer.echo(frame.to_string(index=False))
