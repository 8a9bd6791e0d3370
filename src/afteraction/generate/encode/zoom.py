"""Render a scenario's war-room utterances as Zoom's recording listing and transcript VTT files.

One meeting per ``recording_id``: ``GET /users/me/recordings?from&to`` lists it (with the usual
video, audio and timeline files, beside an unrelated meeting of the same day), and the TRANSCRIPT
file's ``download_url`` returns the VTT exactly as Zoom writes it: numbered cues,
``HH:MM:SS.mmm --> HH:MM:SS.mmm``, ``Name: words`` (no prefix when the speaker is unknown) and a
trailing blank line. Zoom times are whole seconds, so the recording starts at a whole second and
the cue offsets carry the milliseconds.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.generate.scenario import Scenario
from afteraction.model.events import Event, EventKind

__all__ = ["encode", "vtt_text"]


def _zoom_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _stamp(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _token(*parts: object) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:32]


def vtt_text(cues: list[tuple[int, int, str | None, str]]) -> str:
    """(start ms, end ms, speaker, words) cues as Zoom's transcript VTT."""
    out = ["WEBVTT\n\n"]
    for number, (start, end, speaker, words) in enumerate(cues, start=1):
        line = f"{speaker}: {words}" if speaker else words
        out.append(f"{number}\n{_stamp(start)} --> {_stamp(end)}\n{line}\n\n")
    return "".join(out)


def _recording_start(events: list[Event]) -> datetime:
    first = min(events, key=lambda e: e.at)
    offset = first.attrs.get("offset_seconds")
    guess = first.at - timedelta(seconds=float(offset) if offset is not None else 7.0)
    whole = datetime.fromtimestamp(math.floor(guess.timestamp()), tz=UTC)
    return whole


def _cues(events: list[Event], start: datetime) -> list[tuple[int, int, str | None, str]]:
    cues = []
    for event in sorted(events, key=lambda e: e.at):
        begin = round((event.at - start).total_seconds() * 1000)
        end_attr = event.attrs.get("end_offset_seconds")
        end = (round(float(end_attr) * 1000) if end_attr is not None
               else begin + max(1200, len(event.text) * 70))
        speaker = event.attrs.get("speaker", event.actor)
        cues.append((begin, max(end, begin + 10), speaker, " ".join(event.text.split())))
    return cues


def _file(meeting_uuid: str, kind: str, start: datetime, end: datetime, web: str,
          size: int, **extra: Any) -> dict[str, Any]:
    token = _token(meeting_uuid, kind)
    file: dict[str, Any] = {
        "meeting_id": meeting_uuid, "recording_start": _zoom_time(start),
        "recording_end": _zoom_time(end), "file_type": kind,
        "download_url": f"{web}/rec/download/{token}"}
    if kind not in ("TIMELINE", "CC"):
        file.update({"id": _uuidish(token), "file_size": size, "status": "completed",
                     "play_url": f"{web}/rec/play/{token}"})
    file.update(extra)
    return file


def _uuidish(token: str) -> str:
    return f"{token[:8]}-{token[8:12]}-{token[12:16]}-{token[16:20]}-{token[20:32]}"


def encode(scenario: Scenario) -> RawCapture:
    """The raw Zoom listing and transcript downloads for the scenario's window."""
    entry = scenario.entries.get("zoom")
    base = (entry.base_url if entry and entry.base_url else "https://api.zoom.us/v2").rstrip("/")
    web = (entry.web_url if entry and entry.web_url else "https://zoom.us").rstrip("/")
    groups: dict[str, list[Event]] = defaultdict(list)
    for event in scenario.events_of("zoom"):
        if event.kind == EventKind.UTTERANCE:
            groups[str(event.attrs.get("recording_id") or scenario.incident.id)].append(event)

    meetings: list[dict[str, Any]] = []
    downloads: list[tuple[str, str, str]] = []
    for recording_id, events in sorted(groups.items()):
        start = _recording_start(events)
        cues = _cues(events, start)
        end = start + timedelta(milliseconds=max(c[1] for c in cues) + 4000)
        vtt = vtt_text(cues)
        transcript = _file(recording_id, "TRANSCRIPT", start, end, web, len(vtt.encode()),
                           file_extension="VTT", recording_type="audio_transcript")
        meeting_number = int(hashlib.sha1(recording_id.encode()).hexdigest()[:9], 16) % 10**11
        meetings.append({
            "uuid": recording_id, "id": meeting_number, "account_id": "Cx3wERazSgup7ZWRHQM8-w",
            "host_id": "_0ctZtY0REqWalTmwvrdIw", "topic": f"{scenario.incident.id} war room",
            "type": 1, "start_time": _zoom_time(start - timedelta(seconds=23)),
            "timezone": "UTC", "duration": max(1, round((end - start).total_seconds() / 60)),
            "total_size": 0, "recording_count": 4,
            "share_url": f"{web}/rec/share/{_token(recording_id, 'share')}",
            "recording_files": [
                _file(recording_id, "MP4", start, end, web, 48_211_344, file_extension="MP4",
                      recording_type="shared_screen_with_speaker_view"),
                _file(recording_id, "M4A", start, end, web, 7_220_113, file_extension="M4A",
                      recording_type="audio_only"),
                transcript,
                _file(recording_id, "TIMELINE", start, end, web, 0, file_extension="JSON")]})
        name = f"GMT{start.strftime('%Y%m%d-%H%M%S')}_Recording.transcript.vtt"
        downloads.append((transcript["download_url"], name, vtt))

    day = scenario.window.start - timedelta(hours=5)
    decoy_start = day.replace(minute=0, second=0, microsecond=0)
    decoy = "nS7Jm0kCQ8yJ2fD1pVb3wA=="
    meetings.append({
        "uuid": decoy, "id": 81234567890, "account_id": "Cx3wERazSgup7ZWRHQM8-w",
        "host_id": "_0ctZtY0REqWalTmwvrdIw", "topic": "Platform weekly sync", "type": 8,
        "start_time": _zoom_time(decoy_start), "timezone": "UTC", "duration": 31,
        "total_size": 0, "recording_count": 2,
        "share_url": f"{web}/rec/share/{_token(decoy, 'share')}",
        "recording_files": [
            _file(decoy, "MP4", decoy_start, decoy_start + timedelta(minutes=31), web,
                  88_120_448, file_extension="MP4", recording_type="active_speaker"),
            _file(decoy, "M4A", decoy_start, decoy_start + timedelta(minutes=31), web,
                  14_004_992, file_extension="M4A", recording_type="audio_only")]})
    meetings.sort(key=lambda m: m["start_time"], reverse=True)
    for meeting in meetings:
        meeting["total_size"] = sum(f.get("file_size", 0) for f in meeting["recording_files"])

    listing = {"from": scenario.window.start.strftime("%Y-%m-%d"),
               "to": scenario.window.end.strftime("%Y-%m-%d"), "page_count": 1,
               "page_size": 30, "total_records": len(meetings), "next_page_token": "",
               "meetings": meetings}
    responses = [RawResponse(
        url=f"{base}/users/me/recordings",
        params={"from": listing["from"], "to": listing["to"], "page_size": 30},
        headers={"content-type": "application/json;charset=UTF-8"},
        body=(json.dumps(listing, indent=1) + "\n").encode(), file="0001-recordings.json")]
    for position, (url, name, vtt) in enumerate(downloads, start=2):
        responses.append(RawResponse(url=url, body=vtt.encode(),
                                     headers={"content-type": "text/vtt; charset=utf-8"},
                                     file=f"{position:04d}-{name}"))
    return RawCapture(source="zoom", responses=tuple(responses))
