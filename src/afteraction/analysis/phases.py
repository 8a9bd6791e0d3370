"""Detection, mitigation and resolution from the events, anchored on the metric impact.

- Detection is the first alert firing or the first human report of the problem, whichever is
  earlier (an alert that fired long before impact, for something else, does not count).
- Mitigation is the mitigating action that was followed by recovery — not the first one tried.
- Resolution comes from the incident ticket's transition or, failing that, the channel's
  declaration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from afteraction.analysis.decisions import Statement
from afteraction.model.events import Event, EventKind
from afteraction.model.incident import Incident
from afteraction.model.time import parse_utc

__all__ = ["Detection", "Mitigation", "find_detection", "find_mitigation", "find_resolution"]

_REPORT = re.compile(
    r"\b(?:customers?|users?|support|merchants?)\b.*\b(?:report|complain|can'?t|cannot|fail|"
    r"error|broken|down|slow|timeout)|\b(?:seeing|getting|spike in|elevated|lots of)\b.*\b(?:"
    r"5xx|errors?|500s?|timeouts?|latency|failures?)|\b(?:is|are|looks?) (?:down|broken|slow)\b|"
    r"\bdeclar(?:e|ing|ed)\b.*\bincident\b|\bincident\b.*\bdeclared\b", re.IGNORECASE)
_ALERT, _MESSAGE, _TICKET = EventKind.ALERT, EventKind.MESSAGE, EventKind.TICKET
_DEPLOY, _MERGE, _FLAG, _CONFIG = EventKind.DEPLOY, EventKind.MERGE, EventKind.FLAG, EventKind.CONFIG
_STATUS_CHANGE = EventKind.STATUS_CHANGE
_SPOKEN = (EventKind.MESSAGE, EventKind.UTTERANCE)
"""Held here because looking a member up on the enum costs more than the comparison it feeds,
and these scans make one per event."""
_RESOLVED_STATUS = {"resolved", "done", "closed", "fixed", "complete", "completed"}
_RESOLVED_TEXT = re.compile(r"^\s*(?:incident\s+)?resolved\b|\bmarking (?:this |the incident )?"
                            r"(?:as )?resolved\b|\bincident (?:is )?(?:now )?resolved\b",
                            re.IGNORECASE)


@dataclass(frozen=True)
class Detection:
    at: datetime
    method: str          # alert | human report
    event: Event


@dataclass(frozen=True)
class Mitigation:
    at: datetime
    kind: str            # rollback | revert | flag_off | scale_up | failover | restart | ...
    event: Event
    target_service: str | None


def find_detection(events: tuple[Event, ...] | list[Event], impact_start: datetime | None,
                   affected: tuple[str, ...]) -> Detection | None:
    floor = impact_start - timedelta(minutes=10) if impact_start else None
    candidates: list[Detection] = []
    for event in events:
        if floor is not None and event.at < floor:
            continue
        if event.kind == _ALERT and event.attrs.get("state", "firing") == "firing":
            if affected and event.services and not set(event.services) & set(affected):
                continue
            candidates.append(Detection(event.at, "alert", event))
            break
    for event in events:
        if floor is not None and event.at < floor:
            continue
        if event.kind not in _SPOKEN:
            continue
        if event.attrs.get("bot") or event.attrs.get("subtype") == "channel_join":
            continue
        if _REPORT.search(event.text):
            candidates.append(Detection(event.at, "human report", event))
            break
    if not candidates:
        return None
    return min(candidates, key=lambda d: (d.at, d.method))


def _is_rollback(event: Event) -> bool:
    return event.kind == _DEPLOY and bool(event.attrs.get("rollback"))


def _is_revert(event: Event) -> bool:
    return event.kind == _MERGE and event.attrs.get("revert_of") is not None


def _flag_reduced(event: Event) -> bool:
    if event.kind != _FLAG:
        return False
    action = event.attrs.get("action")
    if action == "off":
        return True
    before, after = event.attrs.get("rollout_from"), event.attrs.get("rollout_to")
    return before is not None and after is not None and after < before


_SCALE = re.compile(r"\b(?:replicas?|scale|scaling|capacity|instances|nodes|autoscal\w*|hpa)\b",
                    re.IGNORECASE)
_FAILOVER = re.compile(r"\b(?:fail ?over|failover|drain|evacuate|region)\b", re.IGNORECASE)


def _config_kind(text: str) -> str:
    if _SCALE.search(text):
        return "scale_up"
    if _FAILOVER.search(text):
        return "failover"
    return "config_change"


_ACTION_KINDS = frozenset({_DEPLOY, _MERGE, _FLAG, _CONFIG})


def mitigation_candidates(events: tuple[Event, ...] | list[Event],
                          impact_start: datetime) -> list[tuple[str, Event]]:
    out = []
    for event in events:
        if event.kind not in _ACTION_KINDS or event.at < impact_start:
            continue
        if _is_rollback(event):
            out.append(("rollback", event))
        elif _is_revert(event):
            out.append(("revert", event))
        elif _flag_reduced(event):
            out.append(("flag_off", event))
        elif event.kind == _CONFIG or (event.kind in (_DEPLOY, _MERGE)
                                                 and event.attrs.get("config_only")):
            out.append((_config_kind(event.text), event))
        elif event.kind == _DEPLOY:
            out.append(("fix_forward", event))
    return out


def find_mitigation(events: tuple[Event, ...] | list[Event], statements: list[Statement],
                    impact_start: datetime | None, recovered_at: datetime | None,
                    affected: tuple[str, ...]) -> Mitigation | None:
    """The last action before recovery began that could have caused it."""
    if impact_start is None:
        return None
    candidates = mitigation_candidates(events, impact_start)
    horizon = recovered_at or max((e.at for e in events), default=impact_start)
    # An action takes effect within minutes; recovery is measured at its end, so allow slack.
    usable = [(kind, e) for kind, e in candidates if e.at <= horizon]
    if recovered_at is not None:
        usable = [(k, e) for k, e in usable if recovered_at - e.at <= timedelta(minutes=45)]
    strong = [(k, e) for k, e in usable if k != "fix_forward"] or usable
    if strong:
        kind, event = strong[-1]
        service = event.services[0] if event.services else None
        return Mitigation(event.at, kind, event, service)
    # No change record: the last reported action (e.g. "failing over now") before recovery.
    acts = [s for s in statements if s.kind == "action" and s.action
            and s.event.at >= impact_start and s.event.at <= horizon]
    if acts:
        last = acts[-1]
        return Mitigation(last.event.at, last.action or "other", last.event, None)
    return None


def find_resolution(events: tuple[Event, ...] | list[Event], incident: Incident,
                    after: datetime | None) -> tuple[datetime, Event] | None:
    key = incident.ticket or incident.id
    for event in events:
        if (event.kind == _STATUS_CHANGE and event.attrs.get("key") == key
                and str(event.attrs.get("new", "")).lower() in _RESOLVED_STATUS):
            return event.at, event
    for event in events:
        if event.kind == _TICKET and event.attrs.get("key") == key:
            resolved = event.attrs.get("resolved")
            if resolved:
                return parse_utc(str(resolved)), event
    for event in events:
        if (event.kind == _MESSAGE and (after is None or event.at >= after)
                and _RESOLVED_TEXT.search(event.text)):
            return event.at, event
    return None
