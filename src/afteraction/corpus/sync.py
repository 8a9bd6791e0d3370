"""Action-item status sync from Jira: the tracker is where work gets done, so it has the last word.

Searches ``POST /rest/api/3/search/jql`` with ``key in (...)`` over the items' tracker keys, pages
with ``nextPageToken`` until ``isLast``, reads ``status``, ``resolution``, ``resolutiondate`` and the
status changelog, and records each change in the item's status history.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Engine, insert, select, update

from afteraction.corpus.repository import as_utc
from afteraction.corpus.store import ActionItem, ActionStatus
from afteraction.corpus.taxonomy import normalize_action_status
from afteraction.errors import AuthError, ConfigError, RateLimitError, SourceError
from afteraction.model.time import parse_utc

__all__ = ["JiraClient", "SyncResult", "TrackerStatus", "jira_status", "parse_search_page",
           "sync_action_items"]

SEARCH_PATH = "/rest/api/3/search/jql"
KEY_RE = re.compile(r"^[A-Z][A-Z0-9_]*-\d+$")
DROPPED_RESOLUTIONS = {"won't do", "won't fix", "wont do", "wontfix", "duplicate", "declined",
                       "cannot reproduce", "obsolete", "cancelled", "canceled", "rejected"}
_CHUNK = 100


@dataclass(frozen=True)
class TrackerStatus:
    key: str
    status: str
    tracker_status: str
    closed_at: datetime | None
    history: tuple[tuple[datetime, str, str], ...] = ()


def jira_status(fields: Mapping[str, Any]) -> tuple[str, str]:
    """(normalised status, Jira's status name): done with a won't-do resolution is dropped."""
    status = fields.get("status") or {}
    name = str(status.get("name") or "")
    category = str((status.get("statusCategory") or {}).get("key") or "")
    resolution = str((fields.get("resolution") or {}).get("name") or "").lower()
    if resolution in DROPPED_RESOLUTIONS or normalize_action_status(name) == "dropped":
        return "dropped", name
    if category == "done":
        return "done", name
    if category == "indeterminate":
        return "in_progress", name
    if category == "new":
        return "open", name
    return normalize_action_status(name), name


def _history(issue: Mapping[str, Any]) -> tuple[tuple[datetime, str, str], ...]:
    out = []
    for entry in (issue.get("changelog") or {}).get("histories") or ():
        created = entry.get("created")
        if not isinstance(created, str):
            continue
        for item in entry.get("items") or ():
            if item.get("field") == "status" and item.get("toString"):
                raw = str(item["toString"])
                out.append((parse_utc(created, where="changelog"), normalize_action_status(raw),
                            raw))
    return tuple(sorted(out))


def parse_search_page(payload: Mapping[str, Any]) -> tuple[list[TrackerStatus], str | None]:
    """Pure: one search/jql page -> statuses and the next page token (None on the last page)."""
    statuses = []
    for issue in payload.get("issues") or ():
        fields = issue.get("fields") or {}
        status, raw = jira_status(fields)
        resolved = fields.get("resolutiondate")
        closed = parse_utc(resolved, where=str(issue.get("key"))) if resolved else None
        statuses.append(TrackerStatus(str(issue.get("key")), status, raw,
                                      closed if status in ("done", "dropped") else None,
                                      _history(issue)))
    token = payload.get("nextPageToken")
    if payload.get("isLast", token is None) or not token:
        token = None
    return statuses, token


@dataclass
class JiraClient:
    """A small Jira Cloud / Data Center client: basic auth (email + API token) or a bearer PAT."""

    base_url: str
    token: str | None = None
    email: str | None = None
    timeout: float = 30.0
    page_size: int = 100
    transport: httpx.BaseTransport | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, base_url: str | None = None
                 ) -> JiraClient:
        env = os.environ if env is None else env
        url = base_url or env.get("AFTERACTION_JIRA_URL")
        if not url:
            raise ConfigError("no Jira URL: pass --jira-url or set AFTERACTION_JIRA_URL")
        return cls(url.rstrip("/"), env.get("AFTERACTION_JIRA_TOKEN"),
                   env.get("AFTERACTION_JIRA_EMAIL"))

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if self.token and self.email:
            raw = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
            headers["Authorization"] = f"Basic {raw}"
        elif self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def search(self, keys: Iterable[str]) -> Iterator[TrackerStatus]:
        keys = sorted(set(keys))
        with httpx.Client(base_url=self.base_url, headers=self._headers(), timeout=self.timeout,
                          transport=self.transport) as client:
            for i in range(0, len(keys), _CHUNK):
                jql = f"key in ({', '.join(keys[i:i + _CHUNK])}) ORDER BY key ASC"
                token: str | None = None
                while True:
                    body: dict[str, Any] = {"jql": jql, "maxResults": self.page_size,
                                            "fields": ["status", "resolution", "resolutiondate"],
                                            "expand": "changelog"}
                    if token:
                        body["nextPageToken"] = token
                    statuses, token = parse_search_page(self._post(client, body))
                    yield from statuses
                    if token is None:
                        break

    def _post(self, client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
        where = f"{self.base_url}{SEARCH_PATH}"
        try:
            response = client.post(SEARCH_PATH, json=body)
        except httpx.HTTPError as exc:
            raise SourceError(f"Jira unreachable: {exc}", source="jira", where=where) from exc
        if response.status_code in (401, 403):
            raise AuthError(f"Jira refused the credentials (HTTP {response.status_code})",
                            source="jira", where=where)
        if response.status_code == 429:
            raise RateLimitError("Jira rate limit hit", source="jira", where=where)
        if response.status_code >= 400:
            detail = response.text[:200].replace("\n", " ")
            raise SourceError(f"Jira answered HTTP {response.status_code}: {detail}",
                              source="jira", where=where)
        try:
            data = response.json()
        except ValueError as exc:
            raise SourceError("Jira answered with something that is not JSON", source="jira",
                              where=where) from exc
        if not isinstance(data, dict):
            raise SourceError("unexpected Jira search answer", source="jira", where=where)
        return data


@dataclass
class SyncResult:
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def sync_action_items(engine: Engine, client: JiraClient, *, now: datetime) -> SyncResult:
    """Pull every tracked action item's status from Jira and store what changed."""
    result = SyncResult()
    with engine.connect() as conn:
        items = conn.execute(select(ActionItem.id, ActionItem.tracker_key, ActionItem.status,
                                    ActionItem.tracker_status, ActionItem.created_at,
                                    ActionItem.closed_at)
                             .where(ActionItem.tracker_key.is_not(None))).all()
    by_key: dict[str, list[Any]] = {}
    for row in items:
        key = row.tracker_key.strip().upper()
        if KEY_RE.match(key):
            by_key.setdefault(key, []).append(row)
        else:
            result.skipped.append(row.tracker_key)
    found = {s.key: s for s in client.search(by_key)}
    with engine.begin() as conn:
        for key in sorted(by_key):
            status = found.get(key)
            if status is None:
                result.not_found.append(key)
                continue
            changed = False
            for row in by_key[key]:
                changed |= _apply(conn, row, status, now)
            (result.updated if changed else result.unchanged).append(key)
    return result


def _apply(conn: Any, row: Any, status: TrackerStatus, now: datetime) -> bool:
    closed = status.closed_at
    if (row.status == status.status and row.tracker_status == status.tracker_status
            and as_utc(row.closed_at) == closed):
        return False
    created = as_utc(row.created_at)
    close = int((closed - created).total_seconds()) if closed and created else None
    conn.execute(update(ActionItem).where(ActionItem.id == row.id).values(
        status=status.status, tracker_status=status.tracker_status, closed_at=closed,
        close_seconds=close))
    seen = {(as_utc(at), st) for at, st in conn.execute(
        select(ActionStatus.at, ActionStatus.status)
        .where(ActionStatus.action_item_id == row.id))}
    steps = [step for step in status.history if (step[0], step[1]) not in seen]
    if not status.history or status.history[-1][1] != status.status:
        steps.append((closed or now, status.status, status.tracker_status))
    if steps:
        conn.execute(insert(ActionStatus), [
            {"action_item_id": row.id, "at": at, "status": st, "tracker_status": raw,
             "source": "jira"} for at, st, raw in steps])
    return True
