"""Suspect changes: every change in the look-back before impact, scored from its evidence.

The model (docs/analysis.md): each candidate change has features — lag under a per-kind lag
model, where its service sits relative to the impact (a root of it, a victim of an upstream, a
dependency, unrelated), whether undoing it was followed by recovery, rollout evidence (new pods vs
old pods, callers' errors toward it), mentions, size, flag exposure. The logit is a weighted sum;
the scores are a softmax over all candidates plus a "no change is to blame" option, because an
incident has at most one trigger. So scores sum to at most 1, a decoy loses score to a stronger
suspect, and with only weak candidates "none" wins — the draft says "no confident suspect".
The weights are fitted by maximum likelihood on generated training scenarios (seeds disjoint from
the evaluation suite) with ``bench/fit_suspect_weights.py``, which is what makes them calibrated.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import attrgetter

from afteraction.analysis.evidence import chat_lines
from afteraction.analysis.impact import Impact
from afteraction.analysis.keywords import (
    FoldedLines,
    LineScan,
    fold_lines,
    keyword_pattern,
    spellings,
)
from afteraction.analysis.lag import lag_log_ratio
from afteraction.analysis.onset import Anomaly
from afteraction.analysis.phases import Mitigation
from afteraction.analysis.rollout import (
    CallerEvidence,
    caller_evidence,
    pod_series,
    rollout_evidence,
)
from afteraction.model.events import CHANGE_KINDS, Event, EventKind, MetricSeries
from afteraction.model.incident import Catalog
from afteraction.model.postmortem import EvidenceItem, Suspect
from afteraction.model.time import format_duration

__all__ = ["CONFIDENT", "FEATURES", "WEIGHTS", "Candidate", "candidates_for", "rank_suspects",
           "softmax_scores"]

CONFIDENT = 0.5
"""A top suspect scored below this is reported as 'no confident suspect'."""

FEATURES = ("lag", "merge_only", "root", "first_moved", "victim", "upstream", "healthy",
            "unrelated", "undone_recovery", "undone_no_recovery", "not_undone", "rollout_worse",
            "rollout_same", "callers_rose", "callers_flat", "named", "big", "tiny", "flag_up")

WEIGHTS: dict[str, float] = {
    "lag": 0.57, "merge_only": -1.57, "root": 1.81, "first_moved": 0.67, "victim": -0.30,
    "upstream": -0.10, "healthy": -1.30, "unrelated": -2.60, "undone_recovery": 3.86,
    "undone_no_recovery": -1.16, "not_undone": -2.15, "rollout_worse": 3.35,
    "rollout_same": -1.51, "callers_rose": 1.84, "callers_flat": -0.51, "named": 1.00,
    "big": 1.00, "tiny": -0.28, "flag_up": 0.61, "none": 3.80,
}
"""Log-odds weight per feature, and the logit of "no change is to blame": the MAP fit of
``bench/fit_suspect_weights.py`` (12 training seeds per family, 1001-1012), pulled toward and
bounded by the documented prior (docs/analysis.md)."""


@dataclass
class Candidate:
    event: Event
    service: str | None
    features: dict[str, float] = field(default_factory=dict)
    details: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    ships: list[Event] = field(default_factory=list)

    def add(self, feature: str, value: float, detail: str, refs: tuple[str, ...] = ()) -> None:
        self.features[feature] = self.features.get(feature, 0.0) + value
        self.details[feature] = (detail, refs or (self.event.id,))

    def logit(self, weights: dict[str, float]) -> float:
        return sum(weights.get(f, 0.0) * v for f, v in self.features.items())

    def evidence(self, weights: dict[str, float]) -> tuple[EvidenceItem, ...]:
        items = [EvidenceItem(kind=f, detail=self.details[f][0],
                              weight=round(weights.get(f, 0.0) * v, 3), refs=self.details[f][1])
                 for f, v in self.features.items()]
        return tuple(sorted(items, key=lambda x: (-abs(x.weight), x.kind)))


_AT = attrgetter("at")
_DEPLOY, _MERGE, _FLAG = EventKind.DEPLOY, EventKind.MERGE, EventKind.FLAG
_SPOKEN = (EventKind.MESSAGE, EventKind.UTTERANCE)
"""Held here because looking a member up on the enum costs more than the comparison it feeds,
and these passes make one per event."""


def _service_of(event: Event) -> str | None:
    return event.services[0] if event.services else None


def _lag_kind(event: Event) -> str:
    if event.kind in (_MERGE, _DEPLOY) and event.attrs.get("config_only"):
        return "config"
    return str(event.kind)


def _title(event: Event) -> str:
    if event.kind == _DEPLOY:
        version = event.attrs.get("version") or event.attrs.get("ref") or ""
        what = "Config deploy" if event.attrs.get("config_only") else "Deploy"
        return f"{what} of {_service_of(event)} {version}".strip()
    if event.kind == _MERGE:
        return f"PR #{event.attrs.get('number')}: {event.text}"
    if event.kind == _FLAG:
        return event.text or f"Flag {event.attrs.get('flag_key')}"
    return event.text


_PR = re.compile(r"#\s?(\d+)\b")
_CLOSING = ("deploy", "release", "rollout", *spellings(("v",), "0123456789"))
"""What a service's deploy is named with after the service, in lower case: the closing words of
the patterns in ``_mentions``."""


def _mentions(candidates: list[Candidate], events: Sequence[Event], chat: FoldedLines,
              talk_from: datetime) -> dict[str, list[str]]:
    """Candidate id -> ids of the messages from ``talk_from`` on that name it (its version, PR
    number, flag key, or its service next to "deploy"/"rollout"). ``chat``: the events'
    :func:`chat_lines`, folded. Only the few lines holding a word a mention needs, found for
    all lines at once, are read, each distinct line once."""
    tokens: dict[str, list[str]] = {}
    numbers: dict[str, list[str]] = {}
    deploys_of: dict[str, list[str]] = {}
    for c in candidates:
        e = c.event
        if e.attrs.get("version"):
            tokens.setdefault(str(e.attrs["version"]).lower(), []).append(e.id)
        if e.kind == _FLAG and e.attrs.get("flag_key"):
            tokens.setdefault(str(e.attrs["flag_key"]).lower(), []).append(e.id)
        if e.kind == _MERGE and e.attrs.get("number"):
            numbers.setdefault(str(e.attrs["number"]), []).append(e.id)
        if e.kind == _DEPLOY and c.service:
            deploys_of.setdefault(c.service, []).append(e.id)
    needed = {"#"} if numbers else set()
    if deploys_of:
        needed.update(_CLOSING)
    # a line naming a token that holds one of these words holds the word ("v2" in "v2.14.0")
    holds_needed = keyword_pattern(needed) if needed else None
    needed.update(t for t in tokens if holds_needed is None or not holds_needed.search(t))
    texts = chat.lines
    lines = [i for i in (LineScan(needed).lines(chat) if needed else ())
             if events[i].kind in _SPOKEN and events[i].at >= talk_from]
    # only the tokens these lines hold can match in them, so only those need a pattern (a
    # token's first characters, which many share, rule most of them out)
    said = "\0".join({texts[i].lower() for i in lines})
    by_head: dict[str, list[str]] = {}
    for token in tokens:
        by_head.setdefault(token[:4], []).append(token)
    named = [t for head, group in by_head.items() if head in said for t in group if t in said]
    names = keyword_pattern(named) if named else None
    service_deploy = {s: re.compile(rf"\b{re.escape(s)}\b[^.?!]{{0,40}}\b(?:deploy|release|"
                                    r"rollout|v\d)", re.IGNORECASE) for s in deploys_of}
    any_service = keyword_pattern(service_deploy) if service_deploy else None

    def named_in(text: str) -> set[str]:
        lowered = text.lower()
        hits: set[str] = set()
        if names is not None and names.search(lowered):  # most lines name no token at all
            for match in names.finditer(lowered):
                start, end = match.span()
                before = lowered[start - 1] if start else " "
                after = lowered[end:end + 2]
                if (before.isalnum() or before in "._") or (after[:1].isalnum() or after[:1] == "_")\
                        or (after[:1] == "." and after[1:2].isdigit()):
                    continue  # part of a longer name or version
                hits.update(tokens[match.group(0)])
        if "#" in text:
            for number in _PR.findall(text):
                hits.update(numbers.get(number, ()))
        # A service's deploy is named with one of the patterns' closing words. On ASCII text
        # lowercasing is exactly the patterns' case folding, so substring looks can rule it out.
        if any_service is not None and (
                not text.isascii() or "deploy" in lowered or "release" in lowered
                or "rollout" in lowered or "v" in lowered) and any_service.search(lowered):
            for service, pattern in service_deploy.items():
                if service in lowered and pattern.search(text):
                    hits.update(deploys_of[service])
        return hits

    read: dict[str, set[str]] = {}
    out: dict[str, list[str]] = {}
    for i in lines:
        text = texts[i]
        if text not in read:
            read[text] = named_in(text)
        for hit in read[text]:
            out.setdefault(hit, []).append(events[i].id)
    return out


def _candidate_events(events: Sequence[Event], impact_start: datetime,
                      lookback: timedelta) -> list[Candidate]:
    earliest = impact_start - lookback
    latest = impact_start + timedelta(minutes=2)
    changes = [e for e in events if e.kind in CHANGE_KINDS and earliest <= e.at <= latest]
    deploys = [e for e in changes if e.kind == _DEPLOY]
    by_repo: dict[object, list[Event]] = {}
    for d in deploys:
        if not d.attrs.get("rollback"):
            by_repo.setdefault(d.attrs.get("repo"), []).append(d)
    for ds in by_repo.values():
        ds.sort(key=_AT)  # evidence is in time order already; a stable sort keeps its ties
    times = {repo: [d.at for d in ds] for repo, ds in by_repo.items()}
    out: dict[str, Candidate] = {}
    for event in changes:
        if event.kind == _DEPLOY and (event.attrs.get("rollback") or event.attrs.get(
                "state") in ("failure", "error")):
            continue
        if event.kind == _MERGE and event.attrs.get("revert_of") is not None:
            continue
        shipped = times.get(event.attrs.get("repo"))
        if event.kind == _MERGE and not event.attrs.get("config_only") and shipped and \
                shipped[-1] >= event.at:
            continue  # a deploy after it carries it
        out[event.id] = Candidate(event, _service_of(event))
    for merge in (e for e in events if e.kind == _MERGE and e.at <= latest):
        repo = merge.attrs.get("repo")
        if repo not in times:
            continue
        i = bisect_left(times[repo], merge.at)  # the first deploy at or after the merge ships it
        if i < len(times[repo]) and by_repo[repo][i].id in out:
            out[by_repo[repo][i].id].ships.append(merge)
    return list(out.values())


def _roots(impact: Impact, catalog: Catalog) -> tuple[dict[str, datetime], set[str]]:
    """Earliest onset per affected service, and the affected services no affected upstream
    explains (their own dependencies were fine, or moved later)."""
    onsets: dict[str, datetime] = {}
    for anomaly in impact.anomalies:
        if anomaly.service and anomaly.signal != "client_error_ratio":
            onsets[anomaly.service] = min(anomaly.onset, onsets.get(anomaly.service,
                                                                    anomaly.onset))
    roots = set()
    for service, onset in onsets.items():
        ups = catalog.upstream_of(service)
        if not any(u in onsets and onsets[u] <= onset + timedelta(seconds=60) for u in ups):
            roots.add(service)
    return onsets, roots


def candidates_for(events: tuple[Event, ...], series: tuple[MetricSeries, ...],
                   catalog: Catalog, impact: Impact, anomalies: list[Anomaly],
                   mitigation: Mitigation | None, lookback: timedelta,
                   chat: FoldedLines | None = None) -> list[Candidate]:
    """Every candidate change with its features (the scoring model's input). ``chat``: the
    events' :func:`chat_lines`, folded once for all the passes that scan them."""
    if impact.start is None:
        return []
    start = impact.start
    onsets, roots = _roots(impact, catalog)
    affected = set(onsets) or set(impact.services)
    first_at = min(onsets.values()) if onsets else None
    series_services = frozenset(s.service for s in series if s.service
                                and s.signal in ("error_ratio", "latency"))
    upstream_of = {s: catalog.upstream_of(s) for s in affected}
    talk_from = start - timedelta(minutes=5)
    # the helpers below walk a few thousand changes instead of every chat line
    changes = [e for e in events if e.kind in CHANGE_KINDS]
    minutes = lookback.total_seconds() / 60
    by_service: dict[str | None, list[MetricSeries]] = {}
    for one in pod_series(series):
        by_service.setdefault(one.service, []).append(one)
    own_pods = {service: tuple(group) for service, group in by_service.items()}
    callers_of: dict[str, CallerEvidence | None] = {}
    out = _candidate_events(changes, start, lookback)
    actions = _undo_actions(changes, start)
    rolled_back = _rolled_back(changes)
    named = _mentions(out, events, chat if chat is not None else fold_lines(chat_lines(events)),
                      talk_from)
    for c in out:
        e, service = c.event, c.service
        lag = (start - e.at).total_seconds()
        lag_kind = _lag_kind(e)
        c.add("lag", lag_log_ratio(lag / 60, lag_kind, minutes),
              f"{format_duration(lag)} before impact started ({lag_kind} lag model)")
        if e.kind == _MERGE and not e.attrs.get("config_only"):
            c.add("merge_only", 1.0, "merged, but no deploy of it was seen")
        if service is not None:
            _place(c, service, affected, roots, onsets, first_at, upstream_of, series_services)
        _undo(c, actions, rolled_back, mitigation, start)
        _rollout(c, series, own_pods, callers_of, anomalies, start, mitigation)
        _size(c)
        if e.kind == _FLAG and service in affected:
            before, after = e.attrs.get("rollout_from"), e.attrs.get("rollout_to")
            if e.attrs.get("action") == "on" or (before is not None and after is not None
                                                 and after > before):
                pct = f" {before}% → {after}%" if after is not None else " on"
                c.add("flag_up", 1.0, f"exposure raised{pct} on affected service {service}")
        refs = tuple(named.get(e.id, ()))
        if refs:
            c.add("named", 1.0, f"named {len(refs)} time(s) in chat or on the bridge", refs[:8])
    return out


def _place(c: Candidate, service: str, affected: set[str], roots: set[str],
           onsets: dict[str, datetime], first_at: datetime | None,
           upstream_of: dict[str, frozenset[str]], series_services: frozenset[str]) -> None:
    callers = sorted(s for s, ups in upstream_of.items() if service in ups)
    if service in roots:
        c.add("root", 1.0, f"{service} is affected, and no affected dependency explains it")
        if first_at is not None and onsets[service] - first_at <= timedelta(seconds=30):
            c.add("first_moved", 1.0, f"{service}'s metrics moved first "
                                      f"({onsets[service]:%H:%M:%S} UTC)")
    elif service in affected:
        explained = sorted(u for u in upstream_of.get(service, ()) if u in affected)
        c.add("victim", 1.0, f"{service} is affected, but after its dependency "
                             f"{', '.join(explained[:3])} — likely a victim")
    elif callers:
        c.add("upstream", 1.0, f"{service} is a dependency of affected {', '.join(callers[:5])}")
        if service in series_services:
            c.add("healthy", 1.0, f"{service}'s own error ratio and latency stayed inside "
                                  "their baseline band")
    else:
        c.add("unrelated", 1.0, f"{service} is neither affected nor a dependency of an "
                                "affected service")


def _undo_actions(events: Sequence[Event], start: datetime) -> list[Event]:
    """The few events after impact that can undo a change: rollbacks, reverts, flag reductions."""
    out = []
    for x in events:
        if x.at < start:
            continue
        if (x.kind == _DEPLOY and x.attrs.get("rollback")) or (
                x.kind == _MERGE and x.attrs.get("revert_of") is not None) or (
                x.kind == _FLAG):
            out.append(x)
    return out


def _undo(c: Candidate, actions: list[Event], rolled_back: dict[str, set[str]],
          mitigation: Mitigation | None, start: datetime) -> None:
    undo = [x for x in actions if _undoes(x, c.event, rolled_back)]
    refs = tuple(x.id for x in undo)
    if undo and mitigation is not None and any(x.id == mitigation.event.id for x in undo):
        c.add("undone_recovery", 1.0, f"undone by {mitigation.kind} at "
                                      f"{mitigation.at:%H:%M:%S} UTC, and recovery followed", refs)
    elif undo:
        c.add("undone_no_recovery", 1.0, "undone during the incident, but recovery did not "
                                         "follow", refs)
    elif mitigation is not None and mitigation.kind in ("rollback", "revert", "flag_off") \
            and not _same_target(mitigation.event, c.event):
        c.add("not_undone", 1.0, f"recovery followed {mitigation.kind} of something else "
                                 f"({mitigation.target_service or mitigation.event.text[:40]})",
              (mitigation.event.id,))
    elif mitigation is not None and mitigation.kind not in ("rollback", "revert", "flag_off") \
            and not _same_target(mitigation.event, c.event):
        c.add("not_undone", 1.0, f"recovery followed {mitigation.kind.replace('_', ' ')}, "
                                 "which did not undo this change", (mitigation.event.id,))


def _same_target(action: Event, change: Event) -> bool:
    if action.kind == _FLAG or change.kind == _FLAG:
        return action.attrs.get("flag_key") == change.attrs.get("flag_key") and bool(
            action.attrs.get("flag_key"))
    return bool(set(action.services) & set(change.services))


def _rolled_back(events: Sequence[Event]) -> dict[str, set[str]]:
    """Rollback deploy id -> ids of the deploys it took back: those after the deploy of the
    version it returned to (``rollback_to``), or, when that is unknown, the latest one before it."""
    by_service: dict[tuple[str, ...], list[Event]] = {}
    out: dict[str, set[str]] = {}
    for e in events:
        if e.kind != _DEPLOY:
            continue
        history = by_service.setdefault(e.services, [])
        if e.attrs.get("rollback"):
            target = e.attrs.get("rollback_to")
            back = [d for d in history if d.at < e.at]
            index = max((i for i, d in enumerate(back) if target and d.attrs.get("sha") == target),
                        default=None)
            if index is not None:
                out[e.id] = {d.id for d in back[index + 1:]}
            else:
                out[e.id] = {back[-1].id} if back else set()
        else:
            history.append(e)
    return out


def _undoes(action: Event, change: Event, rolled_back: dict[str, set[str]]) -> bool:
    if action.at <= change.at:
        return False
    if change.kind == _DEPLOY and action.kind == _DEPLOY:
        return change.id in rolled_back.get(action.id, ())
    if change.kind == _MERGE and action.kind == _MERGE:
        return action.attrs.get("revert_of") == change.attrs.get("number") and \
            action.attrs.get("repo") == change.attrs.get("repo")
    if change.kind == _FLAG and action.kind == _FLAG:
        if action.attrs.get("flag_key") != change.attrs.get("flag_key"):
            return False
        before, after = action.attrs.get("rollout_from"), action.attrs.get("rollout_to")
        return action.attrs.get("action") == "off" or (
            before is not None and after is not None and after < before)
    return False


def _rollout(c: Candidate, series: tuple[MetricSeries, ...],
             own_pods: dict[str | None, tuple[MetricSeries, ...]],
             callers_of: dict[str, CallerEvidence | None], anomalies: list[Anomaly],
             start: datetime, mitigation: Mitigation | None) -> None:
    """``own_pods``: the pod series of each service (``pod_series``), since the pods compared
    are the changed service's own; ``callers_of``: caller evidence already worked out, which
    depends on the service alone. Both spare hundreds of deploys a scan of every series."""
    e = c.event
    if e.kind != _DEPLOY or c.service is None:
        return
    until = mitigation.at if mitigation is not None and mitigation.at > e.at else None
    pods = rollout_evidence(e, own_pods.get(c.service, ()), until)
    if pods is not None:
        what = "error ratio" if pods.signal == "error_ratio" else "p99 latency"
        summary = (f"{pods.new_pods} pod(s) of {pods.version}: {what} {pods.new_level:.4g} vs "
                   f"{pods.old_level:.4g} on {pods.old_pods} older pod(s)")
        if pods.worse:
            c.add("rollout_worse", 1.0, f"new version worse during the rollout — {summary}")
        elif pods.same:
            c.add("rollout_same", 1.0, f"new version no worse during the rollout — {summary}")
    if c.service not in callers_of:
        callers_of[c.service] = caller_evidence(c.service, series, anomalies, start)
    callers = callers_of[c.service]
    if callers is not None:
        if callers.rose:
            c.add("callers_rose", 1.0, f"callers' errors toward {c.service} rose "
                                       f"({', '.join(callers.rose[:4])})")
        else:
            c.add("callers_flat", 1.0, f"callers' errors toward {c.service} stayed flat")


def _size(c: Candidate) -> None:
    merges = c.ships or ([c.event] if c.event.kind == _MERGE else [])
    sizes = [int(m.attrs.get("additions", 0) or 0) + int(m.attrs.get("deletions", 0) or 0)
             for m in merges]
    size = sum(sizes) if sizes else c.event.attrs.get("change_size")
    if size is None:
        return
    shipped = ", ".join(f"#{m.attrs.get('number')}" for m in merges)
    what = f"ships {shipped} " if c.ships else ""
    refs = tuple(m.id for m in merges)
    if size >= 300:
        c.add("big", 1.0, f"{what}(large change: {size} lines)", refs)
    elif size < 20:
        c.add("tiny", 1.0, f"{what}(small change: {size} lines)", refs)


def softmax_scores(logits: list[float], none_logit: float) -> list[float]:
    if not logits:
        return []
    top = max(max(logits), none_logit)
    weights = [math.exp(x - top) for x in logits]
    total = sum(weights) + math.exp(none_logit - top)
    return [w / total for w in weights]


def rank_suspects(candidates: list[Candidate], weights: dict[str, float] | None = None,
                  limit: int = 10) -> list[Suspect]:
    weights = weights or WEIGHTS
    scores = softmax_scores([c.logit(weights) for c in candidates], weights["none"])
    ranked = sorted(zip(candidates, scores, strict=True),
                    key=lambda cs: (-cs[1], cs[0].event.at, cs[0].event.id))
    return [Suspect(id=c.event.id, kind=str(c.event.kind), service=c.service, at=c.event.at,
                    url=c.event.url, title=_title(c.event), actor=c.event.actor,
                    score=round(s, 4), evidence=c.evidence(weights))
            for c, s in ranked[:limit]]
