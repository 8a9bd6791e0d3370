"""The Grafana parser on real-shaped annotations and state-history frames, and its encoder."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from afteraction.bundle.manifest import SourceEntry
from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.errors import BundleError
from afteraction.generate.encode.grafana import encode
from afteraction.generate.scenario import GroundTruth, Scenario
from afteraction.model.events import Event, EventKind
from afteraction.model.incident import Catalog, Incident, Service, Window
from afteraction.sources.base import ParseContext, get_parser
from afteraction.sources.grafana import epoch_ms, parse, transition

FIXTURES = Path(__file__).parent.parent / "fixtures" / "grafana"
GRAFANA = "https://grafana.acme.io"
START = datetime(2024, 6, 1, 10, 0, tzinfo=UTC)
WINDOW = Window(start=START, end=START + timedelta(hours=1))

CATALOG = Catalog(services=(
    Service(name="checkout", labels={"service": "checkout"}),
    Service(name="payments", labels={"service": "payments"}),
    Service(name="search", labels={"app": "search", "namespace": "shop"}),
))


def ctx() -> ParseContext:
    return ParseContext(incident=Incident(id="INC-7"), window=WINDOW, catalog=CATALOG,
                        entry=SourceEntry(base_url=GRAFANA, web_url=GRAFANA))


def raw(name: str, path: str, status: int = 200, **params: str) -> RawResponse:
    return RawResponse(url=f"{GRAFANA}{path}", body=(FIXTURES / name).read_bytes(),
                       params=params, status=status, file=f"grafana/{name}")


def annotations() -> RawResponse:
    return raw("annotations.json", "/api/annotations", **{
        "from": str(epoch_ms(WINDOW.start)), "to": str(epoch_ms(WINDOW.end)), "limit": "100"})


def history() -> RawResponse:
    return raw("rules_history.json", "/api/v1/rules/history", **{
        "from": str(int(WINDOW.start.timestamp())), "to": str(int(WINDOW.end.timestamp()))})


def run(*responses: RawResponse) -> list[Event]:
    return parse(RawCapture(source="grafana", responses=responses), ctx()).events


def at(minute: int, second: int = 0) -> datetime:
    return START + timedelta(minutes=minute, seconds=second)


# -- annotations -------------------------------------------------------------------------------

def test_deploy_annotation_becomes_an_annotation_event_with_its_service() -> None:
    events = {e.source_id: e for e in run(annotations())}
    deploy = events["4107"]
    assert deploy.kind == EventKind.ANNOTATION
    assert deploy.at == at(30)  # "time": 1717237800000 epoch ms
    assert deploy.services == ("checkout",)
    assert deploy.actor == "deploy-bot"
    assert deploy.text == "Deploy checkout v1.43.0 (acme/checkout@9f1c2e7) to production"
    assert deploy.attrs == {"tags": ["deploy", "checkout", "production"],
                            "dashboard_uid": "checkout-slo", "panel_id": 4}
    link = urlsplit(deploy.url)
    assert f"{link.scheme}://{link.netloc}{link.path}" == f"{GRAFANA}/d/checkout-slo"
    query = parse_qs(link.query)
    assert query["viewPanel"] == ["4"]
    assert query["from"] == [str(epoch_ms(WINDOW.start))]
    assert query["to"] == [str(epoch_ms(WINDOW.end))]


def test_region_annotation_keeps_its_end_and_service_tag() -> None:
    events = {e.source_id: e for e in run(annotations())}
    drill = events["4106"]
    assert drill.at == at(15)
    assert drill.attrs["time_end"] == "2024-06-01T10:25:00Z"
    assert drill.services == ("payments",)  # from the "service:payments" tag
    assert drill.url == f"{GRAFANA}/api/annotations/4106"  # no dashboard: the record itself


def test_an_annotation_returned_for_two_ranges_is_kept_once() -> None:
    first, second = annotations(), annotations()
    events = run(first, second)
    assert sorted(e.source_id for e in events if e.kind == EventKind.ANNOTATION) == [
        "4106", "4107"]


def test_a_full_page_of_annotations_is_noted() -> None:
    capped = raw("annotations.json", "/api/annotations", limit="5")
    data = parse(RawCapture(source="grafana", responses=(capped,)), ctx())
    expected = ("grafana/annotations.json: 5 annotations, the request's limit: "
                "later ones in that range may be missing")
    assert data.notes == [expected]
    assert parse(RawCapture(source="grafana", responses=(annotations(),)), ctx()).notes == []


def test_annotation_time_is_exact_epoch_milliseconds() -> None:
    body = json.dumps([{"id": 1, "alertId": 0, "time": 1717237800123, "timeEnd": 1717237800123,
                        "text": "note", "tags": [], "dashboardUID": "", "panelId": 0}])
    [event] = run(RawResponse(url=f"{GRAFANA}/api/annotations", body=body.encode()))
    assert event.at == datetime(2024, 6, 1, 10, 30, 0, 123000, tzinfo=UTC)
    assert event.actor is None and event.services == ()


def test_alert_annotations_fire_and_resolve_but_pending_is_skipped() -> None:
    alerts = [e for e in run(annotations()) if e.kind == EventKind.ALERT]
    assert [(e.attrs["alertname"], e.attrs["state"], e.at) for e in alerts] == [
        ("Payments latency p99", "resolved", at(5)),  # legacy alerting: alerting -> ok
        ("Checkout error ratio", "firing", at(11)),   # unified: Pending -> Alerting
    ]
    payments, checkout = alerts
    assert checkout.attrs["severity"] == "critical"  # from the labels inside the text
    assert checkout.services == ("checkout",)
    assert "rule_uid" not in checkout.attrs  # annotations only carry the numeric alertId
    assert payments.services == ()
    assert parse_qs(urlsplit(checkout.url).query)["viewPanel"] == ["2"]


# -- unified alerting state history ------------------------------------------------------------

def test_history_frame_gives_firing_and_resolved_alerts() -> None:
    alerts = run(history())
    assert [(e.attrs["alertname"], e.attrs["state"], e.at) for e in alerts] == [
        ("Checkout error ratio", "firing", at(11)),
        ("Search saturation", "firing", at(18)),       # Normal -> Alerting (Error)
        ("Checkout error ratio", "resolved", at(22)),
        ("Search saturation", "resolved", at(23)),     # -> Normal (MissingSeries)
    ]
    checkout_firing, search_firing = alerts[0], alerts[1]
    assert checkout_firing.attrs == {"alertname": "Checkout error ratio", "state": "firing",
                                     "severity": "critical", "rule_uid": "fdk7w3m2q9xsgb"}
    assert checkout_firing.services == ("checkout",)
    assert search_firing.services == ("search",)  # the catalog's {app, namespace} selector
    assert checkout_firing.url == f"{GRAFANA}/alerting/grafana/fdk7w3m2q9xsgb/view"
    assert checkout_firing.text == "Checkout error ratio firing"
    assert len({e.id for e in alerts}) == 4


def test_annotation_backend_history_frame() -> None:
    alerts = run(raw("rules_history_annotation_backend.json", "/api/v1/rules/history",
                     ruleUID="fdk7w3m2q9xsgb"))
    assert [(e.attrs["state"], e.at) for e in alerts] == [("firing", at(11)),
                                                           ("resolved", at(22))]
    assert alerts[0].attrs["rule_uid"] == "fdk7w3m2q9xsgb"
    assert alerts[0].services == ("checkout",)


def test_a_transition_in_both_answers_is_kept_once_with_its_rule() -> None:
    events = run(annotations(), history())
    firing = [e for e in events if e.kind == EventKind.ALERT
              and e.attrs["alertname"] == "Checkout error ratio" and e.attrs["state"] == "firing"]
    assert len(firing) == 1 and firing[0].attrs["rule_uid"] == "fdk7w3m2q9xsgb"
    assert [e.at for e in events] == sorted(e.at for e in events)


def test_transition_table() -> None:
    assert transition("Pending", "Alerting") == "firing"
    assert transition("Normal", "Alerting (NoData)") == "firing"
    assert transition("Alerting", "Alerting (Error)") is None
    assert transition("Alerting", "Normal") == "resolved"
    assert transition("Recovering", "Normal") == "resolved"
    assert transition("Pending", "Normal") is None
    assert transition("Normal", "Pending") is None
    assert transition("", "alerting") == "firing" and transition("alerting", "ok") == "resolved"
    assert transition("alerting", "no_data") is None


# -- errors ------------------------------------------------------------------------------------

def test_error_answer_is_one_line_naming_the_file() -> None:
    with pytest.raises(BundleError) as caught:
        run(raw("unauthorized.json", "/api/annotations", status=401))
    assert str(caught.value) == "grafana/unauthorized.json: Grafana answered HTTP 401: Unauthorized"


def test_malformed_answers_raise_bundle_errors() -> None:
    frame = RawResponse(url=f"{GRAFANA}/api/v1/rules/history", file="grafana/h.json",
                        body=b'{"schema":{"fields":[{"name":"time"}]},"data":{"values":[]}}')
    with pytest.raises(BundleError, match="grafana/h.json: data frame has 1 fields but 0"):
        run(frame)
    timeless = RawResponse(url=f"{GRAFANA}/api/annotations", file="grafana/a.json",
                           body=b'[{"id": 9, "alertId": 0, "text": "x"}]')
    with pytest.raises(BundleError, match=r"annotation \[0\] \(id 9\) time is missing"):
        run(timeless)
    with pytest.raises(BundleError, match="expected a JSON array"):
        run(RawResponse(url=f"{GRAFANA}/api/annotations", body=b'{"id": 1}'))


def test_the_parser_is_registered_under_its_source_name() -> None:
    assert get_parser("grafana") is parse


# -- the encoder -------------------------------------------------------------------------------

def scenario(events: list[Event]) -> Scenario:
    truth = GroundTruth(family="bad_deploy", culprit=None, affected_services=("checkout",),
                        impact_start=START, detected_at=START, detection_method="alert",
                        mitigated_at=None, mitigation_type=None, recovered_at=None,
                        resolved_at=None)
    return Scenario(seed=3, incident=Incident(id="INC-7"), window=WINDOW, catalog=CATALOG,
                    captured_at=WINDOW.end, events=events, series=[], truth=truth)


def alert(source_id: str, when: datetime, state: str, name: str, service: str,
          severity: str | None = "critical", rule_uid: str | None = None) -> Event:
    attrs = {"alertname": name, "state": state}
    if severity:
        attrs["severity"] = severity
    if rule_uid:
        attrs["rule_uid"] = rule_uid
    return Event.make(source="grafana", kind="alert", source_id=source_id, at=when,
                      url="x", text=f"{name} {state}", services=(service,), attrs=attrs)


def test_encode_then_parse_gives_the_events_back() -> None:
    original = [
        alert("a1", at(11), "firing", "Checkout error ratio", "checkout", rule_uid="chk-err"),
        alert("a2", at(22), "resolved", "Checkout error ratio", "checkout", rule_uid="chk-err"),
        alert("a3", at(18, 30), "firing", "Search saturation", "search", severity=None),
        Event.make(source="grafana", kind="annotation", source_id="5001", at=at(9),
                   url="x", text="Deploy checkout v1.43.0", actor="deploy-bot",
                   services=("checkout",),
                   attrs={"tags": ["deploy", "checkout"], "dashboard_uid": "checkout-slo",
                          "panel_id": 4}),
        Event.make(source="grafana", kind="annotation", source_id="5002", at=at(40),
                   url="x", text="Payments failover drill", services=("payments",),
                   attrs={"tags": ["maintenance", "payments"],
                          "time_end": "2024-06-01T10:55:00Z"}),
    ]
    world = scenario(original)
    capture = encode(world)
    assert [r.url.removeprefix(GRAFANA) for r in capture.responses] == [
        "/api/v1/rules/history", "/api/annotations"]
    assert capture.responses[0].params == {"from": str(int(WINDOW.start.timestamp())),
                                           "to": str(int(WINDOW.end.timestamp()) + 1)}
    frame = json.loads(capture.responses[0].body)
    assert [f["name"] for f in frame["schema"]["fields"]] == ["time", "line", "labels"]
    assert frame["data"]["values"][0][0] == epoch_ms(at(11))
    notes = json.loads(capture.responses[1].body)
    assert [n["id"] for n in notes] == [5002, 5001]  # newest first, like Grafana

    context = ParseContext(incident=world.incident, window=world.window, catalog=world.catalog,
                           entry=world.entries["grafana"])
    parsed = parse(capture, context).events
    assert len(parsed) == len(original)
    def key(event: Event) -> tuple[datetime, str]:
        return event.at, event.kind.value

    for before, after in zip(sorted(original, key=key), sorted(parsed, key=key)):
        assert (after.kind, after.at, after.services, after.text) == (
            before.kind, before.at, before.services, before.text)
        assert after.actor == before.actor
        if before.kind == EventKind.ALERT:
            expected = dict(before.attrs)
            expected.setdefault("rule_uid", after.attrs.get("rule_uid"))
            assert after.attrs == expected
            assert after.url.endswith(f"/alerting/grafana/{after.attrs['rule_uid']}/view")
        else:
            assert after.attrs == before.attrs
