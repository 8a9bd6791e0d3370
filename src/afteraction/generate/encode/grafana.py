"""Scenario Grafana events -> the answers Grafana would have sent for them.

The default is the setup most teams run today: unified alerting with its state history kept in
Loki, read through ``GET /api/v1/rules/history`` (one data frame, ``from``/``to`` in unix
seconds), so every ``alert`` event becomes one history row (firing = Pending -> Alerting,
resolved = Alerting -> Normal). ``annotation`` events (deploy markers and notes) are answered by
``GET /api/annotations?type=annotation`` (epoch milliseconds, newest first). Alerts are not also
written as alert annotations: one realistic setup, not two overlapping ones.

An alert's instance labels are built from its attrs (alertname, severity) and the catalog's label
selector of its first service, so the parser maps them back to the same service.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.generate.scenario import Scenario
from afteraction.model.events import Event, EventKind
from afteraction.model.time import parse_utc
from afteraction.sources.grafana import epoch_ms

__all__ = ["encode"]

_DEFAULT_BASE = "https://grafana.example.com"
_JSON = {"Content-Type": "application/json"}


def _digest(*parts: object) -> str:
    return hashlib.sha1("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def _rule_uid(event: Event) -> str:
    uid = event.attrs.get("rule_uid")
    return str(uid) if uid else _digest("rule", event.attrs.get("alertname") or event.text)[:14]


def _instance_labels(event: Event, scenario: Scenario, alertname: str) -> dict[str, str]:
    labels = {"alertname": alertname, "grafana_folder": "SLOs"}
    if event.services:
        entry = scenario.catalog.get(event.services[0])
        labels.update(entry.labels if entry and entry.labels else {"service": event.services[0]})
    if event.attrs.get("severity"):
        labels["severity"] = str(event.attrs["severity"])
    return dict(sorted(labels.items()))


def _history_row(event: Event, scenario: Scenario) -> tuple[int, dict[str, Any], dict[str, str]]:
    """One Loki history entry (the historian's ``line``) and its stream labels."""
    alertname = str(event.attrs.get("alertname") or event.text or "alert")
    firing = event.attrs.get("state") != "resolved"
    labels = _instance_labels(event, scenario, alertname)
    uid = _rule_uid(event)
    line = {
        "schemaVersion": 1,
        "previous": "Pending" if firing else "Alerting",
        "current": "Alerting" if firing else "Normal",
        "values": {"B": 0.12 if firing else 0.004, "C": 1 if firing else 0},
        "condition": "C",
        "dashboardUID": "",
        "panelID": 0,
        "fingerprint": _digest(*sorted(labels.items()))[:16],
        "ruleTitle": alertname,
        "ruleID": int(_digest(uid)[:6], 16),
        "ruleUID": uid,
        "labels": labels,
    }
    group = event.services[0] if event.services else "default"
    stream = {"folderUID": "slo-alerts", "from": "state-history", "group": group, "orgID": "1"}
    return epoch_ms(event.at), line, stream


def _history(alerts: list[Event], scenario: Scenario, base: str, start: datetime,
             end: datetime) -> RawResponse:
    rows = sorted((_history_row(e, scenario) for e in alerts), key=lambda r: r[0])
    frame = {
        "schema": {"name": "states", "fields": [
            {"name": "time", "type": "time", "typeInfo": {"frame": "time.Time"}},
            {"name": "line", "type": "other", "typeInfo": {"frame": "json.RawMessage"}},
            {"name": "labels", "type": "other", "typeInfo": {"frame": "json.RawMessage"}},
        ]},
        "data": {"values": [[r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]]},
    }
    params = {"from": str(int(start.timestamp())), "to": str(int(end.timestamp()) + 1)}
    return RawResponse(url=f"{base}/api/v1/rules/history", params=params, headers=dict(_JSON),
                       body=json.dumps(frame, separators=(",", ":")).encode())


def _annotation_id(event: Event) -> int:
    return int(event.source_id) if event.source_id.isdigit() else int(
        _digest(event.source_id)[:7], 16)


def _annotation(event: Event) -> dict[str, Any]:
    at = epoch_ms(event.at)
    end = event.attrs.get("time_end")
    tags = [str(t) for t in event.attrs.get("tags") or []]
    tags += [s for s in event.services if s not in tags]
    login = event.actor or ""
    return {
        "id": _annotation_id(event), "alertId": 0, "alertName": "", "dashboardId": 0,
        "dashboardUID": str(event.attrs.get("dashboard_uid") or ""),
        "panelId": int(event.attrs.get("panel_id") or 0),
        "userId": (int(_digest(login)[:4], 16) % 500 + 1) if login else 0,
        "newState": "", "prevState": "", "created": at, "updated": at, "time": at,
        "timeEnd": epoch_ms(parse_utc(str(end))) if end else at,
        "text": event.text, "tags": tags, "login": login,
        "email": f"{login}@example.com" if login else "", "avatarUrl": "", "data": {},
    }


def encode(scenario: Scenario) -> RawCapture:
    """The Grafana capture a live collection would record: alert history, then annotations."""
    entry = scenario.entries.get("grafana")
    base = ((entry.base_url if entry else None) or _DEFAULT_BASE).rstrip("/")
    events = scenario.events_of("grafana")
    alerts = [e for e in events if e.kind == EventKind.ALERT]
    notes = [e for e in events if e.kind == EventKind.ANNOTATION]
    times = [e.at for e in events]
    start = min([scenario.window.start, *times])
    end = max([scenario.window.end, *times])
    items = sorted((_annotation(e) for e in notes), key=lambda a: (-a["time"], -a["id"]))
    limit = max(100, len(items) + 1)
    annotations = RawResponse(
        url=f"{base}/api/annotations", headers=dict(_JSON),
        params={"from": str(epoch_ms(start)), "to": str(epoch_ms(end)), "limit": str(limit),
                "type": "annotation"},
        body=json.dumps(items, separators=(",", ":")).encode())
    return RawCapture(source="grafana",
                      responses=(_history(alerts, scenario, base, start, end), annotations))
