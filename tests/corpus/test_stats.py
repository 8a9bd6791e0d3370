from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest
from scipy import stats

from afteraction.corpus.analytics.deploy_patterns import CubeCell, analyze_patterns
from afteraction.corpus.analytics.mttr import analyze_degradation
from afteraction.corpus.analytics.scope import add_quarters, months_before, quarter_start
from afteraction.corpus.analytics.stats import benjamini_hochberg, degradation_test, rate_ratio
from afteraction.corpus.taxonomy import normalize_action_status, normalize_factor


def test_rate_ratio_matches_hand_computation() -> None:
    rr = rate_ratio(40, 1000, 20, 1000)
    assert rr.ratio == 2.0
    se = math.sqrt(1 / 40 - 1 / 1000 + 1 / 20 - 1 / 1000)
    assert math.isclose(rr.low, 2 * math.exp(-1.959963984540054 * se))
    assert math.isclose(rr.high, 2 * math.exp(1.959963984540054 * se))
    assert rr.adequate and 0.005 < rr.p_value < 0.02


def test_rate_ratio_small_samples_are_not_findings() -> None:
    assert not rate_ratio(3, 20, 10, 500).adequate          # under 30 deploys with it
    assert not rate_ratio(1, 200, 2, 300).adequate          # expected incidents under 5
    zero = rate_ratio(0, 500, 30, 500)                      # finite thanks to Haldane
    assert math.isfinite(zero.ratio) and zero.ratio < 0.1


def test_benjamini_hochberg() -> None:
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.5])
    assert [round(v, 4) for v in q] == [0.04, 0.0533, 0.0533, 0.5]
    assert benjamini_hochberg([]) == []


def test_degradation_test_small_skewed_samples() -> None:
    # the mean says "better" (one huge outlier before); the ranks say "worse", rightly
    before = [600, 900, 1200, 1500, 1800, 40000]
    after = [2400, 3000, 3600, 4200, 5000, 6000]
    assert degradation_test(before, after) < 0.05
    assert degradation_test(after, before) > 0.9


def test_analyze_degradation_needs_four_incidents() -> None:
    rows = analyze_degradation({"a": {"mttr": [1, 2, 3], "ttd": []}},
                               {"a": {"mttr": [10, 20, 30, 40], "ttd": []}}, "2025Q3", "2025Q4")
    mttr = next(r for r in rows if r.metric == "mttr")
    assert mttr.verdict == "too few incidents" and mttr.n_previous == 3 and mttr.p_value is None
    assert mttr.ratio == 12.5


def test_analyze_patterns_on_a_hand_made_cube() -> None:
    cells = [CubeCell(0, 10, "small", "code", False, False, 1000, 80),
             CubeCell(1, 10, "small", "code", True, False, 1000, 40),
             CubeCell(2, 22, "unknown", "config", None, False, 10, 1)]
    rows = {r.attribute: r for r in analyze_patterns(cells)}
    canary = rows["no canary"]
    assert (canary.deploys_with, canary.incidents_with, canary.deploys_without) == (1000, 80, 1000)
    assert canary.rate_ratio == 2.0 and canary.verdict == "more incidents"
    assert rows["kind: config change"].verdict == "sample too small"
    assert rows["size: small (< 50 lines)"].deploys_without == 0


def test_quarters_and_months() -> None:
    at = datetime(2025, 11, 30, 12, tzinfo=UTC)
    assert quarter_start(at) == datetime(2025, 10, 1, tzinfo=UTC)
    assert add_quarters(datetime(2025, 10, 1, tzinfo=UTC), -4) == datetime(2024, 10, 1, tzinfo=UTC)
    assert months_before(datetime(2025, 3, 31, tzinfo=UTC), 1) == datetime(2025, 2, 28, tzinfo=UTC)


def test_taxonomy_normalisation() -> None:
    assert normalize_factor("Cloud") == "cloud-provider"
    assert normalize_factor("config_change") == "config-change"
    assert normalize_factor("gremlins") == "other"
    assert normalize_action_status("Won't Do") == "dropped"
    assert normalize_action_status("In Progress") == "in_progress"


@pytest.mark.parametrize(("n", "m", "method"), [(3, 4, "exact"), (8, 6, "exact"),
                                                (20, 20, "exact"), (25, 30, "asymptotic")])
def test_degradation_test_matches_scipy(n: int, m: int, method: str) -> None:
    rng = np.random.default_rng(n * 100 + m)
    before, after = rng.lognormal(0, 1, m), rng.lognormal(0.4, 1, n)
    expected = stats.mannwhitneyu(after, before, alternative="greater", method=method).pvalue
    assert math.isclose(degradation_test(before, after), expected, rel_tol=1e-9)


def test_degradation_test_with_ties_matches_scipy() -> None:
    before, after = [1, 2, 2, 3, 5], [2, 3, 3, 6, 7, 7]
    expected = stats.mannwhitneyu(after, before, alternative="greater",
                                  method="asymptotic").pvalue
    assert math.isclose(degradation_test(before, after), expected, rel_tol=1e-9)
