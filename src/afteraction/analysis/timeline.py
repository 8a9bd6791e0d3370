"""One timeline: the notable events of every source, deduplicated, phase-labelled, cited.

A channel of 170 messages is mostly noise; the timeline keeps what a postmortem reader needs —
changes near the incident, alerts, ticket transitions, decisions, and the messages that report
impact or name a change — and drops echoes (the alert bot repeating an alert, a Grafana deploy
annotation repeating the deployment).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from afteraction.analysis.evidence import chat_lines
from afteraction.analysis.keywords import (
    FoldedLines,
    LineScan,
    fold_lines,
    keyword_pattern,
    spellings,
)
from afteraction.model.events import CHANGE_KINDS, Event, EventKind
from afteraction.model.postmortem import Phase, TimelineEntry

__all__ = ["Milestones", "build_timeline", "phase_of"]

_NOTABLE = re.compile(
    r"\b(?:deploy\w*|roll(?:ed|ing)?[ -]?back|rollback|revert\w*|flag|rollout|v\d+\.\d+|PR ?#\d+|"
    r"#\d{2,}|customers?|status page|mitigat\w*|resolved|recover\w*|back to (?:baseline|normal)|"
    r"declar\w*|root cause|errors? (?:rate|ratio)|5xx|timeouts?|latency|p99|lock\w*|"
    r"pool|cpu|saturat\w*|decision)\b", re.IGNORECASE)


_NOTABLE_STEMS = keyword_pattern((
    "deploy", "roll", "revert", "flag", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8",
    "v9", "pr", "#", "customer", "status page", "mitigat", "resolved", "recover", "back to",
    "declar", "root cause", "error", "5xx", "timeout", "latency", "p99", "lock", "pool", "cpu",
    "saturat", "decision"))
"""Every ``_NOTABLE`` match contains one of these: a cheap first look before the full pattern."""

_MAY_BE_NOTABLE = LineScan((
    "deploy", *spellings(("roll", "rolled", "rolling"), ("", " ", "-"), ("back",)), "revert",
    "flag", "rollout", *spellings(("v",), "0123456789"), "#", "customer", "status page",
    "mitigat", "resolved", "recover", "back to baseline", "back to normal", "declar",
    "root cause", *spellings(("error", "errors"), (" rate", " ratio")), "5xx", "timeout",
    "latency", "p99", "lock", "pool", "cpu", "saturat", "decision"))
"""A line ``_NOTABLE`` matches holds, in lower case, one of these: each branch's fixed words,
spelt out every way it allows ("PR #12" and "#123" both hold "#"). Said of ASCII lines, where
lowercasing is the pattern's case folding; :class:`LineScan` reports the other lines anyway."""


@dataclass(frozen=True)
class Milestones:
    impact_start: datetime | None
    detected_at: datetime | None
    mitigated_at: datetime | None
    recovered_at: datetime | None
    resolved_at: datetime | None


def phase_of(at: datetime, m: Milestones) -> Phase:
    if m.impact_start is None or at < m.impact_start:
        return "before"
    if m.detected_at is not None and at < m.detected_at:
        return "impact"
    if m.mitigated_at is not None and at < m.mitigated_at:
        return "response"
    if m.mitigated_at is not None and at == m.mitigated_at:
        return "mitigation"
    if m.recovered_at is not None and at < m.recovered_at:
        return "recovery" if m.mitigated_at is not None else "response"
    if m.recovered_at is None:
        return "response"
    return "after"


_MESSAGE, _ANNOTATION = EventKind.MESSAGE, EventKind.ANNOTATION
_ALERT, _DEPLOY = EventKind.ALERT, EventKind.DEPLOY
_SPOKEN = (EventKind.MESSAGE, EventKind.UTTERANCE)
_ALWAYS = (EventKind.ALERT, EventKind.STATUS_CHANGE, EventKind.TICKET)
"""Held here because looking a member up on the enum costs more than the comparison it feeds,
and this pass makes several per event."""


def _is_echo(event: Event, alerts: list[Event], deploys_at: dict[str, list[datetime]]) -> bool:
    """``deploys_at``: the times of each service's deploys, in order."""
    if event.kind == _MESSAGE and event.attrs.get("bot"):
        return any(a.attrs.get("alertname") and a.attrs["alertname"] in event.text
                   and abs((a.at - event.at).total_seconds()) < 900 for a in alerts)
    if event.kind == _ANNOTATION and "deploy" in event.attrs.get("tags", []):
        return any(_one_within(deploys_at.get(service, ()), event.at, _DEPLOY_ECHO)
                   for service in set(event.services))
    return False


_DEPLOY_ECHO = timedelta(seconds=300)


def _one_within(times: Sequence[datetime], at: datetime, gap: timedelta) -> bool:
    """Whether one of ``times`` (in order) is less than ``gap`` from ``at``."""
    i = bisect_right(times, at - gap)
    return i < len(times) and times[i] - at < gap


def _deploy_times(deploys: list[Event]) -> dict[str, list[datetime]]:
    out: dict[str, list[datetime]] = {}
    for deploy in deploys:
        for service in set(deploy.services):
            out.setdefault(service, []).append(deploy.at)
    for times in out.values():
        times.sort()
    return out


def _notable(line: str) -> str | None:
    """A chat line worth a timeline entry — a sentence naming something a reader needs — as it
    is compared for repeats (stripped, lower case); None otherwise. The stem look rules most
    chatter out before the full pattern."""
    if line.count(" ") < 4 or not _NOTABLE_STEMS.search(line.lower()) or not _NOTABLE.search(line):
        return None
    return line.strip().lower()


def build_timeline(events: tuple[Event, ...], m: Milestones, keep_ids: set[str],
                   affected: tuple[str, ...], window_start: datetime, window_end: datetime,
                   milestone_of: dict[str, str],
                   chat: FoldedLines | None = None) -> list[TimelineEntry]:
    """``keep_ids``: events the analysis cites (suspects, decisions, detection...) always stay.
    Of the chat only the cited lines and the few that may be notable, found for all lines at
    once, are looked at: in a long channel the rest are nearly all of it. ``chat``: the
    events' :func:`chat_lines`, folded once for all the passes that scan them."""
    if chat is None:
        chat = fold_lines(chat_lines(events))
    texts = chat.lines
    alerts: list[Event] = []
    deploys: list[Event] = []
    looked_at: list[int] = []  # the events other than chat, and the chat cited
    for i, e in enumerate(events):  # one pass for all: touching 50,000 events costs the most
        kind = e.kind
        if kind in _SPOKEN:
            if e.id in keep_ids:
                looked_at.append(i)
            continue
        looked_at.append(i)
        if kind == _ALERT:
            alerts.append(e)
        elif kind == _DEPLOY:
            deploys.append(e)
    judged: dict[str, str | None] = {}  # a channel's stock lines come back again and again
    notable: dict[int, str | None] = {}
    for i in _MAY_BE_NOTABLE.lines(chat):
        line = texts[i]
        if line not in judged:
            judged[line] = _notable(line)
        notable[i] = judged[line]
    deploys_at = _deploy_times(deploys)
    near = (m.impact_start - timedelta(minutes=45)) if m.impact_start else window_start
    on_affected = set(affected)
    out = []
    seen_text: set[tuple[str, str]] = set()
    for i in sorted(set(looked_at).union(notable)):
        e = events[i]
        cited = e.id in keep_ids
        kind = e.kind
        if not cited:
            if not (window_start <= e.at <= window_end):
                continue
            if kind in _SPOKEN:
                said = notable[i]
                if said is None:
                    continue
                attrs = e.attrs
                if attrs.get("subtype") == "channel_join" or (
                        kind == _MESSAGE and attrs.get("bot") and _is_echo(e, alerts, deploys_at)):
                    continue
                signature = (e.actor or "", said)
                if signature in seen_text:
                    continue
                seen_text.add(signature)
            elif kind == _ANNOTATION and _is_echo(e, alerts, deploys_at):
                continue
            elif kind in CHANGE_KINDS:
                if e.at < near and on_affected.isdisjoint(e.services):
                    continue
            elif kind not in _ALWAYS:
                continue
        out.append(TimelineEntry(at=e.at, source=e.source, kind=str(kind), text=e.text,
                                 url=e.url, phase=phase_of(e.at, m), id=e.id, actor=e.actor,
                                 services=e.services, milestone=milestone_of.get(e.id)))
    return out
