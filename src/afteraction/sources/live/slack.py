"""Slack Web API: the incident channel's history, every thread's replies, and the users.

Plain httpx rather than slack-sdk: the SDK's async client needs aiohttp and hands back parsed
dicts, while a bundle needs the bytes Slack sent; the cursor paging it would save is ten lines.
Slack reports errors as HTTP 200 with ``{"ok": false, "error": ...}``; those are mapped here.
"""

from __future__ import annotations

import re
from typing import Any

from afteraction.bundle.raw import RawResponse
from afteraction.errors import AuthError, SourceError
from afteraction.settings import SlackConfig
from afteraction.sources.live.base import CollectQuery, Connector, Health
from afteraction.sources.live.http import SourceHttp
from afteraction.sources.live.paginate import walk

__all__ = ["NEEDED_SCOPES", "SlackConnector", "channel_name"]

NEEDED_SCOPES = ("channels:history", "channels:read", "groups:history", "groups:read",
                 "users:read")
_AUTH_ERRORS = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired",
                          "account_inactive", "missing_scope", "no_permission",
                          "not_allowed_token_type"})


def channel_name(pattern: str, incident_id: str) -> str:
    """'inc-{number}' + 'INC-123' -> 'inc-123'; '{id}' is the whole id, lower-cased."""
    number = re.sub(r"^\D+", "", incident_id) or incident_id
    return pattern.replace("{id}", incident_id.lower()).replace("{number}", number).lstrip("#")


class SlackConnector(Connector):
    name = "slack"
    config: SlackConfig

    def auth_headers(self) -> dict[str, str]:
        token = self.require_token(self.config.token, self.config.token_env)
        return {"Authorization": f"Bearer {token}"}

    def api(self, method: str) -> str:
        return f"{self.config.base_url}/{method}"

    def _ok(self, response: RawResponse) -> dict[str, Any]:
        data = response.json()
        if data.get("ok") is True:
            return data
        error = str(data.get("error", "unknown_error"))
        detail = f"Slack error {error}"
        if data.get("needed"):
            detail += f" (needs {data['needed']})"
        if error in _AUTH_ERRORS:
            raise AuthError(detail, source=self.name, where=response.url)
        raise SourceError(detail, source=self.name, where=response.url)

    async def _pages(self, http: SourceHttp, method: str, params: dict[str, Any],
                     meta: dict[str, Any]) -> list[dict[str, Any]]:
        pages = []
        async for page in walk(http, self.api(method), params, "slack_cursor", meta=meta):
            pages.append(self._ok(page))
        return pages

    async def _find_channel(self, http: SourceHttp, name: str) -> str | None:
        async for page in walk(http, self.api("conversations.list"),
                               {"types": "public_channel,private_channel",
                                "exclude_archived": "false", "limit": 200},
                               "slack_cursor", meta={"kind": "channels"}):
            for channel in self._ok(page).get("channels") or []:
                if channel.get("name") == name:
                    return str(channel["id"])
        return None

    async def _collect(self, http: SourceHttp, query: CollectQuery) -> None:
        self._ok(await http.get(self.api("auth.test"), meta={"kind": "auth"}))
        name = (query.incident.channel
                or channel_name(self.config.channel_pattern, query.incident.id)).lstrip("#")
        channel = await self._find_channel(http, name)
        if channel is None:
            self.notes.append(f"channel #{name} not found")
            return
        params = {"channel": channel, "oldest": f"{query.window.start.timestamp():.6f}",
                  "latest": f"{query.window.end.timestamp():.6f}", "inclusive": "true",
                  "limit": 200}
        self.queries.append({"channel": name, "id": channel, "oldest": params["oldest"],
                             "latest": params["latest"]})
        threads: list[str] = []
        for data in await self._pages(http, "conversations.history", params,
                                      {"kind": "history", "channel": channel,
                                       "channel_name": name}):
            messages = data.get("messages") or []
            self.count(len(messages))
            threads.extend(m["thread_ts"] for m in messages
                           if m.get("thread_ts") == m.get("ts") and m.get("reply_count"))
        for thread_ts in threads:
            for data in await self._pages(http, "conversations.replies",
                                          {"channel": channel, "ts": thread_ts, "limit": 200},
                                          {"kind": "replies", "channel": channel,
                                           "thread_ts": thread_ts}):
                self.count(max(0, len(data.get("messages") or []) - 1))
        for data in await self._pages(http, "users.list", {"limit": 200}, {"kind": "users"}):
            self.count(len(data.get("members") or []))

    async def _check(self, http: SourceHttp) -> Health:
        answer = await http.get(self.api("auth.test"), record=False)
        self._ok(answer)
        granted = {s.strip() for s in (answer.header("x-oauth-scopes") or "").split(",")
                   if s.strip()}
        missing = tuple(s for s in NEEDED_SCOPES if granted and s not in granted)
        channels = await http.get(self.api("conversations.list"),
                                  {"types": "public_channel,private_channel", "limit": 200},
                                  record=False)
        count = len(self._ok(channels).get("channels") or [])
        return Health(self.name, reachable=True, authenticated=True, missing_permissions=missing,
                      sample_count=count, sample_what="channels visible (first page)",
                      detail="" if granted else "scopes not reported by the workspace")
