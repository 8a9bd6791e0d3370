"""Slack Web API stub: auth.test, conversations.list/history/replies, users.list.

Errors are HTTP 200 with ``{"ok": false, "error": ...}``; rate limits are HTTP 429 with
``Retry-After``; cursors are opaque base64 strings and ``response_metadata`` is missing on the
last page of some methods, as in Slack's own fixtures.
"""

from __future__ import annotations

import base64
from typing import Any

from .runner import Request, Response, StubApp, json_response
from .world import CHANNELS, MESSAGES, USERS, at

SCOPES = "channels:history,channels:read,groups:history,groups:read,users:read"


def _ts(hhmm: str, seq: int = 0) -> str:
    return f"{int(at(hhmm).timestamp())}.{seq:06d}"


def _cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    return int(base64.b64decode(cursor).decode().split(":")[1])


def build_messages() -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Channel history (newest first) and each thread's replies (parent first)."""
    history: list[dict[str, Any]] = []
    threads: dict[str, list[dict[str, Any]]] = {}
    for seq, (hhmm, user, text, replies) in enumerate(MESSAGES):
        ts = _ts(hhmm, seq + 1)
        message: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": ts,
                                   "team": "T0ACME"}
        if replies:
            reply_msgs = [{"type": "message", "user": u, "text": t,
                           "ts": _ts(m, 100 + seq * 10 + i), "thread_ts": ts,
                           "parent_user_id": user, "team": "T0ACME"}
                          for i, (m, u, t) in enumerate(replies)]
            message.update({"thread_ts": ts, "reply_count": len(replies),
                            "reply_users": sorted({r["user"] for r in reply_msgs}),
                            "latest_reply": reply_msgs[-1]["ts"]})
            threads[ts] = [dict(message), *reply_msgs]
        if user == "U0PAGER":
            message.update({"subtype": "bot_message", "bot_id": "B0PAGER",
                            "username": "pagerbot"})
        history.append(message)
    history.sort(key=lambda m: float(m["ts"]), reverse=True)
    return history, threads


class SlackStub(StubApp):
    name = "slack"

    def __init__(self, token: str = "xoxb-stub-token-0001") -> None:
        super().__init__()
        self.token = token
        self.scopes = SCOPES
        self.history, self.threads = build_messages()

    def authorized(self, request: Request) -> bool:
        return request.header("Authorization") == f"Bearer {self.token}"

    def unauthorized(self, request: Request) -> Response:
        return json_response({"ok": False, "error": "invalid_auth"})

    def rate_limited(self, request: Request) -> Response:
        return json_response({"ok": False, "error": "ratelimited"}, 429,
                             {"Retry-After": f"{int(self.faults.retry_after)}"})

    def server_error(self, request: Request) -> Response:
        return Response(503, b"upstream connect error", {"Content-Type": "text/plain"})

    def _paged(self, request: Request, items: list[Any], key: str, default_limit: int,
               extra: dict[str, Any] | None = None, metadata_on_last: bool = True) -> Response:
        limit = self.page_size(int(request.q("limit", str(default_limit)) or default_limit))
        start = _offset(request.q("cursor"))
        chunk = items[start:start + limit]
        more = start + limit < len(items)
        body: dict[str, Any] = {"ok": True, key: chunk, **(extra or {})}
        if more:
            body["response_metadata"] = {"next_cursor": _cursor(start + limit)}
            if key == "messages":
                body["has_more"] = True
        elif metadata_on_last:
            body["response_metadata"] = {"next_cursor": ""}
        if key == "messages" and not more:
            body["has_more"] = False
        return json_response(body, headers={"x-oauth-scopes": self.scopes})

    def route(self, request: Request) -> Response:
        method = request.path.removeprefix("/api/").strip("/")
        if method == "auth.test":
            return json_response({"ok": True, "url": "https://acme.slack.com/", "team": "Acme",
                                  "user": "afteraction", "team_id": "T0ACME",
                                  "user_id": "U0BOT", "bot_id": "B0BOT",
                                  "is_enterprise_install": False},
                                 headers={"x-oauth-scopes": self.scopes})
        if method == "conversations.list":
            channels = [{"id": c["id"], "name": c["name"], "is_channel": True, "is_group": False,
                         "is_im": False, "created": c["created"],
                         "is_archived": c.get("is_archived", False), "is_general":
                             c["name"] == "general", "is_private": False, "is_member": True,
                         "name_normalized": c["name"], "num_members": 5,
                         "topic": {"value": "", "creator": "", "last_set": 0},
                         "purpose": {"value": "", "creator": "", "last_set": 0}}
                        for c in CHANNELS]
            return self._paged(request, channels, "channels", 100, metadata_on_last=False)
        if method == "conversations.history":
            if request.q("channel") != "C0INC42":
                return json_response({"ok": False, "error": "channel_not_found"})
            oldest = float(request.q("oldest", "0") or 0)
            latest = float(request.q("latest", "9e12") or 9e12)
            messages = [m for m in self.history if oldest <= float(m["ts"]) <= latest]
            return self._paged(request, messages, "messages", 100, {"pin_count": 0})
        if method == "conversations.replies":
            thread = self.threads.get(request.q("ts") or "")
            if thread is None:
                return json_response({"ok": False, "error": "thread_not_found"})
            return self._paged(request, thread, "messages", 1000)
        if method == "users.list":
            members = [{"id": u["id"], "team_id": "T0ACME", "name": u["name"], "deleted": False,
                        "real_name": u["real_name"], "tz": "Europe/Berlin",
                        "is_bot": u.get("is_bot", False),
                        "profile": {"real_name": u["real_name"], "display_name": u["name"],
                                    "email": f"{u['name']}@acme.example"}} for u in USERS]
            return self._paged(request, members, "members", 100, {"cache_ts": 1773150000})
        return json_response({"ok": False, "error": "unknown_method"})
