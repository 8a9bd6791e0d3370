"""The afteraction command line: parse options, call the library, print. No logic lives here."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from afteraction import __version__
from afteraction.errors import AfteractionError
from afteraction.model.postmortem import Postmortem
from afteraction.render.text import duration, hms, score_text, source_label

__all__ = ["app", "main"]

app = typer.Typer(
    name="afteraction", no_args_is_help=True, add_completion=False,
    help="Turn an incident's scattered signals into a cited timeline, ranked suspect changes, "
         "measured TTD/TTM/TTR and a postmortem draft.")
bundle_app = typer.Typer(no_args_is_help=True, help="Work with bundles (captured raw responses).")
app.add_typer(bundle_app, name="bundle")

out = Console()
err = Console(stderr=True)
_DEBUG = {"on": False}


class Format(StrEnum):
    md = "md"
    json = "json"
    html = "html"
    all = "all"


def _version(value: bool) -> None:
    if value:
        out.print(f"afteraction {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    _DEBUG["on"] = debug


BundleOpt = Annotated[Path, typer.Option("--bundle", "-b", help="Bundle directory to replay.",
                                         file_okay=False)]


def _write_outputs(pm: Postmortem, fmt: Format, target: Path | None) -> list[Path]:
    from afteraction.render import render_html, render_json, render_markdown

    renderers: dict[str, Callable[[Postmortem], str]] = {
        "md": render_markdown, "json": render_json, "html": render_html}
    if fmt == Format.all:
        folder = target or Path(".")
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for ext, render in renderers.items():
            path = folder / f"postmortem.{ext}"
            path.write_text(render(pm), encoding="utf-8")
            written.append(path)
        return written
    text = renderers[fmt.value](pm)
    if target is None:
        sys.stdout.write(text)
        return []
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return [target]


def _summary(pm: Postmortem) -> None:
    top = pm.suspects[0] if pm.suspects else None
    err.print(f"[bold]{pm.incident.id}[/bold] {pm.title}")
    err.print(f"  impact start {hms(pm.impact_start)} UTC · TTD {duration(pm.ttd_seconds)} · "
              f"TTM {duration(pm.ttm_seconds)} · TTR {duration(pm.ttr_seconds)}")
    if top is not None and pm.confident:
        err.print(f"  top suspect: {top.title} ({top.service}) score {score_text(top.score)}")
    else:
        err.print("  no confident suspect")
    missing = [f"{n} ({r.status})" for n, r in pm.sources.items() if r.status != "ok"]
    if missing:
        err.print(f"  sources not used: {', '.join(missing)}")


@app.command()
def demo(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the demo's files.")]
    = Path("afteraction-demo"),
) -> None:
    """Draft the bundled demo incident into ./afteraction-demo/ (Markdown, JSON, HTML)."""
    from afteraction.generate.bundle import write_scenario_bundle
    from afteraction.generate.demo import demo_scenario
    from afteraction.pipeline import draft_from_path

    bundle_dir = write_scenario_bundle(demo_scenario(), output / "bundle")
    pm = draft_from_path(bundle_dir)
    written = _write_outputs(pm, Format.all, output)
    _summary(pm)
    err.print(f"  bundle: {bundle_dir}")
    for path in written:
        err.print(f"  wrote {path}")


@app.command()
def draft(
    incident: Annotated[str | None, typer.Argument(
        help="Incident id (e.g. INC-123): collect live from the configured sources. "
             "With --bundle, checked against the bundle's incident.")] = None,
    bundle: Annotated[Path | None, typer.Option("--bundle", "-b", file_okay=False,
                                                help="Replay a bundle instead of collecting "
                                                     "live.")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.md,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (a "
                                                "folder with --format all); stdout if "
                                                "omitted.")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="afteraction.toml to use for "
                                                "live collection.")] = None,
    since: Annotated[str | None, typer.Option(help="Window start (ISO 8601 with offset).")] = None,
    until: Annotated[str | None, typer.Option(help="Window end (ISO 8601 with offset).")] = None,
    keep: Annotated[Path | None, typer.Option("--keep-capture", help="Also write the live "
                                              "capture as a bundle here.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
) -> None:
    """Draft a postmortem: from a bundle (--bundle DIR) or live for INCIDENT."""
    from afteraction.pipeline import draft as draft_bundle
    from afteraction.pipeline import load_bundle

    if bundle is not None:
        pm = draft_bundle(load_bundle(bundle, incident))
    elif incident is not None:
        pm = draft_bundle(_collect_live(incident, config, since, until, keep, quiet))
    else:
        raise typer.BadParameter("give an incident id to collect live, or --bundle DIR")
    written = _write_outputs(pm, fmt, output)
    if written:
        _summary(pm)
        for path in written:
            err.print(f"  wrote {path}")


def _collect_live(incident: str, config: Path | None, since: str | None, until: str | None,
                  keep: Path | None, quiet: bool) -> Any:
    collect = importlib.import_module("afteraction.collect")
    settings_mod = importlib.import_module("afteraction.settings")
    from afteraction.model.time import parse_utc

    settings = settings_mod.load_settings(config)
    bundle = collect.collect_live(
        settings, incident, since=parse_utc(since, where="--since") if since else None,
        until=parse_utc(until, where="--until") if until else None, quiet=quiet)
    if keep is not None:
        from afteraction.bundle.store import write_bundle
        write_bundle(keep, bundle.manifest, bundle.captures)
    return bundle


@app.command()
def timeline(bundle: BundleOpt) -> None:
    """Print the incident's cited timeline from a bundle."""
    from afteraction.pipeline import draft_from_path

    pm = draft_from_path(bundle)
    table = Table(title=f"{pm.incident.id} timeline (UTC)", show_lines=False)
    for column in ("time", "phase", "source", "event", "link"):
        table.add_column(column, overflow="fold")
    for e in pm.timeline:
        who = f"{e.actor}: " if e.actor else ""
        mark = f" [{e.milestone}]" if e.milestone else ""
        table.add_row(hms(e.at), e.phase, source_label(e.source), f"{who}{e.text}{mark}", e.url)
    out.print(table)


@app.command()
def suspects(bundle: BundleOpt,
             limit: Annotated[int, typer.Option(help="How many to show.")] = 5) -> None:
    """Print the ranked suspect changes with their evidence."""
    from afteraction.pipeline import draft_from_path

    pm = draft_from_path(bundle)
    if not pm.confident:
        out.print("[yellow]No confident suspect[/yellow] (no change scored 0.50 or more).")
    for rank, s in enumerate(pm.suspects[:limit], start=1):
        out.print(f"[bold]{rank}. {s.title}[/bold]  score {score_text(s.score)}  "
                  f"({s.kind}, {s.service}, {hms(s.at)} UTC)")
        out.print(f"   {s.url}")
        for item in s.evidence:
            sign = "+" if item.weight > 0 else ("-" if item.weight < 0 else " ")
            out.print(f"   {sign} {item.detail}", highlight=False)


@bundle_app.command("generate")
def bundle_generate(
    output: Annotated[Path, typer.Option("--output", "-o", help="Bundle directory to write.")],
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same "
                                           "bundle.")] = 4721,
) -> None:
    """Generate the seeded demo incident as a bundle (raw payloads + manifest)."""
    from afteraction.generate.bundle import write_scenario_bundle
    from afteraction.generate.demo import demo_scenario

    path = write_scenario_bundle(demo_scenario(seed), output)
    err.print(f"wrote bundle {path}")


@app.command("eval")
def evaluate_command(
    per_family: Annotated[int, typer.Option(help="Scenarios per family.")] = 8,
    first_seed: Annotated[int, typer.Option(help="First seed of each family.")] = 1,
    family: Annotated[list[str] | None, typer.Option(
        help="Only these families (repeatable); all by default.")] = None,
) -> None:
    """Score the analysis on the seeded scenario suite: ranking, timing, calibration."""
    from afteraction.evaluate import evaluate
    from afteraction.generate.families import FAMILIES, build

    chosen = family or list(FAMILIES)
    unknown = sorted(set(chosen) - set(FAMILIES))
    if unknown:
        raise typer.BadParameter(f"unknown families {', '.join(unknown)}; known: "
                                 f"{', '.join(FAMILIES)}", param_hint="--family")
    scenarios = (build(name, seed) for name in chosen
                 for seed in range(first_seed, first_seed + per_family))
    with err.status("generating, rendering, parsing and analysing scenarios..."):
        report = evaluate(scenarios)
    out.print(report.table(), highlight=False, soft_wrap=True)


def _mount_optional() -> None:
    """Commands of the corpus and live collection live in their own modules."""
    try:
        corpus_cli = importlib.import_module("afteraction.corpus.cli")
        app.add_typer(corpus_cli.corpus_app, name="corpus")
    except ModuleNotFoundError:
        pass
    try:
        collect_cli = importlib.import_module("afteraction.collect_cli")
        collect_cli.register(app)
    except ModuleNotFoundError:
        pass
    mcp_cli = importlib.import_module("afteraction.mcp.cli")
    mcp_cli.register(app)


_mount_optional()


def main() -> None:
    """Entry point: one clear line per error, tracebacks only with --debug."""
    try:
        app(standalone_mode=False)
    except AfteractionError as exc:
        if _DEBUG["on"]:
            raise
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except Exception as exc:  # usage errors arrive here in non-standalone mode
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):  # typer's (vendored click) usage errors
            show()
            sys.exit(code)
        if _DEBUG["on"]:
            raise
        err.print(f"[red]internal error:[/red] {type(exc).__name__}: {exc} "
                  "(run with --debug for the traceback)", highlight=False, soft_wrap=True)
        sys.exit(70)
