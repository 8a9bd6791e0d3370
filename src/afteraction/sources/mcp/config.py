"""Configuration of an MCP-backed source, written the way assistants configure MCP servers.

In ``afteraction.toml`` (one table per source read through a server)::

    [sources.grafana.mcp]
    adapter = "mcp-grafana"
    command = "mcp-grafana"
    args = []
    env = {GRAFANA_URL = "https://grafana.acme.io",
           GRAFANA_SERVICE_ACCOUNT_TOKEN = {env = "GRAFANA_TOKEN"}}
    options = {grafana_url = "https://grafana.acme.io", datasource_uid = "prom-main"}

or ``url = "https://mcp.acme.io/grafana"`` with ``headers`` instead of ``command``. Secrets are
never written in the file: an ``env``/``headers`` value may be ``{env = "NAME"}``, read from the
environment when the server starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from afteraction.errors import ConfigError
from afteraction.sources.mcp.client import McpServerConfig

__all__ = ["ADAPTER_SOURCES", "OFFLINE_ENV", "EnvRef", "McpSourceConfig"]

Adapter = Literal["mcp-grafana", "mcp-atlassian", "github-mcp-server",
                  "launchdarkly-mcp-server", "slack-mcp-server"]

ADAPTER_SOURCES: dict[str, tuple[str, ...]] = {
    "mcp-grafana": ("grafana", "prometheus"),
    "mcp-atlassian": ("jira",),
    "github-mcp-server": ("github",),
    "launchdarkly-mcp-server": ("launchdarkly",),
    "slack-mcp-server": ("slack",),
}
"""Which afteraction sources each adapter fills."""

OFFLINE_ENV: dict[str, dict[str, str]] = {
    "mcp-grafana": {"GRAFANA_USAGE_STATS": "disabled"},
    "mcp-atlassian": {"FASTMCP_CHECK_FOR_UPDATES": "off", "FASTMCP_SHOW_SERVER_BANNER": "false"},
}
"""Switches off what a server would send elsewhere by default (usage reports, update checks):
a source reads the configured system and nothing else. An explicit ``env`` entry wins."""


class EnvRef(BaseModel):
    """``{env = "NAME"}``: a value taken from the environment, never from the file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    env: str


class McpSourceConfig(BaseModel):
    """A source read through a third-party MCP server: the server, and the adapter's options."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    adapter: Adapter
    command: str | None = None
    args: tuple[str, ...] = ()
    env: dict[str, str | EnvRef] = Field(default_factory=dict)
    url: str | None = None
    headers: dict[str, str | EnvRef] = Field(default_factory=dict)
    timeout: float = 60.0
    options: dict[str, Any] = Field(default_factory=dict, description=(
        "adapter options: GrafanaOptions / JiraOptions fields, or repos (GitHub), spec "
        "(LaunchDarkly)"))

    @model_validator(mode="after")
    def _one_transport(self) -> McpSourceConfig:
        if (self.command is None) == (self.url is None):
            raise ValueError("give exactly one of command or url")
        return self

    @property
    def sources(self) -> tuple[str, ...]:
        return ADAPTER_SOURCES[self.adapter]

    def server(self, environ: Mapping[str, str], where: str = "sources.mcp") -> McpServerConfig:
        """The server to start, secrets resolved from ``environ``; a missing one is a
        ConfigError naming the variable."""
        def resolve(values: Mapping[str, str | EnvRef], field: str) -> dict[str, str]:
            out: dict[str, str] = {}
            for key, value in values.items():
                if isinstance(value, EnvRef):
                    if value.env not in environ:
                        raise ConfigError(f"{field}.{key} names ${value.env}, which is not set",
                                          where=where)
                    out[key] = environ[value.env]
                else:
                    out[key] = value
            return out

        env = resolve(self.env, "env")
        env = {**OFFLINE_ENV.get(self.adapter, {}), **env}
        if self.command is not None and "PATH" not in env and "PATH" in environ:
            env["PATH"] = environ["PATH"]  # assistants start servers with the user's PATH
        return McpServerConfig(name=self.adapter, command=self.command, args=self.args,
                               env=env, url=self.url, headers=resolve(self.headers, "headers"),
                               timeout=self.timeout)
