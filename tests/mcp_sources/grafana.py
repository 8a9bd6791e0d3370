"""The Grafana stub plus the datasource lookups ``mcp-grafana`` makes before it queries.

``query_prometheus`` first reads ``/api/datasources/uid/{uid}`` (to learn the datasource type),
then reads Prometheus through the datasource resource API
(``/api/datasources/uid/{uid}/resources/api/v1/...``), forwarded here like the base stub forwards
its datasource proxy.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tests.stubs.grafana import GrafanaStub
from tests.stubs.runner import Request, Response, json_response

__all__ = ["McpGrafanaStub"]


class McpGrafanaStub(GrafanaStub):
    def datasource(self) -> dict[str, Any]:
        return {"id": 1, "uid": self.datasource_uid, "orgId": 1, "name": "Prometheus",
                "type": "prometheus", "typeName": "Prometheus", "access": "proxy",
                "url": self.prometheus_url or "", "basicAuth": False, "isDefault": True,
                "jsonData": {"httpMethod": "GET"}, "readOnly": False}

    def route(self, request: Request) -> Response:
        if request.path == f"/api/datasources/uid/{self.datasource_uid}":
            return json_response(self.datasource())
        if request.path == "/api/datasources":
            return json_response([self.datasource()])
        resources = f"/api/datasources/uid/{self.datasource_uid}/resources"
        if request.path.startswith(resources + "/"):
            proxied = f"/api/datasources/proxy/uid/{self.datasource_uid}"
            request = replace(request, path=proxied + request.path.removeprefix(resources))
        return super().route(request)
