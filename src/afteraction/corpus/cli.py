"""``afteraction corpus ...``: ingest, ingest-deploys, sync-actions, report, query.

Thin: parse options, call the corpus library, print. Errors are one line and an exit code from
:mod:`afteraction.errors`. The database is ``--db URL``, else ``$AFTERACTION_CORPUS_URL``, else a
SQLite file under ``$XDG_DATA_HOME/afteraction/``.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from afteraction.cli_errors import one_line_errors
from afteraction.errors import InputError

__all__ = ["corpus_app"]

corpus_app = typer.Typer(name="corpus", no_args_is_help=True,
                         help="Store postmortems and answer org-level questions over them.")

DbOption = Annotated[str | None, typer.Option(
    "--db", help="corpus URL (default $AFTERACTION_CORPUS_URL, else a per-user SQLite file)")]
SinceOption = Annotated[str | None, typer.Option(help="period start: YYYY-MM-DD or ISO 8601")]
UntilOption = Annotated[str | None, typer.Option(help="period end (exclusive)")]
ServiceOption = Annotated[str | None, typer.Option(help="only this service")]


def _when(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    from afteraction.model.time import parse_utc
    try:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
    except ValueError:
        return parse_utc(text, where=option)


def _engine(db: str | None) -> Any:
    """--db, else $AFTERACTION_CORPUS_URL, else the working directory's afteraction.toml
    ``corpus_url``, else the per-user SQLite file."""
    import os

    from afteraction.corpus.db import ENV_URL, open_corpus
    if db is None and not os.environ.get(ENV_URL) and Path("afteraction.toml").is_file():
        from afteraction.settings import load_settings
        db = load_settings(None).corpus_url
    return open_corpus(db)


@corpus_app.command("ingest")
@one_line_errors
def ingest_command(paths: Annotated[list[Path], typer.Argument(
        help="draft .json files, Markdown postmortems, or folders of them")],
        db: DbOption = None) -> None:
    """Ingest postmortems; again = update in place. Bad files are listed, the rest still land."""
    from afteraction.corpus.ingest import ingest_paths

    result = ingest_paths(_engine(db), paths, now=datetime.now(UTC))
    typer.echo(f"{len(result.inserted)} inserted, {len(result.updated)} updated, "
               f"{len(result.unchanged)} unchanged, {len(result.failures)} failed")
    for failure in result.failures:
        typer.echo(f"error: {failure}", err=True)
    if result.failures:
        raise typer.Exit(InputError.exit_code)


@corpus_app.command("ingest-deploys")
@one_line_errors
def ingest_deploys_command(path: Annotated[Path, typer.Argument(
        help="GitHub deployments JSON array, or .jsonl / .csv deploy log")],
        db: DbOption = None) -> None:
    """Load the deploy log: the denominator of the deploy-pattern statistics."""
    from afteraction.corpus.deploys import ingest_deploy_log

    count = ingest_deploy_log(_engine(db), path)
    typer.echo(f"{count} deploys stored from {path}")


@corpus_app.command("sync-actions")
@one_line_errors
def sync_actions_command(
        db: DbOption = None,
        jira_url: Annotated[str | None, typer.Option(
            help="Jira base URL (default $AFTERACTION_JIRA_URL); credentials from "
                 "$AFTERACTION_JIRA_EMAIL and $AFTERACTION_JIRA_TOKEN")] = None) -> None:
    """Update action-item status from Jira (JQL over the items' tracker keys)."""
    from afteraction.corpus.sync import JiraClient, sync_action_items

    result = sync_action_items(_engine(db), JiraClient.from_env(base_url=jira_url),
                               now=datetime.now(UTC))
    typer.echo(f"{len(result.updated)} updated, {len(result.unchanged)} unchanged, "
               f"{len(result.not_found)} not found in Jira, {len(result.skipped)} skipped")
    for key in result.not_found:
        typer.echo(f"not found: {key}", err=True)


@corpus_app.command("report")
@one_line_errors
def report_command(
        since: SinceOption = None, until: UntilOption = None, service: ServiceOption = None,
        fmt: Annotated[str, typer.Option("--format", help="md or json")] = "md",
        window_hours: Annotated[float, typer.Option(
            help="an incident within this many hours after a deploy counts")] = 4.0,
        db: DbOption = None) -> None:
    """MTTR/TTD per service and quarter, top factors, action items, deploy patterns."""
    from afteraction.corpus.analytics.scope import Scope
    from afteraction.corpus.report import build_report, render_json, render_markdown

    if fmt not in ("md", "json"):
        raise InputError(f"unknown format {fmt!r}: use md or json", where="--format")
    if window_hours <= 0:
        raise InputError("must be positive", where="--window-hours")
    scope = Scope(_when(since, "--since"), _when(until, "--until"), service)
    report = build_report(_engine(db), scope, as_of=datetime.now(UTC), window_hours=window_hours)
    typer.echo(render_json(report) if fmt == "json" else render_markdown(report), nl=False)


@corpus_app.command("query")
@one_line_errors
def query_command(
        service: ServiceOption = None,
        factor: Annotated[str | None, typer.Option(help="contributing-factor category")] = None,
        since: SinceOption = None, until: UntilOption = None,
        limit: Annotated[int, typer.Option(help="at most this many")] = 50,
        fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
        db: DbOption = None) -> None:
    """List postmortems matching every filter given, newest first."""
    from afteraction.corpus.repository import list_postmortems

    engine = _engine(db)
    with engine.connect() as conn:
        rows = list_postmortems(conn, service=service, factor=factor,
                                since=_when(since, "--since"), until=_when(until, "--until"),
                                limit=limit)
    if fmt == "json":
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    table = Table("key", "started", "services", "factors", "TTR", "title")
    for row in rows:
        started = row["started_at"].strftime("%Y-%m-%d %H:%M") if row["started_at"] else "–"
        ttr = f"{row['ttr_seconds'] / 60:.0f} min" if row["ttr_seconds"] is not None else "–"
        table.add_row(row["key"], started, ", ".join(row["services"]),
                      ", ".join(row["factors"]), ttr, row["title"])
    Console().print(table)
    typer.echo(f"{len(rows)} postmortems")
