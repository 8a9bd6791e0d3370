"""The whole scenario suite, end to end (generate -> raw payloads -> parse -> analyse), scored
against ground truth. The per-family table is printed on every run."""

from __future__ import annotations

import pytest

from afteraction.evaluate import Report, evaluate
from afteraction.generate.families import FAMILIES, build, suite

MINUTE = 60.0


@pytest.fixture(scope="module")
def report() -> Report:
    pairs = list(suite())
    assert len(pairs) >= 70
    return evaluate(build(family, seed) for family, seed in pairs)


def test_print_the_table(report: Report, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print("\n" + report.table())
    assert report.families == sorted(FAMILIES)


def test_culprit_ranking(report: Report) -> None:
    top1, top3 = report.top_k(1), report.top_k(3)
    assert top1 is not None and top1 >= 0.90, report.table()
    assert top3 is not None and top3 >= 0.98, report.table()


def test_no_culprit_scenarios_rarely_get_a_confident_suspect(report: Report) -> None:
    rate = report.false_confident()
    assert rate is not None and rate <= 0.10, report.table()
    # the no-culprit family and the noisy family's no-culprit seeds are both counted
    assert sum(1 for o in report.outcomes if not o.has_culprit) >= 10


@pytest.mark.parametrize("which", ["impact", "detection", "mitigation"])
def test_median_timing_error_within_a_minute(report: Report, which: str) -> None:
    error = report.median_error(which)
    assert error is not None and error <= MINUTE, report.table()


def test_decisions_are_found_with_who_and_when(report: Report) -> None:
    recall = report.decision_recall()
    assert recall is not None and recall >= 0.90, report.table()


def test_calibration(report: Report) -> None:
    """Where a score decile holds enough suspects to measure a rate (>= 10), its hit rate is
    within 15 points of its mean score; and over all suspects the expected calibration error
    (the count-weighted gap) is small."""
    bins = report.calibration()
    total = sum(n for *_, n in bins)
    ece = sum(n * abs(mean - rate) for _, mean, rate, n in bins) / total
    assert ece <= 0.05, report.table()
    measured = [(low, mean, rate, n) for low, mean, rate, n in bins if n >= 10]
    assert len(measured) >= 2
    for low, mean, rate, n in measured:
        assert abs(mean - rate) <= 0.15, f"decile {low}: score {mean:.2f}, hit rate {rate:.2f}"


def _tail(scores: list[float], hits: int) -> float:
    """The chance of a hit count at least as far from the expected one, on the side observed,
    if each suspect is right with the probability its score claims (Poisson-binomial)."""
    dist = [1.0]
    for p in scores:
        dist = [a * (1 - p) + b * p for a, b in zip([*dist, 0.0], [0.0, *dist], strict=True)]
    if hits >= sum(scores):
        return sum(dist[hits:])
    return sum(dist[:hits + 1])


def test_sparse_deciles_are_consistent_with_their_scores(report: Report) -> None:
    """A decile with a handful of suspects cannot show a hit rate within 15 points (one suspect
    scores 0 or 1), so there the outcomes must be plausible under the scores: no decile's hit
    count is one the scores make less than 5% likely."""
    by_decile: dict[int, list[tuple[float, bool]]] = {}
    for outcome in report.outcomes:
        for score, hit in outcome.scores:
            by_decile.setdefault(min(int(score * 10), 9), []).append((score, hit))
    for decile, rows in sorted(by_decile.items()):
        if len(rows) >= 10:
            continue
        scores = [score for score, _ in rows]
        hits = sum(1 for _, hit in rows if hit)
        assert _tail(scores, hits) >= 0.05, (decile, rows)


def test_the_tail_probability_is_exact() -> None:
    assert _tail([0.9], 0) == pytest.approx(0.1)
    assert _tail([0.9, 0.9], 0) == pytest.approx(0.01)
    assert _tail([0.5, 0.5], 2) == pytest.approx(0.25)
    assert _tail([0.2, 0.3], 1) == pytest.approx(0.2 * 0.7 + 0.8 * 0.3 + 0.2 * 0.3)
