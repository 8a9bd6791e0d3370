"""The draft through real MCP servers equals the draft through the native sources.

The stub fleet (Grafana with a Prometheus behind its datasource proxy, Jira Data Center) serves
incident INC-42. The native route is ``collect_live`` on the fleet; the MCP route runs the real
``mcp-grafana`` and ``mcp-atlassian`` against the same stubs and replaces the grafana, prometheus
and jira captures (and manifest entries) of that bundle. Both bundles go through
``pipeline.draft`` and are rendered as postmortem JSON.

The JSON is identical except, by design:

* ``provenance.queries`` of the three sources: the MCP route records
  ``CALL mcp://<server>/tools/<tool>/...`` where the native route recorded ``GET <stub URL>``;
* the evidence ids of Jira status changes (mcp-atlassian drops changelog history ids, so they
  are keyed by position): every place such an id appears is mapped before comparing.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import anyio
import pytest

from afteraction.bundle.store import Bundle
from afteraction.collect import collect_live
from afteraction.pipeline import draft
from afteraction.render import render_json
from afteraction.settings import Settings
from afteraction.sources.live.base import CollectQuery
from afteraction.sources.mcp.atlassian import JiraOptions, collect_jira, jira_entry
from afteraction.sources.mcp.client import McpServerConfig, open_session
from afteraction.sources.mcp.config import OFFLINE_ENV
from afteraction.sources.mcp.grafana import GrafanaOptions, collect_grafana
from tests.mcp.conftest import ROOT, installed
from tests.stubs import INCIDENT, TOKENS, Fleet

NOW = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)


def settings(fleet: Fleet) -> Settings:
    return fleet.settings(only=("prometheus", "grafana", "jira"))


def grafana_server(fleet: Fleet) -> McpServerConfig:
    binary = installed(ROOT / ".venv-mcp-grafana" / "bin" / "mcp-grafana")
    return McpServerConfig(name="mcp-grafana", command=str(binary),
                           env={"GRAFANA_URL": fleet.url("grafana"),
                                "GRAFANA_SERVICE_ACCOUNT_TOKEN": TOKENS["GRAFANA_TOKEN"],
                                **OFFLINE_ENV["mcp-grafana"]})


def atlassian_server(fleet: Fleet) -> McpServerConfig:
    binary = installed(ROOT / ".venv-mcp-atlassian" / "bin" / "mcp-atlassian")
    return McpServerConfig(name="mcp-atlassian", command=str(binary),
                           env={"JIRA_URL": fleet.url("jira"),
                                "JIRA_PERSONAL_TOKEN": TOKENS["JIRA_TOKEN"],
                                "READ_ONLY_MODE": "true", **OFFLINE_ENV["mcp-atlassian"]})


def through_mcp(fleet: Fleet, native: Bundle) -> Bundle:
    """The native bundle with grafana, prometheus and jira collected through MCP servers."""
    config = settings(fleet)
    manifest = native.manifest
    query = CollectQuery(incident=manifest.incident, window=manifest.window,
                         catalog=manifest.catalog, lookback_seconds=manifest.lookback_seconds,
                         baseline_seconds=manifest.baseline_seconds, slo=dict(config.slo))
    assert config.grafana is not None and config.jira is not None
    grafana = GrafanaOptions(grafana_url=fleet.url("grafana"), web_url=config.grafana.web_url,
                             datasource_uid="prom-main",
                             step_seconds=int(config.prometheus.step_seconds)
                             if config.prometheus else 60)
    jira = JiraOptions(base_url=fleet.url("jira"), web_url=config.jira.web_url,
                       incident_project=config.jira.incident_project)

    async def main() -> tuple[Any, Any]:
        async with open_session(grafana_server(fleet)) as session:
            metrics = await collect_grafana(session, grafana, query)
        async with open_session(atlassian_server(fleet)) as session:
            tickets = await collect_jira(session, INCIDENT, query, jira)
        return metrics, tickets

    metrics, tickets = anyio.run(main)
    captures = {**native.captures, **metrics.captures, "jira": tickets}
    entries = {**manifest.sources, **metrics.entries, "jira": jira_entry(tickets, jira)}
    return replace(native, captures=captures,
                   manifest=manifest.model_copy(update={"sources": entries}))


@pytest.fixture(scope="module")
def drafts(fleet: Fleet) -> tuple[Bundle, Bundle, dict[str, Any], dict[str, Any]]:
    native = collect_live(settings(fleet), INCIDENT, quiet=True, now=lambda: NOW)
    mcp = through_mcp(fleet, native)
    return (native, mcp, json.loads(render_json(draft(native))),
            json.loads(render_json(draft(mcp))))


def _status_changes(postmortem: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(time, text) -> evidence id of every Jira status change on the timeline."""
    return {(e["at"], e["text"]): e["id"] for e in postmortem["timeline"]
            if e["kind"] == "status_change"}


def test_every_source_collected_through_mcp(
        drafts: tuple[Bundle, Bundle, dict[str, Any], dict[str, Any]]) -> None:
    native, mcp, _, _ = drafts
    for name in ("grafana", "prometheus", "jira"):
        assert native.manifest.sources[name].status == "ok", native.manifest.sources[name]
        assert mcp.manifest.sources[name].status == "ok", mcp.manifest.sources[name]
        assert all(r.url.startswith("mcp://") for r in mcp.captures[name].responses)
    tools = {r.meta["mcp_tool"] for name in ("grafana", "prometheus")
             for r in mcp.captures[name].responses}
    assert tools == {"get_annotations", "grafana_api_request", "query_prometheus"}
    assert {r.meta["mcp_tool"] for r in mcp.captures["jira"].responses} == \
        {"jira_get_issue", "jira_search"}


def test_draft_through_mcp_equals_the_native_draft(
        drafts: tuple[Bundle, Bundle, dict[str, Any], dict[str, Any]]) -> None:
    _, _, native, mcp = drafts
    assert native["key_metrics"] and native["sources"]["prometheus"]["series"] >= 4
    kinds = {e["kind"] for e in mcp["timeline"]}
    assert {"alert", "ticket", "status_change"} <= kinds, kinds
    assert mcp["sources"]["grafana"]["events"] >= 4
    # status changes are keyed by what changed and when, so they agree although mcp-atlassian
    # drops the changelog history ids
    native_ids, mcp_ids = _status_changes(native), _status_changes(mcp)
    assert native_ids == mcp_ids and len(native_ids) >= 3
    for name in ("grafana", "prometheus", "jira"):
        assert mcp["provenance"]["queries"][name] != native["provenance"]["queries"][name]
        assert all(line.startswith("CALL mcp://") for line in mcp["provenance"]["queries"][name])
        del mcp["provenance"]["queries"][name], native["provenance"]["queries"][name]
    assert mcp == native
