"""Per-kind lag models: how long after a change of each kind its damage typically shows.

A mixture of two log-normals per kind (minutes): most bad changes bite within minutes of rolling
out, a minority (leaks, saturation, caches expiring) after an hour or two. The score uses the
log-likelihood ratio of the observed lag under the model against a uniform lag over the look-back.
"""

from __future__ import annotations

import math

__all__ = ["LAG_MODELS", "lag_log_ratio"]

# kind -> ((weight, median minutes, sigma), ...)
LAG_MODELS: dict[str, tuple[tuple[float, float, float], ...]] = {
    "deploy": ((0.8, 5.0, 0.8), (0.2, 60.0, 0.6)),
    "config": ((0.85, 4.0, 0.9), (0.15, 60.0, 0.6)),
    "flag": ((0.85, 3.0, 0.9), (0.15, 45.0, 0.7)),
    "merge": ((0.6, 25.0, 0.9), (0.4, 90.0, 0.7)),
}


def _density(minutes: float, kind: str) -> float:
    x = max(minutes, 0.25)
    total = 0.0
    for weight, median, sigma in LAG_MODELS.get(kind, LAG_MODELS["deploy"]):
        z = (math.log(x) - math.log(median)) / sigma
        total += weight * math.exp(-0.5 * z * z) / (x * sigma * math.sqrt(2 * math.pi))
    return total


def lag_log_ratio(minutes: float, kind: str, lookback_minutes: float) -> float:
    """log(p(lag | culprit of this kind) / p(lag | unrelated)), clipped to [-4, 3]."""
    if minutes < -1.0:
        return -4.0
    ratio = _density(minutes, kind) * max(lookback_minutes, 1.0)
    return max(-4.0, min(3.0, math.log(max(ratio, 1e-12))))
