"""Measure the analysis against generated ground truth: accuracy, timing error, calibration.

Each scenario goes the whole way a real incident goes — rendered to raw API payloads, parsed back,
analysed — so the numbers measure the product, not a shortcut.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from afteraction.analysis.analyze import Analysis
from afteraction.analysis.evidence import Evidence
from afteraction.generate.bundle import scenario_bundle
from afteraction.generate.scenario import Scenario
from afteraction.pipeline import analyze_bundle

__all__ = ["Outcome", "Report", "evaluate", "score_scenario"]


@dataclass(frozen=True)
class Outcome:
    family: str
    seed: int
    has_culprit: bool
    rank: int | None                 # 1-based rank of the culprit among suspects; None = absent
    top_score: float
    culprit_score: float | None
    confident: bool
    impact_error: float | None       # seconds, |found - truth|
    detection_error: float | None
    mitigation_error: float | None
    scores: tuple[tuple[float, bool], ...]  # (score, is the culprit) for every suspect
    decisions_expected: int = 0
    decisions_found: int = 0                 # true decisions found: same person, within 60 s


def _err(found: datetime | None, truth: datetime | None) -> float | None:
    if truth is None:
        return None
    if found is None:
        return float("inf")
    return abs((found - truth).total_seconds())


def score_scenario(scenario: Scenario, evidence: Evidence, analysis: Analysis) -> Outcome:
    truth = scenario.truth
    by_id = {e.id: e for e in evidence.events}
    rank = None
    culprit_score = None
    scores = []
    for position, suspect in enumerate(analysis.suspects, start=1):
        event = by_id[suspect.id]
        hit = truth.culprit is not None and truth.culprit.matches(
            str(event.kind), suspect.service, event.attrs)
        if hit and rank is None:
            rank, culprit_score = position, suspect.score
        scores.append((suspect.score, hit))
    m = analysis.milestones
    said = [(s.event.at, s.event.actor) for s in analysis.statements if s.kind == "decision"]
    found = sum(1 for at, who in truth.decisions
                if any(actor == who and abs((t - at).total_seconds()) <= 60 for t, actor in said))
    return Outcome(
        family=truth.family, seed=scenario.seed, has_culprit=truth.culprit is not None,
        rank=rank, top_score=analysis.suspects[0].score if analysis.suspects else 0.0,
        culprit_score=culprit_score, confident=analysis.confident,
        impact_error=_err(m.impact_start, truth.impact_start),
        detection_error=_err(m.detected_at, truth.detected_at),
        mitigation_error=_err(m.mitigated_at, truth.mitigated_at), scores=tuple(scores),
        decisions_expected=len(truth.decisions), decisions_found=found)


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def _culprit(self, family: str | None = None) -> list[Outcome]:
        return [o for o in self.outcomes if o.has_culprit and family in (None, o.family)]

    def top_k(self, k: int, family: str | None = None) -> float | None:
        rows = self._culprit(family)
        if not rows:
            return None
        return sum(1 for o in rows if o.rank is not None and o.rank <= k) / len(rows)

    def false_confident(self, family: str | None = None) -> float | None:
        rows = [o for o in self.outcomes if not o.has_culprit and family in (None, o.family)]
        if not rows:
            return None
        return sum(1 for o in rows if o.top_score >= 0.5) / len(rows)

    def median_error(self, which: str, family: str | None = None) -> float | None:
        values = [getattr(o, f"{which}_error") for o in self.outcomes
                  if family in (None, o.family) and getattr(o, f"{which}_error") is not None]
        return statistics.median(values) if values else None

    def decision_recall(self, family: str | None = None) -> float | None:
        rows = [o for o in self.outcomes if family in (None, o.family)]
        expected = sum(o.decisions_expected for o in rows)
        return sum(o.decisions_found for o in rows) / expected if expected else None

    def calibration(self) -> list[tuple[float, float, float, int]]:
        """Per score decile: (low, mean score, hit rate, n)."""
        bins: dict[int, list[tuple[float, bool]]] = defaultdict(list)
        for o in self.outcomes:
            for score, hit in o.scores:
                bins[min(int(score * 10), 9)].append((score, hit))
        out = []
        for decile in sorted(bins):
            rows = bins[decile]
            out.append((decile / 10, statistics.fmean(s for s, _ in rows),
                        sum(1 for _, h in rows if h) / len(rows), len(rows)))
        return out

    @property
    def families(self) -> list[str]:
        return sorted({o.family for o in self.outcomes})

    def table(self) -> str:
        def pct(v: float | None) -> str:
            return "—" if v is None else f"{v * 100:5.1f}%"

        def sec(v: float | None) -> str:
            return "—" if v is None else ("inf" if v == float("inf") else f"{v:6.0f}s")

        lines = [f"{'family':<16}{'n':>4}{'top-1':>9}{'top-3':>9}{'FP>=.5':>9}"
                 f"{'impact':>9}{'detect':>9}{'mitig.':>9}{'decis.':>9}"]
        for family in [*self.families, None]:
            rows = [o for o in self.outcomes if family in (None, o.family)]
            lines.append(f"{family or 'ALL':<16}{len(rows):>4}{pct(self.top_k(1, family)):>9}"
                         f"{pct(self.top_k(3, family)):>9}{pct(self.false_confident(family)):>9}"
                         f"{sec(self.median_error('impact', family)):>9}"
                         f"{sec(self.median_error('detection', family)):>9}"
                         f"{sec(self.median_error('mitigation', family)):>9}"
                         f"{pct(self.decision_recall(family)):>9}")
        lines.append("")
        lines.append("calibration: decile  mean-score  hit-rate  n")
        for low, mean, rate, n in self.calibration():
            lines.append(f"             {low:.1f}     {mean:6.3f}     {rate:6.3f}  {n}")
        return "\n".join(lines)


def evaluate(scenarios: Iterable[Scenario]) -> Report:
    report = Report()
    for scenario in scenarios:
        evidence, analysis = analyze_bundle(scenario_bundle(scenario))
        report.outcomes.append(score_scenario(scenario, evidence, analysis))
    return report
