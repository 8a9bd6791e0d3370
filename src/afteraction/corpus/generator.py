"""A seeded corpus with planted effects, for tests and benchmarks.

Planted: one service whose MTTR doubles in the last quarter (``payments``); deploys without a
canary cause incidents at twice the rate; one contributing factor dominates
(``dependency-failure``); one action-item category is mostly dropped (``documentation``).
Everything else is null by construction: deploy times are uniform over the week and the day, and
size and kind are drawn independently of whether a deploy causes an incident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from afteraction.corpus.analytics.scope import add_quarters
from afteraction.corpus.records import ActionRecord, DeployRecord, FactorRecord, PostmortemRecord
from afteraction.corpus.taxonomy import ACTION_CATEGORIES

__all__ = ["GeneratedCorpus", "generate_corpus"]

SERVICE_NAMES = ("payments", "checkout", "search", "catalog", "auth", "cart", "inventory",
                 "shipping", "notifications", "recommendations", "gateway", "profile")
DEGRADED = "payments"
RISKY = "no canary"
DOMINANT = "dependency-failure"
DROPPED = "documentation"
FACTOR_WEIGHTS = {"dependency-failure": 0.30, "code-change": 0.12, "config-change": 0.11,
                  "capacity": 0.10, "cascading-failure": 0.08, "monitoring-gap": 0.08,
                  "data": 0.06, "human-error": 0.05, "process": 0.05, "automation": 0.05}
NULL_ATTRIBUTES = ("weekday: monday", "weekday: tuesday", "weekday: wednesday",
                   "weekday: thursday", "weekday: friday", "weekday: saturday", "weekday: sunday",
                   "hour: night (00-06 UTC)", "hour: morning (06-12 UTC)",
                   "hour: afternoon (12-18 UTC)", "hour: evening (18-24 UTC)",
                   "size: small (< 50 lines)", "size: large (>= 500 lines)",
                   "kind: config change", "kind: flag change")


@dataclass
class GeneratedCorpus:
    postmortems: list[PostmortemRecord]
    deploys: list[DeployRecord]
    truth: dict[str, Any] = field(default_factory=dict)


def _services(count: int) -> list[str]:
    names = list(SERVICE_NAMES[:count])
    names += [f"svc-{i:03d}" for i in range(len(names), count)]
    return names


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(int(epoch), tz=UTC)


def _actions(rng: np.random.Generator, n: int, created: datetime, as_of: datetime, key: str
             ) -> tuple[ActionRecord, ...]:
    cats = list(ACTION_CATEGORIES)
    out = []
    for j in range(n):
        category = cats[int(rng.integers(len(cats)))]
        probs = (0.2, 0.1, 0.7) if category == DROPPED else (0.7, 0.2, 0.1)
        status = ("done", "open", "dropped")[int(rng.choice(3, p=probs))]
        closed: datetime | None = None
        if status == "done":
            closed = created + timedelta(days=float(rng.lognormal(np.log(20), 0.7)))
        elif status == "dropped":
            closed = created + timedelta(days=float(rng.uniform(20, 90)))
        if closed is not None and closed > as_of:
            status, closed = "open", None
        due = (created + timedelta(days=int(rng.integers(14, 60)))).date()
        out.append(ActionRecord(title=f"{category} follow-up {j + 1} for {key}",
                                owner=f"eng{int(rng.integers(40)):02d}", category=category,
                                tracker_key=f"ACT-{key.rsplit('-', 1)[-1]}{j}", status=status,
                                tracker_status=status, due=due, created_at=created,
                                closed_at=closed))
    return tuple(out)


def generate_corpus(seed: int = 7, *, services: int = 12, deploys: int = 20_000,
                    postmortems: int = 1_500, quarters: int = 8,
                    end: datetime = datetime(2026, 1, 1, tzinfo=UTC),
                    actions_per_postmortem: float = 3.0) -> GeneratedCorpus:
    """Deploy log and postmortems over ``quarters`` quarters ending at ``end`` (exclusive)."""
    rng = np.random.default_rng(seed)
    names = _services(services)
    start = add_quarters(end, -quarters)
    last_q = add_quarters(end, -1).timestamp()
    t0, t1 = start.timestamp(), end.timestamp()
    weights = np.array([4.0 if n == DEGRADED else 1.0 for n in names])
    weights /= weights.sum()
    d_service = rng.choice(len(names), size=deploys, p=weights)
    d_at = np.sort(rng.uniform(t0, t1, size=deploys))
    d_size = np.round(rng.lognormal(np.log(120), 1.3, size=deploys)).astype(int)
    size_known = rng.random(deploys) < 0.9
    d_kind = rng.choice(3, size=deploys, p=(0.75, 0.18, 0.07))
    canary_known = rng.random(deploys) < 0.95
    d_canary = rng.random(deploys) < 0.6
    d_rollback = rng.random(deploys) < 0.03
    multiplier = np.where(canary_known & ~d_canary, 2.0, 1.0)
    base = 0.7 * postmortems / multiplier.sum()
    caused = rng.random(deploys) < base * multiplier
    lag = np.minimum(rng.exponential(40 * 60, size=deploys), 3.5 * 3600)
    inc_at = (d_at + lag)[caused]
    inc_service = d_service[caused]
    inc_trigger = np.flatnonzero(caused)
    keep = inc_at < t1
    inc_at, inc_service, inc_trigger = inc_at[keep], inc_service[keep], inc_trigger[keep]
    extra = max(postmortems - len(inc_at), 0)
    if len(inc_at) > postmortems:
        inc_at, inc_service, inc_trigger = (inc_at[:postmortems], inc_service[:postmortems],
                                            inc_trigger[:postmortems])
    inc_at = np.concatenate([inc_at, rng.uniform(t0, t1, size=extra)])
    inc_service = np.concatenate([inc_service, rng.choice(len(names), size=extra, p=weights)])
    inc_trigger = np.concatenate([inc_trigger, np.full(extra, -1)])
    kinds = ("code", "config", "flag")
    deploy_records = [
        DeployRecord(key=f"gen:{seed}:{i}", service=names[d_service[i]], at=_at(d_at[i]),
                     kind=kinds[d_kind[i]], environment="production",
                     change_size=int(d_size[i]) if size_known[i] else None,
                     canary=bool(d_canary[i]) if canary_known[i] else None,
                     rollback=bool(d_rollback[i]), actor=f"eng{i % 40:02d}",
                     sha=f"{(seed * 1_000_003 + i) & 0xFFFFFFFFFF:010x}")
        for i in range(deploys)]
    n = len(inc_at)
    ttd = rng.lognormal(np.log(8 * 60), 0.7, size=n)
    ttr = rng.lognormal(np.log(75 * 60), 0.6, size=n)
    degraded_idx = names.index(DEGRADED) if DEGRADED in names else -1
    ttr = np.where((inc_service == degraded_idx) & (inc_at >= last_q), ttr * 2.0, ttr)
    ttr = np.maximum(ttr, ttd + 60)
    factor_names = list(FACTOR_WEIGHTS)
    factor_p = np.array(list(FACTOR_WEIGHTS.values()))
    factor_p /= factor_p.sum()
    n_actions = rng.poisson(actions_per_postmortem, size=n)
    records = []
    for i in range(n):
        started = _at(inc_at[i])
        svc = names[inc_service[i]]
        recovered = started + timedelta(seconds=int(ttr[i]))
        resolved = recovered + timedelta(minutes=30)
        count = 1 + int(rng.random() < 0.4)
        picked = rng.choice(len(factor_names), size=count, replace=False, p=factor_p)
        key = f"GEN-{seed}-{i:07d}"
        trigger = f"gen:{seed}:{inc_trigger[i]}" if inc_trigger[i] >= 0 else None
        records.append(PostmortemRecord(
            key=key, title=f"{svc} degraded", services=(svc,),
            severity=("sev1", "sev2", "sev3")[int(rng.integers(3))], status="published",
            started_at=started, detected_at=started + timedelta(seconds=int(ttd[i])),
            mitigated_at=started + timedelta(seconds=int(ttr[i] * 0.8)),
            recovered_at=recovered, resolved_at=resolved, ttd_seconds=int(ttd[i]),
            ttm_seconds=int(ttr[i] * 0.8), ttr_seconds=int(ttr[i]),
            detection_method="alert", mitigation_type="rollback" if trigger else "failover",
            trigger=trigger, summary=f"{svc} errors rose", factors=tuple(
                FactorRecord(factor_names[j], f"{factor_names[j]} on {svc}") for j in picked),
            actions=_actions(rng, int(n_actions[i]), resolved, end, key),
            source_format="generated"))
    truth = {"degraded_service": DEGRADED, "risky_attribute": RISKY, "dominant_factor": DOMINANT,
             "dropped_category": DROPPED, "null_attributes": NULL_ATTRIBUTES,
             "start": start, "end": end, "last_quarter_start": add_quarters(end, -1)}
    return GeneratedCorpus(records, deploy_records, truth)
