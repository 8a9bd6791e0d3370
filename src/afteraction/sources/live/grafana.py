"""Grafana: annotations (deploy and alert marks, epoch ms) and the alert state history.

``/api/annotations`` has no cursor, only ``limit``: a range that fills the limit is split in
halves until every half fits. ``/api/v1/rules/history`` exists only when Grafana keeps the state
history; a 404 there is noted, not an error.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from afteraction.errors import AuthError, SourceError
from afteraction.settings import GrafanaConfig
from afteraction.sources.live.base import CollectQuery, Connector, Health, epoch_ms
from afteraction.sources.live.http import SourceHttp

__all__ = ["GrafanaConnector"]


class GrafanaConnector(Connector):
    name = "grafana"
    config: GrafanaConfig

    def auth_headers(self) -> dict[str, str]:
        token = self.require_token(self.config.token, self.config.token_env)
        return {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    async def _annotations(self, http: SourceHttp, start: datetime, end: datetime,
                           depth: int = 0) -> None:
        params: dict[str, Any] = {"from": epoch_ms(start), "to": epoch_ms(end),
                                  "limit": self.config.annotation_limit}
        if self.config.annotation_tags:
            params["tags"] = list(self.config.annotation_tags)
            params["matchAny"] = "true"
        answer = await http.get(f"{self.config.base_url}/api/annotations", params,
                                meta={"kind": "annotations"})
        items = answer.json()
        if len(items) >= self.config.annotation_limit and depth < 12 and \
                end - start > timedelta(seconds=2):
            http.responses.pop()  # the halves below cover this range completely
            middle = start + (end - start) / 2
            await self._annotations(http, start, middle, depth + 1)
            await self._annotations(http, middle + timedelta(milliseconds=1), end, depth + 1)
            return
        self.count(len(items))

    async def _collect(self, http: SourceHttp, query: CollectQuery) -> None:
        start, end = query.changes_since, query.window.end
        self.queries.append({"annotations": {"from": epoch_ms(start), "to": epoch_ms(end),
                                             "tags": list(self.config.annotation_tags)}})
        await self._annotations(http, start, end)
        if not self.config.alert_history:
            return
        params = {"from": int(query.window.start.timestamp()) - int(query.lookback_seconds),
                  "to": int(end.timestamp()), "limit": 1000}
        self.queries.append({"rules_history": params})
        try:
            answer = await http.get(f"{self.config.base_url}/api/v1/rules/history", params,
                                    meta={"kind": "rules_history"})
        except SourceError as exc:
            if isinstance(exc, AuthError) or not exc.message.startswith(("HTTP 404", "HTTP 400")):
                raise
            self.notes.append(f"alert state history not available ({exc.message})")
            return
        values = (answer.json().get("data") or {}).get("values") or [[]]
        self.count(len(values[0]) if values else 0)

    async def _check(self, http: SourceHttp) -> Health:
        await http.get(f"{self.config.base_url}/api/health", record=False)
        now = self.now()
        items = (await http.get(f"{self.config.base_url}/api/annotations",
                                {"from": epoch_ms(now - timedelta(days=1)), "to": epoch_ms(now),
                                 "limit": 1000}, record=False)).json()
        return Health(self.name, reachable=True, authenticated=True, sample_count=len(items),
                      sample_what="annotations in the last day")
