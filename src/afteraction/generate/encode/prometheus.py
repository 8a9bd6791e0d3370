"""Scenario metric series -> the ``query_range`` answers Prometheus would have sent for them.

One request per query, holding that query's series, on the grid the series' timestamps describe;
a query that would pass the 11,000-points limit is split into requests on the same grid (the
parser merges them back). NaN samples are left out, as Prometheus leaves out missing scrapes, and
a series with no sample at all is left out entirely, as Prometheus does. Each request carries
afteraction's ``meta`` note: signal and unit, and the service when all its series share one.
Values are written as Prometheus writes them (shortest exact digits), so parsing gives back the
same floats.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import numpy as np

from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.generate.scenario import Scenario
from afteraction.model.events import MetricSeries
from afteraction.sources.prometheus import (
    bare_selector_name,
    choose_step,
    split_range,
    timestamp_text,
)

__all__ = ["encode", "format_value"]

_DEFAULT_BASE = "http://prometheus:9090"


def format_value(value: float) -> str:
    """A sample value as Prometheus' JSON writes it: '1', '0.25', '1e-07', '+Inf', 'NaN'."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    text = repr(value)
    if "e" not in text:
        return text.removesuffix(".0")
    magnitude = abs(value)
    if magnitude < 1e-6 or magnitude >= 1e21:
        return text  # Prometheus switches to exponent form here too, with the same digits
    return np.format_float_positional(value, unique=True, trim="-")


def _step_text(step: float) -> str:
    return f"{int(step)}s" if float(step).is_integer() else f"{step:g}"


def _grid(series: Sequence[MetricSeries], scenario: Scenario) -> tuple[np.ndarray, float]:
    """The union of the series' timestamps and its step; they must lie on one regular grid."""
    stamps = np.unique(np.round(np.concatenate([np.asarray(s.timestamps, dtype=np.float64)
                                                for s in series]), 3))
    if stamps.size < 2:
        start = scenario.window.start.timestamp()
        return stamps, float(choose_step(start, scenario.window.end.timestamp()))
    step = float(np.round(np.min(np.diff(stamps)), 3))
    offsets = (stamps - stamps[0]) / step
    if np.max(np.abs(offsets - np.round(offsets))) > 1e-3:
        raise ValueError(f"series of query {series[0].query!r} are not on a regular "
                         f"{step:g}s grid")
    return stamps, step


def _metric(series: MetricSeries, name: str | None) -> dict[str, str]:
    metric = dict(series.labels)
    if name is not None and "__name__" not in metric:
        metric = {"__name__": name, **metric}
    return metric


def _values_text(series: MetricSeries, start: float, end: float, texts: dict[float, str]) -> str:
    pairs = []
    for stamp, value in zip(series.timestamps, series.values):
        if start - 5e-4 <= stamp <= end + 5e-4 and not math.isnan(value):
            text = texts.get(stamp)
            if text is None:
                text = texts[stamp] = timestamp_text(stamp)
            pairs.append(f'[{text},"{format_value(value)}"]')
    return ",".join(pairs)


def _body(members: Sequence[MetricSeries], name: str | None, start: float, end: float,
          texts: dict[float, str]) -> bytes:
    items = []
    for series in members:
        values = _values_text(series, start, end, texts)
        if not values:
            continue  # Prometheus returns no series without a sample in the range
        metric = json.dumps(_metric(series, name), separators=(",", ":"), sort_keys=True)
        items.append(f'{{"metric":{metric},"values":[{values}]}}')
    return ('{"status":"success","data":{"resultType":"matrix","result":['
            + ",".join(items) + "]}}").encode()


def _meta(members: Sequence[MetricSeries]) -> dict[str, str]:
    first = members[0]
    meta = {"signal": first.signal, "unit": first.unit}
    services = {s.service for s in members}
    if len(services) == 1 and first.service:
        meta = {"service": first.service, **meta}
    return meta


def encode(scenario: Scenario) -> RawCapture:
    """The Prometheus capture a live collection of the scenario's metric series would record."""
    entry = scenario.entries.get("prometheus")
    base = ((entry.base_url if entry else None) or _DEFAULT_BASE).rstrip("/")
    by_query: dict[str, list[MetricSeries]] = {}
    for series in scenario.series:
        if series.source == "prometheus" and series.timestamps:
            by_query.setdefault(series.query, []).append(series)
    responses = []
    texts: dict[float, str] = {}
    for query, members in by_query.items():
        members = sorted(members, key=lambda s: sorted(s.labels.items()))
        stamps, step = _grid(members, scenario)
        name = bare_selector_name(query)
        meta = _meta(members)
        for start, end in split_range(float(stamps[0]), float(stamps[-1]), step):
            params = {"query": query, "start": timestamp_text(start),
                      "end": timestamp_text(end), "step": _step_text(step)}
            responses.append(RawResponse(
                url=f"{base}/api/v1/query_range", params=params, meta=dict(meta),
                headers={"Content-Type": "application/json"},
                body=_body(members, name, start, end, texts)))
    return RawCapture(source="prometheus", responses=tuple(responses))
