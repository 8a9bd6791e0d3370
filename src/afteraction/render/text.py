"""Small formatting helpers shared by the renderers."""

from __future__ import annotations

from datetime import datetime

from afteraction.model.time import format_duration

__all__ = ["duration", "hms", "md_escape", "score_text", "source_label"]

_SOURCE_LABELS = {"github": "GitHub", "slack": "Slack", "zoom": "Zoom", "jira": "Jira",
                  "grafana": "Grafana", "prometheus": "Prometheus",
                  "launchdarkly": "LaunchDarkly", "changes": "change feed"}


def hms(at: datetime | None) -> str:
    return f"{at:%H:%M:%S}" if at else "—"


def duration(seconds: int | None) -> str:
    return "—" if seconds is None else format_duration(seconds)


def md_escape(text: str) -> str:
    """Keep chat text from breaking a Markdown table or injecting markup."""
    return (text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
            .replace("<", "&lt;").replace(">", "&gt;").replace("[", "\\[").replace("]", "\\]"))


def source_label(source: str) -> str:
    return _SOURCE_LABELS.get(source, source)


def score_text(score: float) -> str:
    """Two decimals, without rounding a near-certainty to certainty (0.998 is not 1.00)."""
    if 0.995 <= score < 1.0:
        return ">0.99"
    if 0.0 < score < 0.005:
        return "<0.01"
    return f"{score:.2f}"
