"""afteraction.toml: every source, secrets by environment reference, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from afteraction.errors import ConfigError
from afteraction.settings import (
    STARTER,
    find_config,
    load_settings,
    parse_duration,
    parse_settings,
    write_starter_config,
)

ENV = {"GITHUB_TOKEN": "ghp_fromenv", "SLACK_TOKEN": "xoxb-fromenv",
       "ZOOM_CLIENT_ID": "zid", "ZOOM_CLIENT_SECRET": "zsecret"}


def test_starter_config_has_every_source_and_reads_secrets_from_env() -> None:
    settings = parse_settings(STARTER, environ=ENV)
    assert list(settings.configured()) == ["prometheus", "grafana", "github", "slack", "zoom",
                                           "jira", "launchdarkly", "changes"]
    github = settings.github
    assert github is not None and github.token is not None
    assert github.token.get_secret_value() == "ghp_fromenv"
    assert github.token_env == "GITHUB_TOKEN"
    assert settings.jira is not None and settings.jira.token is None  # JIRA_TOKEN unset
    assert settings.jira.token_env == "JIRA_TOKEN" and settings.jira.api == "/rest/api/3"
    assert settings.zoom is not None and settings.zoom.client_secret is not None
    assert settings.lookback_seconds == 6 * 3600 and settings.padding_seconds == 1800
    assert settings.catalog.get("checkout").depends_on == ("payments",)  # type: ignore[union-attr]
    assert settings.slo["error_ratio"].count("{selector}") == 2
    assert "ghp_fromenv" not in repr(settings) and "ghp_fromenv" not in settings.model_dump_json()


def test_token_env_spelling_and_datacenter_jira() -> None:
    text = ('[sources.jira]\nbase_url = "https://jira.corp/"\nflavor = "datacenter"\n'
            'token_env = "JIRA_PAT"\n')
    settings = parse_settings(text, environ={"JIRA_PAT": "pat"})
    assert settings.jira is not None and settings.jira.token is not None
    assert settings.jira.token.get_secret_value() == "pat"
    assert settings.jira.base_url == "https://jira.corp" and settings.jira.api == "/rest/api/2"


@pytest.mark.parametrize("text,message", [
    ('[sources.github]\norg = "a"\ntoken = "ghp_literal"\n',
     "x.toml:3: sources.github.token: token must reference an environment variable"),
    ('[sources.gitlab]\nbase_url = "x"\n', "x.toml:1: sources.gitlab: unknown source"),
    ('[sources.grafana]\nbase_url = "g"\nbudget = "soon"\n',
     "x.toml:3: sources.grafana.budget: budget: expected a duration"),
    ('[sources.github]\nrepos = "acme/x"\n',
     "x.toml:2: sources.github.repos: Input should be a valid tuple"),
    ('[sources.github]\ncolour = 1\n', "x.toml:2: sources.github.colour: Extra inputs"),
    ('[[services]]\nname = "a"\n\n[[services]]\nrepos = ["x"]\n',
     "x.toml:4: services[1].name: Field required"),
    ('[sources.github\n', "x.toml:1: not valid TOML"),
    ('[slo]\nerror_ratio = "up"\n', "x.toml:1: slo: each signal is a PromQL string"),
    ('[sources.github]\npassword = {env = "P"}\n', "x.toml:2: sources.github.password"),
    ('[slo]\navailability = "up{{selector}}"\n', "x.toml:2: slo.availability: unknown signal"),
])
def test_errors_are_one_line_naming_file_line_and_field(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, where="x.toml", environ={})
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_config_is_found_in_the_working_directory(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="run 'afteraction init'"):
        find_config(cwd=tmp_path)
    written = write_starter_config(tmp_path / "afteraction.toml")
    monkeypatch.chdir(tmp_path)
    assert load_settings(environ={}).path == Path("afteraction.toml").resolve() or \
        load_settings(environ={}).path is not None
    assert find_config(cwd=tmp_path) == written
    with pytest.raises(ConfigError, match="already exists"):
        write_starter_config(written)
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "missing.toml")


def test_durations() -> None:
    assert parse_duration("90s") == 90 and parse_duration("6h") == 21600
    assert parse_duration("1d") == 86400 and parse_duration(30) == 30
    assert parse_duration("250ms") == 0.25
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration("6 hours")


def test_slo_signals_are_the_ones_the_prometheus_parser_reads() -> None:
    from afteraction.settings import SLO_UNITS
    from afteraction.sources.prometheus import SIGNALS

    assert set(SLO_UNITS) <= SIGNALS


MCP = '''[sources.prometheus]
grafana_datasource_uid = "prom-main"
step = "30s"

[sources.grafana]
web_url = "https://grafana.acme.io"

[sources.grafana.mcp]
command = "mcp-grafana"
env = {GRAFANA_URL = "https://grafana.corp", GRAFANA_SERVICE_ACCOUNT_TOKEN = {env = "GF"}}

[sources.jira]
incident_project = "INC"

[sources.jira.mcp]
url = "https://mcp.corp/jira"
headers = {Authorization = {env = "JIRA_MCP"}}
options = {base_url = "https://jira.corp", max_related = 50}
'''


def test_mcp_tables_need_no_native_token_and_default_their_options() -> None:
    settings = parse_settings(MCP, environ={"GF": "glsa_secret", "JIRA_MCP": "Bearer pat"})
    grafana, jira = settings.grafana, settings.jira
    assert grafana is not None and jira is not None and grafana.token is None
    assert grafana.base_url == "https://grafana.corp" and jira.base_url == "https://jira.corp"
    assert settings.served_by_mcp() == {"grafana": "grafana", "prometheus": "grafana",
                                        "jira": "jira"}
    assert grafana.mcp is not None and grafana.mcp.options == {
        "grafana_url": "https://grafana.corp", "web_url": "https://grafana.acme.io",
        "datasource_uid": "prom-main", "step_seconds": 30, "annotation_tags": [],
        "annotation_limit": 1000, "alert_history": True}
    assert jira.mcp is not None and jira.mcp.options == {
        "base_url": "https://jira.corp", "web_url": "https://jira.corp",
        "incident_project": "INC", "max_related": 50}
    server = grafana.mcp_server("sources.grafana.mcp")
    assert server.env == {"GRAFANA_URL": "https://grafana.corp",
                          "GRAFANA_SERVICE_ACCOUNT_TOKEN": "glsa_secret",
                          "GRAFANA_USAGE_STATS": "disabled"}
    assert jira.mcp_server("x").headers == {"Authorization": "Bearer pat"}
    dumped = repr(settings) + settings.model_dump_json()
    assert "glsa_secret" not in dumped and "Bearer pat" not in dumped


def test_an_unset_mcp_secret_fails_that_source_only_when_it_starts() -> None:
    settings = parse_settings(MCP, environ={})
    assert settings.jira is not None
    with pytest.raises(ConfigError, match=r"sources.jira.mcp: headers.Authorization names "
                                          r"\$JIRA_MCP, which is not set"):
        settings.jira.mcp_server("sources.jira.mcp")


def test_starter_config_mcp_examples_parse_when_uncommented() -> None:
    examples = ("# [sources.", "# command", "# env", "# options")  # only the mcp examples
    text = "\n".join(line[2:] if line.startswith(examples) else line
                     for line in STARTER.splitlines())
    assert "[sources.grafana.mcp]" in text and "[sources.jira.mcp]" in text
    settings = parse_settings(text, environ={"GRAFANA_TOKEN": "g", "JIRA_TOKEN": "j"})
    assert settings.served_by_mcp() == {"grafana": "grafana", "prometheus": "grafana",
                                        "jira": "jira"}
    assert settings.jira is not None and settings.jira.mcp is not None
    assert settings.jira.mcp.adapter == "mcp-atlassian"


@pytest.mark.parametrize("text,message", [
    (MCP.replace('{env = "GF"}', '"glsa_literal"'),
     "x.toml:10: sources.grafana.mcp.env.GRAFANA_SERVICE_ACCOUNT_TOKEN: must reference"),
    (MCP.replace('{env = "JIRA_MCP"}', '"Bearer x"'),
     "x.toml:17: sources.jira.mcp.headers.Authorization: must reference"),
    (MCP.replace('command = "mcp-grafana"\n', ''),
     "x.toml:8: sources.grafana.mcp: give exactly one of command or url"),
    (MCP.replace('url = "https://mcp.corp/jira"', 'url = "u"\nadapter = "mcp-grafana"'),
     "x.toml:17: sources.jira.mcp.adapter: mcp-grafana reads grafana, prometheus, not jira"),
    (MCP.replace('url = "https://mcp.corp/jira"', 'url = "u"\nadapter = "gitlab-mcp"'),
     "x.toml:17: sources.jira.mcp.adapter: Input should be"),
    (MCP.replace("max_related = 50", 'max_related = "many"'),
     "x.toml:18: sources.jira.mcp.options.max_related: Input should be a valid integer"),
    (MCP.replace("max_related = 50", "colour = 1"),
     "x.toml:18: sources.jira.mcp.options.colour: Extra inputs are not permitted"),
    (MCP.replace('command = "mcp-grafana"', 'command = "mcp-grafana"\nargs = "-v"'),
     "x.toml:10: sources.grafana.mcp.args: Input should be a valid tuple"),
    (MCP + '\n[sources.zoom.mcp]\ncommand = "zoom-mcp"\n',
     "x.toml:20: sources.zoom.mcp: no MCP adapter reads zoom"),
    (MCP + '\n[sources.prometheus.mcp]\ncommand = "mcp-grafana"\n',
     "x.toml:20: sources.prometheus.mcp: Prometheus is read through mcp-grafana"),
    ('[sources.github]\nrepos = ["a/b"]\nmcp = {command = "gh", options = {x = 1}}\n',
     "x.toml:3: sources.github.mcp.options: github-mcp-server takes no options"),
    ('[sources.grafana]\nbase_url = "g"\nmcp_secrets = {}\n',
     "x.toml:3: sources.grafana.mcp_secrets: unknown field"),
])
def test_mcp_errors_are_one_line_naming_file_line_and_field(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, where="x.toml", environ={})
    assert str(caught.value).startswith(message), str(caught.value)
    assert "\n" not in str(caught.value)
