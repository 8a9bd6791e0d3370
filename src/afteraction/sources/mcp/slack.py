"""Slack through ``slack-mcp-server``: its CSV answers rebuilt as the Web API's pages.

Tools used: ``channels_list`` (CSV ``ID,Name,Topic,Purpose,MemberCount,Cursor``; the incident
channel's id by name), ``conversations_history`` and ``conversations_replies`` (CSV
``MsgID,UserID,UserName,RealName,Channel,ThreadTs,Text,Time,Permalink,Reactions,BotName,...,
Cursor``; the last row's ``Cursor`` is the next page). The adapter rebuilds ``auth.test``,
``conversations.list``, ``conversations.history``, ``conversations.replies`` and ``users.list``
bodies, so :func:`afteraction.sources.slack.parse` reads them as the native capture.

What the server cannot express, recorded in the entry's detail:

* no ``oldest``/``latest``: ``limit`` is a message count or a day window relative to the
  server's clock (``1d``, ``1w``). The adapter pages back by count from the newest message until
  it passes the window's start and keeps the window, so an old incident in a busy channel costs
  every page since;
* no subtype, bot id or reply count per message: a bot's post reads as its bot user's message
  (no ``attrs.bot``, the actor is the user's real name) unless the server fills ``BotName``;
  reply counts come from the replies read, and every thread parent's replies are read;
* text is the server's processed text, not Slack's mrkdwn (it rewrites links and drops some
  markup), so mentions may not resolve to names as in the native source;
* no workspace address: permalinks are built from the configured workspace URL unless the
  server answers some;
* users are only those who posted (the server has no user listing tool);
* the server caches unarchived channels only: an archived channel is found by id, not name.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from afteraction.bundle.manifest import SourceEntry
from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.errors import SourceError
from afteraction.sources.mcp.client import McpSession, ToolCall
from afteraction.sources.slack import ts_to_datetime

__all__ = ["LIMITS", "SlackResult", "collect_slack", "parse_csv", "to_message"]

LIMITS = ("slack-mcp-server has no oldest/latest: history is paged back by message count and "
          "filtered to the window; no subtypes or bot ids: bot posts read as their bot user's "
          "messages; text is the server's processed text, not Slack mrkdwn")
_PAGE = "100"
_THREAD_PAGE = "1000"
_MAX_PAGES = 50
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


def parse_csv(call: ToolCall) -> list[dict[str, str]]:
    """The rows of a tool's CSV answer; an answer without the expected header is an error."""
    rows = list(csv.DictReader(io.StringIO(call.text)))
    if call.text.strip() and not rows and "," not in call.text.splitlines()[0]:
        raise SourceError(f"{call.tool} answered no CSV: {call.text[:120]!r}", source="slack",
                          where="slack-mcp-server")
    return rows


def _next_cursor(rows: list[dict[str, str]]) -> str:
    return (rows[-1].get("Cursor") or "").strip() if rows else ""


def to_message(row: dict[str, str], *, where: str) -> dict[str, Any]:
    """One CSV row as the Web API's message object (the fields the row carries)."""
    ts = (row.get("MsgID") or "").strip()
    if not ts:
        raise SourceError("a message row without MsgID", source="slack", where=where)
    message: dict[str, Any] = {"type": "message", "text": row.get("Text") or "", "ts": ts}
    if row.get("UserID"):
        message["user"] = row["UserID"]
    if row.get("ThreadTs"):
        message["thread_ts"] = row["ThreadTs"]
    if row.get("BotName"):
        message.update({"subtype": "bot_message", "username": row["BotName"]})
    return message


def _response(call: ToolCall, server: str, method: str, params: dict[str, str],
              body: dict[str, Any]) -> RawResponse:
    return RawResponse(url=f"mcp://{server}/tools/{call.tool}/api/{method}",
                       body=json.dumps(body).encode(), method="CALL", params=params,
                       meta={"mcp_tool": call.tool, "mcp_arguments": dict(call.arguments),
                             "converted_to": "slack-web-api"})


class SlackResult:
    """The capture and what the server could not give."""

    def __init__(self, capture: RawCapture, notes: list[str], messages: int) -> None:
        self.capture = capture
        self.notes = notes
        self.messages = messages

    def entry(self, base_url: str, web_url: str | None) -> SourceEntry:
        return SourceEntry(status="ok" if self.messages else "no_data",
                           detail="; ".join(self.notes), base_url=base_url, web_url=web_url)


async def _channels(session: McpSession, responses: list[RawResponse]) -> dict[str, str]:
    """Channel name -> id from ``channels_list`` pages, each kept as a conversations.list."""
    found: dict[str, str] = {}
    arguments: dict[str, Any] = {"channel_types": "public_channel,private_channel",
                                 "limit": 999}
    for _ in range(_MAX_PAGES):
        call = await session.call("channels_list", arguments)
        rows = parse_csv(call)
        channels: list[dict[str, Any]] = [
            {"id": r["ID"], "name": (r.get("Name") or "").lstrip("#"),
             "topic": {"value": r.get("Topic") or ""},
             "purpose": {"value": r.get("Purpose") or ""}} for r in rows if r.get("ID")]
        found.update({str(c["name"]): str(c["id"]) for c in channels})
        cursor = _next_cursor(rows)
        responses.append(_response(call, session.config.name, "conversations.list",
                                   {"types": arguments["channel_types"]},
                                   {"ok": True, "channels": channels,
                                    "response_metadata": {"next_cursor": cursor}}))
        if not cursor:
            break
        arguments = {**arguments, "cursor": cursor}
    return found


async def _pages(session: McpSession, tool: str, arguments: dict[str, Any],
                 stop_before: float | None = None) -> tuple[list[ToolCall], list[dict[str, str]]]:
    """Every page of a history/replies tool (or until a page reaches back past
    ``stop_before``); the calls made and all their rows."""
    calls: list[ToolCall] = []
    rows: list[dict[str, str]] = []
    for _ in range(_MAX_PAGES):
        call = await session.call(tool, arguments)
        page = parse_csv(call)
        calls.append(call)
        rows.extend(page)
        cursor = _next_cursor(page)
        if not cursor or (stop_before is not None and page
                          and min(float(r["MsgID"]) for r in page) < stop_before):
            return calls, rows
        arguments = {k: v for k, v in arguments.items() if k != "limit"} | {"cursor": cursor}
    raise SourceError(f"{tool} still had pages after {_MAX_PAGES}", source="slack",
                      where=session.config.name)


def _workspace(rows: list[dict[str, str]], configured: str | None) -> str | None:
    for row in rows:
        link = urlsplit(row.get("Permalink") or "")
        if link.scheme and link.netloc:
            return f"{link.scheme}://{link.netloc}"
    return configured.rstrip("/") if configured else None


def _users(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    members: dict[str, dict[str, Any]] = {}
    for row in rows:
        user = row.get("UserID") or ""
        if not user or user in members:
            continue
        real = row.get("RealName") or ""
        real = "" if real == user else real  # the server echoes the id for unknown users
        name = row.get("UserName") or ""
        members[user] = {"id": user, "name": "" if name == user else name, "real_name": real,
                         "profile": {"real_name": real,
                                     "display_name": "" if name == user else name}}
    return list(members.values())


async def collect_slack(session: McpSession, channel: str, start: datetime, end: datetime,
                        workspace_url: str | None = None) -> SlackResult:
    """The channel's messages in [start, end], every thread they start, and their authors.

    ``channel`` is a name ('#inc-42' or 'inc-42') or an id; ``workspace_url``
    ('https://acme.slack.com') is where permalinks point when the server gives none."""
    server = session.config.name
    responses: list[RawResponse] = []
    notes = [LIMITS]
    name = channel.lstrip("#")
    if _CHANNEL_ID.match(name):
        channel_id = name
        await _channels(session, responses)
    else:
        found = await _channels(session, responses)
        if name not in found:
            notes.append(f"channel #{name} not found (the server lists unarchived channels "
                         "only: give an archived channel's id)")
            return SlackResult(RawCapture("slack", tuple(responses)), notes, 0)
        channel_id = found[name]
    oldest, latest = start.timestamp(), end.timestamp()
    calls, rows = await _pages(session, "conversations_history", {
        "channel_id": channel_id, "limit": _PAGE, "include_activity_messages": True},
        stop_before=oldest)
    kept = [r for r in rows
            if oldest <= ts_to_datetime(r["MsgID"], where=server).timestamp() <= latest]
    thread_rows: list[dict[str, str]] = []
    threads: list[tuple[ToolCall, list[dict[str, Any]]]] = []
    reply_counts: dict[str, int] = {}
    for parent in [r for r in kept if r.get("ThreadTs") and r["ThreadTs"] == r["MsgID"]]:
        thread_calls, replies = await _pages(session, "conversations_replies", {
            "channel_id": channel_id, "thread_ts": parent["MsgID"], "limit": _THREAD_PAGE,
            "include_activity_messages": True})
        thread_rows.extend(replies)
        reply_counts[parent["MsgID"]] = sum(1 for r in replies if r["MsgID"] != parent["MsgID"])
        messages = [to_message(r, where=server) for r in replies]
        threads.append((thread_calls[0], messages))
    history = []
    for row in sorted(kept, key=lambda r: float(r["MsgID"]), reverse=True):
        message = to_message(row, where=server)
        if row["MsgID"] in reply_counts:
            message["reply_count"] = reply_counts[row["MsgID"]]
        history.append(message)
    workspace = _workspace(rows + thread_rows, workspace_url)
    if workspace:
        responses.insert(0, _response(calls[0], server, "auth.test", {},
                                      {"ok": True, "url": f"{workspace}/"}))
    else:
        notes.append("no workspace URL: permalinks point at https://slack.com")
    responses.append(_response(calls[0], server, "conversations.history", {
        "channel": channel_id, "oldest": f"{oldest:.6f}", "latest": f"{latest:.6f}",
        "inclusive": "true"}, {"ok": True, "messages": history, "has_more": False}))
    for call, messages in threads:
        for message in messages:
            if message["ts"] in reply_counts:
                message["reply_count"] = reply_counts[message["ts"]]
        responses.append(_response(call, server, "conversations.replies", {
            "channel": channel_id, "ts": str(call.arguments["thread_ts"])},
            {"ok": True, "messages": messages, "has_more": False}))
    responses.append(_response(calls[0], server, "users.list", {},
                               {"ok": True, "members": _users(rows + thread_rows)}))
    return SlackResult(RawCapture("slack", tuple(responses)), notes, len(history))
