"""Metric onset and recovery: the first sustained deviation from a robust rolling baseline.

For each SLO series (error ratio, latency, saturation) the baseline at time t is the median and
MAD of the smoothed series over the hour before t (ending ten minutes before, so a slow ramp does
not drag its own baseline up). A point is anomalous when it sits more than ``threshold`` robust
standard deviations above that baseline; an onset is the start of a run of anomalous points at
least ``sustain`` long, walked back to where the deviation began. Short spikes, missing scrapes and
the daily pattern do not trip it. Recovery is the first sustained return inside the band of the
baseline frozen at onset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from afteraction.model.events import MetricSeries
from afteraction.model.time import utc_from_epoch

__all__ = ["SLO_SIGNALS", "Anomaly", "detect_all", "detect_anomaly"]

SLO_SIGNALS = ("error_ratio", "latency", "saturation", "client_error_ratio")
_REL_FLOOR = {"error_ratio": 0.15, "latency": 0.06, "saturation": 0.04,
              "client_error_ratio": 0.15}
_ABS_FLOOR = {"error_ratio": 0.0005, "latency": 0.002, "saturation": 0.01,
              "client_error_ratio": 0.0005}


@dataclass(frozen=True)
class Anomaly:
    series_id: str
    service: str | None
    signal: str
    onset: datetime
    peak_at: datetime
    peak_z: float
    baseline: float
    band_high: float
    peak_value: float
    ratio: float                    # peak / baseline, how loud it is
    recovered_at: datetime | None


def _fill(values: np.ndarray) -> np.ndarray:
    """Interpolate missing scrapes so a gap neither starts nor ends an anomaly."""
    mask = np.isnan(values)
    if not mask.any():
        return values
    if mask.all():
        return values
    idx = np.arange(len(values))
    filled = values.copy()
    filled[mask] = np.interp(idx[mask], idx[~mask], values[~mask])
    return filled


def _row_medians(rows: np.ndarray) -> np.ndarray:
    """``np.median(rows, axis=1)`` bit for bit, at about half the cost: median selects both middle
    elements at once, which numpy does far more slowly than selecting one. So select the upper
    middle and take the lower as the largest element left of it, then repeat median's own
    arithmetic. Only a NaN (median propagates it) or a zero picked from a row holding -0.0
    (either zero may be picked) could tell the two apart, so those go to ``np.median``."""
    width = rows.shape[1]
    if width == 0:
        return np.median(rows, axis=1)
    half = width // 2
    part = np.partition(rows, half, axis=1)
    upper = part[:, half]
    lower = upper if width % 2 else part[:, :half].max(axis=1)
    if np.isnan(part).any() or (
            ((upper == 0) | (lower == 0)).any() and ((part == 0) & np.signbit(part)).any()):
        return np.median(rows, axis=1)
    return upper if width % 2 else (lower + upper) / 2


def _rolling_median(values: np.ndarray, width: int) -> np.ndarray:
    if len(values) < width:
        return values
    pad = width // 2
    padded = np.pad(values, (pad, width - 1 - pad), mode="edge")
    return _row_medians(sliding_window_view(padded, width))


def _runs(mask: np.ndarray, minimum: int) -> list[tuple[int, int]]:
    """[start, end) index pairs of True runs at least ``minimum`` long."""
    if not mask.any():
        return []
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True) if e - s >= minimum]


def _onset_index(values: np.ndarray, z: np.ndarray, lo: int, start: int, base: float,
                 sigma: float) -> int:
    """Where the deviation began. A step: walk back from the alarm point while the series is still
    clearly above baseline. A slow leak: when the quarter hour before that point is itself a
    significant upward ramp, the knee of a flat-then-linear fit finds the ramp's foot, long before
    the series crossed the alarm threshold."""
    begin = start
    while begin > lo and z[begin - 1] > 2.0 and start - begin < 12:
        begin -= 1
    pre = values[max(lo, begin - 60):begin]
    if len(pre) >= 20:
        x = np.arange(len(pre), dtype=float)
        slope, intercept = np.polyfit(x, pre, 1)
        resid = pre - (slope * x + intercept)
        se = float(np.std(resid)) / max(float(np.sqrt(((x - x.mean()) ** 2).sum())), 1e-9)
        rise = slope * len(pre) / sigma
        if se > 0 and slope / se > 4.0 and rise > 1.5:
            return _hinge(values, max(lo, begin - 160), begin, base)
    return begin


def _hinge(values: np.ndarray, lo: int, hi: int, base: float) -> int:
    """The knee of a flat-then-linear least-squares fit over values[lo:hi+1] (level and slope
    both fitted): where a slow ramp left its flat baseline."""
    y = values[lo:hi + 1]
    m = len(y)
    if m < 6:
        return hi
    best_k, best_sse = m - 1, float("inf")
    for k in range(2, m - 2):
        d = np.concatenate((np.zeros(k), np.arange(m - k, dtype=float)))
        design = np.column_stack((np.ones(m), d))
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        if coef[1] <= 0:
            continue
        resid = y - design @ coef
        sse = float(resid @ resid)
        if sse < best_sse:
            best_k, best_sse = k, sse
    return lo + best_k


def detect_anomaly(series: MetricSeries, *, threshold: float = 6.0, sustain_seconds: float = 120,
                   baseline_seconds: float = 3600, gap_seconds: float = 600,
                   not_before: float | None = None, max_anomalies: int = 6) -> list[Anomaly]:
    """Every sustained upward deviation of one series, in time order (spikes excluded)."""
    if series.signal not in SLO_SIGNALS or len(series.values) < 20:
        return []
    ts = np.asarray(series.timestamps, dtype=float)
    raw = np.asarray(series.values, dtype=float)
    if np.isnan(raw).all():
        return []
    raw = np.where(np.isfinite(raw), raw, np.nan)
    values = _rolling_median(_fill(raw), 5)
    step = float(np.median(np.diff(ts))) if len(ts) > 1 else 15.0
    span = max(8, int(baseline_seconds / step))
    gap = int(gap_seconds / step)
    sustain = max(3, int(round(sustain_seconds / step)))
    n = len(values)
    if n <= span // 2 + gap:
        return []
    # Rolling baseline, evaluated every ``stride`` points and held in between (cheap, smooth).
    stride = 4
    min_history = max(8, span // 3)
    med = np.full(n, np.nan)
    mad = np.full(n, np.nan)
    # Window i covers values[i : i+span] and serves the points from i+span+gap on; the first
    # hour also gets a shorter, growing baseline so an early onset is still seen.
    head = float(np.median(values[:min_history]))
    padded = np.concatenate((np.full(span - min_history, head), values))
    first = min_history + gap
    held = n - first
    if held > 0:
        # Only the windows that serve a point (the last gap's worth would serve none).
        windows = sliding_window_view(padded, span)[::stride][:-(-held // stride)]
        centres = _row_medians(windows)
        spreads = _row_medians(np.abs(windows - centres[:, None]))
        med[first:] = np.repeat(centres, stride)[:held]
        mad[first:] = np.repeat(spreads, stride)[:held]
    floor = np.maximum(_REL_FLOOR[series.signal] * np.abs(med), _ABS_FLOOR[series.signal])
    sigma = np.maximum(1.4826 * mad, floor)
    z = (values - med) / sigma
    z = np.where(np.isnan(z), 0.0, z)
    anomalous = z > threshold
    if not_before is not None:
        anomalous &= ts >= not_before
    found: list[Anomaly] = []
    position = 0
    while len(found) < max_anomalies:
        runs = _runs(anomalous[position:], sustain)
        if not runs:
            break
        start = position + runs[0][0]
        # Walk back to where the deviation began (the ramp's foot).
        base, band_sigma = float(med[start]), float(sigma[start])
        begin = _onset_index(values, z, max(position, start - 160), start, base, band_sigma)
        band_high = base + 3.0 * band_sigma
        # Recovery: first sustained return into the band of the baseline frozen at onset.
        frozen_z = (values - base) / band_sigma
        after = np.arange(n) > start
        back = _runs(after & (frozen_z < 3.0), sustain)
        recovered = back[0][0] if back else None
        stop = recovered if recovered is not None else n
        peak = start + int(np.argmax(values[start:stop])) if stop > start else start
        found.append(Anomaly(
            series_id=series.id, service=series.service, signal=series.signal,
            onset=utc_from_epoch(float(ts[begin])), peak_at=utc_from_epoch(float(ts[peak])),
            peak_z=float((values[peak] - base) / band_sigma), baseline=base,
            band_high=band_high, peak_value=float(values[peak]),
            ratio=float(values[peak] / base) if base > 0 else float("inf"),
            recovered_at=utc_from_epoch(float(ts[recovered])) if recovered is not None
            else None))
        if recovered is None:
            break
        position = recovered
    return found


def _that_matter(series: tuple[MetricSeries, ...] | list[MetricSeries]) -> list[MetricSeries]:
    """The series whose onset says something about impact: per-pod and per-instance series only
    where no aggregate of the same service and signal exists (rollout analysis reads the pods
    separately)."""
    aggregate = {(s.service, s.signal) for s in series
                 if "pod" not in s.labels and "instance" not in s.labels}
    return [s for s in series if s.signal in SLO_SIGNALS and (
        ("pod" not in s.labels and "instance" not in s.labels)
        or (s.service, s.signal) not in aggregate)]


def detect_all(series: tuple[MetricSeries, ...] | list[MetricSeries],
               **options: Any) -> list[Anomaly]:
    """Anomalies of every SLO series, earliest onset first."""
    found = [a for s in _that_matter(series) for a in detect_anomaly(s, **options)]
    return sorted(found, key=lambda a: (a.onset, a.series_id))
