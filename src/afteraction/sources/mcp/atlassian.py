"""Jira through ``mcp-atlassian``: its simplified issues turned back into Jira REST v2 issues.

What the server gives: ``jira_get_issue`` (fields, links, changelog with ``expand=changelog``) and
``jira_search`` (JQL). What it drops: changelog history ids (status changes are keyed here by
their position in the changelog, so their event ids differ from the native source's) and the
``self`` URL's API flavour (always read as the Data Center shape). The capture holds REST-shaped
issues that :func:`afteraction.sources.jira.parse` reads unchanged.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.sources.mcp.client import McpSession, ToolCall

__all__ = ["LIMITS", "collect_jira", "to_rest_issue"]

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


def _response(call: ToolCall, server: str, body: Any) -> RawResponse:
    raw = call.raw(server)
    return RawResponse(url=raw.url, body=json.dumps(body).encode(), method=raw.method,
                       params=raw.params, meta={**raw.meta, "converted_to": "jira-rest-v2"})


async def collect_jira(session: McpSession, incident_key: str) -> RawCapture:
    """The incident ticket with its changelog, and its linked tickets."""
    server = session.config.name
    first = await session.call("jira_get_issue", {"issue_key": incident_key, "fields": "*all",
                                                  "expand": "changelog"})
    issue = to_rest_issue(first.json())
    responses = [_response(first, server, issue)]
    linked = [str((x.get("outwardIssue") or x.get("inwardIssue") or {}).get("key"))
              for x in issue["fields"]["issuelinks"]
              if x.get("outwardIssue") or x.get("inwardIssue")]
    if linked:
        jql = f"key in ({', '.join(linked)}) ORDER BY key"
        found = await session.call("jira_search", {"jql": jql, "fields": "*all",
                                                   "expand": "changelog", "limit": 50})
        page = found.json()
        responses.append(_response(found, server, {
            "startAt": page.get("start_at", 0), "maxResults": page.get("max_results"),
            "total": page.get("total"),
            "issues": [to_rest_issue(i) for i in page.get("issues") or []]}))
    return RawCapture(source="jira", responses=tuple(responses))
