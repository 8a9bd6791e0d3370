"""Slack Web API parser: real-shaped pages, and the encoder -> parser round trip."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from afteraction.bundle.manifest import SourceEntry
from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.errors import BundleError
from afteraction.generate.encode import slack as slack_encoder
from afteraction.generate.scenario import GroundTruth, Scenario
from afteraction.model.events import Event, EventKind
from afteraction.model.incident import Catalog, Incident, Window
from afteraction.sources import slack
from afteraction.sources.base import ParseContext, get_parser

FIXTURES = Path(__file__).parents[1] / "fixtures" / "slack" / "api"
WINDOW = Window(start=datetime(2026, 3, 14, 13, 55, tzinfo=UTC),
                end=datetime(2026, 3, 14, 15, 0, tzinfo=UTC))
INCIDENT = Incident(id="INC-4242", channel="inc-4242-checkout", ticket="INC-4242")


def load_capture(folder: Path, source: str = "slack") -> RawCapture:
    index = json.loads((folder / "index.json").read_text())
    return RawCapture(source=source, responses=tuple(
        RawResponse(url=e["url"], params=e.get("params", {}), file=str(folder / e["file"]),
                    body=(folder / e["file"]).read_bytes()) for e in index))


def ctx(incident: Incident = INCIDENT) -> ParseContext:
    return ParseContext(incident=incident, window=WINDOW, catalog=Catalog())


@pytest.fixture(scope="module")
def events() -> list[Event]:
    return slack.parse(load_capture(FIXTURES), ctx()).events


def by_ts(events: list[Event]) -> dict[str, Event]:
    return {e.attrs["ts"]: e for e in events}


def test_registered_as_the_slack_parser() -> None:
    assert get_parser("slack") is slack.parse


def test_reads_every_page_and_thread_once_oldest_first(events: list[Event]) -> None:
    assert [e.attrs["ts"] for e in events] == [
        "1773496800.000050", "1773496925.000100", "1773496992.000200", "1773497130.000250",
        "1773497200.000310", "1773497265.000400", "1773497300.000410", "1773497310.000420",
        "1773497340.000500", "1773497520.000600"]
    assert all(e.kind == EventKind.MESSAGE and e.source == "slack" for e in events)


def test_tombstone_is_skipped_but_its_replies_are_kept(events: list[Event]) -> None:
    found = by_ts(events)
    assert "1773497170.000300" not in found
    reply = found["1773497200.000310"]
    assert reply.text == "deleted the wrong paste, ignore"
    assert reply.attrs["thread_ts"] == "1773497170.000300"


def test_human_message_text_and_attrs(events: list[Event]) -> None:
    first = by_ts(events)["1773496800.000050"]
    assert first.at == datetime(2026, 3, 14, 14, 0, 0, 50, tzinfo=UTC)
    assert first.actor == "Alice Moreno"
    assert first.text == ("Declaring an incident in #inc-4242-checkout, dashboard: "
                          "https://grafana.acme.io/d/checkout?from=1&to=2")
    assert first.attrs == {"channel": "C0INC4242", "channel_name": "inc-4242-checkout",
                           "ts": "1773496800.000050", "user_id": "U01ALICE"}
    assert first.source_id == "C0INC4242/1773496800.000050"
    assert first.url == "https://acme-eng.slack.com/archives/C0INC4242/p1773496800000050"
    assert first.services == ()


def test_mentions_links_and_entities_become_plain_text(events: list[Event]) -> None:
    found = by_ts(events)
    assert found["1773497265.000400"].text == (
        "@Alice Moreno I think it's the deploy at 13:58 <- that one")
    assert found["1773497520.000600"].text == (
        "Mitigated: rolled back checkout#812 (https://github.com/acme/checkout/pull/812), "
        "errors back to normal & stable")


def test_display_name_and_message_profile_fallbacks(events: list[Event]) -> None:
    found = by_ts(events)
    assert found["1773497265.000400"].actor == "bobby"
    assert found["1773497310.000420"].actor == "Carol Nguyen"


def test_thread_parent_and_reply_attrs_and_permalinks(events: list[Event]) -> None:
    found = by_ts(events)
    parent = found["1773497265.000400"]
    assert parent.attrs["thread_ts"] == "1773497265.000400"
    assert parent.attrs["reply_count"] == 2
    reply = found["1773497300.000410"]
    assert reply.attrs == {"channel": "C0INC4242", "channel_name": "inc-4242-checkout",
                           "ts": "1773497300.000410", "thread_ts": "1773497265.000400",
                           "user_id": "U01ALICE"}
    assert reply.url == ("https://acme-eng.slack.com/archives/C0INC4242/p1773497300000410"
                         "?thread_ts=1773497265.000400&cid=C0INC4242")


def test_bot_messages_take_words_from_attachment_titles(events: list[Event]) -> None:
    found = by_ts(events)
    firing = found["1773496925.000100"]
    assert firing.text == "[FIRING:1] HighErrorRate checkout"
    assert firing.actor == "Grafana Alerting"
    assert firing.attrs["bot"] is True and "user_id" not in firing.attrs
    assert found["1773497340.000500"].text == "[RESOLVED] HighErrorRate checkout"


def test_app_bot_without_subtype_is_a_bot(events: list[Event]) -> None:
    page = by_ts(events)["1773497130.000250"]
    assert page.actor == "PagerDuty"
    assert page.attrs["bot"] is True
    assert page.text == "Incident #4242 triggered: checkout 5xx ratio high @here"


def test_join_drops_the_self_mention(events: list[Event]) -> None:
    join = by_ts(events)["1773496992.000200"]
    assert join.text == "has joined the channel"
    assert join.actor == "bobby"
    assert join.attrs["subtype"] == "channel_join"


def test_ok_false_is_a_bundle_error_naming_file_and_code() -> None:
    capture = load_capture(FIXTURES)
    error_file = FIXTURES / "error.not_in_channel.json"
    bad = RawResponse(url="https://slack.com/api/conversations.history",
                      params={"channel": "C0INC4242"}, body=error_file.read_bytes(),
                      file=str(error_file))
    broken = RawCapture(source="slack", responses=capture.responses + (bad,))
    with pytest.raises(BundleError) as info:
        slack.parse(broken, ctx())
    assert "not_in_channel" in str(info.value)
    assert info.value.where == str(error_file)
    assert "\n" not in str(info.value)


def test_corrupt_page_is_one_line_bundle_error() -> None:
    bad = RawResponse(url="https://slack.com/api/conversations.history", body=b'{"ok": true, "mes',
                      file="0005-conversations.history.json")
    with pytest.raises(BundleError, match="corrupt JSON") as info:
        slack.parse(RawCapture(source="slack", responses=(bad,)), ctx())
    assert info.value.where == "0005-conversations.history.json"


def test_channel_resolved_by_name_when_params_are_missing() -> None:
    capture = load_capture(FIXTURES)
    stripped = tuple(RawResponse(url=r.url, body=r.body, file=r.file,
                                 params={k: v for k, v in r.params.items() if k != "channel"})
                     for r in capture.responses)
    parsed = slack.parse(RawCapture(source="slack", responses=stripped), ctx()).events
    assert {e.attrs["channel"] for e in parsed} == {"C0INC4242"}


def test_unknown_channel_without_params_is_an_error() -> None:
    capture = load_capture(FIXTURES)
    stripped = tuple(RawResponse(url=r.url, body=r.body, file=r.file, params={})
                     for r in capture.responses)
    with pytest.raises(BundleError, match="#inc-9999"):
        slack.parse(RawCapture(source="slack", responses=stripped),
                    ctx(Incident(id="INC-9999", channel="inc-9999")))


def test_workspace_falls_back_to_the_configured_web_url() -> None:
    capture = load_capture(FIXTURES)
    no_auth = RawCapture(source="slack", responses=capture.responses[1:])
    context = ParseContext(incident=INCIDENT, window=WINDOW, catalog=Catalog(),
                           entry=SourceEntry(web_url="https://acme.enterprise.slack.com"))
    first = slack.parse(no_auth, context).events[0]
    assert first.url.startswith("https://acme.enterprise.slack.com/archives/C0INC4242/p")


# --- round trip ----------------------------------------------------------------------------------

def _message(at: datetime, ts: str, text: str, *, actor: str | None, user_id: str | None = None,
             bot: bool = False, thread_ts: str | None = None, reply_count: int | None = None,
             subtype: str | None = None) -> Event:
    attrs: dict[str, object] = {"channel": "C0INC4242", "channel_name": "inc-4242-checkout",
                                "ts": ts}
    if thread_ts:
        attrs["thread_ts"] = thread_ts
    if reply_count is not None:
        attrs["reply_count"] = reply_count
    if bot:
        attrs["bot"] = True
    else:
        attrs["user_id"] = user_id
    if subtype:
        attrs["subtype"] = subtype
    return Event.make(source="slack", kind=EventKind.MESSAGE, source_id=f"C0INC4242/{ts}", at=at,
                      url="https://example.invalid/", text=text, actor=actor, attrs=attrs)


def small_scenario(extra: int = 0) -> Scenario:
    base = int(WINDOW.start.timestamp()) + 300

    def at(ts: str) -> datetime:
        return slack.ts_to_datetime(ts)

    t = lambda offset, micro=0: f"{base + offset}.{micro:06d}"
    parent = t(60, 12)
    events = [
        _message(at(t(0)), t(0), "has joined the channel", actor="Alice Moreno",
                 user_id="U01ALICE", subtype="channel_join"),
        _message(at(t(5, 1)), t(5, 1), "Declaring INC-4242 <checkout> & payments. cc @here",
                 actor="Alice Moreno", user_id="U01ALICE"),
        _message(at(t(20, 7)), t(20, 7), "[FIRING:1] HighErrorRate checkout",
                 actor="Grafana Alerting", bot=True),
        _message(at(parent), parent, "@Bob Ito see https://grafana.acme.io/d/x?a=1&b=2.",
                 actor="Alice Moreno", user_id="U01ALICE", thread_ts=parent, reply_count=2),
        _message(at(t(90, 3)), t(90, 3), "on it, rolling back #inc-4242-checkout",
                 actor="Bob Ito", user_id="U02BOB", thread_ts=parent),
        _message(at(t(95, 4)), t(95, 4), "done", actor="Bob Ito", user_id="U02BOB",
                 thread_ts=parent),
    ]
    for n in range(extra):
        ts = t(200 + n, 900)
        events.append(_message(at(ts), ts, f"filler {n}", actor="Carol Nguyen",
                               user_id="U03CAROL"))
    truth = GroundTruth(family="test", culprit=None, affected_services=(),
                        impact_start=WINDOW.start, detected_at=WINDOW.start,
                        detection_method="alert", mitigated_at=None, mitigation_type=None,
                        recovered_at=None, resolved_at=None)
    return Scenario(seed=1, incident=INCIDENT, window=WINDOW, catalog=Catalog(),
                    captured_at=WINDOW.end, events=events, series=[], truth=truth)


def assert_same(got: list[Event], want: list[Event]) -> None:
    assert len(got) == len(want)
    for parsed, expected in zip(got, sorted(want, key=lambda e: e.at), strict=True):
        assert (parsed.kind, parsed.at, parsed.actor, parsed.text, parsed.services,
                parsed.attrs) == (expected.kind, expected.at, expected.actor, expected.text,
                                  expected.services, expected.attrs)


def test_round_trip_small_scenario() -> None:
    scenario = small_scenario()
    capture = slack_encoder.encode(scenario)
    methods = [slack.method_of(r) for r in capture.responses]
    assert methods[:3] == ["auth.test", "conversations.list", "users.list"]
    assert methods.count("conversations.replies") == 1
    assert_same(slack.parse(capture, ctx()).events, scenario.events)


def test_round_trip_pages_history_with_cursors() -> None:
    scenario = small_scenario(extra=160)
    capture = slack_encoder.encode(scenario)
    pages = [r for r in capture.responses if slack.method_of(r) == "conversations.history"]
    assert len(pages) == 2
    first, last = pages[0].json(), pages[1].json()
    assert first["has_more"] is True and first["response_metadata"]["next_cursor"]
    assert pages[1].params["cursor"] == first["response_metadata"]["next_cursor"]
    assert last["has_more"] is False and "response_metadata" not in last
    assert_same(slack.parse(capture, ctx()).events, scenario.events)


def test_encoder_writes_slack_mrkdwn() -> None:
    capture = slack_encoder.encode(small_scenario())
    history = next(r.json() for r in capture.responses
               if slack.method_of(r) == "conversations.history")
    texts = {m["ts"]: m for m in history["messages"]}
    declare = texts[f"{int(WINDOW.start.timestamp()) + 305}.000001"]
    assert declare["text"] == "Declaring INC-4242 &lt;checkout&gt; &amp; payments. cc <!here>"
    bot = next(m for m in history["messages"] if m.get("subtype") == "bot_message")
    assert bot["text"] == "" and bot["attachments"][0]["title"].startswith("[FIRING:1]")


EDGE_MESSAGES = [
    {"type": "message", "user": "U01ANA", "text": "  plain words  ", "ts": "1773497001.000100"},
    {"type": "message", "user": "U01ANA", "text": "reply", "ts": "1773497002.000100",
     "thread_ts": "1773497001.000100", "parent_user_id": "U01ANA"},
    {"type": "message", "user": "U01ANA", "text": "parent", "ts": "1773497003.000100",
     "thread_ts": "1773497003.000100", "reply_count": 2},
    {"type": "message", "user": "U01ANA", "text": "empty thread", "ts": "1773497004.000100",
     "thread_ts": ""},
    {"type": "message", "user": "U0NOBODY", "text": "unknown user", "ts": "1773497005.000100",
     "user_profile": {"real_name": "Pat Doe"}},
    {"type": "message", "user": "U01ANA", "text": "short ts", "ts": "1773497006.0001"},
    {"type": "message", "user": "U01ANA", "text": "number ts", "ts": 1773497007},
    {"type": "message", "user": "U01ANA", "text": "   ", "ts": "1773497008.000100",
     "attachments": [{"fallback": "from the attachment"}]},
    {"type": "message", "user": "U01ANA", "text": "<@U01ANA> &amp; co", "ts": "1773497009.000100"},
    {"type": "message", "subtype": "channel_join", "user": "U01ANA",
     "text": "<@U01ANA> has joined the channel", "ts": "1773497010.000100"},
    {"type": "message", "bot_id": "B01", "username": "alerts", "text": "firing",
     "ts": "1773497011.000100"},
    {"type": "message", "user": "U01ANA", "text": "edited", "ts": "1773497012.000100",
     "edited": {"user": "U01ANA", "ts": "1773497013.000000"}},
    {"type": "message", "subtype": "tombstone", "text": "This message was deleted.",
     "ts": "1773497014.000100", "hidden": True},
]


def test_the_short_path_builds_what_message_event_builds() -> None:
    """Plain messages take a short path through a page; every shape must come out exactly as
    the general ``message_event`` makes it: the fixtures' messages and the edge shapes."""
    capture = load_capture(FIXTURES)
    bodies = [(r, slack.check_ok(r)) for r in capture.responses]
    directory = slack._directory(bodies)
    directory.users["U01ANA"] = "Ana Lima"
    messages = [m for _, body in bodies for m in body.get("messages") or []] + EDGE_MESSAGES
    shapes = {"channel_id": "C01INC", "channel_name": "inc", "directory": directory,
              "workspace": "https://acme.slack.com/", "where": "page.json"}
    fast: dict[str, Event] = {}
    slack._page_events(messages, into=fast, **shapes)  # type: ignore[arg-type]
    general: dict[str, Event] = {}
    for message in messages:
        event = slack.message_event(message, **shapes)  # type: ignore[arg-type]
        if event is not None:
            general.setdefault(event.source_id, event)
    assert list(fast) == list(general)
    assert {f"C01INC/{m['ts']}" for m in EDGE_MESSAGES if "hidden" not in m} <= set(fast)
    for key, event in general.items():
        assert fast[key].model_dump() == event.model_dump(), key
        assert list(fast[key].attrs) == list(event.attrs), key
    reply = fast["C01INC/1773497002.000100"]
    assert reply.url == ("https://acme.slack.com/archives/C01INC/p1773497002000100"
                         "?thread_ts=1773497001.000100&cid=C01INC")
    assert reply.attrs["thread_ts"] == "1773497001.000100"
    assert fast["C01INC/1773497001.000100"].text == "plain words"
