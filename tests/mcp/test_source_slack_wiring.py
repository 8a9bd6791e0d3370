"""``[sources.slack.mcp]``: Slack read through slack-mcp-server, from the TOML to the capture.

The collection tests drive the route's Slack branch on the outputs recorded from the real
``slack-mcp-server`` 1.3.0 (``tests/fixtures/mcp/recorded/slack-mcp-server/``, see
``test_source_slack.py``): no server, no network.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import anyio
import pytest

from afteraction.bundle.manifest import SourceEntry
from afteraction.bundle.raw import RawCapture
from afteraction.collect import mcp_routes
from afteraction.errors import ConfigError
from afteraction.model.events import Event
from afteraction.model.incident import Incident, Window
from afteraction.settings import Settings, parse_settings
from afteraction.sources.base import ParseContext, get_parser
from afteraction.sources.live.base import CollectQuery
from afteraction.sources.mcp.client import McpServerConfig, ReplaySession, ToolCall
from afteraction.sources.mcp.slack import LIMITS
from tests.mcp.conftest import ROOT

RECORDED = ROOT / "tests" / "fixtures" / "mcp" / "recorded" / "slack-mcp-server"
WINDOW = Window(start=datetime(2026, 3, 10, 13, 35, tzinfo=UTC),
                end=datetime(2026, 3, 10, 15, 50, tzinfo=UTC))
SLACK = '''[sources.slack]
workspace = "acme"

[sources.slack.mcp]
command = "slack-mcp-server"
args = ["--transport", "stdio"]
env = {SLACK_MCP_XOXB_TOKEN = {env = "SLACK_TOKEN"}}
'''


def replay() -> ReplaySession:
    info = json.loads((RECORDED / "server.json").read_text(encoding="utf-8"))
    calls = [ToolCall(**json.loads(p.read_text(encoding="utf-8")))
             for p in sorted(RECORDED.glob("[0-9]*.json"))]
    return ReplaySession(McpServerConfig(name="slack-mcp-server", command="recorded"), calls,
                         set(info["tools"]))


def collect(settings: Settings, incident: Incident, session: ReplaySession
            ) -> tuple[dict[str, RawCapture], dict[str, SourceEntry]]:
    route = mcp_routes(settings)["slack"]
    assert route.fills == ("slack",) and route.adapter == "slack-mcp-server"
    query = CollectQuery(incident=incident, window=WINDOW, catalog=settings.catalog)
    return anyio.run(lambda: route.run(query, policy=None, session=session))


def events(capture: RawCapture, incident: Incident, entry: SourceEntry) -> list[Event]:
    parser = get_parser("slack")
    assert parser is not None
    ctx = ParseContext(incident=incident, window=WINDOW, catalog=Settings().catalog, entry=entry)
    return parser(capture, ctx).events


def test_slack_mcp_table_parses_with_defaults() -> None:
    settings = parse_settings(SLACK, environ={"SLACK_TOKEN": "xoxb-secret"})
    slack = settings.slack
    assert slack is not None and slack.mcp is not None and slack.token is None
    assert slack.mcp.adapter == "slack-mcp-server" and slack.mcp.options == {}
    assert (slack.base_url, slack.citation_url, slack.channel_pattern) == (
        "https://slack.com/api", "https://acme.slack.com", "inc-{number}")
    assert settings.served_by_mcp() == {"slack": "slack"}
    server = slack.mcp_server("sources.slack.mcp")
    assert (server.name, server.command, server.args, server.timeout) == (
        "slack-mcp-server", "slack-mcp-server", ("--transport", "stdio"), 60.0)
    assert server.env["SLACK_MCP_XOXB_TOKEN"] == "xoxb-secret"
    assert "xoxb-secret" not in repr(settings) + settings.model_dump_json()


@pytest.mark.parametrize("text,message", [
    (SLACK.replace('{env = "SLACK_TOKEN"}', '"xoxb-literal"'),
     "x.toml:7: sources.slack.mcp.env.SLACK_MCP_XOXB_TOKEN: must reference"),
    (SLACK + 'options = {channel = "inc-1"}\n',
     "x.toml:8: sources.slack.mcp.options: slack-mcp-server takes no options"),
    (SLACK.replace('args =', 'adapter = "mcp-grafana"\nargs ='),
     "x.toml:6: sources.slack.mcp.adapter: mcp-grafana reads grafana, prometheus, not slack"),
])
def test_slack_mcp_errors_name_file_line_and_field(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, where="x.toml", environ={})
    assert str(caught.value).startswith(message), str(caught.value)


def test_route_reads_the_pattern_channel_into_the_recorded_messages() -> None:
    settings = parse_settings(SLACK, environ={})
    incident = Incident(id="INC-42")  # no ticket channel: inc-{number} gives #inc-42
    session = replay()
    captures, entries = collect(settings, incident, session)
    assert [c.tool for c in session.calls] == ["channels_list", "conversations_history",
                                               "conversations_replies", "conversations_replies"]
    entry = entries["slack"]
    assert (entry.status, entry.base_url, entry.web_url) == (
        "ok", "https://slack.com/api", "https://acme.slack.com")
    assert LIMITS in entry.detail
    found = events(captures["slack"], incident, entry)
    assert len(found) == 11  # 7 channel messages, 4 thread replies
    by_ts = {e.attrs["ts"]: e for e in found}
    decision = by_ts["1773153120.000004"]
    assert decision.text == "Decision: roll back checkout to v1.8.2"
    assert decision.actor == "Carol Diaz"
    assert decision.at == datetime(2026, 3, 10, 14, 32, 0, 4, tzinfo=UTC)  # ts microseconds
    assert by_ts["1773153180.000130"].text == "rolling back now"
    assert by_ts["1773156000.000007"].text == "Resolved. Postmortem to follow."
    assert all(e.url and e.url.startswith("https://acme.slack.com/archives/C0INC42/")
               for e in found)
    history = next(r for r in captures["slack"].responses
                   if r.url.endswith("/api/conversations.history"))
    assert history.params["channel"] == "C0INC42"
    assert history.params["oldest"] == f"{WINDOW.start.timestamp():.6f}"


def test_the_tickets_channel_wins_over_the_pattern_and_a_missing_one_is_no_data() -> None:
    settings = parse_settings(SLACK.replace('workspace = "acme"', 'channel_pattern = "x-{id}"'),
                              environ={})
    captures, entries = collect(settings, Incident(id="INC-42", channel="#inc-42"), replay())
    assert entries["slack"].status == "ok"
    assert entries["slack"].web_url == "https://slack.com"  # no workspace configured
    assert "permalinks point at https://slack.com" in entries["slack"].detail
    captures, entries = collect(settings, Incident(id="INC-42"), replay())
    assert entries["slack"].status == "no_data"
    assert "channel #x-inc-42 not found" in entries["slack"].detail
    assert [r.url.rsplit("/api/", 1)[1] for r in captures["slack"].responses] == [
        "conversations.list"]


def test_a_failing_tool_is_the_sources_error_entry() -> None:
    session = ReplaySession(McpServerConfig(name="slack-mcp-server", command="recorded"), [
        ToolCall(tool="channels_list", arguments={
            "channel_types": "public_channel,private_channel", "limit": 999},
            text="not_authed", is_error=True)])
    captures, entries = collect(parse_settings(SLACK, environ={}), Incident(id="INC-42"),
                                session)
    assert captures == {}
    assert entries["slack"].status == "error"
    assert entries["slack"].detail.startswith("SourceError: slack-mcp-server")
    assert entries["slack"].detail.endswith("channels_list: not_authed")
