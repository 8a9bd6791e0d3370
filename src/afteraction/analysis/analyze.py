"""The analysis pipeline: onset -> impact -> detection -> mitigation -> recovery -> suspects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from afteraction.analysis.decisions import Statement, find_decisions
from afteraction.analysis.derive import derive_error_ratios
from afteraction.analysis.evidence import Evidence, chat_lines
from afteraction.analysis.impact import Impact, assess_impact
from afteraction.analysis.keywords import fold_lines
from afteraction.analysis.onset import Anomaly, detect_all
from afteraction.analysis.phases import (
    Detection,
    Mitigation,
    find_detection,
    find_mitigation,
    find_resolution,
)
from afteraction.analysis.related import find_related
from afteraction.analysis.suspects import CONFIDENT, Candidate, candidates_for, rank_suspects
from afteraction.analysis.timeline import Milestones, build_timeline
from afteraction.model.events import Event, EventKind, MetricSeries
from afteraction.model.postmortem import Related, Suspect, TimelineEntry

__all__ = ["Analysis", "analyze"]


@dataclass(frozen=True)
class Analysis:
    series: tuple[MetricSeries, ...]
    """Every series analysed: the sources' and the error ratios derived from counters."""
    anomalies: tuple[Anomaly, ...]
    impact: Impact
    detection: Detection | None
    mitigation: Mitigation | None
    recovered_at: datetime | None
    resolution: tuple[datetime, Event] | None
    suspects: tuple[Suspect, ...]
    confident: bool
    statements: tuple[Statement, ...]
    candidates: tuple[Candidate, ...]
    timeline: tuple[TimelineEntry, ...]
    related: tuple[Related, ...]

    @property
    def milestones(self) -> Milestones:
        return Milestones(self.impact.start, self.detection.at if self.detection else None,
                          self.mitigation.at if self.mitigation else None, self.recovered_at,
                          self.resolution[0] if self.resolution else None)


def _anchor(evidence: Evidence) -> datetime | None:
    """A first guess of when the incident was noticed, before metrics are consulted: the first
    firing alert in the window, else the incident ticket's creation, else the channel's first
    message."""
    key = evidence.incident.ticket or evidence.incident.id
    window = evidence.window
    alert = ticket = chat = None
    for e in evidence.events:
        kind = e.kind
        if kind == EventKind.ALERT:
            if alert is None and e.attrs.get("state", "firing") == "firing" and \
                    window.start <= e.at <= window.end:
                alert = e.at
                break
        elif kind == EventKind.TICKET:
            if ticket is None and e.attrs.get("key") == key:
                ticket = e.at
        elif kind == EventKind.MESSAGE:
            if chat is None and not e.attrs.get("subtype") and window.start <= e.at <= window.end:
                chat = e.at
    return alert or ticket or chat


def analyze(evidence: Evidence, lookback: timedelta = timedelta(hours=6)) -> Analysis:
    all_series = (*evidence.series, *derive_error_ratios(evidence.series))
    anomalies = detect_all(all_series)
    anchor = _anchor(evidence)
    impact = assess_impact(anomalies, anchor, evidence.incident.services)
    chat = fold_lines(chat_lines(evidence.events))  # scanned by three passes, folded once
    statements = find_decisions(evidence.events, chat)
    detection = find_detection(evidence.events, impact.start, impact.services)
    if impact.start is None and detection is not None:
        impact = Impact(detection.at, None, impact.services, (), None)
    mitigation = find_mitigation(evidence.events, statements, impact.start, impact.recovered_at,
                                 impact.services)
    recovered = impact.recovered_at
    resolution = find_resolution(evidence.events, evidence.incident, recovered or impact.start)
    candidates = candidates_for(evidence.events, all_series, evidence.catalog, impact,
                                anomalies, mitigation, lookback, chat)
    suspects = rank_suspects(candidates)
    confident = bool(suspects) and suspects[0].score >= CONFIDENT
    milestones = Milestones(impact.start, detection.at if detection else None,
                            mitigation.at if mitigation else None, recovered,
                            resolution[0] if resolution else None)
    keep = {s.id for s in suspects[:5]} | {s.event.id for s in statements}
    milestone_of: dict[str, str] = {}
    if detection:
        milestone_of[detection.event.id] = "detected"
    if mitigation:
        milestone_of[mitigation.event.id] = "mitigated"
    if resolution:
        milestone_of[resolution[1].id] = "resolved"
    keep |= set(milestone_of)
    involved = set(impact.services) | {s.service for s in suspects[:3] if s.service}
    timeline = build_timeline(evidence.events, milestones, keep, impact.services,
                              evidence.window.start, evidence.window.end, milestone_of, chat)
    related = find_related(evidence.events, evidence.incident, involved, impact.start)
    return Analysis(series=all_series, anomalies=tuple(anomalies), impact=impact,
                    detection=detection, mitigation=mitigation, recovered_at=recovered,
                    resolution=resolution, suspects=tuple(suspects), confident=confident,
                    statements=tuple(statements), candidates=tuple(candidates),
                    timeline=tuple(timeline), related=tuple(related))
