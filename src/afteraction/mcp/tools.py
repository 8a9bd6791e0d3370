"""The MCP tools: each one a library call on an incident's bundle or the corpus, reshaped.

Every tool explains its inputs to the model (parameter descriptions) and returns a pydantic model,
so clients get a declared output schema and structured content. A deliberate afteraction error
becomes a tool error with its one-line message; anything else becomes one generic sentence.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from afteraction.corpus.analytics.actions import ActionSection, action_section
from afteraction.corpus.analytics.deploy_patterns import PatternSection, deploy_pattern_section
from afteraction.corpus.analytics.factors import FactorSection, factor_section
from afteraction.corpus.analytics.mttr import MttrSection, mttr_section
from afteraction.corpus.analytics.scope import Scope
from afteraction.errors import AfteractionError, InputError
from afteraction.mcp.corpus import CorpusAccess
from afteraction.mcp.models import (
    ChangeItem,
    CorpusHit,
    DecisionItem,
    DecisionsResult,
    DraftResult,
    IncidentMetrics,
    SearchResult,
    SuspectItem,
    SuspectsResult,
    TimelineItem,
    TimelineResult,
    WhatChangedResult,
)
from afteraction.mcp.workspace import Workspace
from afteraction.model.events import CHANGE_KINDS

__all__ = ["register_tools"]

log = logging.getLogger("afteraction.mcp")
F = TypeVar("F", bound=Callable[..., Any])

IncidentId = Annotated[str, Field(description="the incident id, e.g. INC-4721 (the Jira key of "
                                              "the incident ticket)")]
BundlePath = Annotated[str | None, Field(
    description="a captured bundle directory to replay offline; omit to use the server's bundles "
                "folder or to collect live from the configured sources")]
Since = Annotated[str | None, Field(
    description="live collection only: window start, ISO 8601 with offset "
                "(e.g. 2026-10-14T13:30:00Z); default from the incident ticket")]
Until = Annotated[str | None, Field(description="live collection only: window end, ISO 8601 "
                                                "with offset; default from the incident ticket")]
PeriodSince = Annotated[str | None, Field(description="period start, YYYY-MM-DD or ISO 8601; "
                                                      "omit for unbounded")]
PeriodUntil = Annotated[str | None, Field(description="period end (exclusive), YYYY-MM-DD or "
                                                      "ISO 8601; omit for unbounded")]
Service = Annotated[str | None, Field(description="only this service (catalog name)")]

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                            open_world_hint=False)
COLLECTS = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                           open_world_hint=True)


def tool_errors(func: F) -> F:
    """Only deliberate errors reach the client verbatim; the rest become one generic sentence."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ToolError:
            raise
        except AfteractionError as exc:
            raise ToolError(str(exc)) from exc
        except Exception as exc:
            log.exception("tool %s failed", func.__name__)
            raise ToolError(f"afteraction failed unexpectedly ({type(exc).__name__}); "
                            "the server log has the details") from exc
    wrapper.__doc__ = " ".join((func.__doc__ or "").split())
    return wrapper  # type: ignore[return-value]


def when(text: str | None, field: str) -> datetime | None:
    """A date (midnight UTC) or an ISO 8601 instant with offset."""
    if text is None or not text.strip():
        return None
    from afteraction.model.time import parse_utc
    try:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
    except ValueError:
        return parse_utc(text, where=field)


def draft_uris(incident_id: str) -> tuple[str, str]:
    return (f"afteraction://drafts/{incident_id}.md", f"afteraction://drafts/{incident_id}.json")


def register_tools(server: MCPServer, workspace: Workspace, corpus: CorpusAccess) -> None:
    """Add every afteraction tool to ``server``."""

    @server.tool(title="Draft a postmortem", annotations=COLLECTS)
    @tool_errors
    def draft_postmortem(incident_id: IncidentId, bundle_path: BundlePath = None,
                         since: Since = None, until: Until = None) -> DraftResult:
        """Draft the postmortem of an incident: cited timeline, ranked suspect changes with
        evidence, TTD/TTM/TTR, decisions, related tickets, open questions. Replays a bundle, or
        collects the window live from the configured sources. Root cause and action items stay
        with the engineer."""
        pm = workspace.entry(incident_id, bundle_path, since, until).postmortem
        md, js = draft_uris(incident_id)
        return DraftResult(incident_id=incident_id, markdown_uri=md, json_uri=js, postmortem=pm)

    @server.tool(title="Incident timeline", annotations=COLLECTS)
    @tool_errors
    def get_timeline(incident_id: IncidentId, bundle_path: BundlePath = None,
                     since: Since = None, until: Until = None) -> TimelineResult:
        """The incident's timeline from every source in time order, each entry with its phase,
        milestone (impact_start, detected, mitigated, recovered, resolved) and citation URL."""
        pm = workspace.entry(incident_id, bundle_path, since, until).postmortem
        entries = [TimelineItem(at=e.at, source=e.source, kind=e.kind, phase=e.phase,
                                milestone=e.milestone, id=e.id, url=e.url, actor=e.actor,
                                services=e.services, untrusted_text=e.text)
                   for e in pm.timeline]
        return TimelineResult(incident_id=incident_id, window_start=pm.window.start,
                              window_end=pm.window.end, entries=entries)

    @server.tool(title="Suspect changes", annotations=COLLECTS)
    @tool_errors
    def get_suspects(incident_id: IncidentId, bundle_path: BundlePath = None,
                     since: Since = None, until: Until = None) -> SuspectsResult:
        """The changes (deploys, merges, config rollouts, flag flips) before impact, ranked by a
        calibrated score with the evidence for and against each. `confident` false means no
        change stands out: report that rather than choosing one."""
        pm = workspace.entry(incident_id, bundle_path, since, until).postmortem
        suspects = [SuspectItem(id=s.id, kind=s.kind, service=s.service, at=s.at, url=s.url,
                                score=s.score, actor=s.actor, untrusted_text=s.title,
                                evidence=list(s.evidence))
                    for s in pm.suspects]
        return SuspectsResult(incident_id=incident_id, confident=pm.confident,
                              trigger=pm.trigger, suspects=suspects)

    @server.tool(title="Incident metrics", annotations=COLLECTS)
    @tool_errors
    def get_incident_metrics(incident_id: IncidentId, bundle_path: BundlePath = None,
                             since: Since = None, until: Until = None) -> IncidentMetrics:
        """Impact start (metric onset), detection, mitigation, recovery and resolution times, and
        TTD / TTM / TTR in seconds, with how each source fared."""
        pm = workspace.entry(incident_id, bundle_path, since, until).postmortem
        return IncidentMetrics(
            incident_id=incident_id, affected_services=pm.affected_services,
            impact_start=pm.impact_start, detected_at=pm.detected_at,
            detection_method=pm.detection_method, mitigated_at=pm.mitigated_at,
            mitigation_type=pm.mitigation_type, recovered_at=pm.recovered_at,
            resolved_at=pm.resolved_at, ttd_seconds=pm.ttd_seconds, ttm_seconds=pm.ttm_seconds,
            ttr_seconds=pm.ttr_seconds, sources=pm.sources)

    @server.tool(title="Decisions during response", annotations=COLLECTS)
    @tool_errors
    def get_decisions(incident_id: IncidentId, bundle_path: BundlePath = None,
                      since: Since = None, until: Until = None) -> DecisionsResult:
        """Decisions and actions stated in the incident channel and the war-room transcript,
        with who, when and a link to the message or recording offset."""
        pm = workspace.entry(incident_id, bundle_path, since, until).postmortem
        return DecisionsResult(incident_id=incident_id, decisions=[
            DecisionItem(at=d.at, actor=d.actor, kind=d.kind, source=d.source, id=d.id,
                         url=d.url, untrusted_text=d.text) for d in pm.decisions])

    @server.tool(title="What changed", annotations=COLLECTS)
    @tool_errors
    def what_changed(incident_id: IncidentId, service: Service = None,
                     since: Annotated[str | None, Field(
                         description="from this instant, ISO 8601 with offset; default: the "
                                     "start of the collected look-back")] = None,
                     until: Annotated[str | None, Field(
                         description="up to this instant (exclusive), ISO 8601 with offset; "
                                     "default: the end of the incident window")] = None,
                     bundle_path: BundlePath = None) -> WhatChangedResult:
        """Every deploy, merge, config rollout and flag change of a service (or of all services)
        between two instants, from the incident's collected evidence - e.g. 'what changed in
        checkout before the 14:02 error spike?'."""
        entry = workspace.entry(incident_id, bundle_path)
        manifest = entry.bundle.manifest
        earliest = manifest.window.start - timedelta(seconds=manifest.lookback_seconds)
        start = when(since, "since") or earliest
        end = when(until, "until") or manifest.window.end
        if end <= start:
            raise InputError("until must be after since", where="until")
        changes = [ChangeItem(id=e.id, kind=e.kind, at=e.at, source=e.source,
                              services=e.services, actor=e.actor, url=e.url,
                              untrusted_text=e.text)
                   for e in entry.evidence.events
                   if e.kind in CHANGE_KINDS and start <= e.at < end
                   and (service is None or service in e.services)]
        notes = []
        if start < earliest:
            notes.append(f"changes were collected from {earliest.isoformat()} only")
        if end > manifest.window.end:
            notes.append(f"the evidence ends at {manifest.window.end.isoformat()}")
        missing = sorted(n for n, r in entry.evidence.sources.items()
                         if r.status in ("missing", "error")
                         and n in ("github", "launchdarkly", "changes"))
        if missing:
            notes.append("change sources not read: " + ", ".join(missing))
        return WhatChangedResult(incident_id=incident_id, service=service, since=start,
                                 until=end, changes=changes, note="; ".join(notes))

    _register_corpus_tools(server, corpus)


def _scope(since: str | None, until: str | None, service: str | None) -> Scope:
    return Scope(when(since, "since"), when(until, "until"), service)


def _register_corpus_tools(server: MCPServer, corpus: CorpusAccess) -> None:
    @server.tool(title="Top contributing factors", annotations=READ_ONLY)
    @tool_errors
    def top_factors(since: PeriodSince = None, until: PeriodUntil = None,
                    service: Service = None,
                    months: Annotated[int, Field(ge=1, le=120, description=(
                        "when since is omitted: the period is this many months before until"))]
                    = 12) -> FactorSection:
        """The most frequent contributing-factor categories across stored postmortems, with
        each one's share of incidents and whether it is rising or falling."""
        with corpus.engine.connect() as conn:
            return factor_section(conn, _scope(since, until, service), months=months)

    @server.tool(title="MTTR trend per service", annotations=READ_ONLY)
    @tool_errors
    def mttr_trend(since: PeriodSince = None, until: PeriodUntil = None,
                   service: Service = None,
                   quarters: Annotated[int, Field(ge=1, le=16, description=(
                       "how many recent quarters to show"))] = 4) -> MttrSection:
        """MTTR and TTD per service per quarter, and which services degraded last quarter
        against the one before (with a significance test)."""
        with corpus.engine.connect() as conn:
            return mttr_section(conn, _scope(since, until, service), quarters_shown=quarters)

    @server.tool(title="Action-item completion", annotations=READ_ONLY)
    @tool_errors
    def action_item_completion(since: PeriodSince = None, until: PeriodUntil = None,
                               service: Service = None) -> ActionSection:
        """Action items by category: done, dropped, open and open past due, with the median
        days to close - which kinds of follow-up get done and which get dropped."""
        with corpus.engine.connect() as conn:
            return action_section(conn, _scope(since, until, service), as_of=datetime.now(UTC))

    @server.tool(title="Deploy patterns before incidents", annotations=READ_ONLY)
    @tool_errors
    def deploy_patterns(since: PeriodSince = None, until: PeriodUntil = None,
                        service: Service = None,
                        window_hours: Annotated[float, Field(gt=0, le=168, description=(
                            "an incident within this many hours after a deploy counts"))] = 4.0
                        ) -> PatternSection:
        """Which deploy attributes (weekday, hour, size, config vs code, no canary...) precede
        incidents more often than deploys without them: rate ratio, confidence interval and
        p-value corrected for testing many attributes."""
        with corpus.engine.connect() as conn:
            return deploy_pattern_section(conn, _scope(since, until, service),
                                          window_hours=window_hours)

    @server.tool(title="Search past postmortems", annotations=READ_ONLY)
    @tool_errors
    def search_postmortems(query: Annotated[str, Field(description=(
                               "words that must all appear in the key, title, summary or body, "
                               "e.g. 'checkout timeout'; empty lists the newest"))],
                           service: Service = None, since: PeriodSince = None,
                           until: PeriodUntil = None,
                           limit: Annotated[int, Field(ge=1, le=200)] = 20) -> SearchResult:
        """Find prior incidents in the corpus; each hit links to its postmortem resource."""
        rows = corpus.search(query, service=service, since=when(since, "since"),
                             until=when(until, "until"), limit=limit)
        return SearchResult(query=query, hits=[
            CorpusHit(markdown_uri=f"afteraction://postmortems/{r['key']}.md", **r)
            for r in rows])
