"""The command line, end to end in subprocesses, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = [[], ["demo"], ["draft"], ["timeline"], ["suspects"], ["bundle"], ["mcp"], ["eval"],
            ["bundle", "generate"], ["corpus"], ["init"], ["capture"], ["sources"]]


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from afteraction.cli import main; main()",
                           *args], capture_output=True, text=True, cwd=cwd, timeout=180)


def test_demo_writes_three_files_and_a_summary(tmp_path: Path) -> None:
    proc = _run("demo", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "afteraction-demo"
    for name in ("postmortem.md", "postmortem.json", "postmortem.html"):
        assert (folder / name).stat().st_size > 2000, name
    assert (folder / "bundle" / "manifest.json").is_file()
    assert "TTD" in proc.stderr and "TTM" in proc.stderr
    assert "top suspect: Deploy of inventory v2.14.0" in proc.stderr
    data = json.loads((folder / "postmortem.json").read_text())
    assert data["incident"]["id"] == "INC-4721"


def test_bundle_generate_then_draft_each_format(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    assert _run("bundle", "generate", "--seed", "4721", "-o", str(bundle)).returncode == 0
    md = _run("draft", "--bundle", str(bundle))
    assert md.returncode == 0 and md.stdout.startswith("# INC-4721")
    out = tmp_path / "pm.json"
    js = _run("draft", "--bundle", str(bundle), "--format", "json", "-o", str(out))
    assert js.returncode == 0 and json.loads(out.read_text())["suspects"]
    both = _run("draft", "--bundle", str(bundle), "--format", "all", "-o", str(tmp_path / "all"))
    assert both.returncode == 0
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == [
        "postmortem.html", "postmortem.json", "postmortem.md"]


def test_timeline_and_suspects(demo_bundle: Path) -> None:
    tl = _run("timeline", "--bundle", str(demo_bundle))
    assert tl.returncode == 0 and "INC-4721 timeline" in tl.stdout
    sus = _run("suspects", "--bundle", str(demo_bundle), "--limit", "3")
    assert sus.returncode == 0
    first = sus.stdout.splitlines()[0]
    assert first.startswith("1. Deploy of inventory v2.14.0")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "root")
def test_every_command_has_help(command: list[str]) -> None:
    proc = _run(*command, "--help")
    assert proc.returncode == 0, proc.stderr
    assert "Usage" in proc.stdout
    assert len(proc.stdout.strip()) > 100


def test_draft_needs_an_incident_or_a_bundle() -> None:
    proc = _run("draft")
    assert proc.returncode == 2
    assert "give an incident id to collect live, or --bundle DIR" in proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr


def test_eval_scores_a_family() -> None:
    proc = _run("eval", "--family", "bad_deploy", "--per-family", "2")
    assert proc.returncode == 0, proc.stderr
    assert "bad_deploy" in proc.stdout and "top-1" in proc.stdout
    bad = _run("eval", "--family", "nope")
    assert bad.returncode == 2 and "unknown families nope" in bad.stderr
    assert "internal error" not in bad.stderr
