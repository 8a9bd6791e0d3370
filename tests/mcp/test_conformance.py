"""The MCP conformance suite against ``afteraction mcp --http``; expected failures in a baseline."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.mcp.conftest import NPM_BIN, ROOT, installed, node_env
from tests.mcp.test_transports import start_http, stop

BASELINE = ROOT / "tests" / "fixtures" / "mcp" / "conformance-baseline.yml"


def test_conformance_suite_passes_against_the_http_server(bundles_dir: Path, corpus_url: str,
                                                          tmp_path: Path) -> None:
    conformance = installed(NPM_BIN / "conformance")
    env = node_env()
    server = start_http(bundles_dir, corpus_url, None)
    try:
        done = subprocess.run([str(conformance), "server", "--url", server.url,
                               "--expected-failures", str(BASELINE), "-o", str(tmp_path)],
                              env=env, capture_output=True, text=True, timeout=150)
    finally:
        stop(server)
    summary = done.stdout[done.stdout.find("=== SUMMARY ==="):]
    assert done.returncode == 0, summary + done.stderr[-2000:]
    for scenario in ("server-initialize", "ping", "tools-list", "tools-call-error",
                     "resources-list", "prompts-list", "dns-rebinding-protection",
                     "server-sse-multiple-streams"):
        assert f"✓ {scenario}:" in summary, scenario
