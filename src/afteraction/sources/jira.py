"""Jira: the incident ticket, its linked tickets and related ones, with their status history.

A capture holds search pages from either API: Jira Cloud ``GET /rest/api/3/search/jql``
(``{issues, nextPageToken?, isLast}``, no ``total``, ADF descriptions) or Jira Data Center
``/rest/api/2/search`` (``{startAt, maxResults, total, issues}``, plain-string descriptions), with
``expand=changelog``; optionally single issues (``/issue/KEY``) and changelog pages
(``/issue/KEY/changelog``) fetched when an issue's embedded changelog was cut short.

Each issue becomes a ``ticket`` event at ``created``; each changelog item on a tracked field
(status, priority) becomes a ``status_change`` event at the history's ``created``. Conventions:

* ticket: ``source_id`` = key; text = summary; actor = reporter (else creator); services = the
  catalog services of its components; ``attrs``: key, issue_type, status, priority, labels,
  components, links ``[{type, direction, key}]`` (type = link type name, direction = inward |
  outward as seen from this issue), created (ISO, UTC), project, ``resolved`` (only when
  resolved) and ``description`` (plain text, only when there is one);
* status_change: ``source_id`` = ``KEY/<history id>/<field>``; text = ``KEY old → new`` for
  status, ``KEY priority: old → new`` otherwise; actor = the history's author; services = the
  ticket's; ``attrs``: key, field, old, new;
* the url is ``<site>/browse/KEY``, the site being the configured web URL or the issue's ``self``
  up to ``/rest/api/``.
"""

from __future__ import annotations

from typing import Any

from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.errors import BundleError
from afteraction.model.events import Event, EventKind
from afteraction.model.incident import Catalog
from afteraction.model.time import parse_utc, to_iso
from afteraction.sources.base import ParseContext, SourceData
from afteraction.sources.textutil import adf_to_text, wiki_to_text

__all__ = ["TRACKED_FIELDS", "issue_events", "parse"]

TRACKED_FIELDS = ("status", "priority")
"""Changelog fields whose changes are timeline events."""


def _name(value: Any) -> str | None:
    if isinstance(value, dict):
        found = value.get("name") or value.get("value") or value.get("displayName")
        return str(found) if found is not None else None
    return str(value) if value is not None else None


def _person(value: Any) -> str | None:
    """A user's display name (v2 users also carry a login ``name``, which is not what to show)."""
    if isinstance(value, dict):
        found = value.get("displayName") or value.get("name") or value.get("emailAddress")
        return str(found) if found else None
    return str(value) if value else None


def _site(issue: dict[str, Any], ctx: ParseContext) -> str:
    if ctx.entry.web_url:
        return ctx.entry.web_url.rstrip("/")
    self_url = str(issue.get("self") or "")
    if "/rest/api/" in self_url:
        return self_url.split("/rest/api/", 1)[0]
    return (ctx.entry.base_url or "https://jira.invalid").rstrip("/")


def _links(fields: dict[str, Any]) -> list[dict[str, str]]:
    links = []
    for link in fields.get("issuelinks") or []:
        if not isinstance(link, dict):
            continue
        kind = _name(link.get("type")) or ""
        for direction, key in (("outward", "outwardIssue"), ("inward", "inwardIssue")):
            other = link.get(key)
            if isinstance(other, dict) and other.get("key"):
                links.append({"type": kind, "direction": direction, "key": str(other["key"])})
    return links


def _description(value: Any) -> str:
    if isinstance(value, str):
        return wiki_to_text(value)
    return adf_to_text(value)


def _services(components: list[str], catalog: Catalog) -> tuple[str, ...]:
    found = (catalog.service_for_component(c) for c in components)
    return tuple(dict.fromkeys(s for s in found if s))


def _histories(issue: dict[str, Any]) -> list[dict[str, Any]]:
    changelog = issue.get("changelog") or {}
    histories = changelog.get("histories") if isinstance(changelog, dict) else None
    return [h for h in histories or [] if isinstance(h, dict)]


def issue_events(issue: dict[str, Any], *, site: str, catalog: Catalog,
                 where: str) -> list[Event]:
    """One issue (v2 or v3 shape) as its ticket event and its tracked field changes."""
    key = issue.get("key")
    fields = issue.get("fields")
    if not key or not isinstance(fields, dict):
        raise BundleError("an issue without 'key' or 'fields'", where=where)
    key = str(key)
    if not fields.get("created"):
        raise BundleError(f"issue {key} has no 'created' field (was fields= too narrow?)",
                          where=where)
    created = parse_utc(str(fields["created"]), where=f"{where}: {key}.created")
    components = [str(_name(c)) for c in fields.get("components") or [] if _name(c)]
    services = _services(components, catalog)
    project_field = fields.get("project")
    project = project_field.get("key") if isinstance(project_field, dict) else None
    attrs: dict[str, Any] = {
        "key": key, "issue_type": _name(fields.get("issuetype")),
        "status": _name(fields.get("status")), "priority": _name(fields.get("priority")),
        "labels": [str(x) for x in fields.get("labels") or []], "components": components,
        "links": _links(fields), "created": to_iso(created),
        "project": project or key.rsplit("-", 1)[0]}
    if fields.get("resolutiondate"):
        attrs["resolved"] = to_iso(parse_utc(str(fields["resolutiondate"]),
                                             where=f"{where}: {key}.resolutiondate"))
    description = _description(fields.get("description"))
    if description:
        attrs["description"] = description
    reporter = fields.get("reporter") or fields.get("creator")
    url = f"{site}/browse/{key}"
    events = [Event.make(source="jira", kind=EventKind.TICKET, source_id=key, at=created, url=url,
                         text=str(fields.get("summary") or ""), actor=_person(reporter),
                         services=services, attrs=attrs)]
    for history in _histories(issue):
        when = history.get("created")
        if when is None:
            continue
        if isinstance(when, int | float):
            raise BundleError(f"issue {key} changelog 'created' is a number, not a date-time",
                              where=where)
        at = parse_utc(str(when), where=f"{where}: {key} changelog {history.get('id')}")
        author = _person(history.get("author"))
        for item in history.get("items") or []:
            field = str(item.get("field") or item.get("fieldId") or "").lower()
            if field not in TRACKED_FIELDS:
                continue
            old, new = item.get("fromString"), item.get("toString")
            text = (f"{key} {old} → {new}" if field == "status"
                    else f"{key} {field}: {old} → {new}")
            events.append(Event.make(
                source="jira", kind=EventKind.STATUS_CHANGE,
                # keyed by what changed and when, not by the history id: an MCP server that
                # drops history ids yields the same event, so drafts agree across routes
                source_id=f"{key}/{to_iso(at)}/{field}/{new}", at=at, url=url, text=text,
                actor=author, services=services,
                attrs={"key": key, "field": field, "old": old, "new": new}))
    return events


def _check(response: RawResponse) -> dict[str, Any]:
    where = response.file or response.url
    body = response.json()
    if not isinstance(body, dict):
        raise BundleError("Jira answer is not a JSON object", where=where)
    if response.status >= 400 or ("errorMessages" in body and "issues" not in body
                                  and "key" not in body):
        messages = "; ".join(body.get("errorMessages") or []) or str(body.get("errors") or "")
        raise BundleError(f"Jira answered HTTP {response.status}: {messages or 'error'}",
                          where=where)
    return body


def parse(capture: RawCapture, ctx: ParseContext) -> SourceData:
    """Tickets and their status changes from every search page, issue and changelog page."""
    issues: dict[str, tuple[dict[str, Any], str]] = {}
    extra_histories: dict[str, list[dict[str, Any]]] = {}
    for response in capture.responses:
        path = response.url.split("?", 1)[0].rstrip("/")
        where = response.file or response.url
        body = _check(response)
        if path.endswith("/changelog"):
            key = path.rsplit("/", 2)[-2]
            values = body.get("values")
            if not isinstance(values, list):
                raise BundleError("changelog page has no 'values' list", where=where)
            extra_histories.setdefault(key, []).extend(v for v in values if isinstance(v, dict))
        elif "issues" in body:
            if not isinstance(body["issues"], list):
                raise BundleError("'issues' is not a list", where=where)
            for issue in body["issues"]:
                if not isinstance(issue, dict) or not issue.get("key"):
                    raise BundleError("an issue without 'key'", where=where)
                issues[str(issue["key"])] = (issue, where)
        elif body.get("key") and isinstance(body.get("fields"), dict):
            issues[str(body["key"])] = (body, where)
        else:
            raise BundleError("not a Jira search page, issue or changelog page (no 'issues', "
                              "'key' or 'values')", where=where)
    events: list[Event] = []
    for key, (issue, where) in issues.items():
        if key in extra_histories:
            seen = {str(h.get("id")) for h in _histories(issue)}
            merged = _histories(issue) + [h for h in extra_histories[key]
                                          if str(h.get("id")) not in seen]
            issue = {**issue, "changelog": {"histories": merged}}
        events.extend(issue_events(issue, site=_site(issue, ctx), catalog=ctx.catalog,
                                   where=where))
    events.sort(key=lambda e: (e.at, e.source_id))
    return SourceData(events=events)
