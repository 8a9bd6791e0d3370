"""Zoom: the war-room transcript, from the cloud-recording listing and its VTT files.

A capture holds ``GET /users/{id}/recordings`` pages (or ``/meetings/{id}/recordings``): meetings
with ``recording_files[]``, and the body of each transcript file that was downloaded (the request
URL is the file's ``download_url``). Each cue of a transcript becomes an ``utterance`` event at
``recording_start`` + the cue's start offset. Zoom's audio transcript has numbered cues and a
``Name: `` speaker prefix (some cues have none); the closed-caption variant has neither, and both
parse. Conventions:

* ``source_id`` is ``<recording_id>/<n>``, n the cue's position in the file (from 1);
  ``recording_id`` is the meeting's ``uuid``;
* the url is the meeting's ``share_url`` (else the video's ``play_url``) with ``startTime`` set to
  the cue's epoch milliseconds, which opens the recording at that moment;
* ``attrs``: ``recording_id``, ``offset_seconds``, ``end_offset_seconds`` (milliseconds as
  seconds), ``speaker`` (None when the cue has none); actor = speaker; no services.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.errors import BundleError, InputError
from afteraction.model.events import Event, EventKind
from afteraction.model.time import parse_utc
from afteraction.sources.base import ParseContext, SourceData

__all__ = ["Cue", "parse", "parse_vtt", "parse_vtt_file", "utterances"]

_STAMP = r"((?:\d+:)?\d{1,2}:\d{2}[.,]\d{3})"
_TIMING = re.compile(rf"^{_STAMP}\s+-->\s+{_STAMP}")
_SPEAKER = re.compile(r"^([^:?!\n]{1,64}?):\s+(.*)$", re.DOTALL)
_TRANSCRIPTS = ("TRANSCRIPT", "CC")


@dataclass(frozen=True)
class Cue:
    """One transcript cue: offsets in milliseconds from the recording start."""

    start_ms: int
    end_ms: int
    text: str
    speaker: str | None = None


def _millis(stamp: str) -> int:
    parts = stamp.replace(",", ".").split(":")
    seconds = float(parts[-1])
    minutes = int(parts[-2])
    hours = int(parts[-3]) if len(parts) == 3 else 0
    return (hours * 3600 + minutes * 60) * 1000 + round(seconds * 1000)


def _speaker(text: str) -> tuple[str | None, str]:
    """'Name: words' -> (Name, words); a name has at most six words and no digits."""
    match = _SPEAKER.match(text)
    if not match:
        return None, text
    name = match.group(1).strip()
    if (not name or len(name.split()) > 6 or any(ch.isdigit() for ch in name)
            or name.startswith(("http", "www"))):
        return None, text
    return name, match.group(2).strip()


def parse_vtt(text: str, *, where: str = "transcript") -> list[Cue]:
    """The cues of a WebVTT file (Zoom transcript or closed captions), in file order."""
    body = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not body.startswith("WEBVTT"):
        raise BundleError("not a WebVTT file: it does not start with 'WEBVTT'", where=where)
    cues: list[Cue] = []
    for block in re.split(r"\n[ \t]*\n", body):
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines or lines[0].startswith(("WEBVTT", "NOTE", "STYLE", "REGION")):
            continue
        timing_at = next((i for i, line in enumerate(lines[:2]) if "-->" in line), None)
        if timing_at is None:
            raise BundleError(f"cue without a timing line: {lines[0][:60]!r}", where=where)
        match = _TIMING.match(lines[timing_at].strip())
        if not match:
            raise BundleError(f"bad cue timing {lines[timing_at].strip()!r}", where=where)
        words = " ".join(line.strip() for line in lines[timing_at + 1:])
        speaker, words = _speaker(words)
        cues.append(Cue(_millis(match.group(1)), _millis(match.group(2)), words, speaker))
    return cues


def utterances(cues: list[Cue], *, recording_start: datetime, recording_id: str,
               url: str) -> list[Event]:
    """Cues as utterance events; ``url`` gets the ``startTime`` of each cue."""
    joiner = "&" if "?" in url else "?"
    events = []
    for position, cue in enumerate(cues, start=1):
        at = recording_start + timedelta(milliseconds=cue.start_ms)
        epoch_ms = round(at.timestamp() * 1000)
        events.append(Event.fast(
            source="zoom", kind=EventKind.UTTERANCE, source_id=f"{recording_id}/{position}",
            at=at, url=f"{url}{joiner}startTime={epoch_ms}", text=cue.text, actor=cue.speaker,
            attrs={"recording_id": recording_id, "offset_seconds": cue.start_ms / 1000,
                   "end_offset_seconds": cue.end_ms / 1000, "speaker": cue.speaker}))
    return events


def parse_vtt_file(path: str | Path, recording_start: datetime, *, recording_id: str | None = None,
                   url: str | None = None) -> SourceData:
    """A local VTT file (a downloaded transcript) as utterances: the offline alternative."""
    file = Path(path)
    if recording_start.tzinfo is None:
        raise InputError("recording start has no UTC offset", where=str(file))
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError("transcript file does not exist", where=str(file)) from exc
    except UnicodeDecodeError as exc:
        raise InputError("transcript is not UTF-8 text", where=str(file)) from exc
    ident = recording_id or file.stem
    cues = parse_vtt(text, where=str(file))
    return SourceData(events=utterances(cues, recording_start=recording_start, recording_id=ident,
                                        url=url or file.resolve().as_uri()))


@dataclass(frozen=True)
class _Recording:
    meeting: dict[str, Any]
    file: dict[str, Any]


def _meetings(body: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(body, dict):
        raise BundleError("Zoom recordings answer is not a JSON object", where=where)
    if "code" in body and "message" in body and "meetings" not in body:
        raise BundleError(f"Zoom error {body['code']}: {body['message']}", where=where)
    if "meetings" in body:
        meetings = body["meetings"]
        if not isinstance(meetings, list):
            raise BundleError("'meetings' is not a list", where=where)
        return [m for m in meetings if isinstance(m, dict)]
    if "recording_files" in body:
        return [body]
    raise BundleError("Zoom recordings answer has neither 'meetings' nor 'recording_files'",
                      where=where)


def _strip(url: str) -> str:
    return url.split("?", 1)[0].rstrip("/")


def _link(meeting: dict[str, Any], file: dict[str, Any]) -> str:
    if meeting.get("share_url"):
        return str(meeting["share_url"])
    for candidate in meeting.get("recording_files") or []:
        if candidate.get("file_type") in ("MP4", "M4A") and candidate.get("play_url"):
            return str(candidate["play_url"])
    return str(file.get("play_url") or file.get("download_url") or "https://zoom.us/recording")


def parse(capture: RawCapture, ctx: ParseContext) -> SourceData:
    """Utterances of every transcript in the capture, oldest first."""
    by_url: dict[str, _Recording] = {}
    by_id: dict[str, _Recording] = {}
    vtts: list[RawResponse] = []
    for response in capture.responses:
        path = _strip(response.url)
        if path.endswith("/recordings"):
            for meeting in _meetings(response.json(), response.file or response.url):
                for file in meeting.get("recording_files") or []:
                    if isinstance(file, dict) and file.get("file_type") in _TRANSCRIPTS:
                        entry = _Recording(meeting, file)
                        if file.get("download_url"):
                            by_url[_strip(str(file["download_url"]))] = entry
                        if file.get("id"):
                            by_id[str(file["id"])] = entry
        else:
            vtts.append(response)
    matched: list[tuple[RawResponse, _Recording]] = []
    for response in vtts:
        recording = (by_url.get(_strip(response.url))
                     or by_id.get(str(response.meta.get("recording_file_id", ""))))
        if recording is None:
            raise BundleError("transcript download matches no recording file in the captured "
                              "listing (by download_url)", where=response.file or response.url)
        matched.append((response, recording))
    # The audio transcript names speakers; captions of the same meeting would repeat it.
    matched.sort(key=lambda item: item[1].file.get("file_type") != "TRANSCRIPT")
    done: set[str] = set()
    events: list[Event] = []
    for response, recording in matched:
        where = response.file or response.url
        meeting, file = recording.meeting, recording.file
        recording_id = str(meeting.get("uuid") or meeting.get("id"))
        if recording_id in done:
            continue
        done.add(recording_id)
        start_text = file.get("recording_start") or meeting.get("start_time")
        if not start_text:
            raise BundleError("recording file has no recording_start", where=where)
        start = parse_utc(str(start_text), where=where)
        cues = parse_vtt(response.text(), where=where)
        events.extend(utterances(cues, recording_start=start, recording_id=recording_id,
                                 url=_link(meeting, file)))
    events.sort(key=lambda e: (e.at, e.source_id))
    return SourceData(events=events)
