"""``[sources.NAME.mcp]`` tables: which sources a server can read, their secrets by environment
reference, and the adapter's options defaulted from the source's own settings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError

from afteraction.errors import ConfigError
from afteraction.settings.locate import line_of
from afteraction.settings.sources import GrafanaConfig, JiraConfig, PrometheusConfig, SourceConfig
from afteraction.sources.mcp.config import EnvRef, McpSourceConfig

__all__ = ["MCP_ADAPTERS", "MCP_URL", "mcp_fail", "mcp_table", "mcp_url", "with_adapter_options"]

MCP_ADAPTERS: dict[str, str] = {"grafana": "mcp-grafana", "jira": "mcp-atlassian",
                                "github": "github-mcp-server",
                                "launchdarkly": "launchdarkly-mcp-server",
                                "slack": "slack-mcp-server"}
"""The sources that can be read through an MCP server, and the default adapter of each."""
MCP_URL = {"grafana": ("grafana_url", "GRAFANA_URL"), "jira": ("base_url", "JIRA_URL")}
_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|(?:^|_)PAT(?:_|$)|AUTHORIZATION"
                          r"|COOKIE", re.IGNORECASE)
"""Names of MCP server ``env``/``headers`` entries whose value must be an ``{env = NAME}``."""


def mcp_fail(text: str, where: str, name: str, key: str | None, message: str,
              field: str | None = None) -> ConfigError:
    """An error in ``[sources.NAME.mcp]`` (or an inline ``mcp = {...}``), at the key's line."""
    label = f"sources.{name}.mcp"
    line = line_of(text, label, key) or line_of(text, f"sources.{name}", "mcp")
    location = f"{where}:{line}" if line else where
    return ConfigError(f"{label}.{field or key}: {message}" if field or key else
                       f"{label}: {message}", where=location)


def mcp_table(text: str, where: str, name: str, raw: Any, env: Mapping[str, str]
               ) -> tuple[McpSourceConfig, dict[str, SecretStr]]:
    """Validate an ``mcp`` table; secrets referenced as ``{env = NAME}`` are read now, as a
    native token is, and a literal value under a secret-looking name is refused."""
    if name not in MCP_ADAPTERS:
        hint = ("Prometheus is read through mcp-grafana: set options.datasource_uid in "
                "[sources.grafana.mcp]" if name == "prometheus" else
                f"no MCP adapter reads {name} (adapters read {', '.join(MCP_ADAPTERS)})")
        raise mcp_fail(text, where, name, None, hint)
    if not isinstance(raw, dict):
        raise mcp_fail(text, where, name, None, "must be a table")
    raw = {"adapter": MCP_ADAPTERS[name], **raw}
    for field in ("env", "headers"):
        values = raw.get(field)
        for key, value in (values.items() if isinstance(values, dict) else ()):
            if isinstance(value, str) and _SECRET_NAME.search(key):
                raise mcp_fail(text, where, name, field, "must reference an environment "
                                "variable ({env = \"NAME\"}); secrets are never read from the "
                                "file", field=f"{field}.{key}")
    try:
        config = McpSourceConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(part) for part in first["loc"]]
        message = str(first["msg"]).removeprefix("Value error, ")
        raise mcp_fail(text, where, name, loc[0] if loc else None, message,
                        field=".".join(loc) or None) from exc
    if name not in config.sources:
        raise mcp_fail(text, where, name, "adapter", f"{config.adapter} reads "
                        f"{', '.join(config.sources)}, not {name}")
    refs = [v for v in (*config.env.values(), *config.headers.values()) if isinstance(v, EnvRef)]
    secrets = {ref.env: SecretStr(env[ref.env]) for ref in refs if env.get(ref.env)}
    return config, secrets


def mcp_url(name: str, config: McpSourceConfig) -> str | None:
    """The system an MCP server reads: its adapter option, else the URL in the server's env."""
    option, variable = MCP_URL[name]
    found = config.options.get(option) or config.env.get(variable)
    return found if isinstance(found, str) else None


def with_adapter_options(text: str, where: str, name: str, config: SourceConfig,
                          top: dict[str, Any]) -> SourceConfig:
    """The adapter's options: the native section's settings, overridden by ``options``."""
    from afteraction.sources.mcp.atlassian import JiraOptions
    from afteraction.sources.mcp.grafana import GrafanaOptions

    assert config.mcp is not None
    given = dict(config.mcp.options)
    model: type[BaseModel] | None = None
    defaults: dict[str, Any] = {}
    if isinstance(config, GrafanaConfig):
        model = GrafanaOptions
        defaults = {"grafana_url": config.base_url, "web_url": config.web_url,
                    "annotation_tags": config.annotation_tags,
                    "annotation_limit": config.annotation_limit,
                    "alert_history": config.alert_history}
        prometheus = top.get("prometheus")
        if isinstance(prometheus, PrometheusConfig) and prometheus.enabled:
            defaults["step_seconds"] = int(prometheus.step_seconds)
            if prometheus.grafana_datasource_uid:
                defaults["datasource_uid"] = prometheus.grafana_datasource_uid
    elif isinstance(config, JiraConfig):
        model = JiraOptions
        defaults = {"base_url": config.base_url, "web_url": config.citation_url,
                    "incident_project": config.incident_project,
                    "max_related": config.max_related}
    elif given:
        raise mcp_fail(text, where, name, "options", f"{config.mcp.adapter} takes no options "
                        f"(it reads the settings of [sources.{name}])")
    if model is None:
        return config
    try:
        options = model.model_validate({**defaults, **given}).model_dump(mode="json")
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(part) for part in first["loc"])
        raise mcp_fail(text, where, name, "options", str(first["msg"]),
                        field=f"options.{loc}" if loc else "options") from exc
    return config.model_copy(update={"mcp": config.mcp.model_copy(update={"options": options})})
