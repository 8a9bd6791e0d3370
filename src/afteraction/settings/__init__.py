"""Configuration: ``afteraction.toml`` read into frozen models, secrets only from the environment.

The file names the environment variable that holds each secret (``token = {env = "GITHUB_TOKEN"}``
or ``token_env = "GITHUB_TOKEN"``); a literal secret in the file is refused, so a config can be
committed and shared. Every error is one :class:`~afteraction.errors.ConfigError` line naming
``file:line`` and the field. A source may instead be read through a third-party MCP server
(``[sources.grafana.mcp]``, see :mod:`afteraction.sources.mcp.config`); it then needs no native
token.

:mod:`.sources` holds the models, :mod:`.load` reads the file, :mod:`.mcp` the ``mcp`` tables,
:mod:`.starter` the file ``afteraction init`` writes and :mod:`.locate` finds a key's line.
"""

from __future__ import annotations

from afteraction.settings.load import (
    CONFIG_NAME,
    find_config,
    load_settings,
    parse_duration,
    parse_settings,
)
from afteraction.settings.mcp import MCP_ADAPTERS
from afteraction.settings.sources import (
    DEFAULT_SLO,
    SLO_UNITS,
    ChangeFeedConfig,
    GitHubConfig,
    GrafanaConfig,
    JiraConfig,
    LaunchDarklyConfig,
    PrometheusConfig,
    Settings,
    SlackConfig,
    SourceConfig,
    ZoomConfig,
)
from afteraction.settings.starter import STARTER, write_starter_config

__all__ = [
    "CONFIG_NAME",
    "DEFAULT_SLO",
    "MCP_ADAPTERS",
    "SLO_UNITS",
    "STARTER",
    "ChangeFeedConfig",
    "GitHubConfig",
    "GrafanaConfig",
    "JiraConfig",
    "LaunchDarklyConfig",
    "PrometheusConfig",
    "Settings",
    "SlackConfig",
    "SourceConfig",
    "ZoomConfig",
    "find_config",
    "load_settings",
    "parse_duration",
    "parse_settings",
    "write_starter_config",
]
