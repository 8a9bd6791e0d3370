"""Which services the incident hit and when impact began, from the metric anomalies.

The incident is what was detected: the anomalies active around the first detection signal (alert
or human report) form the incident's cluster; earlier unrelated blips do not. Without any
detection signal the loudest anomaly anchors the cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from afteraction.analysis.onset import Anomaly

__all__ = ["Impact", "assess_impact"]

_CLUSTER = timedelta(minutes=20)


@dataclass(frozen=True)
class Impact:
    start: datetime | None
    recovered_at: datetime | None
    services: tuple[str, ...]            # loudest first
    anomalies: tuple[Anomaly, ...]       # the cluster, earliest onset first
    first_service: str | None            # whose metrics moved first


def _loudness(a: Anomaly) -> float:
    return min(a.peak_z, 1e6)


def _confirmed_start(cluster: list[Anomaly]) -> datetime:
    """The earliest onset that another series confirms within three minutes.

    One noisy series starting early should not drag the incident's start back. Saturation is the
    exception: a leak fills a pool long before requests fail, so a saturation ramp followed by
    the same service's errors or latency marks the start on its own. When only one series moved,
    its onset stands.
    """
    ordered = sorted(cluster, key=lambda a: a.onset)
    if len(ordered) < 2:
        return ordered[0].onset
    for anomaly in ordered:
        onset = anomaly.onset
        confirmed = sum(1 for o in ordered if onset <= o.onset <= onset + timedelta(minutes=3))
        leading = anomaly.signal == "saturation" and any(
            o.service == anomaly.service and o.signal != "saturation" and o.onset > onset
            for o in ordered)
        if confirmed >= 2 or leading:
            return onset
    return ordered[0].onset


def assess_impact(anomalies: list[Anomaly], anchor: datetime | None,
                  declared: tuple[str, ...] = ()) -> Impact:
    if not anomalies:
        return Impact(None, None, tuple(declared), (), None)
    if anchor is not None:
        active = [a for a in anomalies if a.onset <= anchor + timedelta(minutes=10)
                  and (a.recovered_at is None or a.recovered_at >= anchor - timedelta(minutes=5))]
        if not active:
            later = [a for a in anomalies if a.onset >= anchor - _CLUSTER]
            active = later[:1] if later else anomalies[-1:]
    else:
        active = [max(anomalies, key=_loudness)]
    # Grow the cluster: anomalies whose onset lies close to the cluster's earliest onset.
    core_start = min(a.onset for a in active)
    cluster = [a for a in anomalies if abs(a.onset - core_start) <= _CLUSTER or a in active]
    cluster.sort(key=lambda a: (a.onset, a.series_id))
    start = _confirmed_start(cluster)
    recoveries = [a.recovered_at for a in cluster]
    recovered = None if any(r is None for r in recoveries) else max(r for r in recoveries if r)
    loudness: dict[str, float] = {}
    for a in cluster:
        if a.service:
            loudness[a.service] = max(loudness.get(a.service, 0.0), _loudness(a))
    services = tuple(sorted(loudness, key=lambda s: (-loudness[s], s)))
    first = cluster[0].service
    return Impact(start, recovered, services, tuple(cluster), first)
