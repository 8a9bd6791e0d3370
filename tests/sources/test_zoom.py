"""Zoom parser: the recordings listing, transcript and caption VTTs, and the round trip."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.errors import BundleError, InputError
from afteraction.generate.encode import zoom as zoom_encoder
from afteraction.generate.scenario import GroundTruth, Scenario
from afteraction.model.events import Event, EventKind
from afteraction.model.incident import Catalog, Incident, Window
from afteraction.sources import zoom
from afteraction.sources.base import ParseContext, get_parser

FIXTURES = Path(__file__).parents[1] / "fixtures" / "zoom"
WINDOW = Window(start=datetime(2026, 3, 14, 13, 55, tzinfo=UTC),
                end=datetime(2026, 3, 14, 16, 30, tzinfo=UTC))
CTX = ParseContext(incident=Incident(id="INC-4242"), window=WINDOW, catalog=Catalog())
WAR_ROOM = "Vr4Lq0pNRk2x8cX9zYb1Wg=="
RECORDING_START = datetime(2026, 3, 14, 14, 5, 40, tzinfo=UTC)


def load_capture() -> RawCapture:
    index = json.loads((FIXTURES / "index.json").read_text())
    return RawCapture(source="zoom", responses=tuple(
        RawResponse(url=e["url"], params=e["params"], file=str(FIXTURES / e["file"]),
                    body=(FIXTURES / e["file"]).read_bytes()) for e in index))


@pytest.fixture(scope="module")
def events() -> list[Event]:
    return zoom.parse(load_capture(), CTX).events


def test_registered_as_the_zoom_parser() -> None:
    assert get_parser("zoom") is zoom.parse


def test_transcript_cues_become_utterances(events: list[Event]) -> None:
    war_room = [e for e in events if e.attrs["recording_id"] == WAR_ROOM]
    assert [(e.actor, e.text) for e in war_room] == [
        ("Alice Moreno", "Okay, I am IC. Bob, what do you see on checkout?"),
        ("Bob Ito", "Five x x at about nine percent since 14:02, all timeouts to inventory."),
        (None, "Hmm."),
        ("Dr. Ana Ruiz", "The inventory deploy went out at 13:58. I would roll it back."),
        ("Alice Moreno", "Decision: we roll back inventory now."),
        ("Bob Ito", "Error rate is back to baseline."),
    ]
    assert all(e.kind == EventKind.UTTERANCE and e.services == () for e in war_room)


def test_times_offsets_and_links(events: list[Event]) -> None:
    war_room = [e for e in events if e.attrs["recording_id"] == WAR_ROOM]
    second, last = war_room[1], war_room[-1]
    assert second.at == RECORDING_START + timedelta(seconds=5, milliseconds=20)
    assert second.attrs == {"recording_id": WAR_ROOM, "offset_seconds": 5.02,
                            "end_offset_seconds": 11.48, "speaker": "Bob Ito"}
    assert second.source_id == f"{WAR_ROOM}/2"
    expected_ms = int((RECORDING_START + timedelta(seconds=5.02)).timestamp() * 1000)
    assert second.url == ("https://acme.zoom.us/rec/share/Zk3lXq9v0rEcOrDiNgWaRrOoM"
                          f"?startTime={expected_ms}")
    assert last.at == RECORDING_START + timedelta(hours=1, minutes=2, seconds=3, milliseconds=4)
    assert war_room[2].attrs["speaker"] is None


def test_captions_are_skipped_when_the_transcript_is_there(events: list[Event]) -> None:
    assert not any(e.text.startswith("okay I am IC") for e in events)


def test_caption_only_meeting_parses_without_speakers(events: list[Event]) -> None:
    follow_up = [e for e in events if e.attrs["recording_id"] == "qP2mX7a9Tq6b1rKk0cV3Lw=="]
    assert [(e.actor, e.text, e.attrs["offset_seconds"]) for e in follow_up] == [
        (None, "the queue is draining", 68.0), (None, "yep looks good", 69.0)]
    assert follow_up[0].at == datetime(2026, 3, 14, 16, 1, 8, tzinfo=UTC)
    assert follow_up[0].url.startswith("https://acme.zoom.us/rec/play/fOlLoWuPvIdEo0001"
                                       "?startTime=")


def test_multi_line_caption_cue_is_joined() -> None:
    cues = zoom.parse_vtt((FIXTURES / "GMT20260314-140540_Recording.cc.vtt").read_text())
    assert cues[0] == zoom.Cue(2000, 5000, "okay I am IC Bob what do you see on checkout")
    assert len(cues) == 3


def test_download_without_a_listed_file_is_an_error() -> None:
    stray = RawResponse(url="https://acme.zoom.us/rec/download/unknown", body=b"WEBVTT\n\n",
                        file="0009-unknown.vtt")
    capture = load_capture()
    with pytest.raises(BundleError, match="matches no recording file") as info:
        zoom.parse(RawCapture(source="zoom", responses=capture.responses + (stray,)), CTX)
    assert info.value.where == "0009-unknown.vtt"


def test_a_body_that_is_not_vtt_is_an_error() -> None:
    capture = load_capture()
    html = RawResponse(url="https://acme.zoom.us/rec/download/wArRoOmTrAnScRiPt01",
                       body=b"<html>Sign in to Zoom</html>", file="0003-transcript.vtt")
    with pytest.raises(BundleError, match="not a WebVTT file"):
        zoom.parse(RawCapture(source="zoom", responses=(capture.responses[0], html)), CTX)


def test_zoom_error_body_is_a_bundle_error() -> None:
    error = FIXTURES / "error.invalid_token.json"
    response = RawResponse(url="https://api.zoom.us/v2/users/me/recordings",
                           body=error.read_bytes(), status=401, file=str(error))
    with pytest.raises(BundleError, match="Zoom error 124: Invalid access token"):
        zoom.parse(RawCapture(source="zoom", responses=(response,)), CTX)


def test_bad_timing_line_is_one_line_error() -> None:
    with pytest.raises(BundleError, match="bad cue timing"):
        zoom.parse_vtt("WEBVTT\n\n1\n00:00:01 --> soon\nAlice: hi\n", where="x.vtt")


def test_local_vtt_file(tmp_path: Path) -> None:
    file = tmp_path / "bridge.vtt"
    file.write_bytes((FIXTURES / "GMT20260314-140540_Recording.transcript.vtt").read_bytes())
    parsed = zoom.parse_vtt_file(file, RECORDING_START, recording_id="bridge",
                                 url="https://acme.zoom.us/rec/share/abc").events
    assert len(parsed) == 6
    assert parsed[0].at == RECORDING_START + timedelta(milliseconds=1250)
    assert parsed[0].url.startswith("https://acme.zoom.us/rec/share/abc?startTime=")
    with pytest.raises(InputError, match="no UTC offset"):
        zoom.parse_vtt_file(file, datetime(2026, 3, 14, 14, 5, 40))
    with pytest.raises(InputError, match="does not exist"):
        zoom.parse_vtt_file(tmp_path / "missing.vtt", RECORDING_START)


# --- round trip ----------------------------------------------------------------------------------

def _utterance(start: datetime, n: int, offset: float, end: float, speaker: str | None,
               text: str) -> Event:
    return Event.make(source="zoom", kind=EventKind.UTTERANCE, source_id=f"bridge-1/{n}",
                      at=start + timedelta(seconds=offset), url="https://example.invalid/",
                      text=text, actor=speaker,
                      attrs={"recording_id": "bridge-1", "offset_seconds": offset,
                             "end_offset_seconds": end, "speaker": speaker})


def test_round_trip_small_scenario() -> None:
    start = datetime(2026, 3, 14, 14, 10, 0, tzinfo=UTC)
    events = [_utterance(start, 1, 3.0, 7.25, "Alice Moreno", "Who is on the bridge?"),
              _utterance(start, 2, 8.125, 9.0, None, "Hmm."),
              _utterance(start, 3, 12.5, 20.75, "Tomás Herrera",
                         "Pricing deployed too, but our graphs are flat."),
              _utterance(start, 4, 3725.004, 3730.0, "Bob Ito", "Back to baseline: closing.")]
    truth = GroundTruth(family="test", culprit=None, affected_services=(),
                        impact_start=start, detected_at=start, detection_method="alert",
                        mitigated_at=None, mitigation_type=None, recovered_at=None,
                        resolved_at=None)
    scenario = Scenario(seed=1, incident=Incident(id="INC-4242"), window=WINDOW,
                        catalog=Catalog(), captured_at=WINDOW.end, events=events, series=[],
                        truth=truth)
    capture = zoom_encoder.encode(scenario)
    vtt = capture.responses[1].text()
    assert vtt.startswith("WEBVTT\n\n1\n00:00:03.000 --> 00:00:07.250\nAlice Moreno: Who is")
    assert vtt.endswith("Bob Ito: Back to baseline: closing.\n\n")
    assert "\nHmm.\n" in vtt
    listing = capture.responses[0].json()
    assert listing["next_page_token"] == "" and len(listing["meetings"]) == 2
    parsed = zoom.parse(capture, CTX).events
    assert [(e.kind, e.at, e.actor, e.text, e.services, e.attrs) for e in parsed] == [
        (e.kind, e.at, e.actor, e.text, e.services, e.attrs) for e in events]
