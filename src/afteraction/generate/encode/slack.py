"""Render a scenario's Slack messages as the Web API pages a live collection would have read.

The capture is what :mod:`afteraction.sources.slack` reads: ``auth.test``, ``conversations.list``,
``users.list``, ``conversations.history`` pages (newest first, ``limit`` 100 as the API defaults,
so a busy incident channel spans several pages; the last page has no ``response_metadata``) and
one ``conversations.replies`` call per thread parent (the last page's ``next_cursor`` is "").
Text is written as Slack stores it (entities escaped, links in angle brackets, ``<!here>``, people
named by ``@Real Name`` as ``<@U..>``); bot alerts carry their words in an attachment title.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.generate.scenario import Scenario
from afteraction.model.events import Event, EventKind

__all__ = ["HISTORY_LIMIT", "REPLIES_LIMIT", "USERS_LIMIT", "encode", "slack_id", "to_mrkdwn"]

HISTORY_LIMIT = 100
USERS_LIMIT = 200
REPLIES_LIMIT = 200
TEAM_ID = "T0ACME0001"
_SYSTEM = frozenset({"channel_join", "channel_leave", "channel_topic", "channel_purpose",
                     "channel_name"})
_URL = re.compile(r"https?://[^\s<>]+")
_JSON = {"content-type": "application/json; charset=utf-8"}


def slack_id(prefix: str, name: str) -> str:
    """A stable Slack-looking id ('C', 'U', 'B' + 10 characters) for a name without one."""
    digest = base64.b32encode(hashlib.sha1(name.encode()).digest()).decode()[:10]
    return prefix + digest


def _ts_of(event: Event) -> str:
    ts = event.attrs.get("ts")
    if ts:
        return str(ts)
    at = event.at.astimezone(UTC)
    seconds = int((at - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() // 1)
    return f"{seconds}.{at.microsecond:06d}"


def _epoch(value: datetime) -> str:
    return f"{value.timestamp():.6f}"


def to_mrkdwn(text: str, users: dict[str, str], channels: dict[str, str]) -> str:
    """Plain words to what Slack stores: escaped entities, ``<url>``, ``<!here>``, ``<@U..>``."""
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def link(match: re.Match[str]) -> str:
        url = match.group(0)
        trail = ""
        while url and url[-1] in ".,;:!?)":
            trail = url[-1] + trail
            url = url[:-1]
        return f"<{url}>{trail}"

    out = _URL.sub(link, out)
    out = re.sub(r"(?<![\w<])@(here|channel|everyone)\b", r"<!\1>", out)
    for name, uid in sorted(users.items(), key=lambda item: -len(item[0])):
        out = re.sub(rf"(?<![\w<])@{re.escape(name)}(?![\w])", f"<@{uid}>", out)
    for name, cid in sorted(channels.items(), key=lambda item: -len(item[0])):
        out = re.sub(rf"(?<![\w<&])#{re.escape(name)}(?![\w-])", f"<#{cid}|{name}>", out)
    return out


def _cursor(kind: str, value: str) -> str:
    return base64.b64encode(f"{kind}:{value}".encode()).decode()


class _Capture:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.responses: list[RawResponse] = []

    def add(self, method: str, params: dict[str, Any], body: dict[str, Any]) -> None:
        position = len(self.responses) + 1
        self.responses.append(RawResponse(
            url=f"{self.base_url}/{method}", params=params, headers=dict(_JSON),
            body=(json.dumps(body, ensure_ascii=False, indent=1) + "\n").encode(),
            file=f"{position:04d}-{method}.json"))


def _message(event: Event, ts: str, uid: str | None, text: str, bot_ids: dict[str, str],
             grafana: str) -> dict[str, Any]:
    subtype = event.attrs.get("subtype")
    if event.attrs.get("bot"):
        name = event.actor or "bot"
        message: dict[str, Any] = {"type": "message", "subtype": "bot_message", "text": text,
                                   "ts": ts, "username": name, "bot_id": bot_ids[name],
                                   "icons": {"emoji": ":rotating_light:"}}
        if event.text.startswith(("[FIRING", "[RESOLVED")):
            firing = event.text.startswith("[FIRING")
            message["text"] = ""
            message["attachments"] = [{
                "id": 1, "color": "D63232" if firing else "36A64F", "fallback": text,
                "title": text, "title_link": f"{grafana}/alerting/list",
                "text": "*Summary:* see the alert rule for details\n*Source:* Grafana Alerting",
                "footer": "Grafana v10.4.1", "mrkdwn_in": ["text"]}]
        return message
    message = {"type": "message", "text": text, "ts": ts}
    if subtype:
        message["subtype"] = subtype
        if subtype in _SYSTEM and uid:
            message["text"] = f"<@{uid}> {text}".strip()
    else:
        message["client_msg_id"] = str(_uuid(ts))
        message["team"] = TEAM_ID
    if uid:
        message["user"] = uid
    return message


def _uuid(seed: str) -> str:
    h = hashlib.md5(seed.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _channel(cid: str, name: str, created: int, members: int) -> dict[str, Any]:
    return {"id": cid, "name": name, "is_channel": True, "is_group": False, "is_im": False,
            "is_mpim": False, "is_private": False, "created": created, "is_archived": False,
            "is_general": name == "general", "unlinked": 0, "name_normalized": name,
            "is_shared": False, "is_org_shared": False, "is_member": True,
            "creator": "U0ACMEADM1", "shared_team_ids": [TEAM_ID],
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
            "previous_names": [], "num_members": members}


def _member(uid: str, name: str) -> dict[str, Any]:
    handle = re.sub(r"[^a-z0-9]+", ".", name.lower()).strip(".") or uid.lower()
    first, _, last = name.partition(" ")
    return {"id": uid, "team_id": TEAM_ID, "name": handle, "deleted": False, "color": "9f69e7",
            "real_name": name, "tz": "Europe/London", "tz_label": "Greenwich Mean Time",
            "tz_offset": 0, "is_admin": False, "is_owner": False, "is_bot": False,
            "is_app_user": False, "updated": 1700000000,
            "profile": {"real_name": name, "real_name_normalized": name, "display_name": handle,
                        "display_name_normalized": handle, "first_name": first,
                        "last_name": last, "title": "", "team": TEAM_ID,
                        "email": f"{handle}@acme.example", "status_text": "",
                        "status_emoji": "",
                        "avatar_hash": hashlib.md5(uid.encode()).hexdigest()[:12]}}


def encode(scenario: Scenario, *, history_limit: int = HISTORY_LIMIT) -> RawCapture:
    """The raw Slack pages for the scenario's incident window."""
    entry = scenario.entries.get("slack")
    base_url = (entry.base_url if entry and entry.base_url else "https://slack.com/api")
    web_url = (entry.web_url if entry and entry.web_url else "https://acme.slack.com").rstrip("/")
    grafana_entry = scenario.entries.get("grafana")
    grafana = (grafana_entry.web_url if grafana_entry and grafana_entry.web_url
               else "https://grafana.example").rstrip("/")
    default_name = (scenario.incident.channel or f"inc-{scenario.incident.id.lower()}").lstrip("#")
    messages = [e for e in scenario.events_of("slack") if e.kind == EventKind.MESSAGE]

    channels: dict[str, str] = {}
    users: dict[str, str] = {}
    bot_ids: dict[str, str] = {}
    for event in messages:
        name = str(event.attrs.get("channel_name") or default_name)
        cid = str(event.attrs.get("channel") or slack_id("C", name))
        channels.setdefault(name, cid)
        if event.attrs.get("bot"):
            bot_ids.setdefault(event.actor or "bot", slack_id("B", event.actor or "bot"))
        elif event.actor:
            users.setdefault(event.actor, str(event.attrs.get("user_id")
                                              or slack_id("U", event.actor)))
    if not channels:
        channels[default_name] = slack_id("C", default_name)

    out = _Capture(base_url)
    out.add("auth.test", {}, {"ok": True, "url": web_url + "/", "team": "Acme",
                              "user": "afteraction", "team_id": TEAM_ID,
                              "user_id": "U0AFTERACT", "bot_id": "B0AFTERACT",
                              "is_enterprise_install": False})
    listed = {"general": slack_id("C", "general"), "random": slack_id("C", "random"),
              "incidents": slack_id("C", "incidents")}
    for service in scenario.catalog.services:
        for name in service.slack_channels:
            listed.setdefault(name, slack_id("C", name))
    listed.update(channels)
    created = int(scenario.window.start.timestamp()) - 400 * 86400
    out.add("conversations.list",
            {"types": "public_channel,private_channel", "exclude_archived": "true", "limit": 200},
            {"ok": True, "channels": [_channel(cid, name, created + 86400 * i, 8 + i)
                                      for i, (name, cid) in enumerate(sorted(listed.items()))],
             "response_metadata": {"next_cursor": ""}})

    members = [_member(uid, name) for name, uid in sorted(users.items(), key=lambda x: x[1])]
    slackbot = _member("USLACKBOT", "Slackbot")
    slackbot.update({"is_bot": False, "name": "slackbot"})
    members.insert(0, slackbot)
    pages = [members[i:i + USERS_LIMIT] for i in range(0, len(members), USERS_LIMIT)] or [[]]
    cursor = ""
    for number, page in enumerate(pages):
        params: dict[str, Any] = {"limit": USERS_LIMIT}
        if cursor:
            params["cursor"] = cursor
        cursor = _cursor("user", pages[number + 1][0]["id"]) if number + 1 < len(pages) else ""
        out.add("users.list", params, {"ok": True, "members": page, "cache_ts": 1700000000,
                                       "response_metadata": {"next_cursor": cursor}})

    names = dict(users)
    for name, cid in channels.items():
        by_channel = [e for e in messages
                      if str(e.attrs.get("channel") or slack_id("C", str(
                          e.attrs.get("channel_name") or default_name))) == cid]
        _encode_channel(out, scenario, cid, by_channel, names, channels, bot_ids, grafana,
                        history_limit)
    return RawCapture(source="slack", responses=tuple(out.responses))


def _encode_channel(out: _Capture, scenario: Scenario, cid: str, events: list[Event],
                    users: dict[str, str], channels: dict[str, str], bot_ids: dict[str, str],
                    grafana: str, history_limit: int) -> None:
    oldest, latest = _epoch(scenario.window.start), _epoch(scenario.window.end)
    replies: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    top: list[tuple[str, dict[str, Any]]] = []
    parents_user: dict[str, str | None] = {}
    rendered: list[tuple[Event, str, dict[str, Any]]] = []
    for index, event in enumerate(events):
        ts = _ts_of(event)
        uid = None if event.attrs.get("bot") else (
            users.get(event.actor) if event.actor else event.attrs.get("user_id"))
        text = to_mrkdwn(event.text, users, channels)
        message = _message(event, ts, uid, text, bot_ids, grafana)
        if uid and "subtype" not in message and index % 13 == 7:
            message["edited"] = {"user": uid, "ts": f"{int(float(ts)) + 37}.000000"}
        rendered.append((event, ts, message))
        if not event.attrs.get("thread_ts") or event.attrs.get("thread_ts") == ts:
            parents_user[ts] = uid or message.get("bot_id")
    for event, ts, message in rendered:
        thread = event.attrs.get("thread_ts")
        if thread and thread != ts:
            message["thread_ts"] = thread
            if parents_user.get(thread):
                message["parent_user_id"] = parents_user[thread]
            replies[str(thread)].append((ts, message))
            if message.get("subtype") == "thread_broadcast":
                top.append((ts, message))
        else:
            top.append((ts, message))
    attrs_of = {ts: event.attrs for event, ts, _ in rendered}
    for ts, message in top:
        thread_replies = sorted(replies.get(ts, []), key=lambda item: Decimal(item[0]))
        attrs = attrs_of.get(ts, {})
        if thread_replies or attrs.get("thread_ts") == ts:
            reply_users = list(dict.fromkeys(m.get("user") or m.get("bot_id")
                                             for _, m in thread_replies))
            message.update({"thread_ts": ts,
                            "reply_count": int(attrs.get("reply_count", len(thread_replies))),
                            "reply_users_count": len(reply_users),
                            "latest_reply": thread_replies[-1][0] if thread_replies else ts,
                            "reply_users": reply_users, "is_locked": False,
                            "subscribed": False})

    low, high = Decimal(oldest), Decimal(latest)
    in_window = sorted((item for item in top if low <= Decimal(item[0]) <= high),
                       key=lambda item: Decimal(item[0]), reverse=True)
    pages = [in_window[i:i + history_limit] for i in range(0, len(in_window), history_limit)]
    cursor = ""
    for number, page in enumerate(pages or [[]]):
        params: dict[str, Any] = {"channel": cid, "oldest": oldest, "latest": latest,
                                  "inclusive": "true", "limit": history_limit}
        if cursor:
            params["cursor"] = cursor
        more = number + 1 < len(pages)
        body: dict[str, Any] = {"ok": True, "messages": [m for _, m in page], "has_more": more,
                                "pin_count": 0, "channel_actions_ts": None,
                                "channel_actions_count": 0}
        if more:
            cursor = _cursor("next_ts", pages[number + 1][0][0].replace(".", ""))
            body["response_metadata"] = {"next_cursor": cursor}
        out.add("conversations.history", params, body)
    for ts, message in sorted(in_window, key=lambda item: Decimal(item[0])):
        if message.get("reply_count") or ts in replies:
            thread = [message] + [m for _, m in sorted(replies.get(ts, []),
                                                        key=lambda item: Decimal(item[0]))]
            chunks = [thread[i:i + REPLIES_LIMIT] for i in range(0, len(thread), REPLIES_LIMIT)]
            reply_cursor = ""
            for number, chunk in enumerate(chunks):
                params = {"channel": cid, "ts": ts, "limit": REPLIES_LIMIT}
                if reply_cursor:
                    params["cursor"] = reply_cursor
                more = number + 1 < len(chunks)
                reply_cursor = _cursor("next_ts", chunks[number + 1][0]["ts"]) if more else ""
                out.add("conversations.replies", params,
                        {"ok": True, "messages": chunk, "has_more": more,
                         "response_metadata": {"next_cursor": reply_cursor}})
