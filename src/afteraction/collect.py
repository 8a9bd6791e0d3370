"""Live collection: every configured source at once, into the same Bundle a replay reads.

Sources run concurrently; each has its own time budget, and a source that fails (auth refused,
rate-limited past its budget, timed out, unreachable) becomes a ``SourceEntry(status="error")``
while the others go on. The window comes from the incident ticket unless it is given.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError

from afteraction import __version__
from afteraction.bundle.manifest import Manifest, SourceEntry
from afteraction.bundle.raw import RawCapture
from afteraction.bundle.store import Bundle, write_bundle
from afteraction.errors import AfteractionError, InputError, SourceError, TimeError
from afteraction.model.incident import Incident, Window
from afteraction.model.time import parse_utc
from afteraction.settings import Settings
from afteraction.sources.base import BUILTIN_SOURCES
from afteraction.sources.live import CONNECTORS
from afteraction.sources.live.base import CollectQuery, Connector, Health, utcnow
from afteraction.sources.live.http import HttpPolicy, Progress
from afteraction.sources.live.jira import JiraConnector, channel_from_ticket

__all__ = ["acollect", "acollect_live", "build_connectors", "capture", "check_sources",
           "collect_live", "resolve_incident"]


def _connector_class(name: str) -> type[Connector]:
    module_name, _, class_name = CONNECTORS[name].partition(":")
    cls: type[Connector] = getattr(importlib.import_module(module_name), class_name)
    return cls


def build_connectors(settings: Settings, *, policy: HttpPolicy | None = None,
                     progress: Progress | None = None,
                     transport: httpx.AsyncBaseTransport | None = None,
                     now: Callable[[], datetime] = utcnow) -> dict[str, Connector]:
    """One connector per enabled source in the settings, by config name."""
    connectors: dict[str, Connector] = {}
    for name, config in settings.configured().items():
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


async def resolve_incident(settings: Settings, incident_id: str, since: datetime | None,
                           until: datetime | None, jira: Connector | None,
                           now: datetime) -> tuple[Incident, Window, str | None]:
    """Incident and window: from the ticket when Jira is configured, overridden by since/until."""
    ticket: dict[str, Any] | None = None
    problem: str | None = None
    if isinstance(jira, JiraConnector):
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


async def acollect_live(settings: Settings, incident_id: str,
                        since: str | datetime | None = None, until: str | datetime | None = None,
                        *, quiet: bool = False, policy: HttpPolicy | None = None,
                        transport: httpx.AsyncBaseTransport | None = None,
                        now: Callable[[], datetime] = utcnow) -> Bundle:
    """Collect an incident from every configured source; see :func:`collect_live`."""
    started = now()
    display = None if quiet else _Display(list(settings.configured()))
    connectors = build_connectors(settings, policy=policy, progress=display,
                                  transport=transport, now=now)
    incident, window, problem = await resolve_incident(
        settings, incident_id, _parse_time(since, "--since"), _parse_time(until, "--until"),
        connectors.get("jira"), started)
    query = CollectQuery(incident=incident, window=window, catalog=settings.catalog,
                         lookback_seconds=settings.lookback_seconds,
                         baseline_seconds=settings.baseline_seconds, slo=dict(settings.slo))
    if display is None:
        captures, entries = await acollect(connectors, query)
    else:
        with display.shown():
            captures, entries = await acollect(connectors, query, display=display)
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

    return list(await asyncio.gather(*(one(n, c) for n, c in connectors.items())))


def check_sources(settings: Settings, *, policy: HttpPolicy | None = None,
                  now: Callable[[], datetime] = utcnow) -> list[Health]:
    """``sources check``: one Health per configured source, checked concurrently."""
    return asyncio.run(acheck_sources(settings, policy=policy, now=now))
