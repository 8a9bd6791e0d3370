"""The vocabularies the corpus counts by: contributing factors, action-item categories, statuses.

Counting needs fixed keys; people write free text. Every factor is stored as one taxonomy key plus
the author's own words, so "top factors" compares like with like and nothing written is lost.
"""

from __future__ import annotations

__all__ = [
    "ACTION_CATEGORIES",
    "ACTION_STATUSES",
    "FACTORS",
    "normalize_action_category",
    "normalize_action_status",
    "normalize_factor",
]

FACTORS: dict[str, str] = {
    "code-change": "a code deploy introduced the defect",
    "config-change": "a configuration change, rollout or feature-flag flip",
    "dependency-failure": "an upstream service or third-party dependency failed or degraded",
    "capacity": "load, saturation or resource exhaustion (CPU, memory, disk, connections, quota)",
    "cascading-failure": "retries, timeouts or fail-over amplified a local failure",
    "monitoring-gap": "missing, noisy or mis-routed alerting delayed detection",
    "automation": "an automated process (pipeline, autoscaler, cleanup job, installer) acted wrongly",
    "cloud-provider": "the cloud or hosting provider's own outage",
    "hardware": "hardware, power, network device or data-centre failure",
    "security": "a credential leak, attack or vulnerability",
    "time": "clocks, leap seconds, time zones, certificate or date expiry",
    "data": "bad data, a schema change or a data migration",
    "human-error": "a manual operation went wrong",
    "process": "a review, testing, runbook or hand-over gap",
    "other": "none of the above (the free text says what)",
}
"""Contributing-factor taxonomy: key -> what it covers. docs/corpus.md documents the same list."""

FACTOR_ALIASES: dict[str, str] = {
    "cloud": "cloud-provider",
    "provider": "cloud-provider",
    "config": "config-change",
    "configuration": "config-change",
    "deploy": "code-change",
    "code": "code-change",
    "bug": "code-change",
    "dependency": "dependency-failure",
    "third-party": "dependency-failure",
    "load": "capacity",
    "saturation": "capacity",
    "cascade": "cascading-failure",
    "monitoring": "monitoring-gap",
    "alerting": "monitoring-gap",
    "human": "human-error",
    "manual": "human-error",
    "schema": "data",
    "certificate": "time",
}
"""Spellings met in real postmortems (the icco public corpus uses ``cloud``) -> taxonomy keys."""

ACTION_CATEGORIES: dict[str, str] = {
    "prevention": "stop this cause recurring (fix, guard rail, validation)",
    "detection": "see it sooner (alerts, dashboards, SLOs)",
    "mitigation": "recover faster (rollback, runbook, automation of the fix)",
    "testing": "tests, staging, canaries, load tests",
    "capacity": "capacity and scaling",
    "process": "reviews, on-call, hand-over, communication",
    "documentation": "docs, runbooks, architecture notes",
    "other": "anything else",
}

ACTION_STATUSES = ("open", "in_progress", "done", "dropped")
"""Normalised action-item statuses; ``dropped`` is closed without being done."""

_STATUS_ALIASES: dict[str, str] = {
    "open": "open", "todo": "open", "to do": "open", "new": "open", "backlog": "open",
    "selected for development": "open", "reopened": "open",
    "in progress": "in_progress", "in_progress": "in_progress", "in review": "in_progress",
    "doing": "in_progress", "blocked": "in_progress", "indeterminate": "in_progress",
    "done": "done", "closed": "done", "resolved": "done", "fixed": "done", "complete": "done",
    "completed": "done",
    "dropped": "dropped", "won't do": "dropped", "wont do": "dropped", "won't fix": "dropped",
    "wontfix": "dropped", "cancelled": "dropped", "canceled": "dropped", "declined": "dropped",
    "obsolete": "dropped", "duplicate": "dropped", "rejected": "dropped",
}


def _key(text: str) -> str:
    return " ".join(text.strip().lower().replace("_", " ").split())


def normalize_factor(category: str | None) -> str:
    """A free-form category to its taxonomy key; unknown ones become ``other``."""
    if not category:
        return "other"
    raw = _key(category).replace(" ", "-")
    if raw in FACTORS:
        return raw
    return FACTOR_ALIASES.get(raw, "other")


def normalize_action_category(category: str | None) -> str:
    raw = _key(category or "").replace(" ", "-")
    return raw if raw in ACTION_CATEGORIES else "other"


def normalize_action_status(status: str | None) -> str:
    """A tracker's or an author's status word to one of :data:`ACTION_STATUSES`."""
    raw = _key(status or "open")
    if raw in _STATUS_ALIASES:
        return _STATUS_ALIASES[raw]
    return _STATUS_ALIASES.get(raw.replace(" ", "_"), "open")
