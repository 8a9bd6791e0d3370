"""Jira parser: Cloud v3 search/jql pages, Data Center v2 search, errors, and the round trip."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from afteraction.bundle.manifest import SourceEntry
from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.errors import BundleError
from afteraction.generate.encode import jira as jira_encoder
from afteraction.generate.scenario import GroundTruth, Scenario
from afteraction.model.events import Event, EventKind
from afteraction.model.incident import Catalog, Incident, Service, Window
from afteraction.sources import jira
from afteraction.sources.base import ParseContext, get_parser
from afteraction.sources.textutil import adf_to_text, wiki_to_text

FIXTURES = Path(__file__).parents[1] / "fixtures" / "jira"
WINDOW = Window(start=datetime(2026, 3, 14, 13, 55, tzinfo=UTC),
                end=datetime(2026, 3, 14, 16, 30, tzinfo=UTC))
CATALOG = Catalog(services=(Service(name="checkout", jira_components=("checkout-api",)),
                            Service(name="inventory")))
INCIDENT = Incident(id="INC-4242", ticket="INC-4242")
CTX = ParseContext(incident=INCIDENT, window=WINDOW, catalog=CATALOG)


def response(name: str, url: str, **extra: object) -> RawResponse:
    return RawResponse(url=url, body=(FIXTURES / name).read_bytes(), file=str(FIXTURES / name),
                       **extra)  # type: ignore[arg-type]


def load_capture() -> RawCapture:
    index = json.loads((FIXTURES / "index.json").read_text())
    return RawCapture(source="jira", responses=tuple(
        response(e["file"], e["url"], params=e["params"]) for e in index))


@pytest.fixture(scope="module")
def events() -> list[Event]:
    return jira.parse(load_capture(), CTX).events


def test_registered_as_the_jira_parser() -> None:
    assert get_parser("jira") is jira.parse


def test_both_pages_are_read_in_time_order(events: list[Event]) -> None:
    assert [(e.kind.value, e.source_id) for e in events] == [
        ("ticket", "OPS-311"), ("ticket", "INC-4242"),
        ("status_change", "INC-4242/2026-03-14T14:05:00Z/priority/High"),
        ("status_change", "INC-4242/2026-03-14T14:05:00Z/status/In Progress"),
        ("status_change", "INC-4242/2026-03-14T14:40:30.500000Z/status/Mitigated"),
        ("status_change", "INC-4242/2026-03-14T15:00:00Z/status/Resolved")]


def test_incident_ticket(events: list[Event]) -> None:
    ticket = next(e for e in events if e.source_id == "INC-4242")
    assert ticket.at == datetime(2026, 3, 14, 14, 4, tzinfo=UTC)
    assert ticket.text == "Checkout 5xx after inventory deploy"
    assert ticket.actor == "Alice Moreno"
    assert ticket.services == ("checkout",)
    assert ticket.url == "https://acme.atlassian.net/browse/INC-4242"
    assert ticket.attrs == {
        "key": "INC-4242", "issue_type": "Incident", "status": "Resolved", "priority": "High",
        "labels": ["incident", "sev2"], "components": ["checkout-api", "Payments"],
        "links": [{"type": "Relates", "direction": "outward", "key": "OPS-311"},
                  {"type": "Problem/Incident", "direction": "inward", "key": "DEP-77"}],
        "created": "2026-03-14T14:04:00Z", "project": "INC",
        "resolved": "2026-03-14T15:00:00Z",
        "description": "Checkout returns 5xx for ~9% of requests.\n- started 14:02 UTC\n"
                       "- @Bob Ito rolling back\nhttps://grafana.acme.io/d/checkout"}


def test_open_ticket_has_no_resolved_or_description(events: list[Event]) -> None:
    ticket = next(e for e in events if e.source_id == "OPS-311")
    assert ticket.at == datetime(2025, 7, 16, 9, 12, 44, 120000, tzinfo=UTC)
    assert "resolved" not in ticket.attrs and "description" not in ticket.attrs
    assert ticket.services == ("inventory",)
    assert ticket.attrs["links"] == [{"type": "Relates", "direction": "inward", "key": "INC-4242"}]


def test_status_changes_with_offsets_and_noise_ignored(events: list[Event]) -> None:
    changes = [e for e in events if e.kind == EventKind.STATUS_CHANGE]
    assert [(e.at, e.actor, e.text) for e in changes] == [
        (datetime(2026, 3, 14, 14, 5, tzinfo=UTC), "Alice Moreno",
         "INC-4242 priority: Medium → High"),
        (datetime(2026, 3, 14, 14, 5, tzinfo=UTC), "Alice Moreno", "INC-4242 Open → In Progress"),
        (datetime(2026, 3, 14, 14, 40, 30, 500000, tzinfo=UTC), "Bob Ito",
         "INC-4242 In Progress → Mitigated"),
        (datetime(2026, 3, 14, 15, 0, tzinfo=UTC), "Alice Moreno", "INC-4242 Mitigated → Resolved")]
    assert changes[1].attrs == {"key": "INC-4242", "field": "status", "old": "Open",
                                "new": "In Progress"}
    assert all(e.services == ("checkout",) for e in changes)


def test_data_center_v2_shape_and_site_from_self() -> None:
    capture = RawCapture(source="jira", responses=(
        response("search.v2.json", "https://jira.acme.internal/jira/rest/api/2/search",
                 params={"jql": "project = OPS", "startAt": 0, "maxResults": 50}),))
    ticket, change = jira.parse(capture, CTX).events
    assert ticket.url == "https://jira.acme.internal/jira/browse/OPS-900"
    assert ticket.at == datetime(2026, 3, 14, 14, 4, tzinfo=UTC)
    assert ticket.attrs["description"] == (
        "Impact\nCheckout errors, see dashboard (https://grafana.acme.io/d/checkout)")
    assert ticket.attrs["priority"] == "Critical" and ticket.actor == "Bob Ito"
    assert (change.at, change.text) == (datetime(2026, 3, 14, 14, 10, tzinfo=UTC),
                                        "OPS-900 Open → In Progress")


def test_configured_web_url_wins_for_links() -> None:
    context = ParseContext(incident=INCIDENT, window=WINDOW, catalog=CATALOG,
                           entry=SourceEntry(web_url="https://jira.acme.com/"))
    first = jira.parse(load_capture(), context).events[0]
    assert first.url == "https://jira.acme.com/browse/OPS-311"


def test_corrupt_page_is_one_line_bundle_error() -> None:
    capture = RawCapture(source="jira", responses=(
        response("search-jql.corrupt.json", "https://acme.atlassian.net/rest/api/3/search/jql"),))
    with pytest.raises(BundleError) as info:
        jira.parse(capture, CTX)
    assert info.value.where == str(FIXTURES / "search-jql.corrupt.json")
    assert str(info.value).count("\n") == 0 and "corrupt JSON" in str(info.value)


def test_error_body_is_a_bundle_error() -> None:
    capture = RawCapture(source="jira", responses=(
        response("error.400.json", "https://acme.atlassian.net/rest/api/3/search/jql",
                 status=400),))
    with pytest.raises(BundleError, match="HTTP 400: Field 'compnent' does not exist"):
        jira.parse(capture, CTX)


def test_issue_without_created_names_the_key() -> None:
    body = json.dumps({"issues": [{"key": "OPS-1", "fields": {"summary": "x"}}], "isLast": True})
    capture = RawCapture(source="jira", responses=(RawResponse(
        url="https://acme.atlassian.net/rest/api/3/search/jql", body=body.encode(),
        file="0001-search-jql.json"),))
    with pytest.raises(BundleError, match="OPS-1 has no 'created'"):
        jira.parse(capture, CTX)


def test_changelog_pages_are_merged() -> None:
    extra = json.dumps({"startAt": 4, "maxResults": 100, "total": 5, "isLast": True, "values": [
        {"id": "31055", "author": {"displayName": "Bob Ito"}, "created": "2026-03-14T16:10:00.000+0000",
         "items": [{"field": "status", "fromString": "Resolved", "toString": "Closed"}]}]})
    capture = load_capture()
    page = RawResponse(url="https://acme.atlassian.net/rest/api/3/issue/INC-4242/changelog",
                       body=extra.encode(), file="0003-changelog.json")
    parsed = jira.parse(RawCapture(source="jira", responses=capture.responses + (page,)), CTX)
    assert parsed.events[-1].text == "INC-4242 Resolved → Closed"


def test_text_helpers() -> None:
    assert adf_to_text(None) == "" and adf_to_text("plain") == "plain"
    assert wiki_to_text("h1. Title\n*bold* and _it_") == "Title\nbold and it"


# --- round trip ----------------------------------------------------------------------------------

def _ticket(key: str, at: datetime, summary: str, **attrs: object) -> Event:
    base: dict[str, object] = {"key": key, "issue_type": "Incident", "status": "Resolved",
                               "priority": "High", "labels": ["incident"],
                               "components": ["checkout-api"], "links": [],
                               "created": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                               "project": key.split("-")[0]}
    base.update(attrs)
    return Event.make(source="jira", kind=EventKind.TICKET, source_id=key, at=at,
                      url="https://example.invalid/", text=summary, actor="Alice Moreno",
                      services=tuple(filter(None, (CATALOG.service_for_component(c)
                                                   for c in base["components"]))),  # type: ignore[attr-defined]
                      attrs=base)


def _change(key: str, at: datetime, old: str, new: str) -> Event:
    return Event.make(source="jira", kind=EventKind.STATUS_CHANGE, source_id=f"{key}@{new}", at=at,
                      url="https://example.invalid/", text=f"{key} {old} → {new}",
                      actor="Bob Ito", services=("checkout",),
                      attrs={"key": key, "field": "status", "old": old, "new": new})


def test_round_trip_small_scenario_over_pages() -> None:
    t = lambda h, m, s=0: datetime(2026, 3, 14, h, m, s, tzinfo=UTC)
    events = [
        _ticket("INC-4242", t(14, 4), "Checkout 5xx after inventory deploy",
                resolved="2026-03-14T15:00:00Z", description="Checkout returns 5xx.",
                links=[{"type": "Relates", "direction": "outward", "key": "OPS-311"},
                       {"type": "Blocks", "direction": "inward", "key": "OPS-12"}]),
        _change("INC-4242", t(14, 5), "Open", "In Progress"),
        _change("INC-4242", t(15, 0), "In Progress", "Resolved"),
        _ticket("OPS-311", t(13, 0), "inventory row locks", issue_type="Task", status="To Do",
                priority="Medium", labels=["tech-debt"], components=["inventory"]),
        _ticket("OPS-12", t(12, 0), "old thing", issue_type="Task", status="Done",
                priority="Low", labels=[], components=[], resolved="2026-03-14T12:30:00Z"),
    ]
    truth = GroundTruth(family="test", culprit=None, affected_services=(),
                        impact_start=WINDOW.start, detected_at=WINDOW.start,
                        detection_method="alert", mitigated_at=None, mitigation_type=None,
                        recovered_at=None, resolved_at=None)
    scenario = Scenario(seed=1, incident=INCIDENT, window=WINDOW, catalog=CATALOG,
                        captured_at=WINDOW.end, events=events, series=[], truth=truth)
    capture = jira_encoder.encode(scenario, page_size=2)
    pages = [r.json() for r in capture.responses]
    assert len(pages) == 2
    assert pages[0]["isLast"] is False and "nextPageToken" in pages[0] and "total" not in pages[0]
    assert pages[1]["isLast"] is True and "nextPageToken" not in pages[1]
    assert capture.responses[1].params["nextPageToken"] == pages[0]["nextPageToken"]
    assert pages[1]["issues"][0]["fields"]["created"] == "2026-03-14T14:04:00.000+0000"
    parsed = jira.parse(capture, CTX).events
    want = sorted(events, key=lambda e: (e.at, e.kind.value))
    got = sorted(parsed, key=lambda e: (e.at, e.kind.value))
    assert [(e.kind, e.at, e.actor, e.text, e.services, e.attrs) for e in got] == [
        (e.kind, e.at, e.actor, e.text, e.services, e.attrs) for e in want]
