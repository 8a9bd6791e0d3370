"""MCP-backed source configuration: the assistants' shape, secrets from the environment."""

from __future__ import annotations

import tomllib

import pytest
from pydantic import ValidationError

from afteraction.errors import ConfigError
from afteraction.sources.mcp.config import McpSourceConfig

TOML = '''
adapter = "mcp-grafana"
command = "mcp-grafana"
args = ["--disable-write"]
env = {GRAFANA_URL = "https://grafana.acme.io", GRAFANA_SERVICE_ACCOUNT_TOKEN = {env = "GF"}}
options = {grafana_url = "https://grafana.acme.io", datasource_uid = "prom-main"}
'''


def test_server_resolves_secrets_from_the_environment() -> None:
    config = McpSourceConfig.model_validate(tomllib.loads(TOML))
    server = config.server({"GF": "glsa_x", "PATH": "/usr/bin"})
    assert server.command == "mcp-grafana" and server.args == ("--disable-write",)
    assert server.env == {"GRAFANA_URL": "https://grafana.acme.io",
                          "GRAFANA_SERVICE_ACCOUNT_TOKEN": "glsa_x", "PATH": "/usr/bin",
                          "GRAFANA_USAGE_STATS": "disabled"}
    assert config.sources == ("grafana", "prometheus")
    assert "glsa_x" not in config.model_dump_json()


def test_missing_secret_names_the_variable() -> None:
    config = McpSourceConfig.model_validate(tomllib.loads(TOML))
    with pytest.raises(ConfigError, match=r"env.GRAFANA_SERVICE_ACCOUNT_TOKEN names \$GF"):
        config.server({})


def test_url_server_with_header_secret() -> None:
    config = McpSourceConfig(adapter="mcp-atlassian", url="https://mcp.acme.io/jira",
                             headers={"Authorization": {"env": "JIRA_MCP"}})  # type: ignore[dict-item]
    server = config.server({"JIRA_MCP": "Bearer t"})
    assert (server.url, server.headers, server.command) == (
        "https://mcp.acme.io/jira", {"Authorization": "Bearer t"}, None)


def test_exactly_one_transport() -> None:
    with pytest.raises(ValidationError, match="exactly one of command or url"):
        McpSourceConfig(adapter="github-mcp-server")
    with pytest.raises(ValidationError):
        McpSourceConfig(adapter="slack", command="x")  # type: ignore[arg-type]
