"""The structured postmortem, built from evidence and analysis by the deterministic writer.

Everything here is phrased from computed values; the author's judgment (root cause, action items)
is asked for as open questions rather than invented.
"""

from __future__ import annotations

import math
from datetime import datetime

from afteraction import __version__
from afteraction.analysis.analyze import Analysis
from afteraction.analysis.evidence import Evidence
from afteraction.analysis.onset import Anomaly
from afteraction.model.events import EventKind, MetricSeries
from afteraction.model.postmortem import (
    ContributingFactor,
    Decision,
    IncidentRef,
    KeyMetric,
    Postmortem,
    WindowRef,
)
from afteraction.model.time import format_duration
from afteraction.render.text import score_text

__all__ = ["build_postmortem"]

_MITIGATION_WORDS = {
    "rollback": "rolling back", "revert": "reverting", "flag_off": "turning the flag off",
    "scale_up": "scaling up", "failover": "failing over", "restart": "restarting",
    "config_change": "a configuration change", "fix_forward": "deploying a fix",
}
_SIGNAL_WORDS = {"error_ratio": "error ratio", "latency": "p99 latency",
                 "saturation": "saturation", "throughput": "throughput"}


def _seconds(later: datetime | None, earlier: datetime | None) -> int | None:
    if later is None or earlier is None:
        return None
    return int(round((later - earlier).total_seconds()))


def _hm(at: datetime | None) -> str:
    return f"{at:%H:%M} UTC" if at else "unknown"


def _key_metrics(evidence: Evidence, analysis: Analysis) -> list[KeyMetric]:
    by_id: dict[str, MetricSeries] = {s.id: s for s in analysis.series}
    best: dict[str, tuple[float, str]] = {}
    for anomaly in analysis.impact.anomalies:
        if anomaly.service and anomaly.peak_z > best.get(anomaly.service, (0.0, ""))[0]:
            best[anomaly.service] = (anomaly.peak_z, anomaly.series_id)
    out = []
    anomalies = {a.series_id: a for a in analysis.impact.anomalies}
    for service in analysis.impact.services:
        if service not in best:
            continue
        series = by_id[best[service][1]]
        anomaly = anomalies[series.id]
        values = tuple(round(v, 6) if math.isfinite(v) else None for v in series.values)
        out.append(KeyMetric(service=service, signal=series.signal, query=series.query,
                             url=series.url, series_id=series.id, unit=series.unit,
                             timestamps=series.timestamps, values=values,
                             baseline=round(anomaly.baseline, 6),
                             band_high=round(anomaly.band_high, 6)))
    return out


def _summary(evidence: Evidence, a: Analysis, ttd: int | None, ttm: int | None) -> str:
    services = a.impact.services
    loud = services[0] if services else None
    parts = []
    if a.impact.start and loud:
        others = ", ".join(services[1:4])
        parts.append(f"From {_hm(a.impact.start)} {loud} degraded"
                     + (f" (also {others})" if others else "") + ".")
    if a.detection:
        parts.append(f"It was detected by {a.detection.method} "
                     f"{format_duration(ttd) if ttd is not None else ''} after impact began.")
    if a.mitigation:
        what = _MITIGATION_WORDS.get(a.mitigation.kind, a.mitigation.kind)
        target = f" {a.mitigation.target_service}" if a.mitigation.target_service else ""
        parts.append(f"It was mitigated by {what}{target} at {_hm(a.mitigation.at)}"
                     + (f", {format_duration(ttm)} after impact began." if ttm is not None else "."))
    if a.suspects and a.confident:
        top = a.suspects[0]
        parts.append(f"The most likely trigger is {top.title} at {_hm(top.at)} "
                     f"(score {score_text(top.score)}).")
    elif a.suspects:
        parts.append("No change is a confident suspect; the ranked candidates are listed below.")
    else:
        parts.append("No change was found in the look-back before impact.")
    return " ".join(parts)


def _value(value: float, signal: str) -> str:
    if signal in ("error_ratio", "client_error_ratio", "saturation"):
        return f"{value * 100:.2f}%"
    if signal == "latency":
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"
    return f"{value:.3g}"


def _impact_text(evidence: Evidence, a: Analysis) -> str:
    """One sentence per affected service: its loudest signal, from baseline to peak, and when."""
    loudest: dict[str, Anomaly] = {}
    for anomaly in a.impact.anomalies:
        if anomaly.service is None:
            continue
        current = loudest.get(anomaly.service)
        if current is None or anomaly.peak_z > current.peak_z:
            loudest[anomaly.service] = anomaly
    lines = []
    for service in a.impact.services:
        if service not in loudest:
            continue
        anomaly = loudest[service]
        word = _SIGNAL_WORDS.get(anomaly.signal, anomaly.signal)
        signal = anomaly.signal
        until = (f"until {_hm(anomaly.recovered_at)}" if anomaly.recovered_at
                 else "and had not recovered by the end of the window")
        lines.append(
            f"{service}: {word} rose from {_value(anomaly.baseline, signal)} to "
            f"{_value(anomaly.peak_value, signal)} (peak {_hm(anomaly.peak_at)}), "
            f"from {_hm(anomaly.onset)} {until}.")
    if not lines:
        return "No metric showed a sustained deviation; impact is taken from the reports."
    return "\n".join(lines)


def _factors(evidence: Evidence, a: Analysis) -> list[ContributingFactor]:
    out = []
    if a.confident and a.suspects:
        top = a.suspects[0]
        event = next(e for e in evidence.events if e.id == top.id)
        config = event.kind in (EventKind.CONFIG, EventKind.FLAG) or event.attrs.get(
            "config_only")
        out.append(ContributingFactor(
            category="config-change" if config else "code-change",
            text=f"{top.title} ({top.service}) is the likely trigger.", refs=(top.id,)))
        if top.service and a.impact.services and top.service != a.impact.services[0]:
            out.append(ContributingFactor(
                category="cascading-failure",
                text=f"The failure in {top.service} surfaced loudest in "
                     f"{a.impact.services[0]}, its caller.", refs=(top.id,)))
    for rel in a.related:
        if rel.relation == "tech_debt" or (rel.relation.startswith("linked") and rel.kind ==
                                           "ticket"):
            out.append(ContributingFactor(
                category="process", text=f"Known risk left open: {rel.key} {rel.title}",
                refs=()))
    if a.detection and a.impact.start and \
            (a.detection.at - a.impact.start).total_seconds() > 600:
        out.append(ContributingFactor(category="monitoring-gap",
                                      text="Detection took more than ten minutes.",
                                      refs=(a.detection.event.id,)))
    return out


def _questions(evidence: Evidence, a: Analysis) -> list[str]:
    q = []
    if a.confident and a.suspects:
        top = a.suspects[0]
        q.append(f"What in {top.title} caused the regression, and why did testing not catch it?")
    else:
        q.append("Which change or external event triggered the incident? No change scored as a "
                 "confident suspect.")
    if a.detection and a.impact.start:
        q.append(f"Could this have been detected sooner than {_hm(a.detection.at)}?")
    if a.mitigation and a.impact.start:
        q.append(f"What slowed the decision to mitigate ({_hm(a.mitigation.at)})?")
    for rel in a.related:
        if rel.relation.startswith("linked") or rel.relation == "tech_debt":
            q.append(f"Should {rel.key} ({rel.title}) be prioritised now?")
    missing = [n for n, s in evidence.sources.items() if s.status in ("missing", "error")]
    if missing:
        q.append("Sources were unavailable (" + ", ".join(missing) + "): is anything missing "
                 "from the timeline?")
    q.append("What action items, with owners, prevent a recurrence?")
    return q


def build_postmortem(evidence: Evidence, a: Analysis) -> Postmortem:
    m = a.milestones
    ttd = _seconds(m.detected_at, m.impact_start)
    ttm = _seconds(m.mitigated_at, m.impact_start)
    ttr = _seconds(m.resolved_at, m.impact_start)
    decisions = [Decision(at=s.event.at, actor=s.event.actor, text=s.event.text,
                          source=s.event.source, url=s.event.url, id=s.event.id,
                          kind=s.kind) for s in a.statements]  # type: ignore[arg-type]
    incident = evidence.incident
    services = a.impact.services or incident.services
    title = incident.title or f"Incident {incident.id}"
    provenance = {"tool_version": __version__, **evidence.provenance}
    return Postmortem(
        incident=IncidentRef(id=incident.id, title=incident.title, severity=incident.severity,
                             ticket=incident.ticket, channel=incident.channel),
        window=WindowRef(start=evidence.window.start, end=evidence.window.end),
        title=title, summary=_summary(evidence, a, ttd, ttm), impact=_impact_text(evidence, a),
        affected_services=tuple(services), impact_start=m.impact_start,
        detected_at=m.detected_at,
        detection_method=a.detection.method if a.detection else None,
        mitigated_at=m.mitigated_at,
        mitigation_type=a.mitigation.kind if a.mitigation else None,
        mitigation_ref=a.mitigation.event.id if a.mitigation else None,
        recovered_at=m.recovered_at, resolved_at=m.resolved_at,
        ttd_seconds=ttd, ttm_seconds=ttm, ttr_seconds=ttr,
        trigger=a.suspects[0].id if a.confident else None, confident=a.confident,
        suspects=a.suspects, timeline=a.timeline, decisions=tuple(decisions),
        contributing_factors=tuple(_factors(evidence, a)), related=a.related,
        open_questions=tuple(_questions(evidence, a)), sources=evidence.sources,
        key_metrics=tuple(_key_metrics(evidence, a)),
        citations=_citations(evidence, a), provenance=provenance)


def _citations(evidence: Evidence, a: Analysis) -> dict[str, str]:
    cited: set[str] = {t.id for t in a.timeline} | {s.event.id for s in a.statements}
    for suspect in a.suspects:
        cited.add(suspect.id)
        for item in suspect.evidence:
            cited.update(item.refs)
    if a.detection:
        cited.add(a.detection.event.id)
    if a.mitigation:
        cited.add(a.mitigation.event.id)
    urls = {e.id: e.url for e in evidence.events if e.id in cited}
    return dict(sorted(urls.items()))
