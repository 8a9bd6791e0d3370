"""The statistics the report rests on, as pure functions: small-sample tests and FDR control.

- durations: one-sided Mann-Whitney U (rank-based, so fit for small, skewed samples; exact for
  small n without ties) plus the ratio of medians;
- deploy patterns: risk ratio with a Katz log CI and Fisher's exact p-value;
- many tests at once: Benjamini-Hochberg adjusted p-values (q-values).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["RateRatio", "benjamini_hochberg", "degradation_test", "rate_ratio"]

Z95 = 1.959963984540054


def degradation_test(before: Sequence[float], after: Sequence[float]) -> float:
    """P-value that durations ``after`` are stochastically larger than ``before``."""
    a = np.log1p(np.asarray(before, dtype=float))
    b = np.log1p(np.asarray(after, dtype=float))
    result = stats.mannwhitneyu(b, a, alternative="greater", method="auto")
    return float(result.pvalue)


@dataclass(frozen=True)
class RateRatio:
    ratio: float
    low: float
    high: float
    p_value: float
    adequate: bool


def rate_ratio(k_with: int, n_with: int, k_without: int, n_without: int, *,
               min_expected: float = 5.0, min_n: int = 30) -> RateRatio:
    """Incident rate with the attribute over the rate without, 95% CI and two-sided p-value.

    ``adequate`` is False when a group is under ``min_n`` deploys or any expected cell of the
    2x2 table is under ``min_expected``: then the numbers are shown but are not a finding.
    """
    n = n_with + n_without
    k = k_with + k_without
    adequate = n_with >= min_n and n_without >= min_n and n > 0
    if adequate:
        for rows, hits in ((n_with, k), (n_with, n - k), (n_without, k), (n_without, n - k)):
            if rows * hits / n < min_expected:
                adequate = False
    if n_with == 0 or n_without == 0:
        return RateRatio(math.nan, math.nan, math.nan, 1.0, False)
    kw, kwo = float(k_with), float(k_without)
    nw, nwo = float(n_with), float(n_without)
    if k_with == 0 or k_without == 0:  # Haldane correction keeps the log finite
        kw, kwo, nw, nwo = kw + 0.5, kwo + 0.5, nw + 0.5, nwo + 0.5
    ratio = (kw / nw) / (kwo / nwo)
    se = math.sqrt(max(1 / kw - 1 / nw + 1 / kwo - 1 / nwo, 0.0))
    low, high = ratio * math.exp(-Z95 * se), ratio * math.exp(Z95 * se)
    table = [[k_with, n_with - k_with], [k_without, n_without - k_without]]
    p_value = float(stats.fisher_exact(table).pvalue)
    return RateRatio(ratio, low, high, p_value, adequate)


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Adjusted p-values controlling the false discovery rate across the tests given."""
    if not p_values:
        return []
    return [float(q) for q in stats.false_discovery_control(np.asarray(p_values, dtype=float),
                                                            method="bh")]
