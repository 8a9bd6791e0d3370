"""One timeline: the notable events of every source, deduplicated, phase-labelled, cited.

A channel of 170 messages is mostly noise; the timeline keeps what a postmortem reader needs —
changes near the incident, alerts, ticket transitions, decisions, and the messages that report
impact or name a change — and drops echoes (the alert bot repeating an alert, a Grafana deploy
annotation repeating the deployment).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from afteraction.analysis.keywords import keyword_pattern
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


def _is_echo(event: Event, alerts: list[Event], deploys: list[Event]) -> bool:
    if event.kind == EventKind.MESSAGE and event.attrs.get("bot"):
        return any(a.attrs.get("alertname") and a.attrs["alertname"] in event.text
                   and abs((a.at - event.at).total_seconds()) < 900 for a in alerts)
    if event.kind == EventKind.ANNOTATION and "deploy" in event.attrs.get("tags", []):
        return any(set(d.services) & set(event.services)
                   and abs((d.at - event.at).total_seconds()) < 300 for d in deploys)
    return False


def build_timeline(events: tuple[Event, ...], m: Milestones, keep_ids: set[str],
                   affected: tuple[str, ...], window_start: datetime, window_end: datetime,
                   milestone_of: dict[str, str]) -> list[TimelineEntry]:
    """``keep_ids``: events the analysis cites (suspects, decisions, detection...) always stay."""
    alerts = [e for e in events if e.kind == EventKind.ALERT]
    deploys = [e for e in events if e.kind == EventKind.DEPLOY]
    near = (m.impact_start - timedelta(minutes=45)) if m.impact_start else window_start
    out = []
    seen_text: set[tuple[str, str]] = set()
    for e in events:
        if not (window_start <= e.at <= window_end) and e.id not in keep_ids:
            continue
        keep = e.id in keep_ids
        if not keep:
            if _is_echo(e, alerts, deploys):
                continue
            if e.kind in CHANGE_KINDS:
                keep = e.at >= near or bool(set(e.services) & set(affected))
            elif e.kind in (EventKind.ALERT, EventKind.STATUS_CHANGE):
                keep = True
            elif e.kind in (EventKind.MESSAGE, EventKind.UTTERANCE):
                keep = (e.text.count(" ") >= 4 and e.attrs.get("subtype") != "channel_join"
                        and _NOTABLE_STEMS.search(e.text.lower()) is not None
                        and bool(_NOTABLE.search(e.text)))
            elif e.kind == EventKind.TICKET:
                keep = True
        if not keep:
            continue
        signature = (e.actor or "", e.text.strip().lower())
        if e.kind in (EventKind.MESSAGE, EventKind.UTTERANCE) and e.id not in keep_ids:
            if signature in seen_text:
                continue
            seen_text.add(signature)
        out.append(TimelineEntry(at=e.at, source=e.source, kind=str(e.kind), text=e.text,
                                 url=e.url, phase=phase_of(e.at, m), id=e.id, actor=e.actor,
                                 services=e.services, milestone=milestone_of.get(e.id)))
    return out
