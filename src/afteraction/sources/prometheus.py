"""Prometheus ``query_range`` answers -> metric series that share one step grid per query.

Prometheus leaves a missing scrape out of ``values`` altogether, while analysis wants every series
of a query on the same grid with NaN in the gaps; so each sample is placed at its step index here.
Several answers for one query (a long window split under the 11,000-points limit, or a baseline
fetched apart) are merged onto the union of their grids.

Each ``query_range`` response may carry afteraction's own ``meta`` note
``{"service": ..., "signal": ..., "unit": ...}``. Without a service there, the service catalog maps
each series' labels to a service. ``/api/v1/series`` and ``/api/v1/labels`` discovery answers are
read for their warnings only; every warning Prometheus attached ends up in ``notes``. ``__name__`` is dropped where the query already names the metric.

Citations are Grafana Explore links when there is a Grafana UI (the entry's ``web_url``; optional
entry extras ``datasource_uid``, ``org_id``), else Prometheus ``/graph`` links.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

import numpy as np
import orjson

from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.errors import BundleError, TimeError
from afteraction.model.events import MetricSeries
from afteraction.model.time import parse_utc
from afteraction.sources.base import ParseContext, SourceData

__all__ = [
    "MAX_POINTS",
    "SIGNALS",
    "bare_selector_name",
    "choose_step",
    "explore_url",
    "format_duration",
    "graph_url",
    "parse",
    "parse_duration",
    "series_id",
    "split_range",
    "timestamp_text",
]

log = logging.getLogger(__name__)

MAX_POINTS = 11_000
"""Prometheus refuses a range query whose (end - start) / step exceeds 11,000 points."""

SIGNALS = frozenset({"error_ratio", "latency", "saturation", "throughput", "client_error_ratio",
                     "requests_total", "errors_total", "other"})

_DURATION = re.compile(r"(?:\d+(?:ms|s|m|h|d|w|y))+")
_DURATION_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_VALUES = re.compile(r'(?<!\\)"values":\[(\[[^\]]*+\](?:,\[[^\]]*+\])*+)\]')  # possessive
_BARE = re.compile(r'\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(?:[^{}"]|"(?:[^"\\]|\\.)*")*\})?\s*')
_PROXY = re.compile(r"/api/datasources/proxy/uid/([^/]+)")
_STRIP = str.maketrans("", "", '[]"')
_STRIP_BYTES = b'[]"'
_JSON_NUMBER_BYTES = b"0123456789.,eE+-"
_DISCOVERY = ("/api/v1/series", "/api/v1/labels", "/api/v1/label/")


# -- steps and ranges (shared by the live connector and the generator) -----------------------------

def choose_step(start: float, end: float, preferred: int = 15) -> int:
    """The smallest multiple of ``preferred`` seconds keeping one query within MAX_POINTS."""
    preferred = max(1, int(preferred))
    span = max(0.0, float(end) - float(start))
    if span / preferred + 1 <= MAX_POINTS:
        return preferred
    needed = span / (MAX_POINTS - 1)
    return math.ceil(needed / preferred) * preferred


def split_range(start: float, end: float, step: float,
                max_points: int = MAX_POINTS) -> list[tuple[float, float]]:
    """Consecutive [start, end] pieces on the same step grid, each within ``max_points`` points.

    For keeping full resolution over a long window instead of coarsening the step.
    """
    if step <= 0:
        raise ValueError(f"step must be positive, got {step}")
    span = (max_points - 1) * step
    pieces: list[tuple[float, float]] = []
    current = float(start)
    while current <= end + 1e-9:
        stop = min(float(end), current + span)
        pieces.append((current, stop))
        current = stop + step
    return pieces


def parse_duration(text: str) -> float:
    """A Prometheus duration ('15s', '1h30m') or a float number of seconds, in seconds."""
    raw = str(text).strip()
    try:
        return float(raw)
    except ValueError:
        if not _DURATION.fullmatch(raw):
            raise ValueError(f"not a Prometheus duration: {text!r}") from None
    return sum(int(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART.findall(raw))


def format_duration(seconds: float) -> str:
    """Seconds as a Prometheus duration: 21600 -> '6h', 5400 -> '1h30m', 90 -> '1m30s'."""
    remaining, parts = max(0, round(seconds)), []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, remaining = divmod(remaining, size)
        parts.append(f"{count}{unit}" if count else "")
    return "".join(parts) or "0s"


# -- citations -------------------------------------------------------------------------------------

def explore_url(web_url: str, query: str, start: float, end: float, *,
                datasource_uid: str = "prometheus", org_id: int = 1) -> str:
    """A Grafana Explore link (``schemaVersion=1&panes=<JSON>``): ``query`` over the range."""
    pane = {
        "datasource": datasource_uid,
        "queries": [{"refId": "A", "expr": query, "range": True, "instant": False,
                     "datasource": {"type": "prometheus", "uid": datasource_uid},
                     "editorMode": "code"}],
        "range": {"from": str(round(start * 1000)), "to": str(round(end * 1000))},
    }
    panes = json.dumps({"aa1": pane}, separators=(",", ":"))
    return (f"{web_url.rstrip('/')}/explore?schemaVersion=1&panes={quote(panes, safe='')}"
            f"&orgId={org_id}")


def graph_url(base_url: str, query: str, start: float, end: float, step: float) -> str:
    """A Prometheus UI ``/graph`` link ending at ``end`` and spanning the range, at ``step``."""
    end_text = datetime.fromtimestamp(end, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
    params = {"g0.expr": query, "g0.tab": "0", "g0.range_input": format_duration(end - start),
              "g0.end_input": end_text, "g0.step_input": f"{step:g}"}
    return f"{base_url.rstrip('/')}/graph?{urlencode(params)}"


def bare_selector_name(query: str) -> str | None:
    """The metric name when ``query`` is a plain selector ('up', 'x{a="b"}'), else None.

    Only such a query returns ``__name__`` on its series; the parser drops that label there (the
    query already names the metric) and the encoder writes it back.
    """
    match = _BARE.fullmatch(query)
    return match.group(1) if match else None


def series_id(query: str, labels: dict[str, str]) -> str:
    """Stable id of one series: a hash of the query and its sorted labels."""
    key = query + repr(sorted(labels.items()))
    return f"prometheus-series-{hashlib.sha1(key.encode()).hexdigest()[:12]}"


# -- parsing ---------------------------------------------------------------------------------------

@dataclass
class _Group:
    """All answers for one query (and one meta note): their grids and their raw series."""

    query: str
    service: str | None
    signal: str
    unit: str
    grids: list[np.ndarray] = field(default_factory=list)
    steps: list[float] = field(default_factory=list)
    series: dict[tuple[tuple[str, str], ...], list[tuple[np.ndarray, np.ndarray]]] = field(
        default_factory=dict)
    base_url: str = ""


def _where(response: RawResponse) -> str:
    return response.file or response.url


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


def _params(response: RawResponse) -> dict[str, str]:
    """Request parameters from the URL's query string, overridden by the recorded ``params``."""
    merged: dict[str, str] = {}
    if "?" in response.url:
        for key, values in parse_qs(response.url.split("?", 1)[1]).items():
            merged[key] = values[0]
    for key, value in response.params.items():
        merged[key] = str(value[0] if isinstance(value, list) and value else value)
    return merged


def _http_error(response: RawResponse) -> BundleError:
    first = _one_line(response.body[:200].decode("utf-8", "replace"))
    return BundleError(f"Prometheus answered HTTP {response.status}: {first}",
                       where=_where(response))


def _check(response: RawResponse, body: Any) -> dict[str, Any]:
    """The checked ``{"status": "success", ...}`` body; an error body raises a one-line error."""
    where = _where(response)
    if not isinstance(body, dict) or "status" not in body:
        if response.status >= 400:
            raise _http_error(response)
        raise BundleError("not a Prometheus API answer (no 'status')", where=where)
    if body["status"] == "error":
        kind = body.get("errorType") or "error"
        raise BundleError(f"Prometheus answered {kind}: {_one_line(body.get('error', ''))}",
                          where=where)
    if body["status"] != "success":
        raise BundleError(f"unknown status {body['status']!r}", where=where)
    if response.status >= 400:
        raise _http_error(response)
    return body


def _envelope(response: RawResponse) -> dict[str, Any]:
    try:
        body = response.json()
    except BundleError:
        if response.status >= 400:
            raise _http_error(response) from None
        raise
    return _check(response, body)


def _packed(response: RawResponse) -> tuple[dict[str, Any], list[str]]:
    """The body with each ``values`` array cut out as text and replaced by its position.

    Decoding half a million ``[t, "v"]`` pairs as Python lists costs most of a parse; the cut-out
    text is read faster as one list of numbers. Only structural ``"values"`` keys match: inside a
    JSON string every quote is escaped, which the look-behind rejects. Only compact JSON (what
    Prometheus sends) is cut; an indented body is decoded plainly.
    """
    segments: list[str] = []

    def cut(match: re.Match[str]) -> str:
        segments.append(match.group(1))
        return f'"values":{len(segments) - 1}'

    try:
        body = json.loads(_VALUES.sub(cut, response.text()))
    except json.JSONDecodeError:
        return _envelope(response), []  # raises the precise error (or reads it plainly)
    return _check(response, body), segments


def _time_param(params: dict[str, str], name: str, where: str) -> float | None:
    text = params.get(name)
    if text is None or text == "":
        return None
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return parse_utc(text, where=where).timestamp()
    except TimeError as exc:
        raise BundleError(f"parameter {name}={text!r} is neither unix seconds nor RFC 3339",
                          where=where) from exc


def _grid(start: float, end: float, step: float) -> np.ndarray:
    count = math.floor((end - start) / step + 1e-9) + 1
    return np.round(start + step * np.arange(max(count, 1), dtype=np.float64), 3)


def _inferred_grid(stamps: list[np.ndarray]) -> tuple[np.ndarray, float]:
    """Without start/end/step parameters: the grid the samples themselves describe."""
    every = np.unique(np.round(np.concatenate(stamps), 3)) if stamps else np.empty(0)
    if every.size < 2:
        return every, 0.0
    step = float(np.min(np.diff(every)))
    return _grid(float(every[0]), float(every[-1]), step), step


def _exact_samples(values: Any, position: int, where: str) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(values, list):
        raise BundleError(f"data.result[{position}].values is not a list", where=where)
    try:
        stamps = np.array([p[0] for p in values], dtype=np.float64)
        samples = np.array([p[1] for p in values], dtype=np.float64)
    except (TypeError, ValueError, IndexError, KeyError) as exc:
        raise BundleError(f"data.result[{position}].values holds a malformed sample: {exc}",
                          where=where) from exc
    return stamps, samples


def timestamp_text(seconds: float) -> str:
    """A timestamp as Prometheus writes it: whole seconds, then '.mmm' if there are millis."""
    millis = round(seconds * 1000)
    whole, fraction = divmod(millis, 1000)
    return f"{whole}.{fraction:03d}" if fraction else str(whole)


def _grid_keys(grid: np.ndarray) -> dict[str, int]:
    """Grid position by timestamp text, in Prometheus' form and in the trimmed float form."""
    keys: dict[str, int] = {}
    for position, stamp in enumerate(grid.tolist()):
        text = timestamp_text(stamp)
        keys[text] = position
        if "." in text:
            keys[text.rstrip("0")] = position
    return keys


def _json_numbers(data: bytes) -> np.ndarray | None:
    """``t,v,t,v,...`` as floats when every part is a plain JSON number, else None.

    orjson reads a list of numbers several times faster than numpy converts strings, and rounds
    each exactly as ``float()`` does; only ``-0`` differs (orjson reads the integer 0), so it,
    and anything that is not a JSON number (NaN, +Inf, spaces), is left to the general path.
    """
    if data.translate(None, _JSON_NUMBER_BYTES):
        return None
    if b"-" in data and (b"-0," in data or data.endswith(b"-0")):
        return None
    try:
        return np.array(orjson.loads(b"[" + data + b"]"), dtype=np.float64)
    except (orjson.JSONDecodeError, TypeError, OverflowError):
        return None


def _packed_samples(text: str, grid: tuple[np.ndarray, dict[str, int]] | None, position: int,
                    where: str) -> tuple[np.ndarray, np.ndarray]:
    """Samples from a cut-out ``[t,"v"],...`` text: plain numbers at once, else part by part."""
    data = text.encode().translate(None, _STRIP_BYTES)
    pairs = _json_numbers(data)
    if pairs is None or pairs.size != 2 * text.count("["):
        return _split_samples(text, grid, position, where)
    stamps, samples = pairs[0::2], pairs[1::2]
    if grid is not None:
        points, keys = grid
        first, last = data[:data.index(b",")].decode(), data.rsplit(b",", 2)[-2].decode()
        if (stamps.size == points.size and keys.get(first) == 0
                and keys.get(last) == points.size - 1):
            return points, samples  # every step answered: nothing to look up
        if stamps.min() < 0:  # before 1970 a grid key's text is not its own value
            return _split_samples(text, grid, position, where)
    # a timestamp written as a grid key reads as exactly that grid point, and one written any
    # other way is read as a number on the general path too: no lookup changes these stamps
    return stamps, samples


def _split_samples(text: str, grid: tuple[np.ndarray, dict[str, int]] | None, position: int,
                   where: str) -> tuple[np.ndarray, np.ndarray]:
    """Samples read part by part, timestamps matched on the grid's own text."""
    parts = text.translate(_STRIP).split(",")
    try:
        if len(parts) != 2 * text.count("["):
            raise ValueError("not a list of [time, value] pairs")
        samples = np.array(parts[1::2], dtype=np.float64)
        stamps = parts[0::2]
        if grid is not None:
            points, keys = grid
            if (len(stamps) == points.size and keys.get(stamps[0]) == 0
                    and keys.get(stamps[-1]) == points.size - 1):
                return points, samples  # every step answered: nothing to look up
            try:
                return points[np.array(list(map(keys.__getitem__, stamps)), dtype=np.intp)], samples
            except KeyError:
                pass  # off-grid or differently written timestamps: read them as numbers
        return np.array(stamps, dtype=np.float64), samples
    except ValueError:
        try:
            values = json.loads(f"[{text}]")
        except json.JSONDecodeError:
            values = None
        return _exact_samples(values, position, where)


def _read_result(item: Any, position: int, where: str, segments: list[str],
                 grid: tuple[np.ndarray, dict[str, int]] | None, name: str | None
                 ) -> tuple[dict[str, str], np.ndarray, np.ndarray] | None:
    if not isinstance(item, dict) or not isinstance(item.get("metric", {}), dict):
        raise BundleError(f"data.result[{position}] is not a series object", where=where)
    labels = {str(k): str(v) for k, v in item.get("metric", {}).items()}
    if name is not None and labels.get("__name__") == name:
        del labels["__name__"]
    values = item.get("values")
    if values is None:
        return None  # native-histogram-only series: nothing afteraction can read
    if isinstance(values, int) and not isinstance(values, bool) and 0 <= values < len(segments):
        stamps, samples = _packed_samples(segments[values], grid, position, where)
    else:
        stamps, samples = _exact_samples(values, position, where)
    return labels, stamps, samples


def _meta(response: RawResponse) -> tuple[str | None, str, str]:
    meta = response.meta or {}
    service = meta.get("service") or None
    signal = meta.get("signal") or "other"
    if signal not in SIGNALS:
        raise BundleError(f"meta.signal {signal!r} is not one of {', '.join(sorted(SIGNALS))}",
                          where=_where(response))
    return (str(service) if service else None), str(signal), str(meta.get("unit") or "")


def _request_grid(params: dict[str, str], where: str) -> tuple[np.ndarray, float] | None:
    """The evaluation grid the request asked for (start, start+step, ... <= end), if recorded."""
    start, end = _time_param(params, "start", where), _time_param(params, "end", where)
    step_text = params.get("step")
    if start is None or end is None or not step_text:
        return None
    try:
        step = parse_duration(step_text)
    except ValueError as exc:
        raise BundleError(f"parameter step={step_text!r}: {exc}", where=where) from exc
    if step <= 0 or end < start:
        raise BundleError(f"impossible range start={start} end={end} step={step}", where=where)
    return _grid(start, end, step), step


def _read_range(response: RawResponse, groups: dict[tuple[str, str | None, str, str], _Group],
                warnings: list[str], known: dict[tuple[float, float, int], dict[str, int]]) -> None:
    where = _where(response)
    body, segments = _packed(response)
    warnings.extend(f"{where}: {_one_line(w)}" for w in body.get("warnings") or [])
    params = _params(response)
    query = params.get("query")
    if not query:
        raise BundleError("query_range request has no 'query' parameter", where=where)
    data = body.get("data")
    if not isinstance(data, dict) or data.get("resultType") != "matrix":
        kind = data.get("resultType") if isinstance(data, dict) else None
        raise BundleError(f"expected data.resultType 'matrix', got {kind!r}", where=where)
    result = data.get("result") or []
    if not isinstance(result, list):
        raise BundleError("data.result is not a list", where=where)
    service, signal, unit = _meta(response)
    group = groups.setdefault((query, service, signal, unit),
                              _Group(query=query, service=service, signal=signal, unit=unit))
    group.base_url = group.base_url or response.url.split("/api/v1/", 1)[0]
    requested = _request_grid(params, where)
    keyed = None
    if requested and segments:
        points = requested[0]
        shape = (float(points[0]), float(points[-1]), int(points.size))
        keyed = (points, known.get(shape) or known.setdefault(shape, _grid_keys(points)))
    name = bare_selector_name(query)
    parsed = []
    for position, item in enumerate(result):
        read = _read_result(item, position, where, segments, keyed, name)
        if read is None:
            warnings.append(f"{where}: data.result[{position}] has only native histogram samples")
            continue
        parsed.append(read)
    grid, step = requested or _inferred_grid([stamps for _, stamps, _ in parsed])
    if grid.size:
        group.grids.append(grid)
        if step:
            group.steps.append(step)
    for labels, stamps, samples in parsed:
        key = tuple(sorted(labels.items()))
        group.series.setdefault(key, []).append((stamps, samples))


def _place(grid: np.ndarray, step: float, pieces: list[tuple[np.ndarray, np.ndarray]]
           ) -> np.ndarray:
    """Values on ``grid``: each sample at its nearest grid point, NaN where none arrived."""
    out = np.full(grid.size, np.nan)
    if grid.size == 0:
        return out
    stamps = np.concatenate([s for s, _ in pieces])
    samples = np.concatenate([v for _, v in pieces])
    index = np.minimum(np.searchsorted(grid, stamps), grid.size - 1)
    if (grid[index] == stamps).all():
        out[index] = samples  # the usual case: every sample exactly on a grid point
        return out
    left = np.clip(index - 1, 0, grid.size - 1)
    index = np.where(np.abs(grid[left] - stamps) < np.abs(grid[index] - stamps), left, index)
    tolerance = step / 2 if step else 0.5
    close = np.abs(grid[index] - stamps) <= tolerance
    out[index[close]] = samples[close]
    return out


def _citation(ctx: ParseContext, group: _Group, start: float, end: float, step: float) -> str:
    """Explore on the Grafana UI when there is one, else the Prometheus UI's graph page.

    A read through Grafana's datasource proxy names both the Grafana root and the datasource
    uid in its URL; a ``web_url`` equal to the API base is the Prometheus server itself.
    """
    extra = ctx.entry.model_extra or {}
    base = (ctx.entry.base_url or group.base_url or "http://localhost:9090").rstrip("/")
    proxy = _PROXY.search(base)
    web = (ctx.entry.web_url or "").rstrip("/")
    grafana = web if web and web != base else (base[:proxy.start()] if proxy else "")
    if not grafana:
        return graph_url(base, group.query, start, end, step or 15)
    uid = extra.get("datasource_uid") or (proxy.group(1) if proxy else "prometheus")
    return explore_url(grafana, group.query, start, end, datasource_uid=str(uid),
                       org_id=int(extra.get("org_id", 1)))


def parse(capture: RawCapture, ctx: ParseContext) -> SourceData:
    """Read every query_range answer of a capture into series on their query's step grid."""
    groups: dict[tuple[str, str | None, str, str], _Group] = {}
    warnings: list[str] = []
    known: dict[tuple[float, float, int], dict[str, int]] = {}
    for response in capture.responses:
        path = response.url.split("?", 1)[0]
        if path.endswith("/api/v1/query_range"):
            _read_range(response, groups, warnings, known)
        elif any(part in path for part in _DISCOVERY):
            try:
                body = _envelope(response)
            except BundleError as exc:
                warnings.append(f"discovery request failed: {exc}")
                continue
            warnings.extend(f"{_where(response)}: {_one_line(w)}"
                            for w in body.get("warnings") or [])
    series: list[MetricSeries] = []
    for group in groups.values():
        if not group.grids:
            continue
        grid = np.unique(np.concatenate(group.grids))
        step = min(group.steps) if group.steps else 0.0
        stamps = tuple(grid.tolist())
        url = _citation(ctx, group, float(grid[0]), float(grid[-1]), step)
        for key, pieces in group.series.items():
            labels = dict(key)
            service = group.service or ctx.catalog.service_for_labels(labels)
            values = _place(grid, step, pieces)
            series.append(MetricSeries(
                id=series_id(group.query, labels), source=capture.source or "prometheus",
                query=group.query, labels=labels, service=service, signal=group.signal,
                unit=group.unit, url=url, timestamps=stamps, values=tuple(values.tolist())))
    for warning in warnings:
        log.warning("prometheus: %s", warning)
    return SourceData(series=series, notes=warnings)
