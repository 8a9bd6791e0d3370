"""Jira through the real ``mcp-atlassian`` server, run against the local Jira (Data Center) stub.

The reference is the stub's own REST answers for the same tickets read by the native parser: the
events through MCP must be the same, ids included (status changes are keyed by content, so the
history ids mcp-atlassian drops do not matter).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import anyio
import httpx
import pytest

from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.model.incident import Catalog, Incident, Window
from afteraction.sources.base import ParseContext
from afteraction.sources.jira import parse
from afteraction.sources.mcp.atlassian import collect_jira
from afteraction.sources.mcp.client import McpServerConfig, open_session
from afteraction.sources.mcp.config import OFFLINE_ENV
from tests.mcp.conftest import ROOT, installed

if str(ROOT / "tests") not in sys.path:
    sys.path.append(str(ROOT / "tests"))  # the stubs import each other as ``stubs.*``

from stubs.jira import JiraStub
from stubs.runner import StubServer

KEY = "INC-42"


@pytest.fixture(scope="module")
def jira() -> Iterator[tuple[StubServer, JiraStub]]:
    app = JiraStub(flavor="dc")
    server = StubServer(app).start()
    yield server, app
    server.stop()


def ctx() -> ParseContext:
    return ParseContext(incident=Incident(id=KEY, ticket=KEY),
                        window=Window(start=datetime(2026, 3, 10, 13, 0, tzinfo=UTC),
                                      end=datetime(2026, 3, 10, 16, 0, tzinfo=UTC)),
                        catalog=Catalog())


def native_capture(url: str, token: str) -> RawCapture:
    headers = {"Authorization": f"Bearer {token}"}
    issue = httpx.get(f"{url}/rest/api/2/issue/{KEY}", params={"expand": "changelog"},
                      headers=headers)
    links = issue.json()["fields"]["issuelinks"]
    keys = ", ".join(x["outwardIssue"]["key"] for x in links)
    search = httpx.get(f"{url}/rest/api/2/search", headers=headers,
                       params={"jql": f"key in ({keys}) ORDER BY key", "expand": "changelog"})
    return RawCapture("jira", (RawResponse(url=str(issue.url), body=issue.content),
                               RawResponse(url=str(search.url), body=search.content)))


def comparable(events: list[Any]) -> list[tuple[Any, ...]]:
    return sorted((e.kind, e.at, e.text, e.actor, e.url, e.services, e.id) for e in events)


def test_draft_events_through_mcp_atlassian_equal_the_native_ones(
        jira: tuple[StubServer, JiraStub]) -> None:
    server, app = jira
    binary = installed(ROOT / ".venv-mcp-atlassian" / "bin" / "mcp-atlassian")
    config = McpServerConfig(name="mcp-atlassian", command=str(binary),
                             env={"JIRA_URL": server.url, "JIRA_PERSONAL_TOKEN": app.token,
                                  "READ_ONLY_MODE": "true", **OFFLINE_ENV["mcp-atlassian"]})

    async def main() -> RawCapture:
        async with open_session(config) as session:
            return await collect_jira(session, KEY)
    through_mcp = parse(anyio.run(main), ctx()).events
    native = parse(native_capture(server.url, app.token), ctx()).events
    assert len(through_mcp) == len(native) >= 5
    assert comparable(through_mcp) == comparable(native)
    kinds = {e.kind for e in through_mcp}
    assert kinds == {"ticket", "status_change"}
