"""Prometheus HTTP API: each catalog service's SLO signals over the window and its baseline.

Queries are built from the configured templates (``{selector}`` -> the service's label matchers).
Series discovery (``/api/v1/series``) records which label sets exist, so the analysis can tell a
canary from the stable version. The step respects Prometheus' 11,000-points-per-series limit.
Reads go to Prometheus directly or through Grafana's datasource proxy.
"""

from __future__ import annotations

import math
from typing import Any

from afteraction.errors import AuthError, SourceError
from afteraction.settings import SLO_UNITS, GrafanaConfig, PrometheusConfig
from afteraction.sources.live.base import CollectQuery, Connector, Health
from afteraction.sources.live.http import SourceHttp

__all__ = ["MAX_POINTS", "PrometheusConnector", "choose_step", "render", "selector"]

MAX_POINTS = 11_000


def choose_step(seconds: float, preferred: float) -> int:
    """The preferred step, widened until the range fits in 11,000 points."""
    return max(int(preferred), math.ceil(seconds / (MAX_POINTS - 1)), 1)


def selector(labels: dict[str, str]) -> str:
    """{service: checkout} -> 'service="checkout"' (matchers without braces, sorted)."""
    return ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def render(template: str, labels: dict[str, str]) -> str:
    return template.replace("{selector}", selector(labels))


class PrometheusConnector(Connector):
    name = "prometheus"
    config: PrometheusConfig

    def __init__(self, config: PrometheusConfig, *, grafana: GrafanaConfig | None = None,
                 **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.grafana = grafana

    @property
    def base_url(self) -> str | None:
        uid = self.config.grafana_datasource_uid
        if uid:
            root = self.config.base_url or (self.grafana.base_url if self.grafana else "")
            return f"{root}/api/datasources/proxy/uid/{uid}"
        return self.config.base_url

    @property
    def web_url(self) -> str | None:
        if self.config.web_url:
            return self.config.web_url
        if self.grafana is not None:
            return self.grafana.citation_url
        return self.base_url

    def auth_headers(self) -> dict[str, str]:
        if not self.base_url:
            raise SourceError("sources.prometheus needs base_url or grafana_datasource_uid",
                              source=self.name)
        config: PrometheusConfig | GrafanaConfig = self.config
        if self.config.grafana_datasource_uid and self.config.token is None and self.grafana:
            config = self.grafana
        if config.token is None:
            if config.token_env:
                self.require_token(None, config.token_env)
            return {}
        return {"Authorization": f"Bearer {config.token.get_secret_value()}"}

    def api(self, path: str) -> str:
        return f"{self.base_url}/api/v1/{path}"

    async def _collect(self, http: SourceHttp, query: CollectQuery) -> None:
        start, end = query.metrics_since, query.window.end
        step = choose_step((end - start).total_seconds(), self.config.step_seconds)
        span = {"start": f"{start.timestamp():.3f}", "end": f"{end.timestamp():.3f}"}
        services = [s for s in query.catalog.services if s.labels]
        if not services:
            raise SourceError("no catalog service has metric labels to query", source=self.name)
        failures = 0
        asked = 0
        for service in services:
            matchers = selector(service.labels)
            if self.config.discover_series:
                answer = await http.get(self.api("series"),
                                        {"match[]": "{" + matchers + "}", **span},
                                        meta={"kind": "series", "service": service.name})
                self.count(len(answer.json().get("data") or []))
            for signal, template in query.slo.items():
                expr = render(template, service.labels)
                self.queries.append({"service": service.name, "signal": signal, "query": expr,
                                     "step": step})
                asked += 1
                try:
                    answer = await http.get(
                        self.api("query_range"), {"query": expr, **span, "step": step},
                        meta={"kind": "query_range", "service": service.name, "signal": signal,
                              "unit": SLO_UNITS.get(signal, ""), "query": expr, "step": step})
                except SourceError as exc:
                    if isinstance(exc, AuthError) or not exc.message.startswith(
                            ("HTTP 400", "HTTP 422")):
                        raise
                    failures += 1
                    self.notes.append(f"{service.name}/{signal}: {exc.message}")
                    continue
                self.count(len((answer.json().get("data") or {}).get("result") or []))
        if asked and failures == asked:
            raise SourceError("every query was refused: " + self.notes[0], source=self.name)

    async def _check(self, http: SourceHttp) -> Health:
        build = (await http.get(self.api("status/buildinfo"), record=False)).json()
        answer = (await http.get(self.api("query"), {"query": "count(up)"}, record=False)).json()
        result = (answer.get("data") or {}).get("result") or []
        count = int(float(result[0]["value"][1])) if result else 0
        version = (build.get("data") or {}).get("version", "unknown")
        return Health(self.name, reachable=True, authenticated=True, sample_count=count,
                      sample_what="scrape targets (count(up))", detail=f"Prometheus {version}")
