"""Grafana and Prometheus through ``mcp-grafana``: its tool answers turned back into API bodies.

Tools used:

* ``get_annotations`` (``from``/``to`` in epoch ms, ``limit``): answers ``{"Payload": [...]}``, the
  ``/api/annotations`` array with empty fields left out (the parser reads a missing ``alertId`` as
  0 and a missing ``login`` as none, exactly as the native source does).
* ``grafana_api_request`` for ``/api/v1/rules/history``: mcp-grafana has no state-history tool
  (``alerting_rules_read`` gives the rules and their *current* state only), so the adapter reads
  the history through the server's generic API tool; its ``data`` is the native data frame. A
  server without that tool, or a Grafana without the history, is recorded as a gap.
* ``query_prometheus`` (``queryType`` range, RFC 3339 ``startTime``/``endTime``,
  ``stepSeconds``): answers ``{"data": [{"metric", "values"}], ...}``, the matrix without its
  envelope and without Prometheus' ``warnings``; the adapter puts the envelope back.

Rebuilt answers are recorded as ``mcp://<server>/tools/<tool>/<native API path>`` with the
native request parameters, so :mod:`afteraction.sources.grafana` and
:mod:`afteraction.sources.prometheus` read them unchanged and provenance names the tool.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from afteraction.bundle.manifest import SourceEntry
from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.errors import SourceError
from afteraction.settings import SLO_UNITS
from afteraction.sources.live.base import CollectQuery
from afteraction.sources.live.prometheus import choose_step, render
from afteraction.sources.mcp.client import McpSession, ToolCall

__all__ = ["LIMITS", "GrafanaOptions", "GrafanaResult", "collect_grafana", "rfc3339"]

LIMITS = (
    "Prometheus warnings are not returned by query_prometheus",
    "no series discovery: /api/v1/series is not a tool (only label names and values are)",
    "alert state history only through grafana_api_request (no dedicated tool)",
)

_JSON = {"separators": (",", ":")}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class GrafanaOptions(BaseModel):
    """What the native Grafana and Prometheus sources are told, for the MCP route."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    grafana_url: str = Field(description="the Grafana the MCP server reads (its GRAFANA_URL)")
    web_url: str | None = Field(default=None, description="where citations point; default "
                                                          "grafana_url")
    datasource_uid: str | None = Field(default=None, description="the Prometheus datasource; "
                                                                 "none: no metrics")
    step_seconds: int = 60
    annotation_tags: tuple[str, ...] = ()
    annotation_limit: int = 1000
    alert_history: bool = True

    @property
    def citation_url(self) -> str:
        return (self.web_url or self.grafana_url).rstrip("/")


@dataclass
class GrafanaResult:
    """The two captures (and manifest entries) one mcp-grafana session yields."""

    captures: dict[str, RawCapture] = field(default_factory=dict)
    entries: dict[str, SourceEntry] = field(default_factory=dict)


def rfc3339(at: datetime) -> str:
    """A UTC time as the RFC 3339 text query_prometheus parses, milliseconds kept when present."""
    at = at.astimezone(UTC)
    if at.microsecond:
        return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _ms(at: datetime) -> int:
    return int((at - _EPOCH) / timedelta(milliseconds=1))


def _rebuilt(call: ToolCall, server: str, path: str, params: dict[str, Any], body: Any,
             meta: dict[str, Any] | None = None) -> RawResponse:
    return RawResponse(url=f"mcp://{server}/tools/{call.tool}{path}",
                       body=json.dumps(body, **_JSON).encode(),  # type: ignore[arg-type]
                       method="CALL", params=params,
                       meta={**(meta or {}), "mcp_tool": call.tool,
                             "mcp_arguments": dict(call.arguments)})


class _Grafana:
    """One collection: the session, the options, and what was recorded so far."""

    def __init__(self, session: McpSession, options: GrafanaOptions) -> None:
        self.session = session
        self.options = options
        self.server = session.config.name
        self.responses: list[RawResponse] = []
        self.notes: list[str] = []
        self.queries: list[dict[str, Any]] = []
        self.items = 0

    async def annotations(self, start: datetime, end: datetime, depth: int = 0) -> None:
        """Like the native source: a range that fills ``limit`` is split until each half fits."""
        limit = self.options.annotation_limit
        args: dict[str, Any] = {"from": _ms(start), "to": _ms(end), "limit": limit}
        if self.options.annotation_tags:
            args["tags"] = list(self.options.annotation_tags)
            args["matchAny"] = True
        call = await self.session.call("get_annotations", args)
        answer = call.json()
        items = answer.get("Payload") if isinstance(answer, dict) else answer
        if not isinstance(items, list):
            raise SourceError("get_annotations answered no annotation list", source="grafana",
                              where=self.server)
        if len(items) >= limit and depth < 12 and end - start > timedelta(seconds=2):
            middle = start + (end - start) / 2
            await self.annotations(start, middle, depth + 1)
            await self.annotations(middle + timedelta(milliseconds=1), end, depth + 1)
            return
        params = {k: (",".join(v) if isinstance(v, list) else str(v).lower()
                      if isinstance(v, bool) else str(v)) for k, v in args.items()}
        self.responses.append(_rebuilt(call, self.server, "/api/annotations", params, items,
                                       {"kind": "annotations"}))
        self.items += len(items)

    async def history(self, query: CollectQuery) -> None:
        tool = "grafana_api_request"
        if not self.session.has(tool):
            self.notes.append(f"alert state history not collected: {self.server} has no {tool} "
                              "tool (firing/resolving alerts come from annotations only)")
            return
        params = {"from": int(query.window.start.timestamp()) - int(query.lookback_seconds),
                  "to": int(query.window.end.timestamp()), "limit": 1000}
        self.queries.append({"rules_history": params})
        endpoint = "/api/v1/rules/history?" + "&".join(f"{k}={v}" for k, v in params.items())
        try:
            call = await self.session.call(tool, {"endpoint": endpoint, "method": "GET"})
        except SourceError as exc:
            self.notes.append(f"alert state history not available ({exc.message})")
            return
        answer = call.json()
        status = int(answer.get("status", 200)) if isinstance(answer, dict) else 200
        body = answer.get("data") if isinstance(answer, dict) else None
        if status >= 400 or not isinstance(body, dict):
            self.notes.append(f"alert state history not available (HTTP {status} through "
                              f"{tool})")
            return
        self.responses.append(_rebuilt(call, self.server, "/api/v1/rules/history",
                                       {k: str(v) for k, v in params.items()}, body,
                                       {"kind": "rules_history"}))
        values = (body.get("data") or {}).get("values") or [[]]
        self.items += len(values[0]) if values else 0


async def _prometheus(session: McpSession, options: GrafanaOptions, query: CollectQuery
                      ) -> tuple[list[RawResponse], list[str], list[dict[str, Any]], int]:
    """Every catalog service's SLO signals, as the native source asks for them."""
    uid = options.datasource_uid
    start, end = query.metrics_since, query.window.end
    step = choose_step((end - start).total_seconds(), options.step_seconds)
    responses: list[RawResponse] = []
    notes: list[str] = []
    queries: list[dict[str, Any]] = []
    items = asked = failures = 0
    for service in [s for s in query.catalog.services if s.labels]:
        for signal, template in query.slo.items():
            expr = render(template, service.labels)
            queries.append({"service": service.name, "signal": signal, "query": expr,
                            "step": step})
            asked += 1
            args = {"datasourceUid": uid, "expr": expr, "queryType": "range",
                    "startTime": rfc3339(start), "endTime": rfc3339(end), "stepSeconds": step}
            try:
                call = await session.call("query_prometheus", args)
            except SourceError as exc:
                failures += 1
                notes.append(f"{service.name}/{signal}: {exc.message}")
                continue
            answer = call.json()
            result = answer.get("data") if isinstance(answer, dict) else None
            if not isinstance(result, list):
                result = []
            body = {"status": "success", "data": {"resultType": "matrix", "result": result}}
            params = {"query": expr, "start": f"{start.timestamp():.3f}",
                      "end": f"{end.timestamp():.3f}", "step": str(step)}
            responses.append(_rebuilt(call, session.config.name, "/api/v1/query_range", params,
                                      body, {"kind": "query_range", "service": service.name,
                                             "signal": signal,
                                             "unit": SLO_UNITS.get(signal, ""),
                                             "query": expr, "step": step}))
            items += len(result)
    if asked and failures == asked:
        raise SourceError("every query was refused: " + notes[0], source="prometheus",
                          where=session.config.name)
    return responses, notes, queries, items


def _entry(items: int, notes: list[str], queries: list[dict[str, Any]], base_url: str,
           web_url: str) -> SourceEntry:
    return SourceEntry(status="ok" if items else "no_data", detail="; ".join(notes),
                       base_url=base_url, web_url=web_url, queries=tuple(queries))


async def collect_grafana(session: McpSession, options: GrafanaOptions,
                          query: CollectQuery) -> GrafanaResult:
    """Annotations and alert history ("grafana"), and SLO series ("prometheus") when a
    datasource is configured; a failing half becomes an ``error`` entry, not an exception."""
    out = GrafanaResult()
    grafana = _Grafana(session, options)
    root = options.grafana_url.rstrip("/")
    try:
        grafana.queries.append({"annotations": {"from": _ms(query.changes_since),
                                                "to": _ms(query.window.end),
                                                "tags": list(options.annotation_tags)}})
        await grafana.annotations(query.changes_since, query.window.end)
        if options.alert_history:
            await grafana.history(query)
    except SourceError as exc:
        out.entries["grafana"] = SourceEntry(status="error", detail=f"SourceError: {exc}",
                                             base_url=root, web_url=options.citation_url)
    else:
        out.captures["grafana"] = RawCapture("grafana", tuple(grafana.responses))
        out.entries["grafana"] = _entry(grafana.items, grafana.notes, grafana.queries, root,
                                        options.citation_url)
    if options.datasource_uid:
        base = f"{root}/api/datasources/proxy/uid/{options.datasource_uid}"
        try:
            responses, notes, queries, items = await _prometheus(session, options, query)
        except SourceError as exc:
            out.entries["prometheus"] = SourceEntry(status="error", detail=f"SourceError: {exc}",
                                                    base_url=base, web_url=options.citation_url)
        else:
            out.captures["prometheus"] = RawCapture("prometheus", tuple(responses))
            out.entries["prometheus"] = _entry(items, notes, queries, base,
                                               options.citation_url)
    return out
