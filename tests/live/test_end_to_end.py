"""``afteraction draft`` live against the stubs and a real Prometheus equals the replayed capture."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from afteraction.cli import app
from tests.stubs import INCIDENT, TOKENS, Fleet

CAPTURE_METADATA = ("captured_at", "tool_version", "generated_at")


def _strip(value: Any) -> Any:
    """Drop capture metadata keys anywhere in the document."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in CAPTURE_METADATA}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def test_live_draft_equals_replayed_bundle(real_prometheus: str, tmp_path: Path) -> None:
    runner = CliRunner()
    with Fleet(prometheus_url=real_prometheus) as fleet:
        config = tmp_path / "afteraction.toml"
        config.write_text(fleet.toml(budget="15s"), encoding="utf-8")
        live = runner.invoke(app, ["draft", INCIDENT, "--config", str(config), "--format",
                                   "json", "-o", str(tmp_path / "live.json"), "--keep-capture",
                                   str(tmp_path / "bundle"), "--quiet"], env=TOKENS)
    assert live.exit_code == 0, live.output
    replay = runner.invoke(app, ["draft", "--bundle", str(tmp_path / "bundle"), "--format",
                                 "json", "-o", str(tmp_path / "replay.json")])
    assert replay.exit_code == 0, replay.output
    live_text = (tmp_path / "live.json").read_text(encoding="utf-8")
    replay_text = (tmp_path / "replay.json").read_text(encoding="utf-8")
    live_doc, replay_doc = json.loads(live_text), json.loads(replay_text)
    assert _strip(live_doc) == _strip(replay_doc)
    # The capture metadata is the manifest's own, so the two files agree byte for byte.
    assert live_text == replay_text
    assert {n: s["status"] for n, s in live_doc["sources"].items()} == {
        "prometheus": "ok", "grafana": "ok", "github": "ok", "slack": "ok", "zoom": "ok",
        "jira": "ok", "launchdarkly": "ok", "changes": "missing"}
    assert live_doc["impact_start"].startswith("2026-03-10T13:5")
    assert live_doc["affected_services"] == ["checkout"]
