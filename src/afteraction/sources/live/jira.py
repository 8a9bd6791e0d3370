"""Jira Cloud and Data Center: the incident ticket with its changelog, linked and related tickets.

Cloud searches ``/rest/api/3/search/jql`` and pages with ``nextPageToken``; Data Center searches
``/rest/api/2/search`` and pages with ``startAt``. The ticket is also what gives a live run its
window (created .. resolved) and, through a custom field or its text, the Slack channel.
"""

from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta
from typing import Any

from afteraction.errors import AuthError, NotFoundError, SourceError
from afteraction.settings import JiraConfig
from afteraction.sources.live.base import CollectQuery, Connector, Health
from afteraction.sources.live.http import SourceHttp
from afteraction.sources.live.paginate import JiraStartAt, walk

__all__ = ["FIELDS", "JiraConnector", "channel_from_ticket"]

FIELDS = ("summary,status,issuetype,priority,components,labels,created,updated,resolutiondate,"
          "assignee,reporter,issuelinks,project,duedate")
_CHANNEL = re.compile(r"(?:^|[\s(])#([a-z0-9][a-z0-9._-]{1,79})\b")


def _plain(value: Any) -> str:
    """Text of a v2 string or a v3 ADF document."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        own = value.get("text", "") if value.get("type") == "text" else ""
        return own + " ".join(_plain(c) for c in value.get("content") or [])
    if isinstance(value, list):
        return " ".join(_plain(v) for v in value)
    return ""


def channel_from_ticket(issue: dict[str, Any], field: str | None) -> str | None:
    """The chat channel a ticket names: its configured field, a 'slack:' label, or '#name' text."""
    fields = issue.get("fields") or {}
    if field and fields.get(field):
        raw = fields[field]
        text = raw.get("value") if isinstance(raw, dict) else str(raw)
        if text:
            return str(text).strip().lstrip("#").rsplit("/", 1)[-1]
    for label in fields.get("labels") or []:
        if str(label).startswith(("slack:", "slack-")):
            return str(label).split(":", 1)[-1].removeprefix("slack-").lstrip("#")
    match = _CHANNEL.search(_plain(fields.get("description")) + " " +
                            str(fields.get("summary", "")))
    return match.group(1) if match else None


def _jql_time(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


def related_jql(query: CollectQuery, key: str) -> str | None:
    """Open (or recently updated) tickets of the catalog's projects and components; None when
    the catalog names neither. The MCP route asks Jira the same question through this."""
    projects = [s.jira_project for s in query.catalog.services if s.jira_project]
    components = [c for s in query.catalog.services for c in s.jira_components or ()]
    if not projects and not components:
        return None
    since = query.window.start - timedelta(seconds=query.lookback_seconds)
    clauses = []
    if projects:
        clauses.append(f"project in ({', '.join(dict.fromkeys(projects))})")
    if components:
        names = ", ".join(f'"{c}"' for c in dict.fromkeys(components))
        clauses.append(f"component in ({names})")
    return (f"({' OR '.join(clauses)}) AND (statusCategory != Done OR updated >= "
            f"\"{_jql_time(since)}\") AND key != {key} ORDER BY updated DESC")


def prior_incidents_jql(project: str, query: CollectQuery, key: str) -> str:
    """The incident project's tickets of the year before the window."""
    since = _jql_time(query.window.start - timedelta(days=365))
    return (f"project = {project} AND key != {key} AND created >= \"{since}\" "
            "ORDER BY created DESC")


class JiraConnector(Connector):
    name = "jira"
    config: JiraConfig

    def auth_headers(self) -> dict[str, str]:
        token = self.require_token(self.config.token, self.config.token_env)
        if self.config.flavor == "cloud" and self.config.email:
            pair = base64.b64encode(f"{self.config.email}:{token}".encode()).decode()
            return {"Authorization": f"Basic {pair}", "Accept": "application/json"}
        return {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def api(self, path: str) -> str:
        return f"{self.config.base_url}{self.config.api}{path}"

    async def _issue(self, http: SourceHttp, key: str, *, record: bool = True) -> dict[str, Any]:
        try:
            answer = await http.get(self.api(f"/issue/{key}"),
                                    {"expand": "changelog", "fields": f"{FIELDS},description"
                                     + (f",{self.config.channel_field}"
                                        if self.config.channel_field else "")},
                                    meta={"kind": "incident", "key": key}, record=record)
        except SourceError as exc:
            if isinstance(exc, AuthError) or "HTTP 404" not in exc.message:
                raise
            raise NotFoundError(f"incident ticket {key} not found in Jira",
                                where=exc.where) from exc
        data: dict[str, Any] = answer.json()
        return data

    async def fetch_ticket(self, key: str) -> dict[str, Any]:
        """The incident ticket alone, unrecorded: used to find the window and the channel."""
        http = self.session()
        try:
            return await self._issue(http, key, record=False)
        finally:
            await http.aclose()

    async def _search(self, http: SourceHttp, jql: str, role: str, *, expand: str = "",
                      cap: int = 1000) -> list[str]:
        self.queries.append({"jql": jql, "role": role})
        keys: list[str] = []
        params: dict[str, Any] = {"jql": jql, "fields": FIELDS, "maxResults": 100}
        if expand:
            params["expand"] = expand
        if self.config.flavor == "cloud":
            pages = walk(http, self.api("/search/jql"), params, "jira_token",
                         meta={"kind": "search", "role": role})
        else:
            pages = walk(http, self.api("/search"), {**params, "startAt": 0},
                         JiraStartAt("issues"), meta={"kind": "search", "role": role})
        async for page in pages:
            issues = page.json().get("issues") or []
            keys.extend(str(i.get("key")) for i in issues)
            self.count(len(issues))
            if len(keys) >= cap:
                self.notes.append(f"{role} search stopped at {cap} tickets")
                break
        return keys

    async def _changelog(self, http: SourceHttp, key: str, issue: dict[str, Any]) -> None:
        log = issue.get("changelog") or {}
        shown = len(log.get("histories") or [])
        if self.config.flavor != "cloud" or int(log.get("total", shown)) <= shown:
            return
        async for page in walk(http, self.api(f"/issue/{key}/changelog"),
                               {"startAt": shown, "maxResults": 100}, JiraStartAt("values"),
                               meta={"kind": "changelog", "key": key}):
            self.count(len(page.json().get("values") or []))

    async def _collect(self, http: SourceHttp, query: CollectQuery) -> None:
        key = query.incident.ticket or query.incident.id
        issue = await self._issue(http, key)
        self.count(1)
        await self._changelog(http, key, issue)
        links = issue.get("fields", {}).get("issuelinks") or []
        linked = [str((link.get("outwardIssue") or link.get("inwardIssue") or {}).get("key"))
                  for link in links if link.get("outwardIssue") or link.get("inwardIssue")]
        if linked:
            await self._search(http, f"key in ({', '.join(linked)}) ORDER BY key",
                               "linked", expand="changelog")
        related = related_jql(query, key)
        if related:
            await self._search(http, related, "related", cap=self.config.max_related)
        if self.config.incident_project:
            await self._search(http, prior_incidents_jql(self.config.incident_project, query, key),
                               "prior_incidents", cap=self.config.max_related)

    async def _check(self, http: SourceHttp) -> Health:
        me = (await http.get(self.api("/myself"), record=False)).json()
        missing: list[str] = []
        try:
            perms = (await http.get(self.api("/mypermissions"),
                                    {"permissions": "BROWSE_PROJECTS"}, record=False)).json()
            browse = (perms.get("permissions") or {}).get("BROWSE_PROJECTS") or {}
            if browse and not browse.get("havePermission", True):
                missing.append("Browse projects")
        except SourceError as exc:
            if isinstance(exc, AuthError):
                raise
        jql = "updated >= -1d ORDER BY updated DESC"
        path = "/search/jql" if self.config.flavor == "cloud" else "/search"
        found = (await http.get(self.api(path), {"jql": jql, "fields": "key",
                                                 "maxResults": 100}, record=False)).json()
        sample = found.get("total", len(found.get("issues") or []))
        return Health(self.name, reachable=True, authenticated=True,
                      missing_permissions=tuple(missing), sample_count=int(sample),
                      sample_what="tickets updated in the last day (first page)",
                      detail=f"as {me.get('displayName') or me.get('name') or 'unknown user'}")
