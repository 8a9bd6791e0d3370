"""No token in any bundle or log: this module runs after the other live tests and reads every
file they wrote under the session's temporary directory, and the logs of a debug-level run."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from afteraction.collect import capture, check_sources
from afteraction.sources.live.http import HttpPolicy
from tests.stubs import INCIDENT, SECRETS, Fleet


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def test_debug_run_logs_and_bundle_hold_no_token(fleet: Fleet, quick: HttpPolicy,
                                                 tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings = fleet.settings()
    fleet.faults("launchdarkly").auth_fail = True  # an error detail lands in the manifest too
    bundle = capture(settings, INCIDENT, tmp_path / "bundle", quiet=True, policy=quick)
    health = check_sources(settings, policy=quick)
    assert bundle.manifest.sources["launchdarkly"].status == "error"
    assert caplog.records, "expected httpx/httpcore debug records"
    assert _leaks(caplog.text) == []
    assert _leaks(repr(settings)) == [] and _leaks(settings.model_dump_json()) == []
    assert _leaks(repr(health)) == []
    for file in (tmp_path / "bundle").rglob("*"):
        if file.is_file():
            text = file.read_bytes().decode("utf-8", "replace")
            assert _leaks(text) == [], file
            assert "authorization" not in text.lower() or file.suffix == ".vtt", file


def test_nothing_the_suite_wrote_holds_a_token(tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.getbasetemp()
    scanned = 0
    for file in root.rglob("*"):
        if not file.is_file() or file.stat().st_size > 20_000_000:
            continue
        scanned += 1
        data = file.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data, f"{secret[:6]}... found in {file}"
    assert scanned > 10


def test_cli_error_output_holds_no_token(fleet: Fleet, tmp_path: Path) -> None:
    from afteraction.cli import app
    from tests.stubs import TOKENS

    config = tmp_path / "afteraction.toml"
    config.write_text(fleet.toml(only=("github", "zoom")), encoding="utf-8")
    fleet.faults("github").auth_fail = True
    fleet.faults("zoom").auth_fail = True
    result = CliRunner().invoke(app, ["capture", INCIDENT, "-o", str(tmp_path / "b"),
                                      "--since", "2026-03-10T13:35:00Z", "--until",
                                      "2026-03-10T15:50:00Z", "--config", str(config)],
                                env=TOKENS)
    assert "Bad credentials" in result.output
    assert _leaks(result.output) == []
