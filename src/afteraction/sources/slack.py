"""Slack: the incident channel's messages and threads, read from the Web API's raw pages.

A capture holds, in request order: ``auth.test`` (whose ``url`` is the workspace address the
permalinks point at), ``conversations.list`` pages or ``conversations.info`` (channel id -> name),
``users.list`` pages (user id -> real name), ``conversations.history`` pages (newest first, cursor
paged, ``channel`` in the request params) and one ``conversations.replies`` call per thread parent
(the parent first, then its replies).

Every message the channel shows becomes a ``message`` event: people's messages, bot posts
(alerting bots put their words in attachments; ``attrs.bot`` is true and the actor is the bot's
name) and system lines such as joins (``attrs.subtype``). Deleted messages (``tombstone``) and
hidden messages are skipped. Conventions:

* ``source_id`` is ``<channel id>/<ts>``; the url is the message permalink, with
  ``?thread_ts=..&cid=..`` for thread replies;
* ``attrs``: ``channel``, ``channel_name``, ``ts`` always; ``thread_ts`` for thread parents and
  replies; ``reply_count`` for thread parents; ``user_id`` for people (absent for bots);
  ``bot`` (true) for bots; ``subtype`` for any subtype other than ``bot_message``;
* system lines drop the acting user's leading mention: a join's text is "has joined the channel";
* ``text`` is Slack's mrkdwn turned into plain text: ``<@U..>`` -> ``@Real Name``, ``<#C..|x>``
  -> ``#x``, ``<!here>`` -> ``@here``, links -> their url (or ``label (url)``), entities unescaped;
* ``services`` is empty: which services a conversation names is the analysis's question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import Any

from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.errors import BundleError
from afteraction.model.events import Event, EventKind, event_id
from afteraction.sources.base import ParseContext, SourceData

__all__ = ["SKIPPED_SUBTYPES", "Directory", "check_ok", "message_event", "method_of", "parse",
           "permalink", "slack_text", "ts_to_datetime"]

SKIPPED_SUBTYPES = frozenset({"tombstone", "message_deleted", "message_changed",
                              "message_replied"})
"""Subtypes that are not something a person saw in the channel at that time."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TS = re.compile(r"^(\d{1,12})(?:\.(\d{1,6}))?$")
_TOKEN = re.compile(r"<([^<>\n]+)>")
_SYSTEM_SUBTYPES = frozenset({"channel_join", "channel_leave", "channel_topic", "channel_purpose",
                              "channel_name", "channel_archive", "channel_unarchive",
                              "group_join", "group_leave", "file_share", "file_comment",
                              "pinned_item", "bot_add", "bot_remove"})
_LEADING_MENTION = re.compile(r"^<@[A-Z0-9]+(?:\|[^>]*)?>\s*")
_MESSAGE = EventKind.MESSAGE


@dataclass
class Directory:
    """Names Slack refers to by id: users (id -> real name) and channels (id -> name)."""

    users: dict[str, str] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)


def method_of(response: RawResponse) -> str:
    """The Web API method a response answers: 'conversations.history'."""
    return response.url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def check_ok(response: RawResponse) -> dict[str, Any]:
    """The body of a Web API answer; Slack reports errors as HTTP 200 with ``ok: false``."""
    where = response.file or response.url
    body = response.json()
    if not isinstance(body, dict):
        raise BundleError(f"Slack {method_of(response)} answer is not a JSON object", where=where)
    if body.get("ok") is False or "error" in body and body.get("ok") is not True:
        error = body.get("error", "unknown_error")
        needed = f" (needed scope: {body['needed']})" if body.get("needed") else ""
        raise BundleError(f"Slack {method_of(response)} failed with error '{error}'{needed}",
                          where=where)
    return body


def ts_to_datetime(ts: str, *, where: str | None = None) -> datetime:
    """A Slack ts ('1512085950.000216') to an exact UTC time, without float rounding."""
    text = ts if isinstance(ts, str) else str(ts)
    seconds, dot, fraction = text.partition(".")
    if len(fraction) == 6 and seconds.isdigit() and fraction.isdigit():
        return _EPOCH + timedelta(0, int(seconds), int(fraction))
    if not (seconds.isdigit() and (not dot or (fraction.isdigit() and len(fraction) <= 6))):
        match = _TS.match(text.strip())
        if not match:
            raise BundleError(f"not a Slack ts: {ts!r}", where=where)
        seconds, fraction = match.group(1), (match.group(2) or "")
    return _EPOCH + timedelta(seconds=int(seconds), microseconds=int(fraction.ljust(6, "0")))


def permalink(workspace: str, channel: str, ts: str, thread_ts: str | None = None) -> str:
    """The link Slack's 'Copy link' gives: replies carry their thread and channel."""
    url = f"{workspace.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"
    if thread_ts and thread_ts != ts:
        url += f"?thread_ts={thread_ts}&cid={channel}"
    return url


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _token_text(token: str, directory: Directory) -> str:
    target, _, label = token.partition("|")
    target, label = _unescape(target), _unescape(label)
    if target.startswith("@"):
        name = directory.users.get(target[1:])
        return f"@{name}" if name else (f"@{label.lstrip('@')}" if label else target)
    if target.startswith("#"):
        name = label or directory.channels.get(target[1:]) or target[1:]
        return f"#{name}"
    if target.startswith("!"):
        command = target[1:]
        if command in ("here", "channel", "everyone"):
            return f"@{command}"
        if label:
            return label
        return "@" + command.split("^", 1)[-1]
    if not label:
        return target.removeprefix("mailto:")
    bare = re.sub(r"^[a-z]+://", "", target).removeprefix("mailto:").rstrip("/")
    return label if label.rstrip("/") == bare or label == target else f"{label} ({target})"


def slack_text(text: str, directory: Directory) -> str:
    """Slack mrkdwn to the plain words a reader saw (mentions by name, links, entities)."""
    if "<" not in text and "&" not in text:
        return text
    out: list[str] = []
    position = 0
    for match in _TOKEN.finditer(text):
        out.append(_unescape(text[position:match.start()]))
        out.append(_token_text(match.group(1), directory))
        position = match.end()
    out.append(_unescape(text[position:]))
    return "".join(out)


def _attachment_text(message: dict[str, Any], directory: Directory) -> str:
    parts = []
    for attachment in message.get("attachments") or []:
        if not isinstance(attachment, dict):
            continue
        words = attachment.get("title") or attachment.get("fallback") or attachment.get("text")
        if words:
            parts.append(slack_text(str(words), directory))
    return "\n".join(parts)


def message_event(message: dict[str, Any], *, channel_id: str, channel_name: str,
                  directory: Directory, workspace: str, where: str) -> Event | None:
    """One Slack message object (API or export) as an event; None for what nobody saw."""
    if not isinstance(message, dict) or "ts" not in message:
        raise BundleError("a message without 'ts'", where=where)
    get = message.get
    subtype = get("subtype")
    if subtype in SKIPPED_SUBTYPES or get("hidden"):
        return None
    ts = message["ts"]
    if not isinstance(ts, str):
        ts = str(ts)
    at = ts_to_datetime(ts, where=where)
    raw_text = get("text") or ""
    if not isinstance(raw_text, str):
        raw_text = str(raw_text)
    if subtype in _SYSTEM_SUBTYPES:
        # "<@U123> has joined the channel": the actor already says who.
        raw_text = _LEADING_MENTION.sub("", raw_text, count=1)
    text = slack_text(raw_text, directory).strip()
    if not text and get("attachments"):
        text = _attachment_text(message, directory).strip()
    attrs: dict[str, Any] = {"channel": channel_id, "channel_name": channel_name, "ts": ts}
    thread_ts = get("thread_ts")
    if thread_ts:
        thread_ts = str(thread_ts)
        attrs["thread_ts"] = thread_ts
        if thread_ts == ts:
            attrs["reply_count"] = int(get("reply_count") or 0)
    user = get("user")
    if subtype == "bot_message" or get("bot_id"):
        profile = get("bot_profile") or {}
        actor = (get("username") or profile.get("name")
                 or (directory.users.get(user) if user else None) or get("bot_id"))
        attrs["bot"] = True
    else:
        actor = directory.users.get(user) if user else None
        if not actor:
            actor = (get("user_profile") or {}).get("real_name") or user
        attrs["user_id"] = user
    if subtype and subtype != "bot_message":
        attrs["subtype"] = subtype
    return Event.fast(source="slack", kind=_MESSAGE, source_id=f"{channel_id}/{ts}", at=at,
                      url=permalink(workspace, channel_id, ts, thread_ts), text=text,
                      actor=str(actor) if actor else None, attrs=attrs)


def _page_events(messages: list[Any], *, channel_id: str, channel_name: str,
                 directory: Directory, workspace: str, where: str,
                 into: dict[str, Event]) -> None:
    """Every message of one page into ``into`` by source id, the first copy winning.

    Most messages are a known person's plain words with a standard ts. Those take a short path
    that builds exactly the event :func:`message_event` builds (a test holds the two equal);
    everything else goes through it. On 50,000 messages the short path saves a fifth of a
    second.
    """
    users = directory.users
    link = f"{workspace.rstrip('/')}/archives/{channel_id}/p"
    for message in messages:
        if type(message) is dict and "subtype" not in message and "bot_id" not in message \
                and "hidden" not in message:
            ts = message.get("ts")
            text = message.get("text")
            thread_ts = message.get("thread_ts")
            actor = users.get(message.get("user"))  # type: ignore[arg-type]
            if actor and type(ts) is str and type(text) is str and len(ts) == 17 \
                    and ts[10] == "." and ts[:10].isdigit() and ts[11:].isdigit() \
                    and "<" not in text and "&" not in text \
                    and (thread_ts is None or (type(thread_ts) is str and thread_ts != ts)):
                text = text.strip()
                if text:
                    source_id = f"{channel_id}/{ts}"
                    if source_id not in into:
                        attrs = {"channel": channel_id, "channel_name": channel_name, "ts": ts}
                        url = link + ts[:10] + ts[11:]
                        if thread_ts:
                            attrs["thread_ts"] = thread_ts
                            url += f"?thread_ts={thread_ts}&cid={channel_id}"
                        attrs["user_id"] = message["user"]
                        into[source_id] = Event.from_parts(
                            event_id("slack", "message", source_id), "slack", _MESSAGE,
                            ts_to_datetime(ts), source_id, url, text, actor, (), attrs)
                    continue
        event = message_event(message, channel_id=channel_id, channel_name=channel_name,
                              directory=directory, workspace=workspace, where=where)
        if event is not None and event.source_id not in into:
            into[event.source_id] = event


def user_name(member: dict[str, Any]) -> str:
    """What a person is called in the timeline: the profile's real name, then display name."""
    profile = member.get("profile") or {}
    for candidate in (profile.get("real_name"), member.get("real_name"),
                      profile.get("display_name"), member.get("name")):
        if candidate:
            return str(candidate)
    return str(member.get("id", ""))


def _directory(responses: list[tuple[RawResponse, dict[str, Any]]]) -> Directory:
    directory = Directory()
    for response, body in responses:
        method = method_of(response)
        if method == "users.list":
            for member in body.get("members") or []:
                if isinstance(member, dict) and member.get("id"):
                    directory.users[member["id"]] = user_name(member)
        elif method == "users.info" and isinstance(body.get("user"), dict):
            directory.users[body["user"]["id"]] = user_name(body["user"])
        elif method == "conversations.list":
            for channel in body.get("channels") or []:
                if isinstance(channel, dict) and channel.get("id"):
                    directory.channels[channel["id"]] = str(channel.get("name") or channel["id"])
        elif method == "conversations.info" and isinstance(body.get("channel"), dict):
            channel = body["channel"]
            directory.channels[channel["id"]] = str(channel.get("name") or channel["id"])
    return directory


def _workspace(responses: list[tuple[RawResponse, dict[str, Any]]], ctx: ParseContext) -> str:
    for response, body in responses:
        if method_of(response) == "auth.test" and body.get("url"):
            return str(body["url"]).rstrip("/")
    return (ctx.entry.web_url or "https://slack.com").rstrip("/")


def _channel_of(response: RawResponse, directory: Directory, ctx: ParseContext) -> str:
    channel = response.params.get("channel")
    if channel:
        return str(channel)
    wanted = (ctx.incident.channel or "").lstrip("#")
    found = [cid for cid, name in directory.channels.items() if name == wanted]
    if wanted and len(found) == 1:
        return found[0]
    raise BundleError(f"no 'channel' request param, and the incident channel '#{wanted}' is not "
                      "in the captured conversations.list", where=response.file or response.url)


def parse(capture: RawCapture, ctx: ParseContext) -> SourceData:
    """Messages and thread replies of the captured channels, oldest first, each once."""
    bodies = [(response, check_ok(response)) for response in capture.responses]
    directory = _directory(bodies)
    workspace = _workspace(bodies, ctx)
    events: dict[str, Event] = {}
    for response, body in bodies:
        if method_of(response) not in ("conversations.history", "conversations.replies"):
            continue
        messages = body.get("messages")
        if not isinstance(messages, list):
            raise BundleError(f"Slack {method_of(response)} answer has no 'messages' list",
                              where=response.file or response.url)
        channel_id = _channel_of(response, directory, ctx)
        channel_name = directory.channels.get(channel_id) or (ctx.incident.channel or channel_id)
        _page_events(messages, channel_id=channel_id, channel_name=channel_name.lstrip("#"),
                     directory=directory, workspace=workspace,
                     where=response.file or response.url, into=events)
    ordered = sorted(events.values(), key=attrgetter("at", "source_id"))
    return SourceData(events=ordered)
