"""The live-source commands: init, capture, sources check."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from afteraction.bundle.store import read_bundle
from afteraction.collect_cli import register
from afteraction.settings import load_settings
from tests.stubs import INCIDENT, TOKENS, Fleet


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """afteraction"""

    register(app)
    return app


def test_init_writes_a_config_that_loads(tmp_path: Path) -> None:
    target = tmp_path / "afteraction.toml"
    result = CliRunner().invoke(_app(), ["init", str(target)])
    assert result.exit_code == 0, result.output
    settings = load_settings(target, environ={"GITHUB_TOKEN": "x"})
    assert set(settings.configured()) == {"prometheus", "grafana", "github", "slack", "zoom",
                                          "jira", "launchdarkly", "changes"}
    again = CliRunner().invoke(_app(), ["init", str(target)])
    assert again.exit_code == 3
    assert "already exists" in again.output


def test_capture_command_writes_the_bundle(fleet: Fleet, tmp_path: Path) -> None:
    config = tmp_path / "afteraction.toml"
    config.write_text(fleet.toml(), encoding="utf-8")
    out = tmp_path / "bundle"
    result = CliRunner().invoke(_app(), ["capture", INCIDENT, "-o", str(out), "--config",
                                         str(config), "--quiet"], env=TOKENS)
    assert result.exit_code == 0, result.output
    assert "7 sources captured" in result.output
    assert read_bundle(out).manifest.incident.id == INCIDENT


def test_capture_shows_progress_unless_quiet(fleet: Fleet, tmp_path: Path) -> None:
    config = tmp_path / "afteraction.toml"
    config.write_text(fleet.toml(only=("jira", "github")), encoding="utf-8")
    result = CliRunner().invoke(_app(), ["capture", INCIDENT, "-o", str(tmp_path / "b"),
                                         "--config", str(config)], env=TOKENS)
    assert result.exit_code == 0, result.output
    assert "github" in result.output and "pages" in result.output


def test_bad_config_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "afteraction.toml"
    config.write_text('[sources.github]\ntoken = "ghp_literal"\n', encoding="utf-8")
    result = CliRunner().invoke(_app(), ["capture", INCIDENT, "-o", str(tmp_path / "b"),
                                         "--config", str(config)])
    assert result.exit_code == 3
    assert f"{config}:2: sources.github.token" in result.output.replace("\n", "")
    assert "Traceback" not in result.output


def test_sources_check_command(fleet: Fleet, tmp_path: Path) -> None:
    config = tmp_path / "afteraction.toml"
    config.write_text(fleet.toml(only=("github", "slack")), encoding="utf-8")
    ok = CliRunner().invoke(_app(), ["sources", "check", "--config", str(config)], env=TOKENS)
    assert ok.exit_code == 0, ok.output
    assert "github" in ok.output and "slack" in ok.output
    fleet.faults("slack").auth_fail = True
    bad = CliRunner().invoke(_app(), ["sources", "check", "--config", str(config)], env=TOKENS)
    assert bad.exit_code == 4
    assert "invalid_auth" in bad.output
