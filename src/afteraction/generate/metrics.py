"""Synthetic SLO series: daily pattern, noise, missing scrapes, and the incident's effects on top."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

from afteraction.generate.org import ServiceProfile
from afteraction.model.events import MetricSeries

__all__ = ["SIGNAL_QUERIES", "Effect", "Spike", "series_for_service"]

SIGNAL_QUERIES: dict[str, tuple[str, str]] = {
    "error_ratio": (
        'sum by (service) (rate(http_requests_total{{service="{s}",code=~"5.."}}[1m]))'
        ' / sum by (service) (rate(http_requests_total{{service="{s}"}}[1m]))', "ratio"),
    "latency": (
        'histogram_quantile(0.99, sum by (service, le) '
        '(rate(http_request_duration_seconds_bucket{{service="{s}"}}[1m])))', "seconds"),
    "saturation": (
        'avg by (service) (rate(container_cpu_usage_seconds_total{{service="{s}"}}[1m]))'
        ' / avg by (service) (kube_pod_container_resource_limits{{service="{s}",resource="cpu"}})',
        "ratio"),
    "throughput": ('sum by (service) (rate(http_requests_total{{service="{s}"}}[1m]))', "rps"),
}


@dataclass(frozen=True)
class Effect:
    """A change in one signal of one service: ramps to ``level`` from ``start``, back after ``end``.

    For error_ratio and saturation ``level`` is the absolute value reached; for latency and
    throughput it multiplies the normal value.
    """

    service: str
    signal: str
    start: float
    level: float
    ramp: float = 60.0
    end: float | None = None
    recover: float = 90.0


@dataclass(frozen=True)
class Spike:
    """A short blip that is not an incident (a noisy baseline)."""

    service: str
    signal: str
    at: float
    seconds: float
    level: float


def _daily(ts: np.ndarray) -> np.ndarray:
    hours = (ts % 86400) / 3600.0
    return 0.65 + 0.35 * np.sin(2 * math.pi * (hours - 9.0) / 24.0)


def _envelope(ts: np.ndarray, effect: Effect) -> np.ndarray:
    """0 before the effect, ramping to 1, and back to 0 after ``end``."""
    up = np.clip((ts - effect.start) / max(effect.ramp, 1.0), 0.0, 1.0)
    if effect.end is None:
        return up
    down = np.clip(1.0 - (ts - effect.end) / max(effect.recover, 1.0), 0.0, 1.0)
    return np.minimum(up, down)


def _seed_for(seed: int, *parts: str) -> int:
    digest = hashlib.sha256("\x1f".join((str(seed), *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def series_for_service(profile: ServiceProfile, timestamps: np.ndarray, seed: int,
                       effects: list[Effect], spikes: list[Spike], missing_ratio: float = 0.004,
                       labels: dict[str, str] | None = None,
                       signals: tuple[str, ...] = ("error_ratio", "latency", "saturation",
                                                   "throughput")) -> list[MetricSeries]:
    """The SLO series of one service over ``timestamps`` (epoch seconds on the step grid)."""
    out = []
    daily = _daily(timestamps)
    extra = dict(labels or {})
    for signal in signals:
        rng = np.random.default_rng(_seed_for(seed, profile.name, signal, *sorted(extra.values())))
        if signal == "throughput":
            values = profile.rps * daily * (1 + 0.04 * rng.standard_normal(len(timestamps)))
        elif signal == "error_ratio":
            base = profile.error_ratio * (0.8 + 0.4 * daily)
            values = base * np.clip(1 + 0.3 * rng.standard_normal(len(timestamps)), 0.05, None)
        elif signal == "latency":
            base = profile.latency_p99 * (0.9 + 0.2 * daily)
            values = base * np.exp(0.07 * rng.standard_normal(len(timestamps)))
        else:
            base = profile.saturation * (0.7 + 0.45 * daily)
            values = base + 0.02 * rng.standard_normal(len(timestamps))
        for effect in effects:
            if effect.service != profile.name or effect.signal != signal:
                continue
            env = _envelope(timestamps, effect)
            if signal in ("error_ratio", "saturation"):
                noisy = effect.level * (1 + 0.08 * rng.standard_normal(len(timestamps)))
                values = values + env * np.clip(noisy - values, 0.0, None)
            else:
                values = values * (1 + env * (effect.level - 1)
                                   * (1 + 0.05 * rng.standard_normal(len(timestamps))))
        for spike in spikes:
            if spike.service != profile.name or spike.signal != signal:
                continue
            inside = (timestamps >= spike.at) & (timestamps < spike.at + spike.seconds)
            values = np.where(inside, np.maximum(values, spike.level), values)
        if signal in ("error_ratio", "saturation"):
            values = np.clip(values, 0.0, 1.0)
        values = np.round(values, 6)
        drop = rng.random(len(timestamps)) < missing_ratio
        values = np.where(drop, np.nan, values)
        query_template, unit = SIGNAL_QUERIES[signal]
        query = query_template.format(s=profile.name)
        series_labels = {"service": profile.name, **extra}
        sid = hashlib.sha1((query + repr(sorted(series_labels.items()))).encode()).hexdigest()[:12]
        out.append(MetricSeries(
            id=f"prometheus-series-{sid}", source="prometheus", query=query,
            labels=series_labels, service=profile.name, signal=signal, unit=unit,
            url="https://grafana.acme.io/explore", timestamps=tuple(timestamps.tolist()),
            values=tuple(values.tolist())))
    return out
