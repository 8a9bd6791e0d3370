"""Grafana annotations and unified-alerting state history -> ``annotation`` and ``alert`` events.

Two answers are read:

* ``GET /api/annotations`` (times in epoch milliseconds). An annotation with ``alertId`` 0 is a
  user's or a pipeline's note (a deploy marker, say): an ``annotation`` event whose services are
  the tags naming catalog services. One with an ``alertId`` is an alert state change, written by
  legacy alerting (``alerting``/``ok``) or by unified alerting's annotation historian
  (``Alerting``/``Normal``, the labels inside ``text``).
* ``GET /api/v1/rules/history`` (unified alerting): a data frame. With the Loki historian its
  columns are ``time``, ``line`` (the history entry: previous, current, ruleUID, ruleTitle, labels,
  values, fingerprint...) and ``labels`` (the stream labels); with the annotation historian they
  are ``time``, ``text``, ``prev``, ``next``, ``data``, the rule UID in the field labels.

Only firing (into Alerting) and resolving (from Alerting back to Normal) transitions become
``alert`` events; Pending, NoData and Error moves are not. A transition seen in both answers is
kept once, from the history, which knows the rule's UID.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.errors import BundleError, TimeError
from afteraction.model.events import Event, EventKind
from afteraction.model.time import parse_utc, to_iso
from afteraction.sources.base import ParseContext, SourceData

__all__ = ["alert_rule_url", "dashboard_url", "epoch_ms", "parse", "transition"]

log = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ANNOTATION_TEXT = re.compile(r"(?P<title>.*?) \{(?P<labels>[^{}]*)\} - (?P<values>.*)", re.DOTALL)
_SERVICE_TAG = re.compile(r"(?:service|svc|app)[:=](?P<name>.+)")
_FIRING_STATES = ("alerting", "recovering")


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


def transition(previous: str, current: str) -> str | None:
    """'firing', 'resolved', or None for a move that neither fires nor resolves.

    States come as unified alerting formats them ('Alerting (Error)', 'Normal (MissingSeries)')
    or as legacy alerting did ('alerting', 'ok', 'no_data'); only the first word matters.
    """
    def base(state: str) -> str:
        word = state.strip().split(" ", 1)[0].lower() if state.strip() else ""
        return "normal" if word == "ok" else word

    before, after = base(previous), base(current)
    if after == "alerting" and before not in _FIRING_STATES:
        return "firing"
    if after == "normal" and (before in _FIRING_STATES or before == ""):
        return "resolved"
    return None


def _millis(value: Any, where: str, field: str) -> datetime:
    """An epoch-milliseconds field (or an ISO string) as an exact UTC time."""
    if isinstance(value, bool) or value is None:
        raise BundleError(f"{field} is missing", where=where)
    if isinstance(value, (int, float)):
        return _EPOCH + timedelta(milliseconds=value)
    try:
        return parse_utc(str(value), where=where)
    except TimeError as exc:
        raise BundleError(f"{field} is neither epoch milliseconds nor an ISO time: {value!r}",
                          where=where) from exc


def epoch_ms(at: datetime) -> int:
    """A UTC time as Grafana's epoch milliseconds (exact, no float rounding)."""
    return int((at - _EPOCH) / timedelta(milliseconds=1))


def alert_rule_url(grafana: str, rule_uid: str) -> str:
    """The unified alerting rule page, whose history tab shows every transition."""
    return f"{grafana.rstrip('/')}/alerting/grafana/{rule_uid}/view"


def dashboard_url(grafana: str, uid: str, start: datetime, end: datetime,
                  panel_id: int | None = None, org_id: int = 1) -> str:
    """A dashboard (optionally one panel) over a time range."""
    params: dict[str, Any] = {"orgId": org_id, "from": epoch_ms(start), "to": epoch_ms(end)}
    if panel_id:
        params["viewPanel"] = panel_id
    return f"{grafana.rstrip('/')}/d/{uid}?{urlencode(params)}"


class _Reader:
    """Shared state of one parse: the context, the Grafana UI root, and the events so far."""

    def __init__(self, capture: RawCapture, ctx: ParseContext) -> None:
        self.ctx = ctx
        self.source = capture.source or "grafana"
        first = capture.responses[0].url.split("/api/", 1)[0] if capture.responses else ""
        self.grafana = (ctx.entry.web_url or ctx.entry.base_url or first
                        or "http://localhost:3000").rstrip("/")
        self.org_id = int((ctx.entry.model_extra or {}).get("org_id", 1))
        self.events: list[Event] = []
        self.notes: list[str] = []
        self.seen: set[tuple[str, str, int, frozenset[tuple[str, str]]]] = set()
        self.annotation_ids: set[str] = set()

    def services(self, labels: dict[str, str], tags: Sequence[str] = ()) -> tuple[str, ...]:
        """Catalog services named by the labels' selector, a service/app label, or the tags."""
        catalog = self.ctx.catalog
        found: list[str] = []
        mapped = catalog.service_for_labels(labels) if labels else None
        candidates = [mapped, labels.get("service"), labels.get("app")]
        for tag in tags:
            match = _SERVICE_TAG.fullmatch(tag)
            candidates.append(match.group("name") if match else tag)
        for name in candidates:
            if name and catalog.get(name) is not None and name not in found:
                found.append(name)
        return tuple(found)

    def alert(self, *, source_id: str, at: datetime, state: str, alertname: str,
              labels: dict[str, str], rule_uid: str | None, url: str) -> None:
        key = (alertname, state, int(at.timestamp()), frozenset(labels.items()))
        if key in self.seen:
            return
        self.seen.add(key)
        attrs: dict[str, Any] = {"alertname": alertname, "state": state}
        if labels.get("severity"):
            attrs["severity"] = labels["severity"]
        if rule_uid:
            attrs["rule_uid"] = rule_uid
        self.events.append(Event.make(
            source=self.source, kind=EventKind.ALERT, source_id=source_id, at=at,
            url=url, text=f"{alertname} {state}", services=self.services(labels), attrs=attrs))

    def dashboard_or_record(self, item: dict[str, Any], at: datetime, end: datetime) -> str:
        uid = item.get("dashboardUID")
        if uid:
            window = self.ctx.window
            return dashboard_url(self.grafana, str(uid), min(window.start, at),
                                 max(window.end, end), int(item.get("panelId") or 0), self.org_id)
        return f"{self.grafana}/api/annotations/{item.get('id')}"


def _body(response: RawResponse) -> Any:
    where = response.file or response.url
    try:
        body = response.json()
    except BundleError:
        if response.status >= 400:
            first = _one_line(response.body[:200].decode("utf-8", "replace"))
            raise BundleError(f"Grafana answered HTTP {response.status}: {first}",
                              where=where) from None
        raise
    if response.status >= 400:
        message = body.get("message") if isinstance(body, dict) else body
        raise BundleError(f"Grafana answered HTTP {response.status}: {_one_line(message)}",
                          where=where)
    return body


def _labels_from_text(text: str) -> tuple[str, dict[str, str]]:
    """Unified alerting's annotation text 'Title {a=b, c=d} - B=1.0' -> (title, labels)."""
    match = _ANNOTATION_TEXT.fullmatch(text.strip())
    if not match:
        return text.strip(), {}
    labels: dict[str, str] = {}
    for pair in match.group("labels").split(", "):
        key, sep, value = pair.partition("=")
        if sep:
            labels[key.strip()] = value.strip()
    return match.group("title").strip(), labels


def _read_annotations(reader: _Reader, response: RawResponse) -> None:
    where = response.file or response.url
    body = _body(response)
    if not isinstance(body, list):
        raise BundleError("expected a JSON array of annotations", where=where)
    limit = str(response.params.get("limit", ""))
    if limit.isdigit() and len(body) >= int(limit):
        reader.notes.append(f"{where}: {len(body)} annotations, the request's limit: "
                            "later ones in that range may be missing")
        log.warning("grafana: %s", reader.notes[-1])
    for position, item in enumerate(body):
        if not isinstance(item, dict):
            raise BundleError(f"annotation [{position}] is not an object", where=where)
        ident = str(item.get("id"))
        if ident in reader.annotation_ids:
            continue  # a region spanning two requested ranges comes back in both
        reader.annotation_ids.add(ident)
        field = f"annotation [{position}] (id {item.get('id')})"
        at = _millis(item.get("time"), where, f"{field} time")
        end_raw = item.get("timeEnd")
        end = _millis(end_raw, where, f"{field} timeEnd") if end_raw else at
        text = str(item.get("text") or "")
        if item.get("alertId"):
            _alert_annotation(reader, item, at, end, text)
            continue
        tags = [str(t) for t in item.get("tags") or []]
        attrs: dict[str, Any] = {"tags": tags}
        if item.get("dashboardUID"):
            attrs["dashboard_uid"] = str(item["dashboardUID"])
        if item.get("panelId"):
            attrs["panel_id"] = int(item["panelId"])
        if end > at:
            attrs["time_end"] = to_iso(end)
        reader.events.append(Event.make(
            source=reader.source, kind=EventKind.ANNOTATION, source_id=ident,
            at=at, url=reader.dashboard_or_record(item, at, end), text=text,
            actor=str(item.get("login") or item.get("email") or "") or None,
            services=reader.services({}, tags), attrs=attrs))


def _alert_annotation(reader: _Reader, item: dict[str, Any], at: datetime, end: datetime,
                      text: str) -> None:
    state = transition(str(item.get("prevState") or ""), str(item.get("newState") or ""))
    if state is None:
        return
    title, labels = _labels_from_text(text)
    alertname = str(labels.get("alertname") or item.get("alertName") or title or "alert")
    reader.alert(source_id=f"annotation:{item.get('id')}", at=at, state=state,
                 alertname=alertname, labels=labels, rule_uid=None,
                 url=reader.dashboard_or_record(item, at, end))


def _frame_columns(body: Any, where: str) -> tuple[dict[str, list[Any]], dict[str, Any]]:
    """A data frame's columns by field name, plus the field labels of the first field."""
    schema = body.get("schema") if isinstance(body, dict) else None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(schema, dict) or not isinstance(data, dict):
        raise BundleError("expected a data frame with 'schema' and 'data'", where=where)
    fields = schema.get("fields") or []
    values = data.get("values")
    if values is None:  # an empty frame may leave the values out
        values = [[] for _ in fields] if isinstance(fields, list) else []
    if not isinstance(fields, list) or not isinstance(values, list) or len(values) != len(fields):
        raise BundleError(f"data frame has {len(fields) if isinstance(fields, list) else '?'} "
                          f"fields but {len(values) if isinstance(values, list) else '?'} "
                          f"value columns", where=where)
    columns = {str(f.get("name")): list(v or []) for f, v in zip(fields, values)}
    nanos = data.get("nanos")
    if isinstance(nanos, list) and "time" in columns:
        position = [f.get("name") for f in fields].index("time")
        extra = nanos[position] if position < len(nanos) else None
        if extra:
            columns["time"] = [t + n / 1e6 for t, n in zip(columns["time"], extra)]
    labels = fields[0].get("labels") if fields and isinstance(fields[0], dict) else None
    return columns, labels or {}


def _read_history(reader: _Reader, response: RawResponse) -> None:
    where = response.file or response.url
    columns, field_labels = _frame_columns(_body(response), where)
    times = columns.get("time", [])
    if "line" in columns:
        for row, (stamp, line) in enumerate(zip(times, columns["line"])):
            if isinstance(line, str):
                try:
                    line = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise BundleError(f"history row {row}: line is not JSON", where=where) from exc
            if not isinstance(line, dict):
                raise BundleError(f"history row {row}: line is not an object", where=where)
            state = transition(str(line.get("previous") or ""), str(line.get("current") or ""))
            if state is None:
                continue
            at = _millis(stamp, where, f"history row {row} time")
            labels = {str(k): str(v) for k, v in (line.get("labels") or {}).items()}
            rule_uid = str(line.get("ruleUID") or "") or None
            alertname = str(labels.get("alertname") or line.get("ruleTitle") or "alert")
            url = (alert_rule_url(reader.grafana, rule_uid) if rule_uid
                   else f"{reader.grafana}/alerting/list")
            reader.alert(source_id=f"{rule_uid}:{line.get('fingerprint', '')}:{epoch_ms(at)}",
                         at=at, state=state, alertname=alertname, labels=labels,
                         rule_uid=rule_uid, url=url)
    elif "next" in columns:
        rule_uid = str(field_labels.get("ruleUID") or "") or None
        texts, prevs, nexts = columns.get("text", []), columns.get("prev", []), columns["next"]
        for row, (stamp, text, prev, nxt) in enumerate(zip(times, texts, prevs, nexts)):
            state = transition(str(prev or ""), str(nxt or ""))
            if state is None:
                continue
            at = _millis(stamp, where, f"history row {row} time")
            title, labels = _labels_from_text(str(text or ""))
            url = (alert_rule_url(reader.grafana, rule_uid) if rule_uid
                   else f"{reader.grafana}/alerting/list")
            reader.alert(source_id=f"{rule_uid}::{epoch_ms(at)}", at=at, state=state,
                         alertname=str(labels.get("alertname") or title or "alert"),
                         labels=labels, rule_uid=rule_uid, url=url)
    elif times:
        raise BundleError("state history frame has neither a 'line' nor a 'next' column",
                          where=where)


def parse(capture: RawCapture, ctx: ParseContext) -> SourceData:
    """Alert transitions from the state history, then annotations, in time order."""
    reader = _Reader(capture, ctx)
    history = capture.matching("/api/v1/rules/history")
    annotations = [r for r in capture.responses
                   if r.url.split("?", 1)[0].rstrip("/").endswith("/api/annotations")]
    for response in history:
        _read_history(reader, response)
    for response in annotations:
        _read_annotations(reader, response)
    reader.events.sort(key=lambda e: (e.at, e.id))
    return SourceData(events=reader.events, notes=reader.notes)
