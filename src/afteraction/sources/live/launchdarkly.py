"""LaunchDarkly audit log: flag and segment changes in the look-back and the window.

``after``/``before`` are epoch milliseconds; pages follow ``_links.next.href``. The API key goes
in the Authorization header as is (no "Bearer"); a reader-role key is enough.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from afteraction.settings import LaunchDarklyConfig
from afteraction.sources.live.base import CollectQuery, Connector, Health, epoch_ms
from afteraction.sources.live.http import SourceHttp
from afteraction.sources.live.paginate import walk

__all__ = ["LaunchDarklyConnector"]


class LaunchDarklyConnector(Connector):
    name = "launchdarkly"
    config: LaunchDarklyConfig

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": self.require_token(self.config.token, self.config.token_env)}

    def spec(self) -> str:
        env = f":env/{self.config.environment}" if self.config.environment else ""
        return f"proj/{self.config.project}{env}:flag/*"

    async def _collect(self, http: SourceHttp, query: CollectQuery) -> None:
        params: dict[str, Any] = {"after": epoch_ms(query.changes_since),
                                  "before": epoch_ms(query.window.end), "limit": 20,
                                  "spec": self.spec()}
        self.queries.append(dict(params))
        async for page in walk(http, f"{self.config.base_url}/api/v2/auditlog", params,
                               "ld_links", meta={"kind": "auditlog"}, max_pages=500):
            self.count(len(page.json().get("items") or []))

    async def _check(self, http: SourceHttp) -> Health:
        now = self.now()
        answer = await http.get(f"{self.config.base_url}/api/v2/auditlog",
                                {"after": epoch_ms(now - timedelta(days=1)),
                                 "before": epoch_ms(now), "limit": 20, "spec": self.spec()},
                                record=False)
        data = answer.json()
        count = int(data.get("totalCount", len(data.get("items") or [])))
        return Health(self.name, reachable=True, authenticated=True, sample_count=count,
                      sample_what="audit-log entries in the last day (first page)")
