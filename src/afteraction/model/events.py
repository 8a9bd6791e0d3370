"""The one event model every source produces and every analysis step reads.

An :class:`Event` is a point in time with a citation URL that opens the original. Source-specific
detail lives in ``attrs`` under these documented keys, so analysis never reaches back into a raw
payload:

==============  =====================================================================================
kind            attrs
==============  =====================================================================================
deploy          repo, sha, ref, environment, deployment_id, state (success|failure|error|inactive|
                in_progress), finished_at (ISO), rollback (bool), rollback_to (sha), version,
                canary (bool), config_only (bool), change_size (lines, when known)
merge           repo, number, sha (merge commit), base, additions, deletions, changed_files, labels,
                revert_of (PR number, when a revert), config_only (bool)
commit          repo, sha
release         repo, tag
workflow_run    repo, workflow, conclusion, head_sha
config          system, key, old, new (a config rollout from a change feed or a config repo)
flag            flag_key, project, environment, action (on|off|rollout|targeting|other),
                rollout_from, rollout_to (percent), targets
alert           alertname, state (firing|resolved), severity, rule_uid, ends_at (ISO)
annotation      tags (list), dashboard_uid, panel_id, time_end (ISO)
message         channel, channel_name, ts, thread_ts, reply_count, user_id
utterance       recording_id, offset_seconds, end_offset_seconds, speaker
ticket          key, issue_type, status, priority, labels, components, links
                [{type, direction, key}], created, resolved, project
status_change   key, field, old, new
==============  =====================================================================================
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from afteraction.model.time import UtcDatetime, require_utc

__all__ = ["CHANGE_KINDS", "Event", "EventKind", "MetricSeries", "event_id"]


class EventKind(StrEnum):
    DEPLOY = "deploy"
    MERGE = "merge"
    COMMIT = "commit"
    RELEASE = "release"
    WORKFLOW_RUN = "workflow_run"
    CONFIG = "config"
    FLAG = "flag"
    ALERT = "alert"
    ANNOTATION = "annotation"
    MESSAGE = "message"
    UTTERANCE = "utterance"
    TICKET = "ticket"
    STATUS_CHANGE = "status_change"


CHANGE_KINDS = frozenset({EventKind.DEPLOY, EventKind.MERGE, EventKind.CONFIG, EventKind.FLAG})
"""The kinds that can be a suspect: something a person or a pipeline changed."""


def event_id(source: str, kind: str, source_id: str) -> str:
    """A stable, short, readable id: the same raw record always gets the same id."""
    digest = hashlib.sha1(f"{source}\x1f{kind}\x1f{source_id}".encode()).hexdigest()[:10]
    return f"{source}-{kind}-{digest}"


class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    source: str
    kind: EventKind
    at: UtcDatetime
    source_id: str
    url: str = Field(min_length=1, description="citation: opens the original record")
    text: str = ""
    actor: str | None = None
    services: tuple[str, ...] = ()
    attrs: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def make(cls, *, source: str, kind: EventKind | str, source_id: str, **fields: Any) -> Event:
        """Build an event with its stable id derived from source, kind and source id."""
        kind = EventKind(kind)
        return cls(id=event_id(source, kind, source_id), source=source, kind=kind,
                   source_id=source_id, **fields)

    @classmethod
    def fast(cls, *, source: str, kind: EventKind, source_id: str, at: datetime, url: str,
             text: str = "", actor: str | None = None, services: tuple[str, ...] = (),
             attrs: dict[str, Any] | None = None) -> Event:
        """``make`` without re-validation, for parsers emitting tens of thousands of events.

        Only the UTC rule is re-checked here (it is the one a parser could get wrong); every
        other field is typed by the signature. Pydantic's own ``model_construct`` costs three
        times as much, which is a second on a large incident.
        """
        if at.tzinfo is not UTC:
            at = require_utc(at)
        if not url:
            raise ValueError("an event needs a citation url")
        return cls.from_parts(event_id(source, str(kind), source_id), source, kind, at, source_id,
                              url, text, actor, services, {} if attrs is None else attrs)

    @classmethod
    def from_parts(cls, id: str, source: str, kind: EventKind, at: datetime,
                   source_id: str, url: str, text: str, actor: str | None,
                   services: tuple[str, ...], attrs: dict[str, Any], /) -> Event:
        """The bare constructor under ``fast``, for a parser's innermost loop that has already
        made sure of what ``fast`` checks (a UTC time, a url, the id from :func:`event_id`)."""
        event = _new(cls)
        _set(event, "__dict__", {"id": id, "source": source, "kind": kind, "at": at,
                                 "source_id": source_id, "url": url, "text": text,
                                 "actor": actor, "services": services, "attrs": attrs})
        _set(event, "__pydantic_fields_set__", _ALL_FIELDS_SET)
        _set(event, "__pydantic_extra__", None)
        _set(event, "__pydantic_private__", None)
        return event


_EVENT_FIELDS = frozenset(Event.model_fields)
_ALL_FIELDS_SET = set(_EVENT_FIELDS)
"""Shared by every fast-built event: frozen events never change it, copies get their own."""
_new = object.__new__
_set = object.__setattr__


class MetricSeries(BaseModel):
    """One metric series over the window, as the query returned it, plus what it measures.

    ``signal`` says what the series is for the analysis: ``error_ratio``, ``latency`` (seconds,
    a quantile), ``saturation`` (0..1), ``throughput``, or ``other``. Values may be NaN where a
    scrape is missing.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    source: str
    query: str
    labels: dict[str, str] = Field(default_factory=dict)
    service: str | None = None
    signal: str = "other"
    unit: str = ""
    url: str = Field(min_length=1)
    timestamps: tuple[float, ...]
    values: tuple[float, ...]

    @field_validator("values")
    @classmethod
    def _same_length(cls, values: tuple[float, ...], info: Any) -> tuple[float, ...]:
        stamps = info.data.get("timestamps")
        if stamps is not None and len(stamps) != len(values):
            raise ValueError(f"{len(stamps)} timestamps but {len(values)} values")
        return values
