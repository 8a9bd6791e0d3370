"""Synthetic SLO series: daily pattern, noise, missing scrapes, and the incident's effects on top."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from afteraction.generate.org import ServiceProfile
from afteraction.model.events import MetricSeries

__all__ = ["CLIENT_QUERY", "COUNTER_QUERIES", "POD_QUERIES", "SIGNAL_QUERIES", "Effect", "Pod",
           "Spike", "client_series", "counter_series", "pod_series", "series_for_service",
           "with_blips", "with_gaps", "with_swing"]

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


# --------------------------------------------------------------------------- scenario-suite signals
# Additions for the scenario families; the functions above keep their exact behaviour.

POD_QUERIES: dict[str, tuple[str, str]] = {
    "error_ratio": (
        'sum by (service, pod, version) (rate(http_requests_total{{service="{s}",code=~"5.."}}'
        '[1m])) / sum by (service, pod, version) (rate(http_requests_total{{service="{s}"}}[1m]))',
        "ratio"),
    "latency": (
        'histogram_quantile(0.99, sum by (service, pod, version, le) '
        '(rate(http_request_duration_seconds_bucket{{service="{s}"}}[1m])))', "seconds"),
}
CLIENT_QUERY = (
    'sum by (service, target) (rate(http_client_requests_total{{service="{c}",target="{t}",'
    'outcome="error"}}[1m])) / sum by (service, target) '
    '(rate(http_client_requests_total{{service="{c}",target="{t}"}}[1m]))')
COUNTER_QUERIES: dict[str, str] = {
    "requests_total": 'http_requests_total{{service="{s}"}}',
    "errors_total": 'http_request_errors_total{{service="{s}"}}',
}


@dataclass(frozen=True)
class Pod:
    """One pod of a rolling service: alive from ``start`` to ``end`` (None: to the window's end).

    ``error_ratio`` is the absolute 5xx level the pod serves at (None: the service's normal one);
    ``latency`` multiplies the service's normal p99.
    """

    service: str
    name: str
    version: str
    start: float
    end: float | None = None
    error_ratio: float | None = None
    latency: float = 1.0


def _series(query: str, labels: dict[str, str], service: str, signal: str, unit: str,
            timestamps: np.ndarray, values: np.ndarray) -> MetricSeries:
    sid = hashlib.sha1((query + repr(sorted(labels.items()))).encode()).hexdigest()[:12]
    return MetricSeries(id=f"prometheus-series-{sid}", source="prometheus", query=query,
                        labels=labels, service=service, signal=signal, unit=unit,
                        url="https://grafana.acme.io/explore", timestamps=tuple(timestamps.tolist()),
                        values=tuple(values.tolist()))


def pod_series(profile: ServiceProfile, timestamps: np.ndarray, seed: int, pods: list[Pod],
               missing_ratio: float = 0.004) -> list[MetricSeries]:
    """Per-pod error ratio and p99 latency, labelled by pod and version; NaN outside each pod's life.

    This is what a rollout looks like from ``sum by (pod, version)``: old pods end as new ones
    start, and only a faulty version's pods carry its errors.
    """
    out = []
    daily = _daily(timestamps)
    for pod in pods:
        alive = (timestamps >= pod.start) & ((timestamps <= pod.end) if pod.end is not None
                                             else np.ones(len(timestamps), dtype=bool))
        for signal, (template, unit) in POD_QUERIES.items():
            rng = np.random.default_rng(_seed_for(seed, "pod", pod.name, signal))
            noise = rng.standard_normal(len(timestamps))
            if signal == "error_ratio":
                if pod.error_ratio is None:
                    base = profile.error_ratio * (0.8 + 0.4 * daily)
                    values = base * np.clip(1 + 0.45 * noise, 0.0, None)
                else:
                    warm = np.clip((timestamps - pod.start) / 45.0, 0.0, 1.0)
                    values = (profile.error_ratio + warm * (pod.error_ratio - profile.error_ratio)
                              * (1 + 0.12 * noise))
                values = np.clip(values, 0.0, 1.0)
            else:
                base = profile.latency_p99 * (0.9 + 0.2 * daily) * pod.latency
                values = base * np.exp(0.1 * noise)
            values = np.round(values, 6)
            drop = (rng.random(len(timestamps)) < missing_ratio) | ~alive
            values = np.where(drop, np.nan, values)
            labels = {"service": pod.service, "pod": pod.name, "version": pod.version}
            out.append(_series(template.format(s=pod.service), labels, pod.service, signal, unit,
                               timestamps, values))
    return out


def client_series(caller: str, target: ServiceProfile, timestamps: np.ndarray, seed: int,
                  effects: list[Effect], missing_ratio: float = 0.004) -> MetricSeries:
    """A caller's error ratio toward one upstream (signal ``client_error_ratio``).

    Effects whose ``service`` is the target and ``signal`` is ``client_error_ratio`` apply to every
    caller of it: what the callers see of a faulty upstream.
    """
    rng = np.random.default_rng(_seed_for(seed, "client", caller, target.name))
    noise = rng.standard_normal(len(timestamps))
    base = target.error_ratio * (0.8 + 0.4 * _daily(timestamps))
    values = base * np.clip(1 + 0.3 * noise, 0.05, None)
    for effect in effects:
        if effect.service != target.name or effect.signal != "client_error_ratio":
            continue
        env = _envelope(timestamps, effect)
        noisy = effect.level * (1 + 0.08 * rng.standard_normal(len(timestamps)))
        values = values + env * np.clip(noisy - values, 0.0, None)
    rounded = np.round(np.clip(values, 0.0, 1.0), 6)
    values = np.where(rng.random(len(timestamps)) < missing_ratio, np.nan, rounded)
    labels = {"service": caller, "target": target.name}
    return _series(CLIENT_QUERY.format(c=caller, t=target.name), labels, caller,
                   "client_error_ratio", "ratio", timestamps, values)


def counter_series(throughput: MetricSeries, error_ratio: MetricSeries, seed: int,
                   resets: list[float], missing_ratio: float = 0.004) -> list[MetricSeries]:
    """Raw ``requests_total`` and ``errors_total`` counters consistent with the rate series.

    Counters start high (the process has run for days) and drop to about zero at each reset (a pod
    restart), so whoever derives a ratio from them has to handle resets.
    """
    service = throughput.service or throughput.labels.get("service", "")
    stamps = np.asarray(throughput.timestamps, dtype=float)
    rng = np.random.default_rng(_seed_for(seed, "counters", service))

    def filled(values: tuple[float, ...]) -> np.ndarray:
        arr = np.asarray(values, dtype=float)
        good = ~np.isnan(arr)
        if not good.any():
            return np.zeros_like(arr)
        return np.interp(np.arange(len(arr)), np.flatnonzero(good), arr[good])

    step = float(stamps[1] - stamps[0]) if len(stamps) > 1 else 15.0
    requests = np.maximum(rng.poisson(np.maximum(filled(throughput.values) * step, 0.0)), 0)
    errors = rng.binomial(requests, np.clip(filled(error_ratio.values), 0.0, 1.0))
    totals = {}
    for name, increments, start in (("requests_total", requests, rng.integers(10**6, 5 * 10**7)),
                                    ("errors_total", errors, rng.integers(10**3, 10**5))):
        total = np.cumsum(increments).astype(float) + float(start)
        for reset in sorted(resets):
            after = stamps >= reset
            if after.any():
                first = int(np.argmax(after))
                total[first:] = total[first:] - total[first] + float(increments[first])
        totals[name] = total
    drop = rng.random(len(stamps)) < missing_ratio
    out = []
    for name, total in totals.items():
        query = COUNTER_QUERIES[name].format(s=service)
        values = np.where(drop, np.nan, total)
        out.append(_series(query, {"service": service}, service, name, "count", stamps, values))
    return out


def with_gaps(series: MetricSeries, runs: Sequence[tuple[float, float]]) -> MetricSeries:
    """The series with runs of missing scrapes: NaN over each ``(start, seconds)``."""
    stamps = np.asarray(series.timestamps, dtype=float)
    values = np.asarray(series.values, dtype=float)
    for start, seconds in runs:
        values = np.where((stamps >= start) & (stamps < start + seconds), np.nan, values)
    return series.model_copy(update={"values": tuple(values.tolist())})


def with_swing(series: MetricSeries, seed: int, amplitude: float, noise: float) -> MetricSeries:
    """A noisier baseline: a stronger daily swing and extra multiplicative noise on top."""
    stamps = np.asarray(series.timestamps, dtype=float)
    values = np.asarray(series.values, dtype=float)
    rng = np.random.default_rng(_seed_for(seed, "swing", series.id))
    hours = (stamps % 86400) / 3600.0
    swing = 1 + amplitude * np.sin(2 * math.pi * (hours - 9.0) / 24.0)
    if series.signal == "saturation":
        values = values * (1 + 0.5 * (swing - 1)) + noise * 0.3 * rng.standard_normal(len(values))
    else:
        values = values * swing * np.exp(noise * rng.standard_normal(len(values)))
    if series.signal in ("error_ratio", "saturation"):
        values = np.clip(values, 0.0, 1.0)
    values = np.round(values, 6)
    return series.model_copy(update={"values": tuple(values.tolist())})


def with_blips(series: MetricSeries, blips: Sequence[tuple[float, float, float]]) -> MetricSeries:
    """The series with short blips that are not incidents: ``(at, seconds, level)`` each, where
    ``level`` is absolute for ratios and multiplies the value for latency and throughput."""
    stamps = np.asarray(series.timestamps, dtype=float)
    values = np.asarray(series.values, dtype=float)
    for at, seconds, level in blips:
        inside = (stamps >= at) & (stamps < at + seconds)
        if series.signal in ("error_ratio", "saturation"):
            values = np.where(inside, np.maximum(values, level), values)
        else:
            values = np.where(inside, values * level, values)
    return series.model_copy(update={"values": tuple(np.round(values, 6).tolist())})
