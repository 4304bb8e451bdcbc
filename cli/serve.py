"""Serving: the web app and the platform API."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Annotated

import typer

from cli.common import PROJECT_ROOT, friendly, migrated_engine
from core import settings

app = typer.Typer()


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
    from db.database import database_url

    migrated_engine()
    env = {**os.environ, "DATABASE_URL": database_url()}
    args = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(PROJECT_ROOT / "web.py"),
        "--server.port",
        str(port or settings.integer("port")),
        "--server.headless",
        str(headless).lower(),
        "--server.address",
        address,
    ]
    typer.echo(f"serving on http://{address}:{port or settings.integer('port')}")
    raise typer.Exit(subprocess.call(args, cwd=PROJECT_ROOT, env=env))


@app.command("api")
@friendly
def api_serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="default SHUIJIAN_API_PORT")] = None,
) -> None:
    """Serve the platform API (GeoReport v2 and the platforms' callbacks) with uvicorn."""
    import uvicorn

    from api.app import create_app

    engine = migrated_engine()
    chosen = port or settings.integer("api_port")
    typer.echo(f"platform API on http://{host}:{chosen}/open311/v2/services.json")
    uvicorn.run(create_app(engine), host=host, port=chosen)
