"""Live connectors: fetch an incident's raw pages from the systems of record.

Each connector module holds one class with ``check()`` and ``collect(query)``; the parsers in
``afteraction.sources.<name>`` read what they return, exactly as they read a bundle.
"""

from __future__ import annotations

from afteraction.sources.live.base import CollectQuery, Connector, Health
from afteraction.sources.live.http import HttpPolicy, SourceHttp

__all__ = ["CONNECTORS", "CollectQuery", "Connector", "Health", "HttpPolicy", "SourceHttp"]

CONNECTORS: dict[str, str] = {
    "prometheus": "afteraction.sources.live.prometheus:PrometheusConnector",
    "grafana": "afteraction.sources.live.grafana:GrafanaConnector",
    "github": "afteraction.sources.live.github:GitHubConnector",
    "slack": "afteraction.sources.live.slack:SlackConnector",
    "zoom": "afteraction.sources.live.zoom:ZoomConnector",
    "jira": "afteraction.sources.live.jira:JiraConnector",
    "launchdarkly": "afteraction.sources.live.launchdarkly:LaunchDarklyConnector",
    "changes": "afteraction.sources.live.changefeed:ChangeFeedConnector",
}
"""Config name -> 'module:Class' of its live connector, imported on use."""
