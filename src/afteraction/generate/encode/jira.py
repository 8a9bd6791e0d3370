"""Render a scenario's tickets and status changes as Jira Cloud ``search/jql`` pages.

One JQL search (the incident ticket, its linked issues, and open issues on the affected
components) with ``expand=changelog``, paged by ``nextPageToken`` (absent on the last page, which
says ``isLast: true``; there is no ``total``). Issues carry Cloud's shapes: ADF descriptions,
``+0000`` offsets, link types with their inward/outward phrases, and changelogs that also hold
the noise a real one has (assignee changes, the resolution set beside a Done transition).
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.generate.scenario import Scenario
from afteraction.model.events import Event, EventKind
from afteraction.model.time import parse_utc
from afteraction.sources.textutil import text_to_adf

__all__ = ["FIELDS", "PAGE_SIZE", "encode", "jira_time"]

PAGE_SIZE = 50
FIELDS = ("summary,status,issuetype,priority,labels,components,created,updated,resolutiondate,"
          "resolution,description,issuelinks,reporter,creator,assignee,project")
_LINK_TYPES = {
    "Relates": ("10003", "relates to", "relates to"),
    "Blocks": ("10000", "is blocked by", "blocks"),
    "Cloners": ("10001", "is cloned by", "clones"),
    "Duplicate": ("10002", "is duplicated by", "duplicates"),
    "Problem/Incident": ("10004", "is caused by", "causes"),
}
_DONE = frozenset({"done", "resolved", "closed", "won't do", "cancelled"})
_NEW = frozenset({"open", "to do", "backlog", "new", "reopened"})


def jira_time(value: datetime) -> str:
    """Jira's own format: milliseconds and an offset without a colon."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def _status(name: str | None, base: str) -> dict[str, Any]:
    lowered = (name or "").lower()
    key, label, ident = (("done", "Done", 3) if lowered in _DONE else
                         ("new", "To Do", 2) if lowered in _NEW else
                         ("indeterminate", "In Progress", 4))
    return {"self": f"{base}/rest/api/3/status/{10000 + sum(map(ord, lowered)) % 97}",
            "description": "", "iconUrl": f"{base}/images/icons/statuses/generic.png",
            "name": name, "id": str(10000 + sum(map(ord, lowered)) % 97),
            "statusCategory": {"self": f"{base}/rest/api/3/statuscategory/{ident}", "id": ident,
                               "key": key, "colorName": "green" if key == "done" else
                               "blue-gray" if key == "new" else "yellow", "name": label}}


def _user(name: str | None, base: str) -> dict[str, Any] | None:
    if not name:
        return None
    account = "712020:" + base64.b16encode(name.encode()).decode().lower()[:24]
    return {"self": f"{base}/rest/api/3/user?accountId={account}", "accountId": account,
            "displayName": name, "active": True, "timeZone": "Etc/UTC",
            "accountType": "atlassian"}


def _named(kind: str, name: str | None, base: str) -> dict[str, Any] | None:
    if name is None:
        return None
    ident = str(1 + sum(map(ord, name)) % 50)
    return {"self": f"{base}/rest/api/3/{kind}/{ident}", "id": ident, "name": name}


class _Ids:
    def __init__(self) -> None:
        self.issue: dict[str, str] = {}
        self.history = 31000

    def of(self, key: str) -> str:
        return self.issue.setdefault(key, str(10000 + len(self.issue) * 7 + 3))

    def next_history(self) -> str:
        self.history += 11
        return str(self.history)


def _histories(ticket: Event, changes: list[Event], ids: _Ids, base: str) -> list[dict[str, Any]]:
    created = ticket.at
    histories = [{"id": ids.next_history(), "author": _user(ticket.actor, base),
                  "created": jira_time(created + timedelta(seconds=9)),
                  "items": [{"field": "assignee", "fieldtype": "jira", "fieldId": "assignee",
                             "from": None, "fromString": None, "to": "acct",
                             "toString": ticket.actor}]}] if ticket.actor else []
    for change in sorted(changes, key=lambda e: e.at):
        field = str(change.attrs.get("field", "status"))
        items = [{"field": field, "fieldtype": "jira", "fieldId": field,
                  "from": str(10000 + sum(map(ord, str(change.attrs.get("old"))))),
                  "fromString": change.attrs.get("old"),
                  "to": str(10000 + sum(map(ord, str(change.attrs.get("new"))))),
                  "toString": change.attrs.get("new")}]
        if field == "status" and str(change.attrs.get("new", "")).lower() in _DONE:
            items.append({"field": "resolution", "fieldtype": "jira", "fieldId": "resolution",
                          "from": None, "fromString": None, "to": "10000", "toString": "Done"})
        histories.append({"id": ids.next_history(), "author": _user(change.actor, base),
                          "created": jira_time(change.at), "items": items})
    return histories


def _issue(ticket: Event, changes: list[Event], ids: _Ids, base: str,
           summaries: dict[str, Event]) -> dict[str, Any]:
    attrs = ticket.attrs
    key = str(attrs.get("key") or ticket.source_id)
    project = str(attrs.get("project") or key.rsplit("-", 1)[0])
    issue_id = ids.of(key)
    links = []
    for position, link in enumerate(attrs.get("links") or []):
        type_id, inward, outward = _LINK_TYPES.get(
            link["type"], (str(10010 + position), link["type"].lower(), link["type"].lower()))
        other_key = link["key"]
        other = summaries.get(other_key)
        linked = {"id": ids.of(other_key), "key": other_key,
                  "self": f"{base}/rest/api/3/issue/{ids.of(other_key)}",
                  "fields": {"summary": other.text if other else f"{other_key}",
                             "status": _status(other.attrs.get("status") if other else "Open",
                                               base),
                             "priority": _named("priority", other.attrs.get("priority")
                                                if other else "Medium", base),
                             "issuetype": _named("issuetype", other.attrs.get("issue_type")
                                                 if other else "Task", base)}}
        side = "outwardIssue" if link.get("direction", "outward") == "outward" else "inwardIssue"
        links.append({"id": str(20000 + int(issue_id) + position),
                      "self": f"{base}/rest/api/3/issueLink/{20000 + int(issue_id) + position}",
                      "type": {"id": type_id, "name": link["type"], "inward": inward,
                               "outward": outward,
                               "self": f"{base}/rest/api/3/issueLinkType/{type_id}"},
                      side: linked})
    resolved = attrs.get("resolved")
    updated = max([ticket.at] + [c.at for c in changes])
    histories = _histories(ticket, changes, ids, base)
    description = attrs.get("description")
    reporter = _user(ticket.actor, base)
    fields = {
        "summary": ticket.text, "status": _status(attrs.get("status"), base),
        "issuetype": {**(_named("issuetype", attrs.get("issue_type"), base) or {}),
                      "subtask": False, "hierarchyLevel": 0},
        "priority": _named("priority", attrs.get("priority"), base),
        "labels": list(attrs.get("labels") or []),
        "components": [{"self": f"{base}/rest/api/3/component/{10100 + i}", "id": str(10100 + i),
                        "name": name} for i, name in enumerate(attrs.get("components") or [])],
        "created": jira_time(ticket.at), "updated": jira_time(updated),
        "resolutiondate": jira_time(parse_utc(str(resolved))) if resolved else None,
        "resolution": {"id": "10000", "name": "Done", "description": "Work has been done",
                       "self": f"{base}/rest/api/3/resolution/10000"} if resolved else None,
        "description": text_to_adf(str(description)) if description else None,
        "issuelinks": links, "reporter": reporter, "creator": reporter, "assignee": reporter,
        "project": {"self": f"{base}/rest/api/3/project/{project}", "id": str(10000 + len(project)),
                    "key": project, "name": project.title(), "projectTypeKey": "software",
                    "simplified": False}}
    return {"expand": "operations,versionedRepresentations,editmeta,changelog,renderedFields",
            "id": issue_id, "self": f"{base}/rest/api/3/issue/{issue_id}", "key": key,
            "fields": fields,
            "changelog": {"startAt": 0, "maxResults": len(histories), "total": len(histories),
                          "histories": histories}}


def encode(scenario: Scenario, *, page_size: int = PAGE_SIZE) -> RawCapture:
    """The raw Jira Cloud search pages for the scenario's tickets."""
    entry = scenario.entries.get("jira")
    base = (entry.base_url if entry and entry.base_url else "https://acme.atlassian.net")
    base = base.rstrip("/")
    tickets = [e for e in scenario.events_of("jira") if e.kind == EventKind.TICKET]
    changes: dict[str, list[Event]] = defaultdict(list)
    for event in scenario.events_of("jira"):
        if event.kind == EventKind.STATUS_CHANGE:
            changes[str(event.attrs.get("key"))].append(event)
    summaries = {str(t.attrs.get("key") or t.source_id): t for t in tickets}
    ids = _Ids()
    issues = [_issue(t, changes.get(str(t.attrs.get("key") or t.source_id), []), ids, base,
                     summaries) for t in sorted(tickets, key=lambda e: (e.at, e.source_id))]
    ticket = scenario.incident.ticket or scenario.incident.id
    components = ", ".join(f'"{s}"' for s in scenario.incident.services) or '"none"'
    jql = (f"key = {ticket} OR issue in linkedIssues({ticket}) OR (component in ({components}) "
           f"AND statusCategory != Done) ORDER BY created ASC")
    pages = [issues[i:i + page_size] for i in range(0, len(issues), page_size)] or [[]]
    responses = []
    token = ""
    for number, page in enumerate(pages):
        params: dict[str, Any] = {"jql": jql, "fields": FIELDS, "expand": "changelog",
                                  "maxResults": page_size}
        if token:
            params["nextPageToken"] = token
        body: dict[str, Any] = {"issues": page}
        if number + 1 < len(pages):
            token = base64.urlsafe_b64encode(
                json.dumps({"p": number + 1, "k": pages[number + 1][0]["key"]}).encode()
            ).decode().rstrip("=")
            body["nextPageToken"] = token
        body["isLast"] = number + 1 == len(pages)
        responses.append(RawResponse(
            url=f"{base}/rest/api/3/search/jql", params=params,
            headers={"content-type": "application/json;charset=UTF-8"},
            body=(json.dumps(body, ensure_ascii=False, indent=1) + "\n").encode(),
            file=f"{number + 1:04d}-search-jql.json"))
    return RawCapture(source="jira", responses=tuple(responses))
