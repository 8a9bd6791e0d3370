"""Live collection: every configured source at once, into the same Bundle a replay reads.

Sources run concurrently; each has its own time budget, and a source that fails (auth refused,
rate-limited past its budget, timed out, unreachable) becomes a ``SourceEntry(status="error")``
while the others go on. The window comes from the incident ticket unless it is given.

A source configured with ``[sources.NAME.mcp]`` is read through that MCP server instead: the
server is started, its adapter (:mod:`afteraction.sources.mcp`) rebuilds the native API's answers,
and the capture replays like a native one. mcp-grafana fills both ``grafana`` and ``prometheus``;
slack-mcp-server reads the same channel the native Slack source would.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import httpx
from pydantic import ValidationError

from afteraction import __version__
from afteraction.bundle.manifest import Manifest, SourceEntry
from afteraction.bundle.raw import RawCapture
from afteraction.bundle.store import Bundle, write_bundle
from afteraction.errors import AfteractionError, InputError, SourceError, TimeError
from afteraction.model.incident import Incident, Window
from afteraction.model.time import parse_utc
from afteraction.settings import (
    GitHubConfig,
    LaunchDarklyConfig,
    Settings,
    SlackConfig,
    SourceConfig,
)
from afteraction.sources.base import BUILTIN_SOURCES
from afteraction.sources.live import CONNECTORS
from afteraction.sources.live.base import CollectQuery, Connector, Health, utcnow
from afteraction.sources.live.github import GitHubConnector
from afteraction.sources.live.http import HttpPolicy, Progress
from afteraction.sources.live.jira import FIELDS, channel_from_ticket
from afteraction.sources.live.launchdarkly import LaunchDarklyConnector
from afteraction.sources.live.slack import channel_name
from afteraction.sources.mcp.atlassian import JiraOptions, collect_jira, jira_entry, to_rest_issue
from afteraction.sources.mcp.client import McpSession, open_session
from afteraction.sources.mcp.github import collect_github
from afteraction.sources.mcp.grafana import GrafanaOptions, collect_grafana
from afteraction.sources.mcp.launchdarkly import collect_launchdarkly, launchdarkly_entry
from afteraction.sources.mcp.slack import collect_slack

__all__ = ["McpRoute", "TicketReader", "acollect", "acollect_live", "build_connectors",
           "capture", "check_sources", "collect_live", "mcp_routes", "resolve_incident"]


def _connector_class(name: str) -> type[Connector]:
    module_name, _, class_name = CONNECTORS[name].partition(":")
    cls: type[Connector] = getattr(importlib.import_module(module_name), class_name)
    return cls


def build_connectors(settings: Settings, *, policy: HttpPolicy | None = None,
                     progress: Progress | None = None,
                     transport: httpx.AsyncBaseTransport | None = None,
                     now: Callable[[], datetime] = utcnow) -> dict[str, Connector]:
    """One connector per enabled source in the settings, by config name; sources read through
    an MCP server (:meth:`Settings.served_by_mcp`) have none."""
    connectors: dict[str, Connector] = {}
    served = settings.served_by_mcp()
    for name, config in settings.configured().items():
        if name in served:
            continue
        cls = _connector_class(name)
        extra: dict[str, Any] = {"grafana": settings.grafana} if name == "prometheus" else {}
        connectors[name] = cls(config, policy=policy, progress=progress, transport=transport,
                               now=now, **extra)
    return connectors


class _Display:
    """A rich progress table: pages and items per source as they arrive."""

    def __init__(self, names: list[str]) -> None:
        from rich.progress import Progress as RichProgress
        from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn
        self._progress = RichProgress(
            SpinnerColumn(), TimeElapsedColumn(),
            TextColumn("{task.description:<12} {task.fields[pages]:>4} pages "
                       "{task.fields[items]:>6} items  {task.fields[state]}"),
            transient=False)
        self._tasks = {n: self._progress.add_task(n, total=None, pages=0, items=0, state="")
                       for n in names}
        self._counts = {n: [0, 0] for n in names}

    def page(self, source: str) -> None:
        self._bump(source, 0)

    def items(self, source: str, count: int) -> None:
        self._bump(source, 1, count)

    def _bump(self, source: str, which: int, by: int = 1) -> None:
        if source in self._tasks:
            self._counts[source][which] += by
            pages, items = self._counts[source]
            self._progress.update(self._tasks[source], pages=pages, items=items)

    def pages(self, source: str, count: int) -> None:
        self._bump(source, 0, count)

    def done(self, source: str, state: str) -> None:
        if source in self._tasks:
            self._progress.update(self._tasks[source], state=state, total=1, completed=1)

    @contextmanager
    def shown(self) -> Iterator[None]:
        with self._progress:
            yield


async def _one(name: str, connector: Connector, query: CollectQuery
               ) -> tuple[RawCapture | None, SourceEntry]:
    base = {"base_url": connector.base_url, "web_url": connector.web_url}
    hard_stop = connector.policy.budget + 5.0
    try:
        capture = await asyncio.wait_for(connector.collect(query), timeout=hard_stop)
    except AfteractionError as exc:
        detail = f"{type(exc).__name__}: {exc}"
        return None, SourceEntry(status="error", detail=detail, queries=tuple(connector.queries),
                                 **base)
    except TimeoutError:
        return None, SourceEntry(status="error",
                                 detail=f"SourceTimeout: no result within {hard_stop:g}s",
                                 queries=tuple(connector.queries), **base)
    except Exception as exc:  # noqa: BLE001 - a broken connector must not sink the others
        return None, SourceEntry(status="error", detail=f"{type(exc).__name__}: {exc}",
                                 queries=tuple(connector.queries), **base)
    return capture, SourceEntry(status="ok" if connector.items else "no_data", detail="; ".join(connector.notes),
                                queries=tuple(connector.queries), **base)


async def acollect(connectors: dict[str, Connector], query: CollectQuery, *,
                   display: _Display | None = None
                   ) -> tuple[dict[str, RawCapture], dict[str, SourceEntry]]:
    """Collect every connector concurrently; failures are entries, never exceptions."""

    async def run(name: str, connector: Connector) -> tuple[RawCapture | None, SourceEntry]:
        result = await _one(name, connector, query)
        if display is not None:
            entry = result[1]
            reason = entry.detail.split(":", 1)[0] if entry.status == "error" else ""
            display.done(name, entry.status + (f" ({reason})" if reason else ""))
        return result

    names = list(connectors)
    results = await asyncio.gather(*(run(n, connectors[n]) for n in names))
    captures: dict[str, RawCapture] = {}
    entries: dict[str, SourceEntry] = {}
    for name, (raw, entry) in zip(names, results, strict=True):
        entries[name] = entry
        if raw is not None:
            captures[name] = raw
    return captures, entries


def _parse_time(value: str | datetime | None, what: str) -> datetime | None:
    if value is None or isinstance(value, datetime):
        if isinstance(value, datetime) and value.tzinfo is None:
            raise TimeError(f"naive timestamp {value.isoformat()} has no UTC offset", where=what)
        return value
    return parse_utc(value, where=what)


class TicketReader(Protocol):
    """Reads the incident ticket as a Jira REST issue: the native connector or the MCP route."""

    async def fetch_ticket(self, key: str) -> dict[str, Any]: ...


async def resolve_incident(settings: Settings, incident_id: str, since: datetime | None,
                           until: datetime | None, jira: TicketReader | Connector | None,
                           now: datetime) -> tuple[Incident, Window, str | None]:
    """Incident and window: from the ticket when Jira is configured, overridden by since/until."""
    ticket: dict[str, Any] | None = None
    problem: str | None = None
    if jira is not None and hasattr(jira, "fetch_ticket"):
        try:
            ticket = await jira.fetch_ticket(incident_id)
        except AfteractionError as exc:
            problem = f"incident ticket not read: {exc}"
    fields = (ticket or {}).get("fields") or {}
    padding = timedelta(seconds=settings.padding_seconds)
    start, end = since, until
    if start is None and fields.get("created"):
        start = parse_utc(str(fields["created"]), where=f"{incident_id}.created") - padding
    if end is None:
        resolved = fields.get("resolutiondate")
        end = parse_utc(str(resolved), where=f"{incident_id}.resolutiondate") + padding \
            if resolved else now
    if start is None:
        why = f" ({problem})" if problem else ""
        raise InputError(f"no window for {incident_id}: pass --since/--until or configure Jira "
                         f"so the incident ticket gives it{why}", where="--since")
    try:
        window = Window(start=start, end=end)
    except ValidationError as exc:
        raise TimeError(str(exc.errors()[0]["msg"]).removeprefix("Value error, "),
                        where="--since/--until") from exc
    config = settings.jira
    channel = channel_from_ticket(ticket, config.channel_field if config else None) \
        if ticket else None
    services = tuple(dict.fromkeys(
        s for s in (settings.catalog.service_for_component(str(c.get("name", "")))
                    for c in fields.get("components") or []) if s))
    priority = fields.get("priority") or {}
    incident = Incident(id=incident_id, title=str(fields.get("summary", "")),
                        severity=priority.get("name") if isinstance(priority, dict) else None,
                        ticket=str(ticket.get("key", incident_id)) if ticket else None,
                        channel=channel, services=services)
    return incident, window, problem


def _leaf(exc: BaseException) -> BaseException:
    """The first real error inside the task groups an MCP client wraps its failures in."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _failure(exc: BaseException, server: str, hard_stop: float) -> str:
    leaf = _leaf(exc)
    if isinstance(leaf, AfteractionError):
        return f"{type(leaf).__name__}: {leaf}"
    if isinstance(leaf, TimeoutError):
        return f"SourceTimeout: no result within {hard_stop:g}s"
    if type(leaf).__name__ == "MCPError":  # the server exited or broke the protocol
        return f"SourceError: {server}: {leaf} (the server stopped answering)"
    return f"{type(leaf).__name__}: {leaf}"


_TOOLS: dict[str, tuple[str, ...]] = {
    "mcp-grafana": ("get_annotations", "query_prometheus"),
    "mcp-atlassian": ("jira_get_issue", "jira_search"),
    "github-mcp-server": ("search_pull_requests", "get_pull_request", "list_commits"),
    "launchdarkly-mcp-server": ("get-audit-log-entries",),
    "slack-mcp-server": ("channels_list", "conversations_history", "conversations_replies"),
}
"""The tools each adapter cannot do without: ``sources check`` names the missing ones."""


@dataclass(frozen=True)
class McpRoute:
    """One source read through an MCP server: its adapter, and the entries it fills."""

    name: str
    config: SourceConfig
    fills: tuple[str, ...]

    @property
    def adapter(self) -> str:
        return self.config.mcp.adapter if self.config.mcp else ""

    def hard_stop(self, policy: HttpPolicy | None) -> float:
        """The native connectors' budget rule: the source's, capped by the policy's, + 5 s."""
        budget = self.config.budget_seconds
        return (min(policy.budget, budget) if policy else budget) + 5.0

    def failed(self, detail: str) -> dict[str, SourceEntry]:
        entries: dict[str, SourceEntry] = {}
        options = self.config.mcp.options if self.config.mcp else {}
        for source in self.fills:
            base = self.config.base_url
            if source == "prometheus":
                base = f"{options.get('grafana_url', base)}/api/datasources/proxy/uid/" \
                       f"{options.get('datasource_uid')}"
            entries[source] = SourceEntry(status="error", detail=detail, base_url=base,
                                          web_url=self.config.citation_url)
        return entries

    async def check(self, policy: HttpPolicy | None) -> Health:
        """``sources check``: the server starts and lists the tools its adapter calls (the
        credentials it holds are first used when collecting)."""
        hard_stop = self.hard_stop(policy)
        try:
            async with asyncio.timeout(hard_stop):
                server = self.config.mcp_server(f"sources.{self.name}.mcp")
                async with open_session(server) as session:
                    tools = set(session.tools)
        except Exception as exc:  # noqa: BLE001 - a health check reports, never raises
            return Health(self.name, reachable=False, authenticated=False,
                          detail=_failure(exc, self.adapter, hard_stop))
        missing = tuple(f"tool {t}" for t in _TOOLS.get(self.adapter, ()) if t not in tools)
        return Health(self.name, reachable=True, authenticated=True, missing_permissions=missing,
                      detail=f"through {self.adapter} ({len(tools)} tools; credentials are "
                             "checked when collecting)")

    async def open(self, stack: AsyncExitStack, policy: HttpPolicy | None) -> McpSession:
        """Start the server for the life of ``stack`` (entered in the calling task)."""
        async with asyncio.timeout(self.hard_stop(policy)):
            server = self.config.mcp_server(f"sources.{self.name}.mcp")
            return await stack.enter_async_context(open_session(server))

    async def collect(self, session: McpSession, query: CollectQuery
                      ) -> tuple[dict[str, RawCapture], dict[str, SourceEntry]]:
        """The adapter's captures and entries; raises an AfteractionError when it fails whole."""
        options = dict(self.config.mcp.options) if self.config.mcp else {}
        base, web = self.config.base_url, self.config.citation_url
        if self.adapter == "mcp-grafana":
            result = await collect_grafana(session, GrafanaOptions(**options), query)
            return result.captures, result.entries
        if self.adapter == "mcp-atlassian":
            jira = JiraOptions(**options)
            raw = await collect_jira(session, query.incident.ticket or query.incident.id, query,
                                     jira)
            return {"jira": raw}, {"jira": jira_entry(raw, jira)}
        if isinstance(self.config, GitHubConfig):
            repos = GitHubConnector(self.config).repos(query)
            if not repos:
                raise SourceError("no repositories configured (sources.github.repos or the "
                                  "catalog)", source="github")
            found = await collect_github(session, repos, query.changes_since, query.window.end)
            return {"github": found.capture}, {"github": found.entry(base, web)}
        if isinstance(self.config, LaunchDarklyConfig):
            spec = LaunchDarklyConnector(self.config).spec()
            raw = await collect_launchdarkly(session, query.changes_since, query.window.end, spec)
            return {"launchdarkly": raw}, {"launchdarkly": launchdarkly_entry(raw, base, web)}
        if isinstance(self.config, SlackConfig):
            # the native connector's channel: the ticket's, else the configured pattern
            channel = query.incident.channel or channel_name(self.config.channel_pattern,
                                                             query.incident.id)
            workspace = web if self.config.web_url or self.config.workspace else None
            slack = await collect_slack(session, channel, query.window.start, query.window.end,
                                        workspace)
            return {"slack": slack.capture}, {"slack": slack.entry(base, web)}
        raise SourceError(f"no adapter {self.adapter} for {self.name}", source=self.name)

    async def run(self, query: CollectQuery, *, policy: HttpPolicy | None,
                  session: McpSession | None = None, failure: str | None = None,
                  display: _Display | None = None
                  ) -> tuple[dict[str, RawCapture], dict[str, SourceEntry]]:
        """Collect within the budget (on ``session``, or a server started for this run);
        every failure becomes ``error`` entries, never an exception."""
        captures: dict[str, RawCapture] = {}
        hard_stop = self.hard_stop(policy)
        if failure is None:
            try:
                async with asyncio.timeout(hard_stop):
                    if session is not None:
                        captures, entries = await self.collect(session, query)
                    else:
                        server = self.config.mcp_server(f"sources.{self.name}.mcp")
                        async with open_session(server) as opened:
                            captures, entries = await self.collect(opened, query)
            except Exception as exc:  # noqa: BLE001 - a broken server must not sink the others
                failure = _failure(exc, self.adapter, hard_stop)
        if failure is not None:
            captures, entries = {}, self.failed(failure)
        if display is not None:
            for name, entry in entries.items():
                display.pages(name, len(captures[name].responses) if name in captures else 0)
                reason = entry.detail.split(":", 1)[0] if entry.status == "error" else ""
                display.done(name, entry.status + (f" ({reason})" if reason else ""))
        return captures, entries


def mcp_routes(settings: Settings) -> dict[str, McpRoute]:
    """One route per source configured with ``mcp``, by config name."""
    served = settings.served_by_mcp()
    return {name: McpRoute(name, config, tuple(s for s, r in served.items() if r == name))
            for name, config in settings.mcp_routes().items()}


class _McpTicket:
    """The incident ticket through mcp-atlassian's ``jira_get_issue``, as a REST issue."""

    def __init__(self, session: McpSession | None, failure: str | None = None) -> None:
        self.session = session
        self.failure = failure

    async def fetch_ticket(self, key: str) -> dict[str, Any]:
        if self.session is None:
            raise SourceError(self.failure or "mcp-atlassian not started", source="jira")
        call = await self.session.call("jira_get_issue", {
            "issue_key": key, "fields": f"{FIELDS},description", "expand": "changelog"})
        answer = call.json()
        if not isinstance(answer, dict):
            raise SourceError(f"jira_get_issue answered no issue for {key}", source="jira")
        return to_rest_issue(answer)


async def acollect_live(settings: Settings, incident_id: str,
                        since: str | datetime | None = None, until: str | datetime | None = None,
                        *, quiet: bool = False, policy: HttpPolicy | None = None,
                        transport: httpx.AsyncBaseTransport | None = None,
                        now: Callable[[], datetime] = utcnow) -> Bundle:
    """Collect an incident from every configured source; see :func:`collect_live`."""
    started = now()
    routes = mcp_routes(settings)
    names = list(dict.fromkeys([*settings.configured(), *settings.served_by_mcp()]))
    display = None if quiet else _Display(names)
    connectors = build_connectors(settings, policy=policy, progress=display,
                                  transport=transport, now=now)
    stack = AsyncExitStack()
    try:
        sessions: dict[str, McpSession] = {}
        failures: dict[str, str] = {}
        reader: TicketReader | Connector | None = connectors.get("jira")
        if "jira" in routes:  # one mcp-atlassian for the ticket and the collection
            route = routes["jira"]
            try:
                sessions["jira"] = await route.open(stack, policy)
            except Exception as exc:  # noqa: BLE001 - recorded as the source's error
                failures["jira"] = _failure(exc, route.adapter, route.hard_stop(policy))
            reader = _McpTicket(sessions.get("jira"),
                                failures.get("jira", "").removeprefix("SourceError: "))
        incident, window, problem = await resolve_incident(
            settings, incident_id, _parse_time(since, "--since"), _parse_time(until, "--until"),
            reader, started)
        query = CollectQuery(incident=incident, window=window, catalog=settings.catalog,
                             lookback_seconds=settings.lookback_seconds,
                             baseline_seconds=settings.baseline_seconds, slo=dict(settings.slo))
        jobs = [route.run(query, policy=policy, session=sessions.get(name),
                          failure=failures.get(name), display=display)
                for name, route in routes.items()]
        if display is None:
            native, *through_mcp = await asyncio.gather(acollect(connectors, query), *jobs)
        else:
            with display.shown():
                native, *through_mcp = await asyncio.gather(
                    acollect(connectors, query, display=display), *jobs)
    finally:
        try:
            await stack.aclose()
        except Exception:  # noqa: BLE001, S110 - a server failing to shut down loses no data
            pass
    captures, entries = native
    for more_captures, more_entries in through_mcp:
        captures.update(more_captures)
        entries.update(more_entries)
    entries = {name: entries[name] for name in names if name in entries}
    if problem and "jira" in entries and entries["jira"].status != "error":
        entries["jira"] = entries["jira"].model_copy(update={"detail": problem})
    for name in BUILTIN_SOURCES:
        entries.setdefault(name, SourceEntry(status="missing", detail="not configured"))
    manifest = Manifest(incident=incident, window=window, captured_at=started,
                        tool_version=__version__, sources=entries, catalog=settings.catalog,
                        lookback_seconds=int(settings.lookback_seconds),
                        baseline_seconds=int(settings.baseline_seconds))
    return Bundle(path=Path(f"live:{incident_id}"), manifest=manifest, captures=captures)


def collect_live(settings: Settings, incident_id: str, since: str | datetime | None = None,
                 until: str | datetime | None = None, *, quiet: bool = False,
                 policy: HttpPolicy | None = None,
                 now: Callable[[], datetime] = utcnow) -> Bundle:
    """Collect an incident live: the same Bundle that ``read_bundle`` returns for its capture."""
    return asyncio.run(acollect_live(settings, incident_id, since, until, quiet=quiet,
                                     policy=policy, now=now))


def capture(settings: Settings, incident_id: str, out_dir: str | Path,
            since: str | datetime | None = None, until: str | datetime | None = None, *,
            quiet: bool = False, policy: HttpPolicy | None = None,
            now: Callable[[], datetime] = utcnow) -> Bundle:
    """Collect live and write the bundle directory; returns the bundle as collected."""
    bundle = collect_live(settings, incident_id, since, until, quiet=quiet, policy=policy,
                          now=now)
    path = write_bundle(out_dir, bundle.manifest, bundle.captures)
    return replace(bundle, path=path)


async def acheck_sources(settings: Settings, *, policy: HttpPolicy | None = None,
                         now: Callable[[], datetime] = utcnow) -> list[Health]:
    connectors = build_connectors(settings, policy=policy, now=now)

    async def one(name: str, connector: Connector) -> Health:
        try:
            return await asyncio.wait_for(connector.check(), connector.policy.budget + 5.0)
        except TimeoutError:
            return Health(name, reachable=False, authenticated=False,
                          detail="no answer within the budget")
        except SourceError as exc:
            return Health(name, reachable=False, authenticated=False, detail=exc.message)

    routes = mcp_routes(settings)
    return list(await asyncio.gather(*(one(n, c) for n, c in connectors.items()),
                                     *(route.check(policy) for route in routes.values())))


def check_sources(settings: Settings, *, policy: HttpPolicy | None = None,
                  now: Callable[[], datetime] = utcnow) -> list[Health]:
    """``sources check``: one Health per configured source, checked concurrently."""
    return asyncio.run(acheck_sources(settings, policy=policy, now=now))
