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
