"""CLI commands for live sources: ``init``, ``capture`` and ``sources check``.

Thin: parse options, call :mod:`afteraction.collect` or :mod:`afteraction.settings`, print.
``register(app)`` mounts them on the main typer app.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from afteraction.cli_errors import one_line_errors
from afteraction.settings import CONFIG_NAME, load_settings, write_starter_config

__all__ = ["register"]


ConfigOption = Annotated[Path | None, typer.Option("--config", "-c",
                                                   help=f"config file (default ./{CONFIG_NAME})")]


def init(path: Annotated[Path, typer.Argument(help="where to write the config")] =
         Path(CONFIG_NAME),
         force: Annotated[bool, typer.Option("--force", help="overwrite")] = False) -> None:
    """Write a commented starter afteraction.toml with every source."""
    written = write_starter_config(path, force=force)
    typer.echo(f"wrote {written}; set the environment variables it names, then run "
               "'afteraction sources check'")


def capture_command(
        incident: Annotated[str, typer.Argument(help="incident id / ticket key, e.g. INC-123")],
        out: Annotated[Path, typer.Option("--out", "-o", help="bundle directory to write")],
        since: Annotated[str | None, typer.Option(help="window start, ISO 8601 with offset")]
        = None,
        until: Annotated[str | None, typer.Option(help="window end, ISO 8601 with offset")]
        = None,
        config: ConfigOption = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress display")]
        = False) -> None:
    """Collect an incident from the live sources and write it as a bundle."""
    from afteraction.collect import capture

    settings = load_settings(config)
    bundle = capture(settings, incident, out, since, until, quiet=quiet)
    failed = {n: e for n, e in bundle.manifest.sources.items() if e.status == "error"}
    typer.echo(f"wrote {bundle.path} ({len(bundle.captures)} sources captured)")
    for name, entry in failed.items():
        typer.echo(f"  {name}: {entry.detail}", err=True)


def check_command(config: ConfigOption = None) -> None:
    """For each configured source: reachable, authenticated, missing permissions, a sample."""
    from afteraction.collect import check_sources

    settings = load_settings(config)
    results = check_sources(settings)
    table = Table("source", "reachable", "auth", "missing permissions", "last day", "detail")
    for health in results:
        sample = "" if health.sample_count is None else f"{health.sample_count} {health.sample_what}"
        table.add_row(health.source, _mark(health.reachable), _mark(health.authenticated),
                      ", ".join(health.missing_permissions), sample, health.detail)
    Console().print(table)
    if not all(h.ok for h in results):
        raise typer.Exit(4)


def _mark(value: bool) -> str:
    return "yes" if value else "NO"


def register(app: typer.Typer) -> None:
    """Add ``init``, ``capture`` and the ``sources`` group (``check``) to ``app``."""
    app.command("init")(one_line_errors(init))
    app.command("capture")(one_line_errors(capture_command))
    sources = typer.Typer(help="Inspect the configured live sources.", no_args_is_help=True)
    sources.command("check")(one_line_errors(check_command))
    app.add_typer(sources, name="sources")
