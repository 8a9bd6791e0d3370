"""Derived SLO series: the error ratio from raw request and error counters, resets handled.

A counter that drops (a pod restart, a process crash) restarted from zero: the increase over that
step is the new value itself, exactly as Prometheus' ``rate()`` treats it. The ratio is taken over
a one-minute window of increases so one scrape's jitter does not read as an error burst.
"""

from __future__ import annotations

import hashlib

import numpy as np

from afteraction.model.events import MetricSeries

__all__ = ["counter_increase", "derive_error_ratios"]


def counter_increase(values: np.ndarray) -> np.ndarray:
    """Per-step increase of a counter; NaN where a scrape is missing; resets count from zero."""
    out = np.full(len(values), np.nan)
    if len(values) < 2:
        return out
    prev, cur = values[:-1], values[1:]
    delta = cur - prev
    out[1:] = np.where(delta < 0, cur, delta)
    return out


def _window_sum(values: np.ndarray, width: int) -> np.ndarray:
    filled = np.where(np.isnan(values), 0.0, values)
    present = (~np.isnan(values)).astype(float)
    kernel = np.ones(width)
    sums = np.convolve(filled, kernel, mode="full")[:len(values)]
    counts = np.convolve(present, kernel, mode="full")[:len(values)]
    return np.where(counts > 0, sums * width / np.maximum(counts, 1), np.nan)


def derive_error_ratios(series: tuple[MetricSeries, ...] | list[MetricSeries],
                        window_points: int = 4) -> list[MetricSeries]:
    """One ``error_ratio`` series per (requests_total, errors_total) pair with the same labels."""
    def key(s: MetricSeries) -> tuple[str | None, tuple[tuple[str, str], ...]]:
        labels = tuple(sorted((k, v) for k, v in s.labels.items() if k != "__name__"))
        return s.service, labels

    requests = {key(s): s for s in series if s.signal == "requests_total"}
    errors = {key(s): s for s in series if s.signal == "errors_total"}
    out = []
    for k in sorted(set(requests) & set(errors), key=repr):
        req, err = requests[k], errors[k]
        if req.timestamps != err.timestamps:
            continue
        r = _window_sum(counter_increase(np.asarray(req.values, dtype=float)), window_points)
        e = _window_sum(counter_increase(np.asarray(err.values, dtype=float)), window_points)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(r > 0, e / r, np.nan)
        ratio = np.clip(ratio, 0.0, 1.0)
        query = f"({err.query}) / ({req.query})  [increase per step, resets handled]"
        sid = hashlib.sha1((query + repr(k)).encode()).hexdigest()[:12]
        out.append(MetricSeries(
            id=f"derived-series-{sid}", source=req.source, query=query, labels=dict(k[1]),
            service=req.service, signal="error_ratio", unit="ratio", url=err.url,
            timestamps=req.timestamps, values=tuple(ratio.tolist())))
    return out
