"""The MCP Inspector CLI lists the tools and calls the draft tool: the command docs/mcp.md shows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.mcp.conftest import NPM_BIN, installed, node_env


def inspector(*args: str) -> dict[str, object]:
    command = [str(installed(NPM_BIN / "mcp-inspector")), "--cli",
               sys.executable, "-m", "afteraction.mcp", *args]
    done = subprocess.run(command, env=node_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_inspector_lists_tools_and_drafts(demo_bundle: Path) -> None:
    listed = inspector("--method", "tools/list")
    names = {t["name"] for t in listed["tools"]}  # type: ignore[attr-defined]
    assert {"draft_postmortem", "get_suspects", "search_postmortems"} <= names
    called = inspector("--method", "tools/call", "--tool-name", "draft_postmortem",
                       "--tool-arg", "incident_id=INC-4721",
                       "--tool-arg", f"bundle_path={demo_bundle}")
    structured = called["structuredContent"]
    assert structured["postmortem"]["incident"]["id"] == "INC-4721"  # type: ignore[index]
    assert structured["markdown_uri"] == "afteraction://drafts/INC-4721.md"  # type: ignore[index]
