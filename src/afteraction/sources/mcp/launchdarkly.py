"""LaunchDarkly through ``@launchdarkly/mcp-server``: its audit log pages back in the API's shape.

The server's ``get-audit-log-entries`` tool (``{"request": {after, before, limit, spec, q}}``)
answers the ``/api/v2/auditlog`` page through its generated SDK, which renames the underscore
keys (``_links`` -> ``links``, ``_id`` -> ``id``, ``_accountId`` -> ``accountId``, the member's
``_id`` -> ``id``). The adapter renames them back and follows ``links.next.href`` as the native
source follows ``_links.next.href``, so :mod:`afteraction.sources.launchdarkly` reads the pages
unchanged. Fields the SDK's model does not know are dropped by the server; nothing the parser
reads is among them.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from afteraction.bundle.manifest import SourceEntry
from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.errors import SourceError
from afteraction.sources.mcp.client import McpSession, ToolCall

__all__ = ["LIMIT", "TOOL", "collect_launchdarkly", "launchdarkly_entry", "to_api_page"]

TOOL = "get-audit-log-entries"
LIMIT = 20
"""The audit log's maximum page size, as the native source asks."""
_MAX_PAGES = 100


def _renamed(value: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {names.get(k, k): v for k, v in value.items()}


def _entry(item: dict[str, Any]) -> dict[str, Any]:
    out = _renamed(item, {"id": "_id", "accountId": "_accountId", "links": "_links"})
    for key in ("member", "token", "app"):
        if isinstance(out.get(key), dict):
            out[key] = _renamed(out[key], {"id": "_id", "links": "_links"})
    return out


def to_api_page(answer: dict[str, Any]) -> dict[str, Any]:
    """One tool answer as the ``/api/v2/auditlog`` page the API sent."""
    page = _renamed(answer, {"links": "_links"})
    page["items"] = [_entry(i) for i in answer.get("items") or [] if isinstance(i, dict)]
    return page


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _response(call: ToolCall, server: str, body: dict[str, Any]) -> RawResponse:
    request = call.arguments.get("request") or {}
    return RawResponse(url=f"mcp://{server}/tools/{call.tool}/api/v2/auditlog",
                       body=json.dumps(body).encode(), method="CALL",
                       params={k: str(v) for k, v in request.items()},
                       meta={"mcp_tool": call.tool, "mcp_arguments": dict(call.arguments),
                             "converted_to": "launchdarkly-auditlog"})


async def collect_launchdarkly(session: McpSession, start: datetime, end: datetime,
                               spec: str | None = None) -> RawCapture:
    """Every audit log page between ``start`` and ``end`` (``spec`` narrows, e.g. to a project)."""
    request: dict[str, Any] = {"after": _ms(start), "before": _ms(end), "limit": LIMIT}
    if spec:
        request["spec"] = spec
    responses: list[RawResponse] = []
    for _ in range(_MAX_PAGES):
        call = await session.call(TOOL, {"request": request})
        answer = call.json()
        if not isinstance(answer, dict):
            raise SourceError(f"{TOOL} answered no audit log page", source="launchdarkly",
                              where=session.config.name)
        responses.append(_response(call, session.config.name, to_api_page(answer)))
        href = ((answer.get("links") or {}).get("next") or {}).get("href")
        if not href:
            break
        following = dict(parse_qsl(urlsplit(str(href)).query))
        request = {k: int(v) if k in ("after", "before", "limit") else v
                   for k, v in following.items() if k in ("after", "before", "limit", "spec",
                                                           "q")}
    return RawCapture("launchdarkly", tuple(responses))


def launchdarkly_entry(capture: RawCapture, base_url: str, web_url: str | None) -> SourceEntry:
    items = sum(len(r.json().get("items") or []) for r in capture.responses)
    return SourceEntry(status="ok" if items else "no_data", base_url=base_url, web_url=web_url)
