"""A Prometheus HTTP API stub for benchmarks and quick tests (the real server is used elsewhere):
``query_range`` answers the world's error ratio as a matrix, ``series``, ``query``, buildinfo.
"""

from __future__ import annotations

import re
from typing import Any

from afteraction.model.time import utc_from_epoch

from .runner import Request, Response, StubApp, json_response
from .world import error_ratio


class PrometheusStub(StubApp):
    name = "prometheus"

    def route(self, request: Request) -> Response:
        path = request.path
        if path == "/api/v1/status/buildinfo":
            return json_response({"status": "success", "data": {"version": "2.42.0"}})
        if path == "/api/v1/query":
            return json_response({"status": "success", "data": {"resultType": "vector",
                                  "result": [{"metric": {}, "value": [0, "12"]}]}})
        if path == "/api/v1/series":
            matched = request.q("match[]") or ""
            service = re.search(r'service="([^"]+)"', matched)
            name = service.group(1) if service else "unknown"
            return json_response({"status": "success", "data": [
                {"__name__": "http_requests_total", "service": name, "code": code,
                 "version": version}
                for code in ("200", "500") for version in ("v1", "v2")]})
        if path == "/api/v1/query_range":
            expr = request.q("query") or ""
            if "(" in expr and expr.count("(") != expr.count(")"):
                return json_response({"status": "error", "errorType": "bad_data",
                                      "error": "1:5: parse error: unclosed left parenthesis"},
                                     400)
            service = re.search(r'service="([^"]+)"', expr)
            name = service.group(1) if service else "unknown"
            start, end = float(request.q("start") or 0), float(request.q("end") or 0)
            step = float(request.q("step") or 60)
            values: list[list[Any]] = []
            moment = start
            while moment <= end:
                values.append([moment, f"{error_ratio(name, utc_from_epoch(moment)):g}"])
                moment += step
            return json_response({"status": "success", "data": {"resultType": "matrix",
                                  "result": [{"metric": {}, "values": values}]}})
        return json_response({"status": "error", "errorType": "not_found",
                              "error": "not found"}, 404)
