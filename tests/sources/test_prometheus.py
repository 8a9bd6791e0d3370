"""The Prometheus parser on real-shaped query_range answers, its links, steps and the encoder."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from afteraction.bundle.manifest import SourceEntry
from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.errors import BundleError
from afteraction.generate.encode.prometheus import encode, format_value
from afteraction.generate.scenario import GroundTruth, Scenario
from afteraction.model.events import MetricSeries
from afteraction.model.incident import Catalog, Incident, Service, Window
from afteraction.sources import prometheus as prom
from afteraction.sources.base import ParseContext, SourceData, get_parser
from afteraction.sources.prometheus import (
    MAX_POINTS,
    bare_selector_name,
    choose_step,
    explore_url,
    parse,
    parse_duration,
    series_id,
    split_range,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "prometheus"
BASE = "http://prometheus.acme.internal:9090"
T0 = 1717236000  # 2024-06-01T10:00:00Z

CATALOG = Catalog(services=(
    Service(name="checkout", labels={"service": "checkout"}),
    Service(name="payments", labels={"service": "payments"}),
    Service(name="search", labels={"app": "search", "namespace": "shop"}),
))


def ctx(web_url: str | None = "https://grafana.acme.io", **extra: object) -> ParseContext:
    window = Window(start=datetime.fromtimestamp(T0, UTC),
                    end=datetime.fromtimestamp(T0 + 3600, UTC))
    entry = SourceEntry(base_url=BASE, web_url=web_url, **extra)
    return ParseContext(incident=Incident(id="INC-7"), window=window, catalog=CATALOG, entry=entry)


def response(name: str, query: str, *, start: float = T0, end: float = T0 + 60,
             step: str = "15s", meta: dict | None = None, status: int = 200) -> RawResponse:
    return RawResponse(url=f"{BASE}/api/v1/query_range", body=(FIXTURES / name).read_bytes(),
                       params={"query": query, "start": str(start), "end": str(end),
                               "step": step},
                       status=status, meta=meta or {}, file=f"prometheus/{name}")


def capture(*responses: RawResponse) -> RawCapture:
    return RawCapture(source="prometheus", responses=responses)


def by_label(data: SourceData, key: str) -> dict[str, MetricSeries]:
    return {s.labels[key]: s for s in data.series}


def same(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return len(a) == len(b) and all(
        (math.isnan(x) and math.isnan(y)) or x == y or abs(x - y) <= 1e-9 * max(1, abs(x))
        for x, y in zip(a, b))


# -- parsing -----------------------------------------------------------------------------------

def test_missing_scrapes_become_nan_on_the_shared_grid() -> None:
    query = 'sum by (namespace, service) (rate(http_requests_total{code=~"5.."}[5m]))'
    data = parse(capture(response("query_range_error_ratio.json", query,
                                  meta={"signal": "error_ratio", "unit": "ratio"})), ctx())
    assert data.notes == [] and data.events == []
    series = by_label(data, "service")
    checkout, payments = series["checkout"], series["payments"]
    grid = (T0, T0 + 15, T0 + 30, T0 + 45, T0 + 60)
    assert checkout.timestamps == payments.timestamps == grid
    assert checkout.values[:3] == (0.0021, 0.0019, checkout.values[2])
    assert math.isnan(checkout.values[2])  # the scrape at +30 s is absent from the answer
    assert checkout.values[3] == 0.0442
    assert math.isnan(checkout.values[4])  # the "NaN" string
    assert payments.values == (0.001, 0.0012, 0.0011, 0.0013, 0.0009)
    assert checkout.signal == "error_ratio" and checkout.unit == "ratio"
    # no service in meta: the catalog maps the labels
    assert checkout.service == "checkout" and payments.service == "payments"
    assert checkout.labels == {"namespace": "shop", "service": "checkout"}
    assert checkout.query == query and checkout.source == "prometheus"
    assert checkout.id == series_id(query, {"service": "checkout", "namespace": "shop"})
    assert checkout.id != payments.id


def test_meta_service_wins_over_labels_and_empty_metric_is_kept() -> None:
    query = 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))'
    data = parse(capture(response("query_range_latency_empty_metric.json", query, end=T0 + 180,
                                  step="1m", meta={"service": "search", "signal": "latency",
                                                   "unit": "seconds"})), ctx())
    [series] = data.series
    assert series.labels == {}
    assert series.service == "search" and series.signal == "latency" and series.unit == "seconds"
    assert series.timestamps == (T0, T0 + 60, T0 + 120, T0 + 180)
    assert series.values == (0.182, math.inf, 2.75, -math.inf)


def test_pod_and_version_labels_come_through_and_fractional_stamps_stay_on_grid() -> None:
    data = parse(capture(response("query_range_up_pods.json", 'up{job="checkout"}',
                                  start=T0 + 0.781, end=T0 + 30.781)), ctx())
    pods = by_label(data, "version")
    old, new = pods["v1.42.0"], pods["v1.43.0"]
    assert new.labels == {"instance": "10.1.4.23:8080", "job": "checkout",
                          "pod": "checkout-5c4b7f9d8-k8m2w", "version": "v1.43.0"}
    assert "__name__" not in old.labels  # the bare selector already names the metric
    assert old.timestamps == (T0 + 0.781, T0 + 15.781, T0 + 30.781)
    assert old.values == (1.0, 1.0, 1.0)
    assert new.values[0] == 1.0 and math.isnan(new.values[1]) and new.values[2] == 0.0
    assert old.signal == "other" and old.service is None  # job= is not a catalog selector


def test_name_label_is_kept_when_the_query_does_not_name_one_metric() -> None:
    query = '{__name__=~"checkout_requests_(failed_)?total", service="checkout"}'
    data = parse(capture(response("query_range_name_regex.json", query, end=T0 + 15)), ctx())
    names = sorted(s.labels["__name__"] for s in data.series)
    assert names == ["checkout_requests_failed_total", "checkout_requests_total"]
    assert len({s.id for s in data.series}) == 2


def test_warnings_are_kept_visible() -> None:
    data = parse(capture(response("query_range_warnings.json", "rate(checkout_requests[5m])",
                                  end=T0 + 15)), ctx())
    assert len(data.notes) == 1
    assert "metric might not be a counter" in data.notes[0]
    assert "query_range_warnings.json" in data.notes[0]
    assert data.series[0].labels == {"le": "+Inf", "service": "checkout"}


def test_error_body_is_one_line_naming_the_file() -> None:
    bad = response("query_range_bad_data.json", "sum(rate(x[5m])))", status=400)
    with pytest.raises(BundleError) as caught:
        parse(capture(bad), ctx())
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("prometheus/query_range_bad_data.json: ")
    assert "bad_data" in message and "unexpected right parenthesis" in message


def test_corrupt_json_and_non_json_error_pages_raise_bundle_errors() -> None:
    corrupt = RawResponse(url=f"{BASE}/api/v1/query_range", body=b'{"status":"success","data":{',
                          params={"query": "up"}, file="prometheus/0001-query_range.json")
    with pytest.raises(BundleError, match="0001-query_range.json: corrupt JSON"):
        parse(capture(corrupt), ctx())
    gateway = RawResponse(url=f"{BASE}/api/v1/query_range", status=502,
                          body=b"<html><body>502 Bad Gateway</body></html>",
                          params={"query": "up"}, file="prometheus/0002-query_range.json")
    with pytest.raises(BundleError, match="HTTP 502"):
        parse(capture(gateway), ctx())
    garbled = RawResponse(url=f"{BASE}/api/v1/query_range", file="prometheus/0003-query_range.json",
                          body=b'{"status":"success","data":{"resultType":"matrix","result":'
                               b'[{"metric":{},"values":[[1717236000,"0.5"],[1717236015,"n/a"]]}]}}',
                          params={"query": "up", "start": "1717236000", "end": "1717236015",
                                  "step": "15s"})
    with pytest.raises(BundleError, match=r"0003-query_range.json: data.result\[0\].values holds"):
        parse(capture(garbled), ctx())
    with pytest.raises(BundleError, match="meta.signal"):
        parse(capture(response("query_range_up_pods.json", "up", meta={"signal": "errors"})),
              ctx())


def test_discovery_answers_are_read_and_ignored() -> None:
    series = RawResponse(url=f"{BASE}/api/v1/series", body=(FIXTURES / "series.json").read_bytes(),
                         params={"match[]": "http_requests_total"}, file="prometheus/series.json")
    labels = RawResponse(url=f"{BASE}/api/v1/labels", body=(FIXTURES / "labels.json").read_bytes(),
                         file="prometheus/labels.json")
    data = parse(capture(series, labels), ctx())
    assert data.series == []
    assert data.notes == ["prometheus/labels.json: query touched 3 blocks"]


def test_grid_is_inferred_when_the_request_parameters_were_not_recorded() -> None:
    raw = RawResponse(url=f"{BASE}/api/v1/query_range?query=up%7Bjob%3D%22checkout%22%7D",
                      body=(FIXTURES / "query_range_up_pods.json").read_bytes())
    data = parse(capture(raw), ctx())
    assert all(s.query == 'up{job="checkout"}' for s in data.series)
    assert data.series[1].timestamps == (T0 + 0.781, T0 + 15.781, T0 + 30.781)
    assert math.isnan(data.series[1].values[1])


def test_the_parser_is_registered_under_its_source_name() -> None:
    assert get_parser("prometheus") is parse


# -- citations -----------------------------------------------------------------------------------

def test_explore_link_decodes_back_to_the_query_and_range() -> None:
    query = 'sum by (namespace, service) (rate(http_requests_total{code=~"5.."}[5m]))'
    data = parse(capture(response("query_range_error_ratio.json", query)),
                 ctx(datasource_uid="prom-main", org_id=3))
    url = data.series[0].url
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://grafana.acme.io/explore"
    params = parse_qs(parts.query)
    assert params["schemaVersion"] == ["1"] and params["orgId"] == ["3"]
    [pane] = json.loads(params["panes"][0]).values()
    assert pane["queries"][0]["expr"] == query
    assert pane["queries"][0]["datasource"] == {"type": "prometheus", "uid": "prom-main"}
    assert pane["range"] == {"from": str(T0 * 1000), "to": str((T0 + 60) * 1000)}
    assert url == explore_url("https://grafana.acme.io/", query, T0, T0 + 60,
                              datasource_uid="prom-main", org_id=3)


def test_graph_link_without_grafana() -> None:
    data = parse(capture(response("query_range_up_pods.json", 'up{job="checkout"}',
                                  start=T0 + 0.781, end=T0 + 30.781)), ctx(web_url=None))
    parts = urlsplit(data.series[0].url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{BASE}/graph"
    params = parse_qs(parts.query)
    assert params["g0.expr"] == ['up{job="checkout"}']
    assert params["g0.range_input"] == ["30s"]
    assert params["g0.end_input"] == ["2024-06-01 10:00:30"]


def test_links_through_the_grafana_proxy_and_to_prometheus_itself() -> None:
    proxied = SourceEntry(base_url="https://grafana.acme.io/api/datasources/proxy/uid/prom-eu",
                          web_url="https://grafana.acme.io")
    context = ParseContext(incident=Incident(id="INC-7"), window=ctx().window, catalog=CATALOG,
                           entry=proxied)
    data = parse(capture(response("query_range_error_ratio.json", "up")), context)
    url = urlsplit(data.series[0].url)
    assert url.path == "/explore"
    [pane] = json.loads(parse_qs(url.query)["panes"][0]).values()
    assert pane["datasource"] == "prom-eu"
    direct = SourceEntry(base_url=BASE, web_url=BASE)  # no Grafana: web_url is Prometheus
    context = ParseContext(incident=Incident(id="INC-7"), window=ctx().window, catalog=CATALOG,
                           entry=direct)
    data = parse(capture(response("query_range_error_ratio.json", "up")), context)
    assert data.series[0].url.startswith(f"{BASE}/graph?g0.expr=up&")


# -- steps ---------------------------------------------------------------------------------------

def test_choose_step_keeps_six_hours_at_fifteen_seconds() -> None:
    assert choose_step(T0, T0 + 6 * 3600) == 15
    assert choose_step(T0, T0 + 6 * 3600, preferred=30) == 30


def test_choose_step_coarsens_thirty_days_under_the_limit() -> None:
    span = 30 * 86400
    step = choose_step(T0, T0 + span)
    assert step == 240 and step % 15 == 0
    assert span // step + 1 <= MAX_POINTS
    assert (span // (step - 15)) + 1 > MAX_POINTS  # the next finer multiple would not fit


def test_split_range_pieces_share_the_grid_and_fit_the_limit() -> None:
    pieces = split_range(T0, T0 + 3 * 86400, 15)
    assert len(pieces) == 2
    assert pieces[0] == (T0, T0 + (MAX_POINTS - 1) * 15)
    assert pieces[1] == (T0 + MAX_POINTS * 15, T0 + 3 * 86400)
    assert split_range(T0, T0 + 6 * 3600, 15) == [(T0, T0 + 6 * 3600)]


def test_durations_and_selectors() -> None:
    assert parse_duration("15s") == 15 and parse_duration("1h30m") == 5400
    assert parse_duration("0.5") == 0.5 and parse_duration("250ms") == 0.25
    with pytest.raises(ValueError):
        parse_duration("fifteen")
    assert bare_selector_name('http_requests_total{code=~"5..", path="/a}b"}') == (
        "http_requests_total")
    assert bare_selector_name("rate(up[5m])") is None


# -- the encoder ---------------------------------------------------------------------------------

def scenario(series: list[MetricSeries], hours: float = 1) -> Scenario:
    start = datetime.fromtimestamp(T0, UTC)
    window = Window(start=start, end=start + timedelta(hours=hours))
    truth = GroundTruth(family="bad_deploy", culprit=None, affected_services=("checkout",),
                        impact_start=start, detected_at=start, detection_method="alert",
                        mitigated_at=None, mitigation_type=None, recovered_at=None,
                        resolved_at=None)
    return Scenario(seed=1, incident=Incident(id="INC-7"), window=window, catalog=CATALOG,
                    captured_at=window.end, events=[], series=series, truth=truth)


def metric(query: str, labels: dict[str, str], values: list[float], *, step: float = 15,
           service: str | None = None, signal: str = "other", unit: str = "") -> MetricSeries:
    stamps = tuple(T0 + i * step for i in range(len(values)))
    return MetricSeries(id=series_id(query, labels), source="prometheus", query=query,
                        labels=labels, service=service, signal=signal, unit=unit, url="x",
                        timestamps=stamps, values=tuple(values))


def round_trip(original: list[MetricSeries], hours: float = 1) -> dict[str, MetricSeries]:
    world = scenario(original, hours)
    raw = encode(world)
    ctx_ = ParseContext(incident=world.incident, window=world.window, catalog=world.catalog,
                        entry=world.entries["prometheus"])
    return {s.id: s for s in parse(raw, ctx_).series}


def test_encode_then_parse_gives_the_series_back() -> None:
    ratio = ('sum by (service) (rate(http_requests_total{code=~"5.."}[5m]))'
             " / sum by (service) (rate(http_requests_total[5m]))")
    odd = [0.1 + 0.2, 1e-7, 1.5e-5, 123456789.125, math.inf, math.nan, 0.0, -2.5e21, 1 / 3]
    original = [
        metric(ratio, {"service": "checkout"}, odd, service="checkout", signal="error_ratio",
               unit="ratio"),
        metric(ratio, {"service": "payments"}, [0.001] * 4 + [math.nan] + [0.002] * 4,
               service="payments", signal="error_ratio", unit="ratio"),
        metric('up{job="checkout"}', {"job": "checkout", "pod": "checkout-1", "version": "v2"},
               [1, 1, 0, 1], signal="saturation", unit="ratio"),
        metric("sum(rate(http_requests_total[1m]))", {}, [1200.5, 1300.25, 998.0],
               service="search", signal="throughput", unit="rps"),
    ]
    parsed = round_trip(original)
    assert len(parsed) == len(original)
    for series in original:
        back = parsed[series.id]
        assert back.labels == series.labels
        assert back.service == series.service
        assert (back.signal, back.unit, back.query) == (series.signal, series.unit, series.query)
        assert back.timestamps == series.timestamps
        assert same(back.values, series.values), series.query


def test_encoded_answers_look_like_prometheus() -> None:
    world = scenario([metric('up{job="checkout"}', {"job": "checkout", "pod": "p-1"},
                             [1, math.nan, 0.5], service="checkout", signal="saturation")])
    [raw] = encode(world).responses
    assert raw.url == "http://prometheus.acme.internal:9090/api/v1/query_range"
    assert raw.params == {"query": 'up{job="checkout"}', "start": str(T0),
                          "end": str(T0 + 30), "step": "15s"}
    assert raw.meta == {"service": "checkout", "signal": "saturation", "unit": ""}
    body = json.loads(raw.body)
    assert body["status"] == "success" and body["data"]["resultType"] == "matrix"
    [item] = body["data"]["result"]
    assert item["metric"] == {"__name__": "up", "job": "checkout", "pod": "p-1"}
    assert item["values"] == [[T0, "1"], [T0 + 30, "0.5"]]  # the NaN point is a missing scrape


def test_long_windows_are_split_and_merged_back() -> None:
    count = 3 * 86400 // 15 + 1  # 3 days at 15 s: over the 11,000-points limit
    values = [float(i % 97) for i in range(count)]
    values[MAX_POINTS] = math.nan  # a gap right at the split
    original = [metric("sum(rate(http_requests_total[1m]))", {}, values, service="checkout",
                       signal="throughput")]
    raw = encode(scenario(original, hours=72))
    assert len(raw.responses) == 2
    assert all(len(json.loads(r.body)["data"]["result"][0]["values"]) <= MAX_POINTS
               for r in raw.responses)
    [back] = round_trip(original, hours=72).values()
    assert back.timestamps == original[0].timestamps
    assert same(back.values, original[0].values)


def test_format_value_matches_prometheus_text() -> None:
    assert [format_value(v) for v in (1.0, 0.25, 1e-5, 1e-7, 1e21, math.inf, -math.inf,
                                      math.nan, 123456789.0)] == [
        "1", "0.25", "0.00001", "1e-07", "1e+21", "+Inf", "-Inf", "NaN", "123456789"]


def test_three_hundred_series_of_six_hours_round_trip() -> None:
    """The benchmark's scale, checked for correctness (its speed is bench/draft_bench.py's)."""
    points = 1440
    series = [metric(f"sum by (pod) (rate(q{i % 30}[5m]))", {"pod": f"pod-{i}"},
                     [((i * 7 + j) % 113) / 113 for j in range(points)], signal="other")
              for i in range(300)]
    world = scenario(series, hours=6)
    raw = encode(world)
    context = ParseContext(incident=world.incident, window=world.window, catalog=world.catalog,
                           entry=world.entries["prometheus"])
    data = parse(raw, context)
    assert len(data.series) == 300
    assert all(len(s.values) == points + 1 or len(s.values) == points for s in data.series)
    by_pod = {s.labels["pod"]: s for s in data.series}
    assert abs(by_pod["pod-7"].values[5] - ((7 * 7 + 5) % 113) / 113) < 1e-9


_ODD_VALUES = ("0", "-0", "0.1", "-1.5e-7", "1e300", "1.7976931348623157e308", "5e-324",
               "123456789012345678901234567890", "0.30000000000000004", "NaN", "+Inf", "-Inf",
               "2.2250738585072014e-308", "9007199254740993", "1E5", "00.5")


@pytest.mark.parametrize("on_grid", [True, False])
def test_plain_samples_read_at_once_equal_samples_read_one_by_one(on_grid: bool) -> None:
    """The one-go reader of plain numbers must give bit for bit what the part-by-part reader
    gives, on every value form Prometheus or a proxy may write."""
    rng = random.Random(7)
    grid_points = np.arange(1_773_496_800.0, 1_773_496_800.0 + 60 * 15, 15.0)
    grid = (grid_points, prom._grid_keys(grid_points))
    for _ in range(300):
        stamps = [prom.timestamp_text(t) for t in grid_points.tolist()]
        if not on_grid:
            stamps = [f"{float(s) + rng.choice((0.0, 0.5, 0.001)):.3f}" for s in stamps]
        stamps = stamps[rng.randint(0, 5):]
        values = [rng.choice(_ODD_VALUES) if rng.random() < 0.2
                  else repr(rng.uniform(-1e6, 1e6) * 10 ** rng.randint(-12, 12))
                  for _ in stamps]
        text = ",".join(f'[{s},"{v}"]' for s, v in zip(stamps, values, strict=True))
        fast = prom._packed_samples(text, grid, 0, "page.json")
        slow = prom._split_samples(text, grid, 0, "page.json")
        for got, want in zip(fast, slow, strict=True):
            assert got.tobytes() == want.tobytes(), text[:200]
