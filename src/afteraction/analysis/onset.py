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

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from afteraction.model.events import MetricSeries
from afteraction.model.time import utc_from_epoch

__all__ = ["SLO_SIGNALS", "Anomaly", "detect_anomaly", "detect_all"]

SLO_SIGNALS = ("error_ratio", "latency", "saturation")
_REL_FLOOR = {"error_ratio": 0.15, "latency": 0.06, "saturation": 0.04}
_ABS_FLOOR = {"error_ratio": 0.0005, "latency": 0.002, "saturation": 0.01}


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


def _rolling_median(values: np.ndarray, width: int) -> np.ndarray:
    if len(values) < width:
        return values
    pad = width // 2
    padded = np.pad(values, (pad, width - 1 - pad), mode="edge")
    return np.median(sliding_window_view(padded, width), axis=1)


def _runs(mask: np.ndarray, minimum: int) -> list[tuple[int, int]]:
    """[start, end) index pairs of True runs at least ``minimum`` long."""
    if not mask.any():
        return []
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True) if e - s >= minimum]


def detect_anomaly(series: MetricSeries, *, threshold: float = 6.0, sustain_seconds: float = 120,
                   baseline_seconds: float = 3600, gap_seconds: float = 600,
                   not_before: float | None = None) -> Anomaly | None:
    """The first sustained upward deviation of one series, or None."""
    if series.signal not in SLO_SIGNALS or len(series.values) < 20:
        return None
    ts = np.asarray(series.timestamps, dtype=float)
    raw = np.asarray(series.values, dtype=float)
    if np.isnan(raw).all():
        return None
    raw = np.where(np.isfinite(raw), raw, np.nan)
    values = _rolling_median(_fill(raw), 5)
    step = float(np.median(np.diff(ts))) if len(ts) > 1 else 15.0
    span = max(8, int(baseline_seconds / step))
    gap = int(gap_seconds / step)
    sustain = max(3, int(round(sustain_seconds / step)))
    n = len(values)
    if n <= span // 2 + gap:
        return None
    # Rolling baseline, evaluated every ``stride`` points and held in between (cheap, smooth).
    stride = 4
    min_history = max(8, span // 3)
    med = np.full(n, np.nan)
    mad = np.full(n, np.nan)
    # Window i covers values[i : i+span] and serves the points from i+span+gap on; the first
    # hour also gets a shorter, growing baseline so an early onset is still seen.
    head = float(np.median(values[:min_history]))
    padded = np.concatenate((np.full(span - min_history, head), values))
    windows = sliding_window_view(padded, span)[::stride]
    centres = np.median(windows, axis=1)
    spreads = np.median(np.abs(windows - centres[:, None]), axis=1)
    first = min_history + gap
    held = n - first
    if held > 0:
        med[first:] = np.repeat(centres, stride)[:held]
        mad[first:] = np.repeat(spreads, stride)[:held]
    floor = np.maximum(_REL_FLOOR[series.signal] * np.abs(med), _ABS_FLOOR[series.signal])
    sigma = np.maximum(1.4826 * mad, floor)
    z = (values - med) / sigma
    z = np.where(np.isnan(z), 0.0, z)
    anomalous = z > threshold
    if not_before is not None:
        anomalous &= ts >= not_before
    runs = _runs(anomalous, sustain)
    if not runs:
        return None
    start, end = runs[0]
    # Walk back to where the deviation began (the ramp's foot).
    begin = start
    while begin > 0 and z[begin - 1] > 2.0 and start - begin < 12:
        begin -= 1
    base, band_sigma = float(med[start]), float(sigma[start])
    band_high = base + 3.0 * band_sigma
    # Recovery: first sustained return into the frozen band after the onset.
    frozen_z = (values - base) / band_sigma
    recovered = None
    after = np.arange(n) > start
    back = _runs(after & (frozen_z < 3.0), sustain)
    if back:
        recovered = back[0][0]
    stop = recovered if recovered is not None else n
    peak = start + int(np.argmax(values[start:stop])) if stop > start else start
    return Anomaly(
        series_id=series.id, service=series.service, signal=series.signal,
        onset=utc_from_epoch(float(ts[begin])), peak_at=utc_from_epoch(float(ts[peak])),
        peak_z=float((values[peak] - base) / band_sigma), baseline=base, band_high=band_high,
        peak_value=float(values[peak]), ratio=float(values[peak] / base) if base > 0 else float("inf"),
        recovered_at=utc_from_epoch(float(ts[recovered])) if recovered is not None else None)


def detect_all(series: tuple[MetricSeries, ...] | list[MetricSeries],
               **options: float) -> list[Anomaly]:
    """Anomalies of every SLO series, earliest onset first."""
    found = [a for s in series if (a := detect_anomaly(s, **options)) is not None]
    return sorted(found, key=lambda a: (a.onset, a.series_id))
