"""Rollout evidence: during a rollout, do the new version's pods behave worse than the old ones?
And do callers' errors toward a changed service rise? The sharpest evidence there is when several
services roll out at once, because it does not depend on timing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from afteraction.analysis.onset import Anomaly
from afteraction.model.events import Event, MetricSeries

__all__ = ["CallerEvidence", "RolloutEvidence", "caller_evidence", "pod_series", "rollout_evidence"]


@dataclass(frozen=True)
class RolloutEvidence:
    version: str
    new_pods: int
    old_pods: int
    new_level: float
    old_level: float
    signal: str

    @property
    def worse(self) -> bool:
        return self.new_level > max(3.0 * self.old_level, self.old_level + 0.005) \
            if self.signal == "error_ratio" else self.new_level > 1.8 * self.old_level

    @property
    def same(self) -> bool:
        return self.new_level <= 1.5 * self.old_level + (0.002 if self.signal == "error_ratio"
                                                         else 0.0)


def _mean(series: list[MetricSeries], lo: float, hi: float) -> tuple[float, int]:
    values = []
    used = 0
    for s in series:
        ts = np.asarray(s.timestamps)
        vs = np.asarray(s.values, dtype=float)
        mask = (ts >= lo) & (ts <= hi) & np.isfinite(vs)
        if mask.sum() >= 4:
            values.append(float(np.median(vs[mask])))
            used += 1
    return (float(np.median(values)) if values else float("nan")), used


def pod_series(series: Iterable[MetricSeries]) -> list[MetricSeries]:
    """The series a rollout is judged on: one pod's error ratio or latency, with its version."""
    return [s for s in series if "pod" in s.labels and "version" in s.labels
            and s.signal in ("error_ratio", "latency")]


def rollout_evidence(change: Event, series: Sequence[MetricSeries],
                     until: datetime | None) -> RolloutEvidence | None:
    """Compare pods labelled with the deployed version against the other pods of the service."""
    version = change.attrs.get("version")
    service = change.services[0] if change.services else None
    if not version or service is None:
        return None
    pods = [s for s in pod_series(series) if s.service == service]
    if not pods:
        return None
    start = change.at.timestamp()
    end = (until or change.at + timedelta(minutes=45)).timestamp()
    end = min(end, start + 45 * 60)
    for signal in ("error_ratio", "latency"):
        new = [s for s in pods if s.signal == signal and s.labels["version"] == str(version)]
        old = [s for s in pods if s.signal == signal and s.labels["version"] != str(version)]
        if not new or not old:
            continue
        new_level, n_new = _mean(new, start, end)
        # the old pods while they still served, else before the rollout began
        old_level, n_old = _mean(old, start, end)
        if n_old == 0:
            old_level, n_old = _mean(old, start - 30 * 60, start)
        if n_new and n_old and np.isfinite(new_level) and np.isfinite(old_level):
            return RolloutEvidence(str(version), n_new, n_old, new_level, old_level, signal)
    return None


@dataclass(frozen=True)
class CallerEvidence:
    callers: tuple[str, ...]
    rose: tuple[str, ...]          # callers whose errors toward the service rose near impact


def caller_evidence(service: str, series: tuple[MetricSeries, ...], anomalies: list[Anomaly],
                    impact_start: datetime) -> CallerEvidence | None:
    toward = [s for s in series if s.signal == "client_error_ratio"
              and s.labels.get("target") == service]
    if not toward:
        return None
    ids = {s.id: s for s in toward}
    rose = sorted({ids[a.series_id].service or "?" for a in anomalies if a.series_id in ids
                   and abs(a.onset - impact_start) <= timedelta(minutes=15)})
    return CallerEvidence(tuple(sorted({s.service or "?" for s in toward})), tuple(rose))
