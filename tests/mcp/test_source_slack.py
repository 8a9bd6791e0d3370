"""Slack adapter on outputs recorded from the real ``slack-mcp-server``.

``scripts/record-slack-mcp`` ran ``slack-mcp-server`` 1.3.0 against the Slack stub through a
TLS-intercepting proxy on loopback (the server has no API URL setting, only a proxy and a CA) and
saved every tool result under ``tests/fixtures/mcp/recorded/slack-mcp-server/``. Here the adapter
replays them and its events are compared with the native source's, collected live from the stub.
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
from afteraction.errors import SourceError
from afteraction.model.events import Event
from afteraction.sources.base import ParseContext, get_parser
from afteraction.sources.mcp.client import McpServerConfig, ReplaySession, ToolCall
from afteraction.sources.mcp.slack import LIMITS, collect_slack, to_message
from tests.mcp.conftest import ROOT
from tests.stubs import INCIDENT, Fleet

RECORDED = ROOT / "tests" / "fixtures" / "mcp" / "recorded" / "slack-mcp-server"
START = datetime(2026, 3, 10, 7, 35, tzinfo=UTC)
WINDOW = (datetime(2026, 3, 10, 13, 35, tzinfo=UTC), datetime(2026, 3, 10, 15, 50, tzinfo=UTC))
NOW = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
WORKSPACE = "https://acme.slack.com"
HEADER = ("MsgID,UserID,UserName,RealName,Channel,ThreadTs,Text,Time,Permalink,Reactions,"
          "BotName,FileCount,AttachmentIDs,HasMedia,Cursor")


def recorded() -> ReplaySession:
    if not (RECORDED / "server.json").is_file():
        pytest.fail(f"{RECORDED.relative_to(ROOT)} has no recording: run "
                    "scripts/record-slack-mcp", pytrace=False)
    info = json.loads((RECORDED / "server.json").read_text())
    calls = [ToolCall(**json.loads(p.read_text())) for p in sorted(RECORDED.glob("[0-9]*.json"))]
    return ReplaySession(McpServerConfig(name="slack-mcp-server", command="recorded"), calls,
                         set(info["tools"]))


@pytest.fixture(scope="module")
def native() -> Iterator[Any]:
    with Fleet() as fleet:
        settings = fleet.settings(only=("slack",))
        yield collect_live(settings, INCIDENT, WINDOW[0], WINDOW[1], quiet=True,
                           now=lambda: NOW)


def events(capture: RawCapture, bundle: Any) -> list[Event]:
    parser = get_parser("slack")
    assert parser is not None
    manifest = bundle.manifest
    ctx = ParseContext(incident=manifest.incident, window=manifest.window,
                       catalog=manifest.catalog, entry=manifest.sources["slack"])
    return parser(capture, ctx).events


def comparable(found: list[Event]) -> dict[str, tuple[Any, ...]]:
    return {e.attrs["ts"]: (e.id, e.kind, e.at, e.text, e.actor, e.url, e.services,
                   json.dumps(e.attrs, sort_keys=True, default=str)) for e in found}


def test_recording_names_its_server_version_and_how_it_was_made() -> None:
    info = json.loads((RECORDED / "server.json").read_text())
    assert info["package"] == "slack-mcp-server==1.3.0"
    assert info["config"]["env"]["SLACK_MCP_PROXY"] == "<intercepting proxy>"
    assert info["config"]["env"]["SLACK_MCP_XOXB_TOKEN"] == "<token>"
    assert "POST /api/conversations.history" in info["slack_api_requests"]


def test_slack_through_recorded_outputs_equals_native_but_for_the_bot(native: Any) -> None:
    session = recorded()
    result = anyio.run(collect_slack, session, "#inc-42", START, WINDOW[1], WORKSPACE)
    assert [c.tool for c in session.calls] == ["channels_list", "conversations_history",
                                               "conversations_replies", "conversations_replies"]
    through_mcp = comparable(events(result.capture, native))
    reference = comparable(events(native.captures["slack"], native))
    assert len(through_mcp) == len(reference) == 11  # 7 channel messages, 4 thread replies
    differing = sorted(k for k in reference if through_mcp[k] != reference[k])
    # pagerbot's post: the server's CSV has no subtype/bot id/username, so the adapter cannot
    # tell a bot; everything else (ids, times, text, permalinks, threads, reply counts) agrees
    assert differing == ["1773151500.000001"]
    mcp_bot = next(e for e in events(result.capture, native)
                   if e.attrs["ts"] == "1773151500.000001")
    native_bot = next(e for e in events(native.captures["slack"], native)
                      if e.attrs["ts"] == "1773151500.000001")
    assert (native_bot.actor, native_bot.attrs.get("bot")) == ("pagerbot", True)
    assert (mcp_bot.actor, mcp_bot.attrs.get("bot"), mcp_bot.attrs["user_id"]) == (
        "Pager Bot", None, "U0PAGER")
    assert (mcp_bot.text, mcp_bot.at, mcp_bot.url) == (native_bot.text, native_bot.at,
                                                       native_bot.url)


def test_thread_parents_keep_reply_counts_and_reply_permalinks() -> None:
    result = anyio.run(collect_slack, recorded(), "#inc-42", START, WINDOW[1], WORKSPACE)
    methods = [r.url.rsplit("/api/", 1)[1] for r in result.capture.responses]
    assert methods == ["auth.test", "conversations.list", "conversations.history",
                       "conversations.replies", "conversations.replies", "users.list"]
    history = result.capture.responses[2].json()["messages"]
    assert {m["ts"]: m.get("reply_count") for m in history if "thread_ts" in m} == {
        "1773153120.000004": 1, "1773151620.000002": 3}
    assert result.capture.responses[2].params["channel"] == "C0INC42"


def test_entry_says_what_the_server_cannot_express() -> None:
    result = anyio.run(collect_slack, recorded(), "#inc-42", START, WINDOW[1], WORKSPACE)
    entry = result.entry("mcp://slack-mcp-server", WORKSPACE)
    assert entry.status == "ok"
    assert LIMITS in entry.detail


def test_window_is_filtered_from_the_count_paged_history() -> None:
    end = datetime(2026, 3, 10, 14, 25, tzinfo=UTC)
    result = anyio.run(collect_slack, recorded(), "#inc-42", START, end, WORKSPACE)
    history = result.capture.responses[2].json()["messages"]
    assert [m["text"] for m in history] == [
        "Redis latency spiking from the new cart cache", "I'm IC. Looking at checkout dashboards",
        "Incident INC-42 declared: checkout 5xx above 5%"]


def _csv(*rows: str, cursor: str = "") -> str:
    body = "\n".join(rows)
    return f"{HEADER}\n{body}{cursor}\n"


def test_history_pages_follow_the_last_rows_cursor_until_past_the_start() -> None:
    # the server's shape: the next cursor in the Cursor column of the page's last row
    row = "{ts},U0ALICE,alice,Alice Ng,C0X,,{text},2026-03-10T14:00:00Z,,,,0,,false,"
    calls = [
        ToolCall(tool="channels_list", arguments={
            "channel_types": "public_channel,private_channel", "limit": 999},
                 text="ID,Name,Topic,Purpose,MemberCount,Cursor\nC0X,#inc-7,,,3,\n"),
        ToolCall(tool="conversations_history", arguments={
            "channel_id": "C0X", "limit": "100", "include_activity_messages": True},
                 text=_csv(row.format(ts="1773151000.000002", text="newer"),
                           cursor="b2Zmc2V0OjE=")),
        ToolCall(tool="conversations_history", arguments={
            "channel_id": "C0X", "cursor": "b2Zmc2V0OjE=", "include_activity_messages": True},
                 text=_csv(row.format(ts="1773140000.000001", text="older"),
                           cursor="b2Zmc2V0OjI=")),
    ]
    session = ReplaySession(McpServerConfig(name="slack-mcp-server", command="x"), calls)
    start = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    result = anyio.run(collect_slack, session, "inc-7", start, WINDOW[1], None)
    assert len(session.calls) == 3  # stopped: the second page reached back past the start
    history = next(r for r in result.capture.responses if r.url.endswith("history")).json()
    assert [m["text"] for m in history["messages"]] == ["newer"]
    assert any("permalinks point at https://slack.com" in n for n in result.notes)


def test_unknown_channel_is_a_note_not_a_crash() -> None:
    calls = [ToolCall(tool="channels_list", arguments={
        "channel_types": "public_channel,private_channel", "limit": 999},
        text="ID,Name,Topic,Purpose,MemberCount,Cursor\nC0X,#general,,,3,\n")]
    session = ReplaySession(McpServerConfig(name="slack-mcp-server", command="x"), calls)
    result = anyio.run(collect_slack, session, "#inc-9", START, WINDOW[1], WORKSPACE)
    assert result.entry("x", None).status == "no_data"
    assert any("channel #inc-9 not found" in n for n in result.notes)


def test_bot_name_column_marks_a_bot_post() -> None:
    message = to_message({"MsgID": "1.000001", "UserID": "", "Text": "alert",
                          "BotName": "grafana", "ThreadTs": ""}, where="x")
    assert message == {"type": "message", "text": "alert", "ts": "1.000001",
                       "subtype": "bot_message", "username": "grafana"}
    with pytest.raises(SourceError, match="without MsgID"):
        to_message({"MsgID": ""}, where="x")
