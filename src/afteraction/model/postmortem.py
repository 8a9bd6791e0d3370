"""The structured postmortem: what every renderer reads and the corpus stores.

Every claim carries the ids of the evidence it rests on (``refs``); renderers turn them into links.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from afteraction.model.time import UtcDatetime

__all__ = [
    "ActionItem",
    "ContributingFactor",
    "Decision",
    "EvidenceItem",
    "IncidentRef",
    "KeyMetric",
    "Postmortem",
    "Related",
    "SourceReport",
    "Suspect",
    "TimelineEntry",
    "WindowRef",
]

SCHEMA_VERSION = 1
Phase = Literal["before", "impact", "detection", "response", "mitigation", "recovery", "after"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IncidentRef(_Frozen):
    id: str
    title: str = ""
    severity: str | None = None
    status: str = "draft"
    ticket: str | None = None
    channel: str | None = None


class WindowRef(_Frozen):
    start: UtcDatetime
    end: UtcDatetime


class EvidenceItem(_Frozen):
    """One reason a change is suspected (or doubted), with its weight in the score."""

    kind: str = Field(description="lag | service_match | rollback_recovery | named | flag_targeting"
                                  " | size | rollout | caller_errors | against")
    detail: str
    weight: float = Field(description="log-odds contribution to the score; negative = against")
    refs: tuple[str, ...] = ()


class Suspect(_Frozen):
    id: str = Field(description="the change's event id")
    kind: str
    service: str | None
    at: UtcDatetime
    url: str
    title: str
    actor: str | None = None
    score: float = Field(ge=0.0, le=1.0)
    evidence: tuple[EvidenceItem, ...] = ()


class TimelineEntry(_Frozen):
    at: UtcDatetime
    source: str
    kind: str
    text: str
    url: str
    phase: Phase
    id: str
    actor: str | None = None
    services: tuple[str, ...] = ()
    milestone: str | None = Field(default=None, description="impact_start, detected, mitigated,"
                                                            " recovered, resolved")


class Decision(_Frozen):
    at: UtcDatetime
    actor: str | None
    text: str
    source: str
    url: str
    id: str
    kind: Literal["decision", "action"] = "decision"


class Related(_Frozen):
    kind: Literal["ticket", "incident"]
    key: str
    title: str
    url: str | None = None
    relation: str = Field(description="incident_ticket | linked | tech_debt | prior_incident")
    status: str | None = None
    service: str | None = None


class ContributingFactor(_Frozen):
    category: str = Field(description="a key of the contributing-factor taxonomy, or 'other'")
    text: str
    draft: bool = True
    refs: tuple[str, ...] = ()


class ActionItem(_Frozen):
    title: str
    owner: str | None = None
    category: str = "other"
    tracker_key: str | None = None
    status: str = "open"
    due: str | None = None


class SourceReport(_Frozen):
    status: Literal["ok", "missing", "error", "no_data"]
    detail: str = ""
    events: int = 0
    series: int = 0


class KeyMetric(_Frozen):
    """The series that best shows one affected service's impact, with its baseline band."""

    service: str
    signal: str
    query: str
    url: str
    series_id: str
    unit: str = ""
    timestamps: tuple[float, ...]
    values: tuple[float | None, ...]
    baseline: float | None = None
    band_high: float | None = None


class Postmortem(_Frozen):
    schema_version: int = SCHEMA_VERSION
    incident: IncidentRef
    window: WindowRef
    title: str
    summary: str
    impact: str
    affected_services: tuple[str, ...]
    impact_start: UtcDatetime | None
    detected_at: UtcDatetime | None
    detection_method: str | None = None
    mitigated_at: UtcDatetime | None
    mitigation_type: str | None = None
    mitigation_ref: str | None = None
    recovered_at: UtcDatetime | None
    resolved_at: UtcDatetime | None
    ttd_seconds: int | None
    ttm_seconds: int | None
    ttr_seconds: int | None
    trigger: str | None = Field(default=None, description="the confident suspect's id, if any")
    confident: bool = False
    suspects: tuple[Suspect, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    decisions: tuple[Decision, ...] = ()
    contributing_factors: tuple[ContributingFactor, ...] = ()
    action_items: tuple[ActionItem, ...] = ()
    related: tuple[Related, ...] = ()
    open_questions: tuple[str, ...] = ()
    sources: dict[str, SourceReport] = Field(default_factory=dict)
    key_metrics: tuple[KeyMetric, ...] = ()
    citations: dict[str, str] = Field(default_factory=dict,
                                      description="evidence id -> URL of every id cited above")
    provenance: dict[str, object] = Field(default_factory=dict)
