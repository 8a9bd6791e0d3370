"""MTTR and TTD per service per quarter, and which services degraded over the last two quarters.

MTTR here is time to recover: impact start to recovery (else resolution). The degradation test is
a one-sided Mann-Whitney U of the last quarter against the one before, per service and metric,
Benjamini-Hochberg corrected across services; fewer than ``MIN_N`` incidents in either quarter is
reported as too few, not tested.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, select

from afteraction.corpus.analytics.scope import (
    Scope,
    add_quarters,
    last_instant,
    quarter_label,
    quarter_start,
)
from afteraction.corpus.analytics.sqlhelp import latest_start, service_id
from afteraction.corpus.analytics.stats import benjamini_hochberg, degradation_test
from afteraction.corpus.store import PostmortemService, Service

__all__ = ["Degradation", "MttrSection", "QuarterStat", "mttr_section"]

MIN_N = 4
METRICS = {"mttr": "ttr_seconds", "ttd": "ttd_seconds"}


@dataclass(frozen=True)
class QuarterStat:
    service: str
    quarter: str
    incidents: int
    mttr_n: int
    mttr_median_s: float | None
    mttr_mean_s: float | None
    ttd_n: int
    ttd_median_s: float | None
    ttd_mean_s: float | None


@dataclass(frozen=True)
class Degradation:
    service: str
    metric: str
    previous_quarter: str
    last_quarter: str
    n_previous: int
    n_last: int
    median_previous_s: float | None
    median_last_s: float | None
    ratio: float | None
    p_value: float | None
    q_value: float | None
    verdict: str


@dataclass(frozen=True)
class MttrSection:
    quarters: list[str]
    last_quarter: str | None
    previous_quarter: str | None
    by_quarter: list[QuarterStat]
    degradation: list[Degradation]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def analyze_degradation(previous: dict[str, dict[str, list[float]]],
                        last: dict[str, dict[str, list[float]]], prev_q: str, last_q: str
                        ) -> list[Degradation]:
    """Pure: per service and metric, the test of last quarter against the previous one."""
    out: list[Degradation] = []
    for metric in METRICS:
        pending: list[tuple[int, float]] = []
        services = sorted(set(previous) | set(last))
        rows: list[dict[str, Any]] = []
        for svc in services:
            a = previous.get(svc, {}).get(metric, [])
            b = last.get(svc, {}).get(metric, [])
            ma, mb = _median(a), _median(b)
            row: dict[str, Any] = {
                "service": svc, "metric": metric, "previous_quarter": prev_q,
                "last_quarter": last_q, "n_previous": len(a), "n_last": len(b),
                "median_previous_s": ma, "median_last_s": mb,
                "ratio": (mb / ma) if ma and mb is not None else None,
                "p_value": None, "q_value": None, "verdict": "too few incidents"}
            if len(a) >= MIN_N and len(b) >= MIN_N:
                pending.append((len(rows), degradation_test(a, b)))
            rows.append(row)
        qs = benjamini_hochberg([p for _, p in pending])
        for (index, p), q in zip(pending, qs, strict=True):
            rows[index].update(p_value=p, q_value=q,
                               verdict="degraded" if q < 0.05 else "no significant change")
        out.extend(Degradation(**r) for r in rows)
    order = {"degraded": 0, "no significant change": 1, "too few incidents": 2}
    return sorted(out, key=lambda d: (d.metric, order[d.verdict], d.q_value or 1.0, d.service))


def mttr_section(conn: Connection, scope: Scope, *, quarters_shown: int = 4) -> MttrSection:
    """Per-quarter table over the scope's last ``quarters_shown`` quarters, and the test."""
    svc = service_id(conn, scope.service)
    latest = latest_start(conn, scope, svc)
    if scope.until is not None:
        latest = last_instant(scope.until)
    if latest is None:
        return MttrSection([], None, None, [], [])
    last_q0 = quarter_start(latest)
    first = add_quarters(last_q0, -(quarters_shown - 1))
    if scope.since is not None and scope.since > first:
        first = quarter_start(scope.since)
    lo = max(int(first.timestamp()), scope.since_epoch or 0)
    hi = int(add_quarters(last_q0, 1).timestamp())
    if scope.until_epoch is not None:
        hi = min(hi, scope.until_epoch)
    # one narrow read of the shown quarters; counts, means and medians are cheap in numpy
    rows = select(PostmortemService.service_id, PostmortemService.quarter,
                  PostmortemService.ttr_seconds, PostmortemService.ttd_seconds)
    rows = rows.where(PostmortemService.started_epoch >= lo, PostmortemService.started_epoch < hi)
    if svc is not None:
        rows = rows.where(PostmortemService.service_id == svc)
    names = dict(conn.execute(select(Service.id, Service.name)).all())
    groups: dict[tuple[str, str], tuple[list[float], list[float], list[int]]] = {}
    for service, quarter, ttr, ttd in conn.execute(rows):
        entry = groups.setdefault((names[service], str(quarter)), ([], [], [0]))
        entry[2][0] += 1
        if ttr is not None and ttr >= 0:
            entry[0].append(float(ttr))
        if ttd is not None and ttd >= 0:
            entry[1].append(float(ttd))
    stats = [QuarterStat(s, q, n[0], len(r), _median(r), _mean(r), len(d), _median(d), _mean(d))
             for (s, q), (r, d, n) in sorted(groups.items())]
    labels = []
    cursor = first
    while cursor <= last_q0:
        labels.append(quarter_label(cursor))
        cursor = add_quarters(cursor, 1)
    last_q, prev_q = quarter_label(last_q0), quarter_label(add_quarters(last_q0, -1))
    values: dict[str, dict[str, dict[str, list[float]]]] = {prev_q: {}, last_q: {}}
    for (name, quarter), (ttrs, ttds, _) in groups.items():
        if quarter in values:
            values[quarter][name] = {"mttr": ttrs, "ttd": ttds}
    if prev_q not in labels:  # a period that starts in the last quarter still tests it
        prev_start = int(add_quarters(last_q0, -1).timestamp())
        extra = (select(PostmortemService.service_id, PostmortemService.quarter,
                        PostmortemService.ttr_seconds, PostmortemService.ttd_seconds)
                 .where(PostmortemService.started_epoch >= prev_start,
                        PostmortemService.started_epoch < lo))
        if svc is not None:
            extra = extra.where(PostmortemService.service_id == svc)
        for service, quarter, ttr, ttd in conn.execute(extra):
            bucket = values[prev_q].setdefault(names[service], {"mttr": [], "ttd": []})
            if ttr is not None and ttr >= 0:
                bucket["mttr"].append(float(ttr))
            if ttd is not None and ttd >= 0:
                bucket["ttd"].append(float(ttd))
    degradation = analyze_degradation(values[prev_q], values[last_q], prev_q, last_q)
    return MttrSection(labels, last_q, prev_q, stats, degradation)
