"""The generated world: what happened (events, series) and what is true about it (ground truth)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from afteraction.bundle.manifest import SourceEntry
from afteraction.model.events import Event, MetricSeries
from afteraction.model.incident import Catalog, Incident, Window

__all__ = ["DEFAULT_ENTRIES", "ChangeRef", "GroundTruth", "Scenario"]

DEFAULT_ENTRIES: dict[str, SourceEntry] = {
    "prometheus": SourceEntry(base_url="http://prometheus.acme.internal:9090",
                              web_url="https://grafana.acme.io"),
    "grafana": SourceEntry(base_url="https://grafana.acme.io", web_url="https://grafana.acme.io"),
    "github": SourceEntry(base_url="https://api.github.com", web_url="https://github.com"),
    "slack": SourceEntry(base_url="https://slack.com/api", web_url="https://acme.slack.com"),
    "zoom": SourceEntry(base_url="https://api.zoom.us/v2", web_url="https://acme.zoom.us"),
    "jira": SourceEntry(base_url="https://acme.atlassian.net", web_url="https://acme.atlassian.net"),
    "launchdarkly": SourceEntry(base_url="https://app.launchdarkly.com",
                                web_url="https://app.launchdarkly.com"),
}
"""Where the generated organisation's systems live (fictional hosts; nothing is contacted)."""


@dataclass(frozen=True)
class ChangeRef:
    """Identifies a change without depending on id conventions: kind, service, and matching attrs."""

    kind: str
    service: str
    at: datetime
    match: dict[str, Any] = field(default_factory=dict)

    def matches(self, kind: str, service: str | None, attrs: dict[str, Any]) -> bool:
        if kind != self.kind or service != self.service:
            return False
        return all(attrs.get(k) == v for k, v in self.match.items())


@dataclass(frozen=True)
class GroundTruth:
    family: str
    culprit: ChangeRef | None
    affected_services: tuple[str, ...]
    impact_start: datetime
    detected_at: datetime
    detection_method: str
    mitigated_at: datetime | None
    mitigation_type: str | None
    recovered_at: datetime | None
    resolved_at: datetime | None
    decisions: tuple[tuple[datetime, str], ...] = ()
    notes: str = ""


@dataclass
class Scenario:
    seed: int
    incident: Incident
    window: Window
    catalog: Catalog
    captured_at: datetime
    events: list[Event]
    series: list[MetricSeries]
    truth: GroundTruth
    entries: dict[str, SourceEntry] = field(default_factory=lambda: dict(DEFAULT_ENTRIES))
    baseline_seconds: int = 0
    lookback_seconds: int = 6 * 3600

    def events_of(self, source: str) -> list[Event]:
        return [e for e in self.events if e.source == source]
