"""``afteraction mcp``: serve afteraction to assistants over stdio (default) or streamable HTTP.

Mounted by the main CLI with ``register(app)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from afteraction.errors import AfteractionError

__all__ = ["register"]


def mcp_command(
        http: Annotated[bool, typer.Option("--http", help="Serve streamable HTTP at "
                                                          "http://HOST:PORT/mcp instead of stdio.")]
        = False,
        host: Annotated[str, typer.Option(help="HTTP bind address; off loopback a bearer token "
                                               "in $AFTERACTION_MCP_TOKEN is required.")]
        = "127.0.0.1",
        port: Annotated[int, typer.Option(help="HTTP port.")] = 8765,
        config: Annotated[Path | None, typer.Option(
            "--config", "-c", help="afteraction.toml for live collection.")] = None,
        bundles: Annotated[Path | None, typer.Option(
            help="Folder of bundles named by incident id (BUNDLES/INC-123/manifest.json).",
            file_okay=False)] = None,
        db: Annotated[str | None, typer.Option(
            "--db", help="Corpus URL (default $AFTERACTION_CORPUS_URL, else a per-user SQLite "
                         "file).")] = None,
) -> None:
    """Serve afteraction's tools, resources and review prompt over MCP."""
    from afteraction.mcp.server import run_http, run_stdio
    from afteraction.mcp.workspace import ServerConfig
    server_config = ServerConfig(config_path=config, bundles_dir=bundles, corpus_url=db)
    try:
        if http:
            import os

            from afteraction.mcp.auth import require_token
            require_token(host, os.environ)
            typer.echo(f"afteraction MCP server on http://{host}:{port}/mcp", err=True)
            run_http(server_config, host=host, port=port)
        else:
            run_stdio(server_config)
    except AfteractionError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None


def register(app: typer.Typer) -> None:
    """Add the ``mcp`` command to the afteraction CLI."""
    app.command("mcp")(mcp_command)
