"""The models of ``afteraction.toml``: one frozen model per source, and the whole settings.

Each source model says where its API is, where citations point, which environment variable holds
its secret and its time budget; a source may instead be read through an MCP server
(``mcp``, validated in :mod:`afteraction.settings.mcp`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from afteraction.errors import ConfigError
from afteraction.model.incident import Catalog
from afteraction.sources.mcp.client import McpServerConfig
from afteraction.sources.mcp.config import McpSourceConfig

__all__ = ["DEFAULT_SLO", "MODELS", "SLO_UNITS", "ChangeFeedConfig", "GitHubConfig",
           "GrafanaConfig", "JiraConfig", "LaunchDarklyConfig", "PrometheusConfig", "Settings",
           "SlackConfig", "SourceConfig", "ZoomConfig"]

DEFAULT_SLO: dict[str, str] = {
    "error_ratio": ('sum(rate(http_requests_total{{selector},code=~"5.."}[5m]))'
                    ' / sum(rate(http_requests_total{{selector}}[5m]))'),
    "latency": ('histogram_quantile(0.99, sum by (le) '
                '(rate(http_request_duration_seconds_bucket{{selector}}[5m])))'),
    "saturation": 'max(container_cpu_usage_ratio{{selector}})',
}
"""PromQL per SLO signal; ``{selector}`` becomes the service's matchers, without braces."""

SLO_UNITS: dict[str, str] = {"error_ratio": "ratio", "latency": "seconds", "saturation": "ratio",
                             "throughput": "rps", "client_error_ratio": "ratio"}
"""The SLO signals afteraction analyses, and the unit of each (what the parser expects)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceConfig(_Frozen):
    """What every source shares: where its API is, where citations point, its secret and budget."""

    base_url: str
    web_url: str | None = None
    token: SecretStr | None = Field(default=None, exclude=True, repr=False)
    token_env: str | None = None
    budget_seconds: float = 120.0
    timeout_seconds: float = 30.0
    enabled: bool = True
    mcp: McpSourceConfig | None = Field(default=None, description="read through an MCP server")
    mcp_secrets: dict[str, SecretStr] = Field(default_factory=dict, exclude=True, repr=False)

    @field_validator("base_url", "web_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @property
    def citation_url(self) -> str:
        return self.web_url or self.base_url

    def mcp_server(self, where: str) -> McpServerConfig:
        """The MCP server to start, its ``{env = NAME}`` values read with the config; an unset
        one is a ConfigError naming the variable (the source is then recorded as failed)."""
        if self.mcp is None:
            raise ConfigError("not read through an MCP server", where=where)
        values = {name: secret.get_secret_value() for name, secret in self.mcp_secrets.items()}
        return self.mcp.server(values, where=where)


class PrometheusConfig(SourceConfig):
    base_url: str = ""
    grafana_datasource_uid: str | None = Field(
        default=None, description="read through Grafana's datasource proxy instead of directly")
    step_seconds: float = 60.0
    discover_series: bool = True


class GrafanaConfig(SourceConfig):
    annotation_tags: tuple[str, ...] = ()
    annotation_limit: int = 1000
    alert_history: bool = True


class GitHubConfig(SourceConfig):
    base_url: str = "https://api.github.com"
    web_url: str | None = "https://github.com"
    org: str | None = None
    repos: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()
    workflow_runs: bool = True


class SlackConfig(SourceConfig):
    base_url: str = "https://slack.com/api"
    workspace: str | None = Field(default=None, description="e.g. acme for acme.slack.com")
    channel_pattern: str = "inc-{number}"

    @property
    def citation_url(self) -> str:
        if self.web_url:
            return self.web_url
        return f"https://{self.workspace}.slack.com" if self.workspace else "https://slack.com"


class ZoomConfig(SourceConfig):
    base_url: str = "https://api.zoom.us/v2"
    oauth_url: str = "https://zoom.us"
    account_id: str | None = None
    client_id: SecretStr | None = Field(default=None, exclude=True, repr=False)
    client_id_env: str | None = None
    client_secret: SecretStr | None = Field(default=None, exclude=True, repr=False)
    client_secret_env: str | None = None
    user: str = "me"
    topic_contains: str | None = None


class JiraConfig(SourceConfig):
    flavor: Literal["cloud", "datacenter"] = "cloud"
    email: str | None = Field(default=None, description="Cloud: the account of the API token")
    incident_project: str | None = None
    channel_field: str | None = Field(default=None, description="custom field holding the channel")
    max_related: int = 200

    @property
    def api(self) -> str:
        return "/rest/api/3" if self.flavor == "cloud" else "/rest/api/2"


class LaunchDarklyConfig(SourceConfig):
    base_url: str = "https://app.launchdarkly.com"
    project: str = "default"
    environment: str | None = "production"


class ChangeFeedConfig(_Frozen):
    path: Path
    enabled: bool = True
    budget_seconds: float = 10.0


class Settings(_Frozen):
    path: Path | None = None
    lookback_seconds: float = 6 * 3600
    baseline_seconds: float = 24 * 3600
    padding_seconds: float = 30 * 60
    budget_seconds: float = 120.0
    corpus_url: str | None = None  # None: $AFTERACTION_CORPUS_URL, else a per-user SQLite file
    prometheus: PrometheusConfig | None = None
    grafana: GrafanaConfig | None = None
    github: GitHubConfig | None = None
    slack: SlackConfig | None = None
    zoom: ZoomConfig | None = None
    jira: JiraConfig | None = None
    launchdarkly: LaunchDarklyConfig | None = None
    changes: ChangeFeedConfig | None = None
    catalog: Catalog = Field(default_factory=Catalog)
    slo: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_SLO))

    def configured(self) -> dict[str, SourceConfig | ChangeFeedConfig]:
        """The enabled sources, by their config (and bundle) name."""
        found: dict[str, SourceConfig | ChangeFeedConfig] = {}
        for name in ("prometheus", "grafana", "github", "slack", "zoom", "jira", "launchdarkly",
                     "changes"):
            value = getattr(self, name)
            if value is not None and value.enabled:
                found[name] = value
        return found

    def mcp_routes(self) -> dict[str, SourceConfig]:
        """The enabled sources read through an MCP server, by config name."""
        return {name: config for name, config in self.configured().items()
                if isinstance(config, SourceConfig) and config.mcp is not None}

    def served_by_mcp(self) -> dict[str, str]:
        """Every source an MCP server fills -> the config name of its route: mcp-grafana also
        fills ``prometheus`` when its options name the Prometheus datasource."""
        served: dict[str, str] = {}
        for name, config in self.mcp_routes().items():
            served[name] = name
            if name == "grafana" and config.mcp and config.mcp.options.get("datasource_uid"):
                served["prometheus"] = name
        return served


MODELS: dict[str, type[BaseModel]] = {
    "prometheus": PrometheusConfig, "grafana": GrafanaConfig, "github": GitHubConfig,
    "slack": SlackConfig, "zoom": ZoomConfig, "jira": JiraConfig,
    "launchdarkly": LaunchDarklyConfig, "changes": ChangeFeedConfig,
}

