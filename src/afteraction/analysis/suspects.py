"""Suspect changes: every change in the look-back before impact, scored from its evidence.

The model (documented in docs/analysis.md): each piece of evidence adds a log-odds weight to the
change's logit; the scores come from a softmax over all candidates plus a "no change is to blame"
option, because an incident has at most one trigger. So scores sum to at most 1, a decoy loses
score to a stronger suspect, and with only weak candidates the "none" option wins — which the
draft reports as "no confident suspect".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from afteraction.analysis.impact import Impact
from afteraction.analysis.lag import describe_lag, lag_log_ratio
from afteraction.analysis.phases import Mitigation
from afteraction.model.events import CHANGE_KINDS, Event, EventKind
from afteraction.model.incident import Catalog
from afteraction.model.postmortem import EvidenceItem, Suspect

__all__ = ["CONFIDENT", "WEIGHTS", "Candidate", "rank_suspects"]

CONFIDENT = 0.5
"""A top suspect scored below this is reported as 'no confident suspect'."""

WEIGHTS = {
    "prior_merge": -1.5,       # merged code is not running until something deploys it
    "first_moved": 1.0,        # the change's service is where metrics moved first
    "affected": 1.5,           # the change's own service is affected
    "upstream": 0.6,           # it is a dependency of an affected service
    "unrelated": -2.5,         # neither affected nor upstream of anything affected
    "healthy": -0.8,           # has SLO series, and they stayed inside their baseline band
    "rollback_recovery": 3.5,  # rolled back / reverted / flag off, then recovery
    "rollback_no_recovery": -1.5,
    "named": 0.3,
    "big": 0.4,
    "tiny": -0.3,
    "flag_up": 0.6,
    "none": 3.0,               # logit of "no change is to blame"
}


@dataclass
class Candidate:
    event: Event
    service: str | None
    logit: float = 0.0
    evidence: list[EvidenceItem] = field(default_factory=list)
    ships: list[Event] = field(default_factory=list)

    def add(self, kind: str, weight: float, detail: str, refs: tuple[str, ...] = ()) -> None:
        self.logit += weight
        self.evidence.append(EvidenceItem(kind=kind, detail=detail, weight=round(weight, 3),
                                          refs=refs or (self.event.id,)))


def _service_of(event: Event) -> str | None:
    return event.services[0] if event.services else None


def _kind_for_lag(event: Event) -> str:
    if event.kind == EventKind.MERGE and event.attrs.get("config_only"):
        return "config"
    if event.kind == EventKind.DEPLOY and event.attrs.get("config_only"):
        return "config"
    return str(event.kind)


def _title(event: Event) -> str:
    if event.kind == EventKind.DEPLOY:
        version = event.attrs.get("version") or event.attrs.get("ref") or ""
        return f"Deploy of {_service_of(event)} {version}".strip()
    if event.kind == EventKind.MERGE:
        return f"PR #{event.attrs.get('number')}: {event.text}"
    if event.kind == EventKind.FLAG:
        return event.text or f"Flag {event.attrs.get('flag_key')}"
    return event.text


def _mention_patterns(event: Event) -> list[re.Pattern[str]]:
    pats = []
    version = event.attrs.get("version")
    if version:
        pats.append(re.escape(str(version)))
    if event.kind == EventKind.MERGE and event.attrs.get("number"):
        pats.append(rf"#\s?{event.attrs['number']}\b")
    if event.kind == EventKind.FLAG and event.attrs.get("flag_key"):
        pats.append(re.escape(str(event.attrs["flag_key"])))
    service = _service_of(event)
    if service and event.kind == EventKind.DEPLOY:
        pats.append(rf"\b{re.escape(service)}\b[^.?!]{{0,40}}\b(?:deploy|release|rollout|v\d)")
    return [re.compile(p, re.IGNORECASE) for p in pats]


def _candidates(events: tuple[Event, ...], impact_start: datetime,
                lookback: timedelta) -> list[Candidate]:
    earliest = impact_start - lookback
    latest = impact_start + timedelta(minutes=2)
    changes = [e for e in events if e.kind in CHANGE_KINDS and earliest <= e.at <= latest]
    deploys = [e for e in changes if e.kind == EventKind.DEPLOY]
    out: dict[str, Candidate] = {}
    for event in changes:
        if event.kind == EventKind.DEPLOY and event.attrs.get("rollback"):
            continue
        if event.kind == EventKind.DEPLOY and event.attrs.get("state") in ("failure", "error"):
            continue
        if event.kind == EventKind.MERGE and event.attrs.get("revert_of") is not None:
            continue
        if event.kind == EventKind.MERGE and not event.attrs.get("config_only"):
            repo = event.attrs.get("repo")
            shipped_by = next((d for d in deploys if d.attrs.get("repo") == repo
                               and d.at >= event.at and not d.attrs.get("rollback")), None)
            if shipped_by is not None:
                continue
        out[event.id] = Candidate(event, _service_of(event))
    # Attach each merged PR to the deploy that shipped it (the first deploy of its repo after it).
    for merge in (e for e in events if e.kind == EventKind.MERGE and e.at <= latest):
        repo = merge.attrs.get("repo")
        ship = next((d for d in deploys if d.attrs.get("repo") == repo and d.at >= merge.at
                     and not d.attrs.get("rollback")), None)
        if ship is not None and ship.id in out:
            out[ship.id].ships.append(merge)
    return list(out.values())


def rank_suspects(events: tuple[Event, ...], catalog: Catalog, impact: Impact,
                  mitigation: Mitigation | None, series_services: frozenset[str],
                  lookback: timedelta = timedelta(hours=6), limit: int = 10) -> list[Suspect]:
    if impact.start is None:
        return []
    start = impact.start
    affected = set(impact.services)
    onsets: dict[str, datetime] = {}
    for anomaly in impact.anomalies:
        if anomaly.service and anomaly.service not in onsets:
            onsets[anomaly.service] = anomaly.onset
    first_at = min(onsets.values()) if onsets else None
    upstream_of = {s: catalog.upstream_of(s) for s in affected}
    chatter = [e for e in events if e.kind in (EventKind.MESSAGE, EventKind.UTTERANCE)
               and e.at >= start - timedelta(minutes=5)]
    candidates = _candidates(events, start, lookback)
    lookback_minutes = lookback.total_seconds() / 60
    for c in candidates:
        e, service = c.event, c.service
        lag = (start - e.at).total_seconds()
        kind = _kind_for_lag(e)
        c.add("lag", lag_log_ratio(lag / 60, kind, lookback_minutes),
              f"{describe_lag(lag)} before impact started ({kind} lag model)")
        if e.kind == EventKind.MERGE and not e.attrs.get("config_only"):
            c.add("prior", WEIGHTS["prior_merge"], "merged but not seen deployed")
        _service_evidence(c, catalog, affected, upstream_of, onsets, first_at, series_services)
        _mitigation_evidence(c, events, mitigation, start)
        _size_evidence(c)
        if e.kind == EventKind.FLAG:
            before, after = e.attrs.get("rollout_from"), e.attrs.get("rollout_to")
            if (e.attrs.get("action") == "on" or (before is not None and after is not None
                                                 and after > before)) and service in affected:
                pct = f" {before}% → {after}%" if after is not None else " on"
                c.add("flag_targeting", WEIGHTS["flag_up"],
                      f"exposure raised{pct} on affected service {service}")
        refs = tuple(m.id for m in chatter if any(p.search(m.text) for p in _mention_patterns(e)))
        if refs:
            c.add("named", WEIGHTS["named"], f"named {len(refs)} time(s) in chat or the bridge",
                  refs[:8])
    return _softmax(candidates, limit)


def _service_evidence(c: Candidate, catalog: Catalog, affected: set[str],
                      upstream_of: dict[str, frozenset[str]], onsets: dict[str, datetime],
                      first_at: datetime | None, series_services: frozenset[str]) -> None:
    service = c.service
    if service is None:
        return
    callers = sorted(s for s, ups in upstream_of.items() if service in ups)
    if service in affected:
        c.add("service_match", WEIGHTS["affected"], f"{service} itself is affected")
        if first_at is not None and onsets.get(service) is not None and \
                onsets[service] - first_at <= timedelta(seconds=30):
            c.add("service_match", WEIGHTS["first_moved"],
                  f"{service}'s metrics moved first ({onsets[service]:%H:%M:%S} UTC)")
        if callers:
            c.add("upstream", WEIGHTS["upstream"],
                  f"{service} is a dependency of affected {', '.join(callers)}")
    elif callers:
        c.add("upstream", WEIGHTS["upstream"],
              f"{service} is a dependency of affected {', '.join(callers)}")
        if service in series_services:
            c.add("against", WEIGHTS["healthy"],
                  f"{service}'s own SLO signals stayed inside their baseline band")
    else:
        c.add("against", WEIGHTS["unrelated"],
              f"{service} is neither affected nor upstream of an affected service")


def _mitigation_evidence(c: Candidate, events: tuple[Event, ...], mitigation: Mitigation | None,
                         start: datetime) -> None:
    e = c.event
    undo = [x for x in events if x.at >= start and _undoes(x, e)]
    if not undo:
        return
    if mitigation is not None and any(x.id == mitigation.event.id for x in undo):
        c.add("rollback_recovery", WEIGHTS["rollback_recovery"],
              f"undone by {mitigation.kind} at {mitigation.at:%H:%M:%S} UTC, and recovery "
              f"followed", tuple(x.id for x in undo))
    else:
        c.add("against", WEIGHTS["rollback_no_recovery"],
              "undone during the incident, but recovery did not follow",
              tuple(x.id for x in undo))


def _undoes(action: Event, change: Event) -> bool:
    if change.kind == EventKind.DEPLOY and action.kind == EventKind.DEPLOY:
        return bool(action.attrs.get("rollback")) and action.services == change.services \
            and action.at > change.at
    if change.kind == EventKind.MERGE and action.kind == EventKind.MERGE:
        return action.attrs.get("revert_of") == change.attrs.get("number") and \
            action.attrs.get("repo") == change.attrs.get("repo")
    if change.kind == EventKind.FLAG and action.kind == EventKind.FLAG:
        if action.attrs.get("flag_key") != change.attrs.get("flag_key"):
            return False
        before, after = action.attrs.get("rollout_from"), action.attrs.get("rollout_to")
        return action.attrs.get("action") == "off" or (
            before is not None and after is not None and after < before)
    return False


def _size_evidence(c: Candidate) -> None:
    merges = c.ships or ([c.event] if c.event.kind == EventKind.MERGE else [])
    sizes = [int(m.attrs.get("additions", 0)) + int(m.attrs.get("deletions", 0)) for m in merges]
    size = sum(sizes) if sizes else c.event.attrs.get("change_size")
    if size is None:
        return
    shipped = ", ".join(f"#{m.attrs.get('number')}" for m in merges)
    what = f"ships {shipped} " if c.ships else ""
    if size >= 300:
        c.add("size", WEIGHTS["big"], f"{what}(large change: {size} lines)",
              tuple(m.id for m in merges))
    elif size < 20:
        c.add("size", WEIGHTS["tiny"], f"{what}(small change: {size} lines)",
              tuple(m.id for m in merges))
    elif c.ships:
        c.add("size", 0.0, f"{what}({size} lines)", tuple(m.id for m in merges))


def _softmax(candidates: list[Candidate], limit: int) -> list[Suspect]:
    if not candidates:
        return []
    top = max(max(c.logit for c in candidates), WEIGHTS["none"])
    weights = [math.exp(c.logit - top) for c in candidates]
    total = sum(weights) + math.exp(WEIGHTS["none"] - top)
    ranked = sorted(zip(candidates, weights, strict=True),
                    key=lambda cw: (-cw[1], cw[0].event.at, cw[0].event.id))
    out = []
    for c, w in ranked[:limit]:
        out.append(Suspect(id=c.event.id, kind=str(c.event.kind), service=c.service,
                           at=c.event.at, url=c.event.url, title=_title(c.event),
                           actor=c.event.actor, score=round(w / total, 4),
                           evidence=tuple(sorted(c.evidence, key=lambda x: -abs(x.weight)))))
    return out
