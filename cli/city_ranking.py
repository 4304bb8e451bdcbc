"""一月一排名、一月一通报: `shuijian city-ranking compute|publish|bulletin`, the city's monthly
ranking of its counties for the shell's operator (the same services as the city's page)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import friendly, migrated_engine

if TYPE_CHECKING:
    from reports.city_ranking_service import Ranking

app = typer.Typer(
    help="The city's monthly ranking of its counties (一月一排名、一月一通报).",
    no_args_is_help=True,
)

MonthOption = Annotated[str, typer.Option(help="YYYY-MM, e.g. 2026-11")]
RulesOption = Annotated[
    Path | None, typer.Option(help="rules file; default SHUIJIAN_CITY_RANKING_WEIGHTS")
]


def _value(code: str, value: float | None) -> str:
    if value is None:
        return "missing"
    if code == "supervision":
        return f"{value:.2f}/township"
    return f"{value:.1%}"


def _print(ranking: Ranking) -> None:
    from reports.city_ranking import INDICATORS

    for line in ranking.lines:
        rank = "-" if line.rank is None else str(line.rank)
        score = "-" if line.score is None else f"{line.score:.2f}"
        parts = []
        for code in INDICATORS:
            part = line.indicators[code]
            points = "missing" if part.missing else f"{part.points:.2f}/{part.weight:.4g}"
            parts.append(f"{code} {_value(code, part.value)} ({points})")
        typer.echo(f"{rank:>3}  {line.code}  {line.name}  {score}  " + "; ".join(parts))


@app.command("compute")
@friendly
def compute(month: MonthOption, rules: RulesOption = None) -> None:
    """The month's ranking as it scores now (a draft): each county's rank, score and every
    indicator with its points and weight."""
    from accounts.audit import shell_operator
    from reports.city_ranking import load_rules
    from reports.city_ranking_service import draft_ranking, published_ranking
    from reports.evaluation import parse_month

    year, number = parse_month(month)
    chosen = load_rules(rules)  # before the database: a bad file is refused by name first
    engine = migrated_engine()
    ranking = draft_ranking(engine, shell_operator(), year, number, chosen)
    typer.echo(
        f"{year}-{number:02d} as of {ranking.as_of} (counted before that day), "
        f"rules {chosen.version} ({chosen.digest}), missing indicators: {chosen.missing}"
    )
    if not ranking.lines:
        typer.echo("no county to rank")
        return
    _print(ranking)
    published = published_ranking(engine, year, number)
    if published is not None and published.publication is not None:
        typer.echo(f"published on {published.publication.published_at:%Y-%m-%d} (frozen)")


@app.command("publish")
@friendly
def publish_month(
    month: MonthOption,
    supersede_reason: Annotated[
        str | None,
        typer.Option(help="publish a correction of a month already published, with its reason"),
    ] = None,
    rules: RulesOption = None,
) -> None:
    """Publish (一月一通报) a month that has ended: its ranking is frozen for the public page.
    A month already published is refused unless --supersede-reason says why (audited)."""
    from accounts.audit import shell_operator
    from reports.city_ranking import load_rules
    from reports.city_ranking_service import publish
    from reports.evaluation import parse_month

    year, number = parse_month(month)
    chosen = load_rules(rules)
    ranking = publish(
        migrated_engine(),
        shell_operator(),
        year,
        number,
        supersede_reason=supersede_reason,
        rules=chosen,
    )
    _print(ranking)
    kind = "correction" if supersede_reason is not None else "ranking"
    typer.echo(f"published the {kind} of {year}-{number:02d} ({len(ranking.lines)} counties)")


@app.command("bulletin")
@friendly
def bulletin(
    month: MonthOption,
    out: Annotated[Path, typer.Option(help="the file to write")],
    format_: Annotated[str, typer.Option("--format", help="docx, pdf or xlsx")] = "docx",
) -> None:
    """The city's bulletin of the month's ranking as Word, PDF or Excel (as published; a month
    not yet published is marked as a draft)."""
    from accounts.audit import shell_operator
    from reports.city_bulletin import FORMATS, build_city_bulletin
    from reports.evaluation import parse_month

    if format_ not in FORMATS:
        raise typer.BadParameter(f"--format {format_!r}: choose one of {', '.join(FORMATS)}")
    year, number = parse_month(month)
    path = build_city_bulletin(migrated_engine(), shell_operator(), year, number, format_, out)
    typer.echo(f"written {path}")
