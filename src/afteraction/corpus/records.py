"""Plain records between the parsers and the store: one shape, whatever the document's format.

Drafts (JSON), Markdown front matter and the generator all produce these; the store writes only
these. Times are timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from afteraction.corpus.taxonomy import (
    normalize_action_category,
    normalize_action_status,
    normalize_factor,
)
from afteraction.model.postmortem import Postmortem

__all__ = ["ActionRecord", "DeployRecord", "FactorRecord", "PostmortemRecord", "from_draft",
           "quarter_of"]


@dataclass(frozen=True)
class FactorRecord:
    category: str
    text: str = ""
    draft: bool = False


@dataclass(frozen=True)
class ActionRecord:
    title: str
    owner: str | None = None
    category: str = "other"
    tracker_key: str | None = None
    status: str = "open"
    tracker_status: str | None = None
    due: date | None = None
    created_at: datetime | None = None
    closed_at: datetime | None = None


@dataclass(frozen=True)
class PostmortemRecord:
    key: str
    title: str
    services: tuple[str, ...] = ()
    severity: str | None = None
    status: str | None = None
    started_at: datetime | None = None
    detected_at: datetime | None = None
    mitigated_at: datetime | None = None
    recovered_at: datetime | None = None
    resolved_at: datetime | None = None
    ttd_seconds: int | None = None
    ttm_seconds: int | None = None
    ttr_seconds: int | None = None
    detection_method: str | None = None
    mitigation_type: str | None = None
    trigger: str | None = None
    summary: str = ""
    body: str = ""
    url: str | None = None
    factors: tuple[FactorRecord, ...] = ()
    actions: tuple[ActionRecord, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    document: dict[str, Any] | None = None
    source_format: str = "markdown"
    source_path: str | None = None


@dataclass(frozen=True)
class DeployRecord:
    """One change in the deploy log: the denominator of the deploy-pattern statistics."""

    key: str
    service: str
    at: datetime
    kind: str = "code"
    environment: str | None = None
    change_size: int | None = None
    canary: bool | None = None
    rollback: bool = False
    actor: str | None = None
    sha: str | None = None
    url: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)


def quarter_of(at: datetime) -> str:
    """'2025Q3' for a UTC time: the bucket MTTR and factor trends are counted in."""
    at = at.astimezone(UTC)
    return f"{at.year}Q{(at.month - 1) // 3 + 1}"


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return int((end - start).total_seconds())


def durations(started: datetime | None, detected: datetime | None, mitigated: datetime | None,
              recovered: datetime | None, resolved: datetime | None
              ) -> tuple[int | None, int | None, int | None]:
    """TTD, TTM, TTR from the milestones (TTR runs to recovery, else to resolution)."""
    return (_seconds(started, detected), _seconds(started, mitigated),
            _seconds(started, recovered or resolved))


def _due(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def from_draft(pm: Postmortem, *, path: str | None = None) -> PostmortemRecord:
    """A reviewed draft (the structured postmortem) as a corpus record, nothing dropped."""
    started = pm.impact_start or pm.window.start
    ttd, ttm, ttr = durations(started, pm.detected_at, pm.mitigated_at, pm.recovered_at,
                              pm.resolved_at)
    created = pm.resolved_at or pm.recovered_at or pm.window.end
    actions = tuple(
        ActionRecord(title=a.title, owner=a.owner, category=normalize_action_category(a.category),
                     tracker_key=a.tracker_key, status=normalize_action_status(a.status),
                     tracker_status=a.status, due=_due(a.due), created_at=created)
        for a in pm.action_items)
    factors = tuple(FactorRecord(category=normalize_factor(f.category), text=f.text, draft=f.draft)
                    for f in pm.contributing_factors)
    return PostmortemRecord(
        key=pm.incident.id, title=pm.title or pm.incident.title, services=pm.affected_services,
        severity=pm.incident.severity, status=pm.incident.status, started_at=started,
        detected_at=pm.detected_at, mitigated_at=pm.mitigated_at, recovered_at=pm.recovered_at,
        resolved_at=pm.resolved_at,
        ttd_seconds=pm.ttd_seconds if pm.ttd_seconds is not None else ttd,
        ttm_seconds=pm.ttm_seconds if pm.ttm_seconds is not None else ttm,
        ttr_seconds=pm.ttr_seconds if pm.ttr_seconds is not None else ttr,
        detection_method=pm.detection_method, mitigation_type=pm.mitigation_type,
        trigger=pm.trigger, summary=pm.summary, body=pm.impact, factors=factors, actions=actions,
        document=pm.model_dump(mode="json"), source_format="draft", source_path=path)
