"""``afteraction draft INC-42`` with Grafana and Jira configured as MCP servers in the TOML.

The stub fleet (Grafana with Prometheus behind its datasource proxy, Jira Data Center, and the
native stubs of GitHub, Slack, Zoom and LaunchDarkly) serves INC-42. The native draft comes from
``collect_live`` on a config with every source native; the MCP draft from the CLI, in a
subprocess, on an ``afteraction.toml`` whose ``[sources.grafana.mcp]`` starts the real
``mcp-grafana`` and whose ``[sources.jira.mcp]`` starts the real ``mcp-atlassian`` (no native
token for either). The two drafts agree on every finding; the provenance names the MCP tools.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from afteraction.collect import check_sources, collect_live
from afteraction.errors import SourceError
from afteraction.pipeline import draft
from afteraction.render import render_json
from afteraction.settings import parse_settings
from afteraction.sources.mcp.client import McpServerConfig, open_session
from tests.mcp.conftest import ROOT, installed
from tests.stubs import INCIDENT, TOKENS, Fleet

NOW = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
NATIVE = ("github", "slack", "zoom", "launchdarkly")
FINDINGS = ("incident", "window", "title", "summary", "impact", "affected_services",
            "impact_start", "detected_at", "detection_method", "mitigated_at", "mitigation_type",
            "mitigation_ref", "recovered_at", "resolved_at", "ttd_seconds", "ttm_seconds",
            "ttr_seconds", "trigger", "confident", "suspects", "decisions", "related")


def mcp_sections(fleet: Fleet, *, grafana: str | None = None, jira: str | None = None,
                 jira_token: str = "JIRA_TOKEN") -> str:
    """Grafana and Jira read through their MCP servers; neither has a native token."""
    grafana = grafana or str(installed(ROOT / ".venv-mcp-grafana" / "bin" / "mcp-grafana"))
    jira = jira or str(installed(ROOT / ".venv-mcp-atlassian" / "bin" / "mcp-atlassian"))
    return f'''
[sources.grafana]
web_url = "https://grafana.acme.io"

[sources.grafana.mcp]
command = "{grafana}"
env = {{GRAFANA_URL = "{fleet.url("grafana")}", GRAFANA_SERVICE_ACCOUNT_TOKEN = {{env = "GRAFANA_TOKEN"}}}}

[sources.jira]
web_url = "https://acme.atlassian.net"
flavor = "datacenter"
incident_project = "INC"

[sources.jira.mcp]
command = "{jira}"
env = {{JIRA_URL = "{fleet.url("jira")}", JIRA_PERSONAL_TOKEN = {{env = "{jira_token}"}}, READ_ONLY_MODE = "true"}}

'''


def mcp_toml(fleet: Fleet, **kwargs: Any) -> str:
    # the native [sources.prometheus] reads through Grafana's datasource "prom-main": with
    # [sources.grafana.mcp] that datasource is queried through mcp-grafana instead
    return fleet.toml(only=("prometheus", *NATIVE), extra=mcp_sections(fleet, **kwargs))


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "afteraction"
    assert exe.exists(), f"{exe} missing: install afteraction into the venv (pip install -e .)"
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd), **TOKENS}
    return subprocess.run([str(exe), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.fixture(scope="module")
def drafts(fleet: Fleet, tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[dict[str, Any], dict[str, Any], Path]:
    native = collect_live(fleet.settings(), INCIDENT, quiet=True, now=lambda: NOW)
    folder = tmp_path_factory.mktemp("wiring")
    (folder / "afteraction.toml").write_text(mcp_toml(fleet), encoding="utf-8")
    result = cli("draft", INCIDENT, "--format", "json", "--quiet", "--keep-capture",
                 str(folder / "bundle"), cwd=folder)
    assert result.returncode == 0, result.stderr[-3000:]
    # mcp-grafana logs "level=INFO msg=..." on stderr: it goes to afteraction's debug log
    assert "level=INFO" not in result.stderr and "msg=" not in result.stderr, result.stderr
    return json.loads(render_json(draft(native))), json.loads(result.stdout), folder


def test_grafana_prometheus_and_jira_are_collected_through_mcp(
        drafts: tuple[dict[str, Any], dict[str, Any], Path]) -> None:
    native, mcp, folder = drafts
    for name in ("grafana", "prometheus", "jira", *NATIVE):
        assert mcp["sources"][name]["status"] == "ok", (name, mcp["sources"][name])
        assert mcp["sources"][name] == native["sources"][name], name
    assert mcp["sources"]["prometheus"]["series"] >= 4
    assert mcp["sources"]["grafana"]["events"] >= 4 and mcp["sources"]["jira"]["events"] >= 3
    queries = mcp["provenance"]["queries"]
    for name in ("grafana", "prometheus", "jira"):
        assert queries[name] and all(q.startswith("CALL mcp://") for q in queries[name]), name
    assert any("mcp://mcp-grafana/tools/query_prometheus/" in q for q in queries["prometheus"])
    assert any("mcp://mcp-atlassian/tools/jira_get_issue" in q for q in queries["jira"])
    for name in NATIVE:
        assert queries[name] == native["provenance"]["queries"][name], name
    kept = "".join(p.read_text(encoding="utf-8", errors="replace")
                   for p in (folder / "bundle").rglob("*") if p.is_file())
    assert "mcp://mcp-grafana/tools/get_annotations/api/annotations" in kept
    assert not [secret for secret in TOKENS.values() if secret in kept]


def test_draft_through_configured_mcp_servers_equals_the_native_draft(
        drafts: tuple[dict[str, Any], dict[str, Any], Path]) -> None:
    native, mcp, _ = drafts
    assert mcp["impact_start"] == native["impact_start"] == "2026-03-10T13:55:00Z"
    assert mcp["resolved_at"] == native["resolved_at"] == "2026-03-10T15:20:00Z"
    assert mcp["window"] == native["window"] == {"start": "2026-03-10T13:35:00Z",
                                                 "end": "2026-03-10T15:50:00Z"}
    assert mcp["incident"]["channel"] == "inc-42" and mcp["incident"]["severity"] == "P1"
    assert [s["id"] for s in mcp["suspects"]] == [s["id"] for s in native["suspects"]]
    assert mcp["suspects"][0]["score"] == native["suspects"][0]["score"] > 0.9
    for key in FINDINGS:
        assert mcp[key] == native[key], key
    assert mcp["key_metrics"] == native["key_metrics"]


def test_a_server_that_cannot_start_is_an_error_entry_and_the_rest_go_on(fleet: Fleet) -> None:
    text = mcp_toml(fleet, grafana=str(ROOT / "no-such-mcp-grafana"), jira="/bin/true",
                    jira_token="UNSET_JIRA_TOKEN")
    settings = parse_settings(text, environ=TOKENS)
    assert settings.grafana is not None and settings.grafana.token is None
    bundle = collect_live(settings, INCIDENT, "2026-03-10T13:35:00Z", "2026-03-10T15:50:00Z",
                          quiet=True, now=lambda: NOW)
    sources = bundle.manifest.sources
    for name in ("grafana", "prometheus"):
        assert sources[name].status == "error"
        assert sources[name].detail.startswith("SourceError: mcp-grafana: cannot start MCP "
                                               "server"), sources[name].detail
    assert sources["jira"].status == "error"
    assert "names $UNSET_JIRA_TOKEN, which is not set" in sources["jira"].detail
    assert {name: sources[name].status for name in NATIVE} == dict.fromkeys(NATIVE, "ok")
    assert set(bundle.captures) == set(NATIVE)
    shown = json.loads(render_json(draft(bundle)))["sources"]
    assert shown["grafana"]["status"] == "error" and "cannot start" in shown["grafana"]["detail"]
    assert shown["launchdarkly"]["status"] == "ok" and shown["launchdarkly"]["events"] > 0


def test_a_literal_secret_in_an_mcp_table_is_one_line_naming_file_line_and_field(
        fleet: Fleet, tmp_path: Path) -> None:
    text = mcp_toml(fleet).replace('GRAFANA_SERVICE_ACCOUNT_TOKEN = {env = "GRAFANA_TOKEN"}',
                                   'GRAFANA_SERVICE_ACCOUNT_TOKEN = "glsa_literal"')
    (tmp_path / "afteraction.toml").write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), start=1)
                if "glsa_literal" in row)
    result = cli("draft", INCIDENT, "--format", "json", "--quiet", cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    assert f"afteraction.toml:{line}: sources.grafana.mcp.env.GRAFANA_SERVICE_ACCOUNT_TOKEN: " \
           "must reference an environment variable" in message, message
    assert "glsa_literal" not in message


def test_sources_check_starts_each_mcp_server_and_lists_its_tools(fleet: Fleet) -> None:
    settings = parse_settings(fleet.toml(only=("slack",), extra=mcp_sections(fleet)),
                              environ=TOKENS)
    health = {h.source: h for h in check_sources(settings)}
    assert set(health) == {"slack", "grafana", "jira"}
    for name, server in (("grafana", "mcp-grafana"), ("jira", "mcp-atlassian")):
        assert health[name].ok, health[name]
        assert health[name].detail.startswith(f"through {server} ("), health[name].detail


CHATTY_SERVER = """
import sys
print("level=INFO msg=starting", file=sys.stderr, flush=True)
from mcp.server.mcpserver import MCPServer
app = MCPServer("chatty")
@app.tool()
def ping() -> str:
    print("level=INFO msg=ping", file=sys.stderr, flush=True)
    return "pong"
app.run()
"""


def test_a_servers_stderr_goes_to_the_debug_log_not_the_terminal(
        capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    import anyio

    async def ping() -> str:
        server = McpServerConfig(name="chatty", command=sys.executable, args=("-c", CHATTY_SERVER))
        async with open_session(server) as session:
            return (await session.call("ping", {})).text

    with caplog.at_level(logging.DEBUG, logger="afteraction.sources.mcp.client"):
        assert anyio.run(ping) == "pong"
    assert "level=INFO" not in capfd.readouterr().err
    assert [(r.levelno, r.getMessage()) for r in caplog.records
            if r.name == "afteraction.sources.mcp.client"] == [
        (logging.DEBUG, "chatty: level=INFO msg=starting"),
        (logging.DEBUG, "chatty: level=INFO msg=ping")]


def test_a_server_that_exits_at_start_names_its_last_stderr_lines(
        capfd: pytest.CaptureFixture[str]) -> None:
    import anyio

    lines = [f"level=INFO msg=step{n}" for n in range(8)] + ["fatal: GRAFANA_URL unreachable"]
    script = "import sys\n" + "".join(f"print({line!r}, file=sys.stderr)\n" for line in lines) \
        + "sys.exit(3)\n"

    async def start() -> None:
        server = McpServerConfig(name="mcp-grafana", command=sys.executable, args=("-c", script))
        async with open_session(server):
            pass

    with pytest.raises(SourceError) as caught:
        anyio.run(start)
    assert str(caught.value) == (
        "mcp-grafana: the server stopped answering (Connection closed); its stderr ends: "
        "level=INFO msg=step4 | level=INFO msg=step5 | level=INFO msg=step6 | "
        "level=INFO msg=step7 | fatal: GRAFANA_URL unreachable")
    assert "level=INFO" not in capfd.readouterr().err
