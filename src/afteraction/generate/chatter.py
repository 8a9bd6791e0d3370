"""Builders for the human record: an incident channel and a war-room transcript, with noise.

Scripted lines carry the story; filler lines are what real channels are mostly made of (joins,
"+1", "looking", questions about dashboards, status-page updates) so the analysis has to find the
signal the way an engineer would.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from afteraction.generate.org import Person
from afteraction.model.events import Event, EventKind
from afteraction.model.time import utc_from_epoch

__all__ = ["FILLER", "HUMAN_FILLER", "LOCAL_ZONES", "SUPPORT_REPORTS", "TRANSCRIPT_FILLER",
           "ChannelBuilder", "TranscriptBuilder", "local_clock"]

FILLER = (
    "looking", "+1", "on it", "joining", "which dashboard are we looking at?", ":eyes:",
    "I can take comms", "anyone from payments around?", "brb 2 min", "back",
    "customer success is asking for an ETA", "status page updated", "is this the main channel?",
    "pulling up the traces now", "can someone share the grafana link?", "nothing weird in our logs",
    "who's scribing?", "I'll keep the timeline in the doc", "ack", "still seeing errors here",
    "same here", "thanks", "cc @here", "reading back", "let's keep this channel for the incident",
    "not seeing anything in the CDN", "db dashboards look normal to me", "ok", "sounds good",
    "I'll update support", "there's also a zoom bridge if people want to join",
    "my queries are slow too", "checking the queue depth", "nothing in the pager for my team",
    "can we get a status page update out?", "exec asking in #leadership for a summary",
)

TRANSCRIPT_FILLER = (
    "Can everyone see my screen?", "Yeah, we can see it.", "Give me one second.",
    "Sorry, I was on mute.", "Okay.", "Let me pull that up.", "Can you zoom in a bit?",
    "I'm looking at the same graph.", "Hmm.", "Right.", "Is that the five minute rate?",
    "I think so, yeah.", "Let me share the trace view instead.", "Who else is on the bridge?",
    "Support is asking for an update.", "I'll write that in the channel.", "Okay, go on.",
    "Yep.", "Let's not jump to conclusions yet.", "Can we scroll back an hour?",
    "That's just the daily peak.", "Anything in the logs?", "Still loading.",
)


def _ts(epoch: float, used: set[str]) -> str:
    """Slack ts strings are unique per channel: bump by a microsecond on collision."""
    micros = int(round(epoch * 1_000_000))
    while True:
        text = f"{micros // 1_000_000}.{micros % 1_000_000:06d}"
        if text not in used:
            used.add(text)
            return text
        micros += 1


@dataclass
class ChannelBuilder:
    channel_id: str
    channel_name: str
    rng: random.Random
    events: list[Event] = field(default_factory=list)
    _used: set[str] = field(default_factory=set)
    _replies: dict[str, int] = field(default_factory=dict)
    _root: dict[str, str] = field(default_factory=dict)

    def say(self, at: float, who: Person | None, text: str, *, thread: str | None = None,
            bot: str | None = None, subtype: str | None = None) -> str:
        """Post a message; returns its ts (use it as ``thread`` to reply)."""
        if thread:
            # Slack threads are one level deep: a reply to a reply joins the root's thread,
            # and a reply never predates its parent.
            thread = self._root.get(thread, thread)
            at = max(at, float(thread) + 1.0)
        ts = _ts(at, self._used)
        attrs: dict[str, object] = {"channel": self.channel_id, "channel_name": self.channel_name,
                                    "ts": ts}
        if thread:
            self._root[ts] = thread
            attrs["thread_ts"] = thread
            self._replies[thread] = self._replies.get(thread, 0) + 1
        if bot:
            attrs["bot"] = True
        else:
            attrs["user_id"] = who.user_id if who else None
        if subtype:
            attrs["subtype"] = subtype
        self.events.append(Event.make(
            source="slack", kind=EventKind.MESSAGE, source_id=f"{self.channel_id}/{ts}",
            at=utc_from_epoch(float(ts)), url=f"https://acme.slack.com/archives/{self.channel_id}/"
            f"p{ts.replace('.', '')}", text=text, actor=bot or (who.name if who else None),
            attrs=attrs))
        return ts

    def filler(self, start: float, end: float, count: int, people: list[Person],
               threads: list[str] | None = None) -> None:
        for _ in range(count):
            at = self.rng.uniform(start, end)
            thread = None
            open_threads = [t for t in threads or () if float(t) < at]
            if open_threads and self.rng.random() < 0.3:
                thread = self.rng.choice(open_threads)
            self.say(at, self.rng.choice(people), self.rng.choice(FILLER), thread=thread)

    def finish(self) -> list[Event]:
        """Events sorted by time, with thread parents' reply counts filled in."""
        out = []
        for event in self.events:
            ts = event.attrs["ts"]
            if ts in self._replies and "thread_ts" not in event.attrs:
                attrs = {**event.attrs, "thread_ts": ts, "reply_count": self._replies[ts]}
                event = event.model_copy(update={"attrs": attrs})
            out.append(event)
        return sorted(out, key=lambda e: (e.at, e.attrs["ts"]))


@dataclass
class TranscriptBuilder:
    """Utterances of one recorded meeting; offsets are seconds from the recording start."""

    recording_id: str
    recording_start: float
    rng: random.Random
    events: list[Event] = field(default_factory=list)

    def say(self, offset: float, who: Person | None, text: str) -> None:
        duration = max(1.2, min(14.0, len(text) / 14.0 + self.rng.uniform(0.3, 1.5)))
        speaker = who.name if who else None
        self.events.append(Event.make(
            source="zoom", kind=EventKind.UTTERANCE,
            source_id=f"{self.recording_id}/{len(self.events) + 1}",
            at=utc_from_epoch(round(self.recording_start + offset, 3)),
            url=f"https://acme.zoom.us/rec/share/{self.recording_id}?startTime="
                f"{int((self.recording_start + offset) * 1000)}",
            text=text, actor=speaker,
            attrs={"recording_id": self.recording_id, "offset_seconds": round(offset, 3),
                   "end_offset_seconds": round(offset + duration, 3), "speaker": speaker}))

    def filler(self, start: float, end: float, people: list[Person], every: float = 11.0) -> None:
        offset = start
        while offset < end:
            offset += self.rng.uniform(0.5, 2.0) * every
            if offset < end:
                who = None if self.rng.random() < 0.05 else self.rng.choice(people)
                self.say(offset, who, self.rng.choice(TRANSCRIPT_FILLER))

    def finish(self) -> list[Event]:
        ordered = sorted(self.events, key=lambda e: e.attrs["offset_seconds"])
        # Zoom cues never overlap: trim each cue to end before the next begins.
        out = []
        for position, event in enumerate(ordered):
            attrs = dict(event.attrs)
            if position + 1 < len(ordered):
                nxt = ordered[position + 1].attrs["offset_seconds"]
                attrs["end_offset_seconds"] = round(min(attrs["end_offset_seconds"], nxt - 0.05), 3)
                if attrs["end_offset_seconds"] <= attrs["offset_seconds"]:
                    attrs["end_offset_seconds"] = round(attrs["offset_seconds"] + 0.01, 3)
            out.append(event.model_copy(update={"attrs": attrs}))
        return out


# --------------------------------------------------------------------------- scenario-suite helpers

LOCAL_ZONES: dict[str, tuple[int, str]] = {
    "PT": (-7 * 3600, "PT"), "MT": (-6 * 3600, "MT"), "ET": (-4 * 3600, "ET"),
    "UK": (3600, "UK time"), "CET": (2 * 3600, "CET"), "IST": (5 * 3600 + 1800, "IST"),
}
"""Offsets people mean by these names between May and September (daylight saving in force)."""

SUPPORT_REPORTS = (
    "customers report {what} failing", "getting a wave of tickets: customers say {what} is broken",
    "heads up, support is seeing customers unable to use {what}",
    "customers report {what} failing, several enterprise accounts in the queue already",
)

HUMAN_FILLER = (
    "is anyone else getting paged?", "I'm in a meeting, will join in 5", "who is IC?",
    "can we get someone from support in here", "more tickets coming in", "still broken for me",
    "tried from my phone, same", "is it all regions?", "seems to be all regions",
    "twitter is noticing", "status page is still green fwiw",
)


def local_clock(epoch: float, zone: str) -> str:
    """A UTC epoch as people write a local time in chat: '9:50 PT' (summer offsets)."""
    offset, label = LOCAL_ZONES[zone]
    text = utc_from_epoch(epoch + offset).strftime("%H:%M").lstrip("0")
    return f"{'0' if text.startswith(':') else ''}{text} {label}"
