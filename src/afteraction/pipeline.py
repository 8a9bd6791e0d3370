"""The whole job as plain function calls: bundle -> evidence -> analysis -> postmortem.

The CLI, the MCP server and the web app all call these; none holds logic of its own.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from pathlib import Path
from typing import Literal, ParamSpec, TypeVar

from afteraction.analysis.analyze import Analysis, analyze
from afteraction.analysis.evidence import Evidence
from afteraction.bundle.store import Bundle, read_bundle
from afteraction.draft.builder import build_postmortem
from afteraction.errors import AfteractionError, NotFoundError
from afteraction.model.events import Event, MetricSeries
from afteraction.model.postmortem import Postmortem, SourceReport
from afteraction.sources.base import BUILTIN_SOURCES, ParseContext, get_parser

__all__ = ["analyze_bundle", "draft", "draft_from_path", "evidence_from_bundle", "load_bundle"]

OPTIONAL_SOURCES = frozenset({"changes"})
"""Sources that are an alternative input, not expected in every bundle."""


P = ParamSpec("P")
R = TypeVar("R")


def _without_gc_pauses(step: Callable[P, R]) -> Callable[P, R]:
    """Parsing a large incident builds hundreds of thousands of acyclic objects (events, their
    attrs, decoded JSON); the cyclic collector would walk them over and over for nothing, which
    cost a fifth of a large draft. Nothing here creates cycles worth collecting mid-step."""

    @functools.wraps(step)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return step(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return run


@_without_gc_pauses
def load_bundle(path: str | Path, incident_id: str | None = None) -> Bundle:
    bundle = read_bundle(path)
    if incident_id is not None and incident_id != bundle.manifest.incident.id:
        raise NotFoundError(f"unknown incident {incident_id!r}: this bundle holds "
                            f"{bundle.manifest.incident.id}", where=str(Path(path)))
    return bundle


def _provenance(bundle: Bundle) -> dict[str, object]:
    queries: dict[str, list[str]] = {}
    for name, capture in sorted(bundle.captures.items()):
        lines = []
        for response in capture.responses:
            query = response.params.get("query") or response.params.get("jql") or \
                response.params.get("q")
            path = response.url.split("?", 1)[0]
            lines.append(f"{response.method} {path}" + (f"  {query}" if query else ""))
        queries[name] = sorted(set(lines))
    return {"captured_at": bundle.manifest.captured_at.isoformat().replace("+00:00", "Z"),
            "capture_tool_version": bundle.manifest.tool_version, "queries": queries}


@_without_gc_pauses
def evidence_from_bundle(bundle: Bundle) -> Evidence:
    """Parse every source; a source that fails is recorded, never fatal."""
    manifest = bundle.manifest
    events: list[Event] = []
    series: list[MetricSeries] = []
    reports: dict[str, SourceReport] = {}
    for name, entry in sorted(manifest.sources.items()):
        if name in bundle.problems:
            reports[name] = SourceReport(status="error", detail=bundle.problems[name])
            continue
        if entry.status in ("error", "missing") and name not in bundle.captures:
            reports[name] = SourceReport(status=entry.status, detail=entry.detail)
            continue
        parser = get_parser(name)
        if parser is None:
            reports[name] = SourceReport(status="error", detail=f"no parser for source {name!r}")
            continue
        ctx = ParseContext(incident=manifest.incident, window=manifest.window,
                           catalog=manifest.catalog, entry=entry)
        try:
            data = parser(bundle.captures[name], ctx)
        except AfteractionError as exc:
            reports[name] = SourceReport(status="error", detail=str(exc))
            continue
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            reports[name] = SourceReport(status="error",
                                         detail=f"unexpected payload shape: {type(exc).__name__}"
                                                f" {exc}")
            continue
        events.extend(data.events)
        series.extend(data.series)
        status: Literal["ok", "no_data", "error"] = "ok" if (data.events or data.series) \
            else "no_data"
        detail = "; ".join(x for x in (entry.detail, *data.notes) if x)
        reports[name] = SourceReport(status="error" if entry.status == "error" else status,
                                     detail=detail, events=len(data.events),
                                     series=len(data.series))
    for name in BUILTIN_SOURCES:
        if name not in reports and name not in OPTIONAL_SOURCES:
            reports[name] = SourceReport(status="missing", detail="not in this bundle")
    return Evidence.build(manifest.incident, manifest.window, manifest.catalog, events, series,
                          reports, _provenance(bundle))


@_without_gc_pauses
def analyze_bundle(bundle: Bundle) -> tuple[Evidence, Analysis]:
    evidence = evidence_from_bundle(bundle)
    return evidence, analyze(evidence)


@_without_gc_pauses
def draft(bundle: Bundle) -> Postmortem:
    evidence, analysis = analyze_bundle(bundle)
    return build_postmortem(evidence, analysis)


def draft_from_path(path: str | Path, incident_id: str | None = None) -> Postmortem:
    return draft(load_bundle(path, incident_id))
