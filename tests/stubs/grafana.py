"""Grafana stub: ``/api/health``, ``/api/annotations`` (epoch ms), ``/api/v1/rules/history`` (a
data frame), and ``/api/datasources/proxy/uid/{uid}/...`` forwarded to a Prometheus.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

from .runner import Request, Response, StubApp, json_response
from .world import ANNOTATIONS, ms


class GrafanaStub(StubApp):
    name = "grafana"

    def __init__(self, token: str = "glsa_stub_token_0001", prometheus_url: str | None = None,
                 datasource_uid: str = "prom-main", history: bool = True) -> None:
        super().__init__()
        self.token = token
        self.prometheus_url = prometheus_url
        self.datasource_uid = datasource_uid
        self.history = history

    def authorized(self, request: Request) -> bool:
        return request.path == "/api/health" or \
            request.header("Authorization") == f"Bearer {self.token}"

    def unauthorized(self, request: Request) -> Response:
        return json_response({"message": "invalid API key", "traceID": ""}, 401)

    def _annotation(self, a: dict[str, Any]) -> dict[str, Any]:
        alert = a["alert"]
        return {"id": a["id"], "alertId": 7 if alert else 0,
                "alertName": alert[0] if alert else "", "dashboardId": 12,
                "dashboardUID": "checkout-slo", "panelId": 2, "userId": 0 if alert else 3,
                "newState": alert[1] if alert else "", "prevState": alert[2] if alert else "",
                "created": ms(a["time"]), "updated": ms(a["time"]), "time": ms(a["time"]),
                "timeEnd": ms(a["end"]), "text": a["text"], "tags": a["tags"],
                "login": "" if alert else "deploybot", "email": "", "avatarUrl": "",
                "data": {}}

    def route(self, request: Request) -> Response:
        if request.path == "/api/health":
            return json_response({"commit": "abc123", "database": "ok", "version": "11.3.0"})
        if request.path == "/api/annotations":
            start = int(request.q("from", "0") or 0)
            end = int(request.q("to", str(2**53)) or 2**53)
            limit = int(request.q("limit", "100") or 100)
            tags = request.query.get("tags", [])
            items = [self._annotation(a) for a in ANNOTATIONS
                     if start <= ms(a["time"]) <= end
                     and (not tags or set(tags) & set(a["tags"]))]
            items.sort(key=lambda a: a["time"], reverse=True)
            return json_response(items[: self.page_size(limit)])
        if request.path == "/api/v1/rules/history":
            if not self.history:
                return json_response({"message": "Not found"}, 404)
            alerts = [a for a in ANNOTATIONS if a["alert"]]
            lines = [{"schemaVersion": 1, "previous": a["alert"][2], "current": a["alert"][1],
                      "values": {"B": 0.08}, "ruleTitle": a["alert"][0], "ruleUID": "rule-chk-5xx",
                      "labels": {"alertname": a["alert"][0], "service": "checkout"}}
                     for a in alerts]
            return json_response({
                "schema": {"fields": [
                    {"name": "time", "type": "time", "typeInfo": {"frame": "time.Time"}},
                    {"name": "line", "type": "other", "typeInfo": {"frame": "json.RawMessage"}},
                    {"name": "labels", "type": "other",
                     "typeInfo": {"frame": "json.RawMessage"}}]},
                "data": {"values": [[ms(a["time"]) for a in alerts], lines,
                                    [{"folderUID": "f1", "group": "checkout",
                                      "orgID": "1", "ruleUID": "rule-chk-5xx"}
                                     for _ in alerts]]}})
        prefix = f"/api/datasources/proxy/uid/{self.datasource_uid}"
        if request.path.startswith(prefix) and self.prometheus_url:
            target = self.prometheus_url + request.path.removeprefix(prefix)
            if request.query:
                target += "?" + urlencode(request.query, doseq=True)
            try:
                with urllib.request.urlopen(target, timeout=10) as answer:
                    return Response(answer.status, answer.read(),
                                    {"Content-Type": answer.headers.get("Content-Type", "")})
            except urllib.error.HTTPError as exc:
                return Response(exc.code, exc.read(), {"Content-Type": "application/json"})
        return json_response({"message": "Not found"}, 404)
