"""Concurrent rollouts: three to six services roll out within minutes, one of them faulty.

Per-pod series labelled by version show it: old pods end as new ones start, and only the faulty
version's pods carry errors (its service aggregate climbs as pods are replaced). Callers' error
ratio toward each upstream (``client_error_ratio``) points at the faulty target too. Which
service rolled out last is random, so it is no clue.
"""

from __future__ import annotations

import hashlib

from afteraction.generate.families.common import MIN, STEP, Change, Plot, World, culprit_ref, hh
from afteraction.generate.families.common import person as _person
from afteraction.generate.families.standard import assemble, deploy_lines
from afteraction.generate.metrics import Effect, Pod, client_series, pod_series
from afteraction.generate.org import SERVICE_PROFILES
from afteraction.generate.scenario import Scenario

__all__ = ["build_concurrent"]

_PROFILES = {p.name: p for p in SERVICE_PROFILES}
_LETTERS = "bcdfghjklmnpqrstvwxz2456789"


def _pod_name(service: str, version: str, position: int, salt: str) -> str:
    digest = hashlib.sha1(f"{service}/{version}/{salt}".encode()).digest()
    rs = "".join(_LETTERS[b % len(_LETTERS)] for b in digest[:10])
    tail = "".join(_LETTERS[b % len(_LETTERS)] for b in hashlib.sha1(
        f"{rs}/{position}".encode()).digest()[:5])
    return f"{service}-{rs}-{tail}"


def _replace(service: str, old: str, new: str, at: float, count: int, every: float, salt: str,
             *, faulty: tuple[float, float] | None, window_start: float,
             old_pods: list[Pod] | None = None) -> tuple[list[Pod], list[Pod]]:
    """Old pods ending one by one as new ones start; returns (old with ends, new)."""
    olds = old_pods or [Pod(service, _pod_name(service, old, i, salt + "o"), old, window_start)
                        for i in range(count)]
    news, ended = [], []
    for i, pod in enumerate(olds):
        born = at + 20 + i * every
        ended.append(Pod(pod.service, pod.name, pod.version, pod.start, born + 25,
                         pod.error_ratio, pod.latency))
        error, latency = faulty if faulty else (None, 1.0)
        news.append(Pod(service, _pod_name(service, new, i, salt + "n"), new, born, None, error,
                        latency))
    return ended, news


def build_concurrent(seed: int) -> Scenario:
    w = World.new("concurrent", seed)
    rng = w.rng
    candidates = [s for s in w.services if w.catalog.callers_of(s)]
    rolling = rng.sample(candidates, rng.randint(3, min(6, len(candidates))))
    faulty = rng.choice(rolling)
    onset = w.onset
    detected = onset + rng.randint(60, 480)
    decision = detected + rng.randint(8, 30) * 60
    acted = decision + rng.randint(40, 200)
    pods = rng.randint(3, 5)
    back_every = rng.uniform(20, 40)
    recover = float(-(-int(pods * back_every + 45) // STEP) * STEP)
    plot = Plot(onset=onset, detected=float(detected), mitigated=float(acted),
                mitigation_type="rollback", recovery_start=float(acted + 20), recover=recover,
                decision=float(decision), declared=float(detected + rng.randint(40, 150)))
    plot.resolved = float(int(plot.recovered + rng.randint(20, 90) * MIN))
    w.close(plot.resolved)
    # the faulty rollout's first new pod is ready at onset; the others start around it
    starts = {s: onset - rng.randint(2, 8) * 60 + rng.randint(-120, 240) for s in rolling}
    starts[faulty] = onset - 20
    changes: dict[str, Change] = {}
    for service in rolling:
        w.protect(service, starts[service] - 3 * 3600, w.end)
        role = "culprit" if service == faulty else "decoy"
        changes[service] = w.ship(service, starts[service], role=role)
    rollback = w.rollback(changes[faulty], acted)
    w.background(plot)
    w.materialize()

    grid = w.grid()
    every = {s: rng.uniform(40, 90) for s in rolling}
    error_new = rng.uniform(0.04, 0.12)
    latency_new = rng.uniform(1.3, 2.5)
    all_pods: list[Pod] = []
    for service in rolling:
        change = changes[service]
        bad = (error_new, latency_new) if service == faulty else None
        olds, news = _replace(service, change.previous, change.version, change.at, pods,
                              every[service], f"{seed}", faulty=bad, window_start=w.start)
        if service == faulty:
            ended, back = _replace(service, change.version, rollback.version, rollback.at, pods,
                                   back_every, f"{seed}-rb", faulty=None, window_start=w.start,
                                   old_pods=news)
            news = ended + back
        all_pods += olds + news
    ramp = pods * every[faulty]
    w.effects.append(Effect(faulty, "error_ratio", onset, error_new, ramp=ramp,
                            end=plot.recovery_start, recover=recover))
    w.effects.append(Effect(faulty, "latency", onset, latency_new, ramp=ramp,
                            end=plot.recovery_start, recover=recover))
    client_level = rng.uniform(0.05, 0.2)
    w.effects.append(Effect(faulty, "client_error_ratio", onset + 15, client_level, ramp=ramp,
                            end=plot.recovery_start, recover=recover))
    affected = [faulty]
    for caller in w.catalog.callers_of(faulty):
        level = client_level * rng.uniform(0.25, 0.5)
        if level >= 0.012:
            w.effects.append(Effect(caller, "error_ratio", onset + 30, level, ramp=ramp,
                                    end=plot.recovery_start, recover=recover))
            affected.append(caller)
    series = w.series()
    for service in rolling:
        series += pod_series(_PROFILES[service], grid, w.seed,
                             [p for p in all_pods if p.service == service])
        for caller in w.catalog.callers_of(service):
            series.append(client_series(caller, _PROFILES[service], grid, w.seed, w.effects))

    ic = _person("priya")
    loud = faulty
    decoys = [changes[s] for s in rolling if s != faulty]
    lines = deploy_lines(w, plot, ic, changes[faulty], rollback, decoys, loud,
                         hint=f"only the {changes[faulty].version} pods of {faulty} show errors")
    name = w.error_alert(faulty, plot.detected, plot, threshold=2)
    alerts = [(plot.detected, f"[FIRING:1] {name} {faulty} (critical): {faulty} 5xx ratio above "
                              "2% for 3m")]
    order = sorted(rolling, key=lambda s: starts[s])
    spoken = [(plot.declared + 300, _person("kenji"), f"{len(rolling)} services rolled out in "
               f"the last few minutes: {', '.join(order)}."),
              (plot.decision - 15, ic, f"Roll back {faulty}. Go ahead.")]
    notes = (f"{len(rolling)} concurrent rollouts ({', '.join(order)} in start order, from "
             f"{hh(min(starts.values()))} UTC); {faulty} {changes[faulty].version} faulty; "
             f"new pods at {error_new:.3f} errors")
    return assemble(w, plot, ic=ic, lines=lines, summary=f"{faulty} and its callers failing",
                    loud=loud, culprit=culprit_ref(changes[faulty]), affected=affected,
                    notes=notes, alerts=alerts, bridge_lines=spoken, series=series,
                    culprit_service=faulty)
