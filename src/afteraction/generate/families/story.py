"""The human record of a family's incident: the channel and, for some, the war-room bridge.

A family writes the lines that carry its story (who suspected what, the decision, the action);
this module adds the frame every incident channel has (declaration, joins, the alert bot, "what
changed?", status-page updates, mitigated, resolved) and the filler real channels are made of,
sized to 60-200 messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from afteraction.generate.chatter import ChannelBuilder, TranscriptBuilder
from afteraction.generate.families.common import MIN, Plot, World, person
from afteraction.generate.org import PEOPLE, Person
from afteraction.model.events import Event

__all__ = ["Line", "bridge", "channel", "channel_id"]


@dataclass
class Line:
    at: float
    who: Person | None
    text: str
    tag: str | None = None         # names this message so later lines can reply in its thread
    reply_to: str | None = None
    bot: str | None = None
    decision: bool = False         # a key decision statement (goes into the truth)
    subtype: str | None = None


def channel_id(world: World) -> str:
    return "C07" + world.incident_key.replace("-", "")[:8].upper().ljust(8, "X")


def channel(world: World, plot: Plot, lines: list[Line], *, name: str, ic: Person,
            declared: float, summary: str, alert_lines: list[tuple[float, str]],
            extra_filler: tuple[str, ...] = ()) -> tuple[list[Event], dict[str, float]]:
    """The incident channel; returns its events and the time of every tagged message."""
    rng = world.rng
    ch = ChannelBuilder(channel_id(world), name, rng)
    frame = [
        Line(declared - 5, ic, "has joined the channel", subtype="channel_join"),
        Line(declared, ic, f"Declaring {world.incident_key}: {summary}. I'm IC. Bridge is on "
             "zoom, link in the topic."),
        Line(declared + 60, ic, "What changed in the last hour? Please post deploys, config and "
             "flag changes here.", tag="ask"),
        Line(declared + rng.uniform(300, 600), person("hannah"),
             "status page updated: investigating"),
        Line(plot.recovered + rng.uniform(60, 150), ic, "Mitigated: errors back to normal. "
             "Keeping the incident open while we watch."),
        Line(plot.recovered + rng.uniform(180, 300), person("hannah"), "status page: monitoring"),
        Line(plot.resolved, ic, f"Resolved. Thanks all. Postmortem owner: "
             f"{rng.choice(PEOPLE).name.split()[0]}."),
        Line(plot.resolved + rng.uniform(60, 180), person("hannah"), "status page: resolved"),
    ]
    for at, text in alert_lines:
        frame.append(Line(at + rng.uniform(5, 12), None, text, bot="Grafana Alerting"))
    for who in rng.sample(list(PEOPLE), rng.randint(4, 7)):
        if who != ic:
            frame.append(Line(declared + rng.uniform(20, 300), who, "has joined the channel",
                              subtype="channel_join"))
    tags: dict[str, str] = {}
    times: dict[str, float] = {}
    for line in sorted(frame + lines, key=lambda x: x.at):
        thread = tags.get(line.reply_to) if line.reply_to else None
        ts = ch.say(line.at, line.who, line.text, thread=thread, bot=line.bot,
                    subtype=line.subtype)
        if line.tag:
            tags[line.tag] = ts
            times[line.tag] = float(ts)
        if line.decision and line.who is not None:
            world.decisions.append((float(ts), line.who.name))
    target = rng.randint(70, 185)
    missing = max(0, target - len(ch.events))
    people = list(PEOPLE)
    threads = list(tags.values())
    end_busy = plot.recovered + 15 * MIN
    if extra_filler:
        for _ in range(min(missing // 4, 12)):
            ch.say(rng.uniform(declared + 30, end_busy), rng.choice(people),
                   rng.choice(extra_filler))
        missing = max(0, target - len(ch.events))
    busy = int(missing * 0.85)
    ch.filler(declared + 30, end_busy, busy, people, threads)
    ch.filler(end_busy, plot.resolved + 300, missing - busy, people)
    return ch.finish(), times


def bridge(world: World, start: float, lines: Sequence[tuple[float, Person | None, str]], end: float,
           people: list[Person]) -> list[Event]:
    """The war-room transcript from ``start`` to ``end``; lines are at absolute times."""
    rng = world.rng
    recording = "".join(rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
                        for _ in range(20))
    tr = TranscriptBuilder(recording, start, rng)
    for at, who, text in sorted(lines, key=lambda x: x[0]):
        offset = max(1.0, at - start)
        tr.say(offset, who, text)
    tr.filler(0, end - start, people, every=rng.uniform(10.0, 16.0))
    return tr.finish()
