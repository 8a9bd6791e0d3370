"""The corpus report: every analytics section over one scope, rendered as Markdown or JSON."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from afteraction.corpus.analytics.actions import ActionSection, action_section
from afteraction.corpus.analytics.deploy_patterns import PatternSection, deploy_pattern_section
from afteraction.corpus.analytics.factors import FactorSection, factor_section
from afteraction.corpus.analytics.mttr import MttrSection, mttr_section
from afteraction.corpus.analytics.scope import Scope

__all__ = ["CorpusReport", "build_report", "render_json", "render_markdown"]


@dataclass(frozen=True)
class CorpusReport:
    scope: Scope
    as_of: datetime
    mttr: MttrSection
    factors: FactorSection
    actions: ActionSection
    deploys: PatternSection

    def to_dict(self) -> dict[str, Any]:
        return {"scope": {"since": _iso(self.scope.since), "until": _iso(self.scope.until),
                          "service": self.scope.service},
                "as_of": self.as_of.isoformat(), "mttr": self.mttr.to_dict(),
                "factors": self.factors.to_dict(), "actions": self.actions.to_dict(),
                "deploy_patterns": self.deploys.to_dict()}


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def build_report(engine: Engine, scope: Scope, *, as_of: datetime, window_hours: float = 4.0,
                 quarters_shown: int = 4, factor_months: int = 12) -> CorpusReport:
    """Run every section in one read transaction (a consistent snapshot on PostgreSQL)."""
    with engine.connect() as conn:
        return CorpusReport(scope, as_of,
                            mttr_section(conn, scope, quarters_shown=quarters_shown),
                            factor_section(conn, scope, months=factor_months),
                            action_section(conn, scope, as_of=as_of),
                            deploy_pattern_section(conn, scope, window_hours=window_hours))


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def render_json(report: CorpusReport) -> str:
    return json.dumps(_clean(report.to_dict()), indent=2, sort_keys=False, default=str) + "\n"


def _dur(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes = seconds / 60
    return f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def _num(value: float | None, fmt: str = ".2f") -> str:
    return "–" if value is None else format(value, fmt)


def _p(value: float | None) -> str:
    if value is None:
        return "–"
    return "<0.0001" if value < 1e-4 else f"{value:.4f}"


def _mttr_md(section: MttrSection) -> list[str]:
    out = ["## MTTR and TTD per service per quarter", ""]
    if not section.by_quarter:
        return out + ["No incidents in scope.", ""]
    out += ["MTTR is impact start to recovery; medians, with the incident count n.", "",
            "| service | quarter | n | MTTR median | MTTR mean | TTD median | TTD mean |",
            "|---|---|---:|---:|---:|---:|---:|"]
    for r in section.by_quarter:
        out.append(f"| {r.service} | {r.quarter} | {r.incidents} | {_dur(r.mttr_median_s)} | "
                   f"{_dur(r.mttr_mean_s)} | {_dur(r.ttd_median_s)} | {_dur(r.ttd_mean_s)} |")
    out += ["", f"### Degradation: {section.last_quarter} against {section.previous_quarter}", "",
            "One-sided Mann-Whitney U per service, Benjamini-Hochberg corrected across services.",
            "", ("| service | metric | n before | n last | median before | median last | ratio |"
            " p | q | verdict |"), "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for d in section.degradation:
        out.append(f"| {d.service} | {d.metric.upper()} | {d.n_previous} | {d.n_last} | "
                   f"{_dur(d.median_previous_s)} | {_dur(d.median_last_s)} | {_num(d.ratio)} | "
                   f"{_p(d.p_value)} | {_p(d.q_value)} | {d.verdict} |")
    return out + [""]


def _factors_md(section: FactorSection) -> list[str]:
    out = ["## Top contributing factors", ""]
    if not section.factors:
        return out + ["No contributing factors in scope.", ""]
    out += [(f"{section.incidents} incidents from {section.since} to {section.until}; share is "
            "of incidents; trend compares the two halves of the period."), "",
            "| # | factor | incidents | share | first half | second half | trend |",
            "|---:|---|---:|---:|---:|---:|---|"]
    for i, f in enumerate(section.factors, start=1):
        out.append(f"| {i} | {f.category} | {f.incidents} | {f.share:.0%} | {f.first_half} | "
                   f"{f.second_half} | {f.trend} (p {_p(f.trend_p)}) |")
    return out + [""]


def _actions_md(section: ActionSection) -> list[str]:
    if not section.categories:
        return ["## Action items by category", "", "No action items in scope.", ""]
    out = ["## Action items by category", "",
           f"Past due as of {section.as_of}; dropped = closed without being done.", "",
           ("| category | total | done | open past due | dropped | dropped of closed |"
           " median days to close |"), "|---|---:|---:|---:|---:|---:|---:|"]
    for a in section.categories:
        share = "–" if a.dropped_share_of_closed is None else f"{a.dropped_share_of_closed:.0%}"
        out.append(f"| {a.category} | {a.total} | {a.done} | {a.open_past_due} | {a.dropped} | "
                   f"{share} | {_num(a.median_days_to_close, '.1f')} |")
    return out + [""]


def _deploys_md(section: PatternSection) -> list[str]:
    if section.deploys == 0:
        return ["## Deploy patterns before incidents", "",
                "No deploys in scope: load a deploy log with `afteraction corpus ingest-deploys`.",
                ""]
    out = ["## Deploy patterns before incidents", "",
           (f"{section.deploys} deploys, {section.followed} followed by an incident of the same "
           f"service within {section.window_hours:g} h. Rate ratio with 95% CI, Fisher's exact "
           "p, Benjamini-Hochberg q."), "",
           ("| attribute | deploys with | rate with | rate without | rate ratio (95% CI) | p | q |"
           " verdict |"), "|---|---:|---:|---:|---|---:|---:|---|"]
    for r in section.attributes:
        ci = (f"{_num(r.rate_ratio)} ({_num(r.ci_low)}–{_num(r.ci_high)})"
              if r.rate_ratio is not None else "–")
        out.append(f"| {r.attribute} | {r.deploys_with} | {_num(r.rate_with, '.2%')} | "
                   f"{_num(r.rate_without, '.2%')} | {ci} | {_p(r.p_value)} | {_p(r.q_value)} | "
                   f"{r.verdict} |")
    return out + [""]


def render_markdown(report: CorpusReport) -> str:
    scope = report.scope
    head = ["# Corpus report", "",
            (f"Scope: since {_iso(scope.since) or 'the beginning'}, until "
            f"{_iso(scope.until) or 'now'}, service {scope.service or 'all'}."), ""]
    lines = (head + _mttr_md(report.mttr) + _factors_md(report.factors)
             + _actions_md(report.actions) + _deploys_md(report.deploys))
    return "\n".join(lines)
