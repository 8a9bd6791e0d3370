"""Jira through ``mcp-atlassian``: its simplified issues turned back into Jira REST v2 issues.

What the server gives: ``jira_get_issue`` (fields, links, changelog with ``expand=changelog``) and
``jira_search`` (JQL). What it drops: changelog history ids (harmless: the Jira parser keys status
changes by issue, time, field and new value, so events equal the native source's) and the
``self`` URL's API flavour (always read as the Data Center shape). The capture holds REST-shaped
issues that :func:`afteraction.sources.jira.parse` reads unchanged.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from afteraction.bundle.manifest import SourceEntry
from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.sources.live.base import CollectQuery
from afteraction.sources.live.jira import FIELDS, prior_incidents_jql, related_jql
from afteraction.sources.mcp.client import McpSession, ToolCall

__all__ = ["LIMITS", "JiraOptions", "collect_jira", "jira_entry",
           "to_rest_issue"]

_PAGE = 50

LIMITS = ("changelog history ids are not returned by mcp-atlassian: status changes are keyed by "
          "their position in the changelog")
_SIMPLE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) UTC$")


def _jira_time(value: Any) -> Any:
    """mcp-atlassian's '2026-03-10 14:05:00 UTC' (or ISO) -> Jira's '...T14:05:00.000+0000'."""
    if not isinstance(value, str):
        return value
    match = _SIMPLE_TIME.match(value)
    if match:
        return f"{match.group(1)}T{match.group(2)}.000+0000"
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return value
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}" + \
        at.strftime("%z")


def _person(value: Any) -> Any:
    if not isinstance(value, dict):
        return None
    return {"displayName": value.get("display_name") or value.get("name"),
            "accountId": value.get("account_id"), "name": value.get("name")}


def _link(link: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": link.get("id"), "type": link.get("type") or {}}
    for simple, rest in (("outward_issue", "outwardIssue"), ("inward_issue", "inwardIssue")):
        other = link.get(simple)
        if isinstance(other, dict):
            out[rest] = {"key": other.get("key"), "fields": other.get("fields") or {}}
    return out


def to_rest_issue(simple: dict[str, Any]) -> dict[str, Any]:
    """One mcp-atlassian issue as the Jira REST v2 issue the native parser reads."""
    status = simple.get("status") or {}
    fields: dict[str, Any] = {
        "summary": simple.get("summary", ""),
        "issuetype": simple.get("issue_type") or {},
        "status": {"name": status.get("name"),
                   "statusCategory": {"key": status.get("category")}},
        "priority": simple.get("priority"),
        "components": [{"name": c} for c in simple.get("components") or []],
        "labels": list(simple.get("labels") or []),
        "project": {"key": (simple.get("project") or {}).get("key")},
        "created": _jira_time(simple.get("created")),
        "updated": _jira_time(simple.get("updated")),
        "resolutiondate": _jira_time(simple.get("resolutiondate")),
        "assignee": _person(simple.get("assignee")),
        "reporter": _person(simple.get("reporter")),
        "description": simple.get("description"),
        "issuelinks": [_link(x) for x in simple.get("issuelinks") or []],
    }
    issue: dict[str, Any] = {"id": simple.get("id"), "key": simple.get("key"),
                             "self": simple.get("url"), "fields": fields}
    if "changelogs" in simple:
        histories = [{"id": f"mcp-{i}", "author": _person(h.get("author")),
                      "created": _jira_time(h.get("created")),
                      "items": [{"field": it.get("field"), "fieldtype": it.get("fieldtype"),
                                 "fromString": it.get("from_string"),
                                 "toString": it.get("to_string")}
                                for it in h.get("items") or []]}
                     for i, h in enumerate(simple.get("changelogs") or [])]
        issue["changelog"] = {"startAt": 0, "maxResults": len(histories),
                              "total": len(histories), "histories": histories}
    return issue


def _response(call: ToolCall, server: str, body: Any, role: str = "") -> RawResponse:
    raw = call.raw(server)
    meta = {**raw.meta, "converted_to": "jira-rest-v2", **({"role": role} if role else {})}
    return RawResponse(url=raw.url, body=json.dumps(body).encode(), method=raw.method,
                       params=raw.params, meta=meta)


class JiraOptions(BaseModel):
    """What the native Jira source is told, for the MCP route."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = Field(description="the Jira the MCP server reads (its JIRA_URL)")
    web_url: str | None = Field(default=None, description="where citations point")
    incident_project: str | None = None
    max_related: int = 200


def _with_self(issue: dict[str, Any], site: str | None) -> dict[str, Any]:
    """mcp-atlassian leaves the issue's URL out unless every field was asked for: put it back
    from the Jira the server reads (Server/DC API path, the only one it uses off Cloud)."""
    if not issue.get("self") and site:
        issue["self"] = f"{site.rstrip('/')}/rest/api/2/issue/{issue.get('key')}"
    return issue


async def _search(session: McpSession, jql: str, role: str, responses: list[RawResponse],
                  *, site: str | None, expand: str | None = None,
                  cap: int = 1000) -> list[dict[str, Any]]:
    """Every page of a JQL search (mcp-atlassian pages by ``start_at``, at most 50 a page)."""
    found: list[dict[str, Any]] = []
    start = 0
    while True:
        args: dict[str, Any] = {"jql": jql, "fields": FIELDS, "limit": _PAGE, "start_at": start}
        if expand:
            args["expand"] = expand
        call = await session.call("jira_search", args)
        page = call.json()
        issues = [_with_self(to_rest_issue(i), site) for i in page.get("issues") or []]
        total = int(page.get("total", len(issues)) or 0)
        responses.append(_response(call, session.config.name, {
            "startAt": page.get("start_at", start), "maxResults": page.get("max_results"),
            "total": total, "issues": issues}, role=role))
        found.extend(issues)
        start += len(issues)
        if not issues or start >= total or len(found) >= cap:
            return found


async def collect_jira(session: McpSession, incident_key: str,
                       query: CollectQuery | None = None,
                       options: JiraOptions | None = None) -> RawCapture:
    """The incident ticket with its changelog and its linked tickets; with ``query``, also the
    related tickets and (with ``options.incident_project``) prior incidents, as natively."""
    responses: list[RawResponse] = []
    fields = f"{FIELDS},description" if query is not None else "*all"
    first = await session.call("jira_get_issue", {"issue_key": incident_key, "fields": fields,
                                                  "expand": "changelog"})
    issue = to_rest_issue(first.json())
    site = options.base_url if options else str(issue.get("self") or "").split("/rest/api/")[0]
    issue = _with_self(issue, site or None)
    responses.append(_response(first, session.config.name, issue, role="incident"))
    linked = [str((x.get("outwardIssue") or x.get("inwardIssue") or {}).get("key"))
              for x in issue["fields"]["issuelinks"]
              if x.get("outwardIssue") or x.get("inwardIssue")]
    if linked:
        await _search(session, f"key in ({', '.join(linked)}) ORDER BY key", "linked",
                      responses, site=site, expand="changelog")
    if query is not None:
        cap = options.max_related if options else 200
        jql = related_jql(query, incident_key)
        if jql:
            await _search(session, jql, "related", responses, site=site, cap=cap)
        if options is not None and options.incident_project:
            await _search(session, prior_incidents_jql(options.incident_project, query,
                                                       incident_key),
                          "prior_incidents", responses, site=site, cap=cap)
    return RawCapture(source="jira", responses=tuple(responses))


def jira_entry(capture: RawCapture, options: JiraOptions) -> SourceEntry:
    """The manifest entry: where the data came from, and what mcp-atlassian cannot give."""
    items = sum(len(r.json().get("issues") or []) if "issues" in r.json() else 1
                for r in capture.responses)
    return SourceEntry(status="ok" if items else "no_data", detail="",
                       base_url=options.base_url.rstrip("/"), web_url=options.web_url)
