"""A large incident for benchmarks: the demo incident at the scale of a big organisation's day.

Tens of thousands of chat messages, hundreds of metric series (per-pod series on top of the SLO
series), thousands of changes and tickets, a two-hour bridge. The story underneath is the demo's,
so a benchmark can also check the answer did not change with the volume.
"""

from __future__ import annotations

import random

import numpy as np

from afteraction.generate import records as rec
from afteraction.generate.chatter import ChannelBuilder, TranscriptBuilder
from afteraction.generate.demo import DEMO_SEED, demo_scenario
from afteraction.generate.metrics import series_for_service
from afteraction.generate.org import PEOPLE, SERVICE_PROFILES
from afteraction.generate.scenario import Scenario
from afteraction.model.events import Event, EventKind

__all__ = ["large_scenario"]


_LOOKS = ("looking at", "checking", "pulled up", "comparing", "scrolling through",
          "going over", "reading", "watching", "grepping", "sharing")
_THINGS = ("the {service} dashboard", "pod {service}-{pod}", "trace {trace}",
           "node ip-10-{a}-{b}-{c}", "the {service} logs for request {trace}",
           "shard {a} of the {service} store", "the {region} load balancer",
           "the runbook page for {service}", "query plan {pod} on the {service} replica",
           "ticket ZD-{ticket} from {company}", "the {service} queue consumer group {pod}")
_TAILS = ("", " in {region}", " since {hh}:{mm}", ", nothing odd so far", ", will report back",
          " again", " from {hh}:{mm} to {hh2}:{mm}", " ({a} of {b} hosts)", " with {person}",
          ", same as the last {a} minutes", "; shared in the doc")
_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")
_COMPANIES = ("Northwind", "Contoso", "Fabrikam", "Globex", "Initech", "Umbrella", "Hooli")


def _chatter_line(rng: random.Random) -> str:
    """A line of a busy channel that says nothing about the incident, and, like real chat,
    almost never the same words twice: trace ids, pods, hosts and times differ."""
    hour = rng.randint(10, 18)
    values: dict[str, object] = {"service": rng.choice(SERVICE_PROFILES).name, "pod": f"{rng.getrandbits(24):06x}",
              "trace": f"{rng.getrandbits(64):016x}", "a": rng.randint(1, 64),
              "b": rng.randint(65, 250), "c": rng.randint(1, 254),
              "region": rng.choice(_REGIONS), "ticket": rng.randint(10_000, 99_999),
              "company": rng.choice(_COMPANIES), "hh": hour,
              "hh2": hour + rng.randint(0, 2), "mm": f"{rng.randint(0, 59):02d}",
              "person": rng.choice(PEOPLE).name.split()[0]}
    line = f"{rng.choice(_LOOKS)} {rng.choice(_THINGS)}{rng.choice(_TAILS)}"
    return line.format(**values)


def large_scenario(seed: int = DEMO_SEED, *, messages: int = 50_000, series: int = 300,
                   changes: int = 2_000, tickets: int = 1_000,
                   transcript_hours: float = 2.0) -> Scenario:
    base = demo_scenario(seed, hours_before=2.5, hours_after=3.5)
    rng = random.Random(seed * 7 + 1)
    start, end = base.window.start.timestamp(), base.window.end.timestamp()
    events: list[Event] = [e for e in base.events
                           if e.kind not in (EventKind.MESSAGE, EventKind.UTTERANCE)]
    people = list(PEOPLE)

    # chat: the demo channel's story plus filler up to ``messages``; a fifth is the short stock
    # chatter ("ack", "+1", "looking") every channel repeats, the rest is all different lines
    story = [e for e in base.events if e.kind == EventKind.MESSAGE]
    channel = ChannelBuilder("C07INC4721", "inc-4721-checkout-errors", rng)
    channel.events.extend(story)
    channel._used.update(str(e.attrs["ts"]) for e in story)
    threads = [str(e.attrs["ts"]) for e in story if e.attrs.get("reply_count")]
    filler = max(0, messages - len(story))
    channel.filler(start + 60, end - 60, filler // 5, people, threads)
    for _ in range(filler - filler // 5):
        channel.say(rng.uniform(start + 60, end - 60), rng.choice(people), _chatter_line(rng))
    events.extend(channel.finish())

    # bridge: the demo's lines, then filler to ``transcript_hours``
    spoken = [e for e in base.events if e.kind == EventKind.UTTERANCE]
    first = spoken[0]
    bridge_start = first.at.timestamp() - float(first.attrs["offset_seconds"])
    bridge = TranscriptBuilder(str(first.attrs["recording_id"]), bridge_start, rng)
    bridge.events.extend(spoken)
    bridge.filler(float(spoken[-1].attrs["offset_seconds"]) + 5, transcript_hours * 3600, people,
                  every=8.0)
    events.extend(bridge.finish())

    # changes: background deploys and merges across every service, before and during the window
    existing = sum(1 for e in events if e.kind in (EventKind.DEPLOY, EventKind.MERGE))
    deployment_id, number = 300_000, 20_000
    # (not inventory: the demo's rollback returns it to the version before the bad deploy, and
    # background deploys in between would be rolled back with it)
    busy = [p for p in SERVICE_PROFILES if p.name != "inventory"]
    for i in range(max(0, changes - existing)):
        profile = busy[i % len(busy)]
        at = rng.uniform(start - base.lookback_seconds, start - 600)
        actor = rng.choice(people)
        if i % 2:
            deployment_id += 1
            events.append(rec.deploy(profile.name, at, deployment_id=deployment_id,
                                     version=f"v0.{i}.0", actor=actor,
                                     sha=rec.fake_sha(profile.name, i), duration=180))
        else:
            number += 1
            events.append(rec.merge(profile.name, at, number=number, actor=actor,
                                    title=f"{profile.name}: maintenance change {i}",
                                    additions=rng.randint(1, 200), deletions=rng.randint(1, 90),
                                    changed_files=rng.randint(1, 12)))

    # tickets: a backlog on every component
    for i in range(tickets):
        profile = SERVICE_PROFILES[i % len(SERVICE_PROFILES)]
        created = start - rng.uniform(1, 700) * 86400
        events.append(rec.ticket(
            f"OPS-{5000 + i}", created, summary=f"{profile.name}: backlog item {i}",
            issue_type=rng.choice(("Task", "Bug", "Story")), status=rng.choice(
                ("To Do", "In Progress", "Done")), priority=rng.choice(("Low", "Medium")),
            components=(profile.name,), labels=("tech-debt",) if i % 5 == 0 else (),
            actor=rng.choice(people)))

    # metrics: the SLO series plus per-pod error ratios up to ``series``
    grid = np.asarray(base.series[0].timestamps, dtype=float)
    all_series = list(base.series)
    pod = 0
    while len(all_series) < series:
        profile = SERVICE_PROFILES[pod % len(SERVICE_PROFILES)]
        all_series.extend(series_for_service(
            profile, grid, seed, [], [], labels={"pod": f"{profile.name}-{pod:04d}"},
            signals=("error_ratio",)))
        pod += 1
    base.events = sorted(events, key=lambda e: (e.at, e.id))
    base.series = all_series
    return base
