"""Slack export (ZIP or unpacked folder) as the offline alternative to the Web API.

An export holds ``channels.json`` (and ``groups.json`` for private channels), ``users.json``, and
one folder per channel, named after the channel, with one ``YYYY-MM-DD.json`` file per day.
Thread replies sit in the day file of each *reply*, not with their parent, so every day file
that can hold a message of the window is read and messages are kept by their own ``ts``. Old
exports write ``created`` as a string and escape slashes; neither matters here. The events are
exactly those :mod:`afteraction.sources.slack` makes from the API.
"""

from __future__ import annotations

import json
import re
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from afteraction.errors import BundleError, InputError
from afteraction.model.events import Event
from afteraction.model.incident import Window
from afteraction.sources.base import SourceData
from afteraction.sources.slack import Directory, message_event, user_name

__all__ = ["parse_export"]

_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})\.json$")
_WORKSPACE = re.compile(r"https://([a-z0-9][a-z0-9-]*)\.slack\.com/")
_NOT_WORKSPACES = frozenset({"files", "app", "api", "hooks", "a", "downloads", "edgeapi", "www",
                             "status", "slack-files", "ca", "emoji"})


class _Export:
    """Read files from a ZIP (possibly with one top folder) or a directory, by relative name."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.prefix = ""
        if path.is_file():
            try:
                self.zip = zipfile.ZipFile(path)
            except zipfile.BadZipFile as exc:
                raise InputError("not a Slack export: neither a folder nor a ZIP file",
                                 where=str(path)) from exc
            names = self.zip.namelist()
            marker = next((n for n in names if n.rsplit("/", 1)[-1] == "channels.json"), None)
            if marker is not None:
                self.prefix = marker[: -len("channels.json")]
        elif not path.is_dir():
            raise InputError("Slack export does not exist", where=str(path))

    def names(self, folder: str) -> list[str]:
        if self.zip is not None:
            start = f"{self.prefix}{folder}/"
            return sorted(n[len(start):] for n in self.zip.namelist()
                          if n.startswith(start) and "/" not in n[len(start):])
        directory = self.path / folder
        return sorted(p.name for p in directory.iterdir()) if directory.is_dir() else []

    def where(self, name: str) -> str:
        return f"{self.path}:{self.prefix}{name}" if self.zip is not None else str(
            self.path / name)

    def load(self, name: str, *, required: bool = True) -> Any:
        try:
            if self.zip is not None:
                raw = self.zip.read(self.prefix + name)
            else:
                raw = (self.path / name).read_bytes()
        except (KeyError, FileNotFoundError) as exc:
            if not required:
                return None
            raise BundleError("missing from the Slack export", where=self.where(name)) from exc
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            line = getattr(exc, "lineno", None)
            at = f" at line {line}" if line else ""
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
            raise BundleError(f"corrupt JSON{at}: {reason}", where=self.where(name)) from exc


def _channels(export: _Export) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for name in ("channels.json", "groups.json"):
        listed = export.load(name, required=name == "channels.json")
        if listed is None:
            continue
        if not isinstance(listed, list):
            raise BundleError("expected a JSON array of channels", where=export.where(name))
        found.extend(c for c in listed if isinstance(c, dict))
    return found


def _sniff_workspace(messages: list[dict[str, Any]]) -> str | None:
    """Exports do not name their workspace, but file and profile links inside them do."""
    for message in messages:
        for match in _WORKSPACE.finditer(json.dumps(message)):
            if match.group(1) not in _NOT_WORKSPACES:
                return f"https://{match.group(1)}.slack.com"
    return None


def parse_export(path: str | Path, channel: str, window: Window, *,
                 workspace_url: str | None = None) -> SourceData:
    """Messages of one channel (by name or id) within the window, from a Slack export."""
    export = _Export(Path(path))
    wanted = channel.lstrip("#")
    channels = _channels(export)
    match = next((c for c in channels if c.get("name") == wanted or c.get("id") == wanted), None)
    if match is None:
        known = ", ".join(sorted(str(c.get("name")) for c in channels)[:12])
        raise InputError(f"channel '#{wanted}' is not in this export (it has: {known})",
                         where=export.where("channels.json"))
    channel_id, channel_name = str(match.get("id")), str(match.get("name") or match.get("id"))
    directory = Directory(channels={str(c.get("id")): str(c.get("name")) for c in channels})
    members = export.load("users.json", required=False) or []
    for member in members if isinstance(members, list) else []:
        if isinstance(member, dict) and member.get("id"):
            directory.users[str(member["id"])] = user_name(member)
    folder = channel_name if export.names(channel_name) else channel_id
    first = (window.start - timedelta(days=1)).date().isoformat()
    last = (window.end + timedelta(days=1)).date().isoformat()
    raw: list[tuple[dict[str, Any], str]] = []
    for name in export.names(folder):
        day = _DAY.match(name)
        if not day or not first <= day.group(1) <= last:
            continue
        messages = export.load(f"{folder}/{name}")
        if not isinstance(messages, list):
            raise BundleError("expected a JSON array of messages", where=export.where(
                f"{folder}/{name}"))
        raw.extend((m, export.where(f"{folder}/{name}")) for m in messages)
    workspace = (workspace_url or _sniff_workspace([m for m, _ in raw])
                 or "https://slack.com").rstrip("/")
    events: dict[str, Event] = {}
    for message, where in raw:
        event = message_event(message, channel_id=channel_id, channel_name=channel_name,
                              directory=directory, workspace=workspace, where=where)
        if event is not None and window.contains(event.at):
            events.setdefault(event.source_id, event)
    ordered = sorted(events.values(), key=lambda e: (e.at, e.attrs["ts"]))
    return SourceData(events=ordered)
