"""The database: project-local cluster and schema (``shuijian db ...``)."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import friendly, migrated_engine, open_engine, owner_migrate
from core import settings

app = typer.Typer(help="The database: project-local cluster and schema.", no_args_is_help=True)


@app.command("up")
@friendly
def db_up() -> None:
    """Create (first time) and start the project-local cluster; apply migrations."""
    if settings.optional_text("database_url"):
        typer.echo("DATABASE_URL is set: using that server, no local cluster needed.")
    else:
        from db import cluster

        info = cluster.up()
        typer.echo(f"local cluster running on 127.0.0.1:{info.port} (data in {info.data_dir})")
        typer.echo("roles: shuijian_owner owns the schema, the app connects as shuijian_app")
    migrated_engine()
    typer.echo("schema is up to date")


@app.command("down")
@friendly
def db_down() -> None:
    """Stop the project-local cluster."""
    from db import cluster

    typer.echo("stopped" if cluster.down() else "the local cluster was not running")


@app.command("status")
@friendly
def db_status() -> None:
    """Say which database is used, whether it runs, and the schema revision."""
    from db import cluster, migrate

    if settings.optional_text("database_url"):
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
    typer.echo(f"schema revision: {migrate.current_revision(open_engine()) or '(empty)'}")


@app.command("migrate")
@friendly
def db_migrate(revision: str = "head") -> None:
    """Upgrade the schema (to head by default) as the owner, then grant the app role."""
    from db import migrate

    owner_migrate(revision)
    typer.echo(f"schema at {migrate.current_revision(open_engine())}")


@app.command("downgrade")
@friendly
def db_downgrade(revision: Annotated[str, typer.Argument(help="target, e.g. base")]) -> None:
    """Downgrade the schema as the owner (drops tables: data in them is lost)."""
    from db import migrate
    from db.database import get_engine, owner_url

    owner = get_engine(owner_url())
    migrate.downgrade(owner, revision)
    typer.echo(f"schema at {migrate.current_revision(owner) or '(empty)'}")


@app.command("county-role")
@friendly
def db_county_role(
    county: Annotated[str, typer.Argument(help="the county's code, e.g. 330822")],
    admin_url: Annotated[
        str | None,
        typer.Option(
            help="a URL that may create roles (default: the local cluster's administrator)"
        ),
    ] = None,
) -> None:
    """A login role that sees one county only, whatever it asks for: for a county run as a
    deployment of its own on the city's database. Prints its URL once (a new password each
    time this runs)."""
    import secrets

    from sqlalchemy import create_engine, make_url
    from sqlalchemy.pool import NullPool

    from cli.common import county_id, owner_engine
    from db import cluster, roles
    from db.database import database_url, normalise_url

    if admin_url is None:
        if settings.optional_text("database_url"):
            raise typer.BadParameter(
                "DATABASE_URL is set: give --admin-url", param_hint="--admin-url"
            )
        admin_url = cluster.up().url()
    target = county_id(county)
    role, password = roles.county_role_name(county), secrets.token_urlsafe(18)
    admin = create_engine(normalise_url(admin_url), poolclass=NullPool)
    try:
        with admin.begin() as conn:
            roles.ensure_county_role(conn, role, password)
    finally:
        admin.dispose()
    with owner_engine().begin() as conn:
        roles.pin_county_role(conn, role, target)
    url = make_url(database_url()).set(username=role, password=password)
    typer.echo(f"role {role} sees county {county} only; its URL (shown once):")
    typer.echo(url.render_as_string(hide_password=False))


@app.command("partitions")
@friendly
def db_partitions(
    ahead: Annotated[int, typer.Option(min=0, max=24, help="months to make ahead")] = 3,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="say what would be archived; change nothing")
    ] = False,
) -> None:
    """Time partitions (daily, with the warnings scan): make this month's and the next
    months' partitions of patrol_track, visit and audit_event; archive every month older than
    its retention (SHUIJIAN_KEEP_*_MONTHS) to SHUIJIAN_ARCHIVE_DIR and drop it."""
    from cli.common import owner_engine
    from core import clock
    from db import partitions
    from db.scope import ALL, within

    today = clock.today()
    folder = partitions.archive_dir()
    with within(ALL), owner_engine().begin() as conn:
        expired = partitions.expired(conn, today)
        if not dry_run:
            made = partitions.ensure_ahead(conn, today, ahead)
            for table, months in made.items():
                created = [m for m, status in months.items() if status == "created"]
                waiting = [m for m, status in months.items() if status == "in_default"]
                if created:
                    typer.echo(f"{table}: made {', '.join(created)}")
                if waiting:
                    typer.echo(
                        f"{table}: rows of {', '.join(waiting)} sit in the default partition; "
                        "left there (still read, not pruned)"
                    )
    for part in expired:
        if dry_run:
            typer.echo(f"would archive and drop {part.name} (to {folder})")
            continue
        # one transaction per month: a month archived is dropped, or kept whole
        with within(ALL), owner_engine().begin() as conn:
            path = partitions.archive(conn, part, folder)
            partitions.drop(conn, part)
        typer.echo(f"archived {part.name} to {path} and dropped it")
    if not expired:
        typer.echo("nothing older than the retention settings")


@app.command("citus-script")
@friendly
def db_citus_script(
    worker: Annotated[
        list[str] | None, typer.Option(help="a worker host to add (repeat for each)")
    ] = None,
) -> None:
    """Print the statements that distribute this database with Citus by county (README,
    "The road past one machine"): keys that name the county, reference tables, the city's
    logs kept on the coordinator, and every county-owned table distributed by county_id.
    Nothing is run."""
    from db import citus
    from db.scope import ALL, within

    with within(ALL), open_engine().connect() as conn:
        typer.echo(citus.script(conn, tuple(worker or ("worker-1", "worker-2"))), nl=False)
