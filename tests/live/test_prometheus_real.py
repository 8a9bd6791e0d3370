"""The Prometheus connector against a real Prometheus loaded with the world's counters."""

from __future__ import annotations

from typing import Any

import pytest

from afteraction.collect import collect_live
from afteraction.model.time import utc_from_epoch
from afteraction.settings import DEFAULT_SLO
from afteraction.sources.live.http import HttpPolicy
from afteraction.sources.live.prometheus import MAX_POINTS, choose_step, render, selector
from tests.stubs import INCIDENT, Fleet

SINCE, UNTIL = "2026-03-10T13:35:00Z", "2026-03-10T15:50:00Z"
SLO = {"error_ratio": DEFAULT_SLO["error_ratio"]}


def _values(response: Any) -> dict[str, float]:
    result = response.json()["data"]["result"]
    assert len(result) == 1
    return {utc_from_epoch(float(ts)).strftime("%H:%M"): float(v)
            for ts, v in result[0]["values"]}


@pytest.mark.parametrize("via_grafana", [False, True], ids=["direct", "grafana-proxy"])
def test_slo_queries_against_real_prometheus(real_prometheus: str, quick: HttpPolicy,
                                             via_grafana: bool) -> None:
    with Fleet(prometheus_url=real_prometheus, via_grafana=via_grafana, slo=SLO) as fleet:
        settings = fleet.settings(only=("prometheus",))
        bundle = collect_live(settings, INCIDENT, SINCE, UNTIL, quiet=True, policy=quick)
    entry = bundle.manifest.sources["prometheus"]
    assert entry.status == "ok", entry.detail
    capture = bundle.captures["prometheus"]
    ranges = [r for r in capture.responses if r.meta.get("kind") == "query_range"]
    assert [(r.meta["service"], r.meta["signal"]) for r in ranges] == [
        ("checkout", "error_ratio"), ("payments", "error_ratio")]
    checkout = _values(ranges[0])
    assert checkout["12:00"] == pytest.approx(0.002, abs=1e-6)  # baseline read (2h before)
    assert checkout["14:20"] == pytest.approx(0.08, abs=1e-6)
    assert checkout["15:30"] == pytest.approx(0.002, abs=1e-6)
    assert max(_values(ranges[1]).values()) == pytest.approx(0.002, abs=1e-6)
    assert ranges[0].params["step"] == "60"
    assert ranges[0].meta["query"] == render(SLO["error_ratio"], {"service": "checkout"})
    series = [r for r in capture.responses if r.meta.get("kind") == "series"]
    labels = sorted(s["code"] for s in series[0].json()["data"])
    assert labels == ["200", "500"]
    if via_grafana:
        assert ranges[0].url.endswith("/api/datasources/proxy/uid/prom-main/api/v1/query_range")
        assert "Authorization" not in str(ranges[0].headers)


def test_sources_check_against_real_prometheus(real_prometheus: str, quick: HttpPolicy) -> None:
    from afteraction.collect import check_sources

    with Fleet(prometheus_url=real_prometheus) as fleet:
        [health] = check_sources(fleet.settings(only=("prometheus",)), policy=quick)
    assert health.ok
    assert health.detail.startswith("Prometheus 2.")
    assert health.sample_count == 0  # backfilled data, no scrape targets


def test_step_respects_the_points_limit() -> None:
    assert choose_step(3600, 60) == 60
    assert choose_step(30 * 86400, 60) == 236  # 30 days at 60s would be 43,200 points
    assert 30 * 86400 / choose_step(30 * 86400, 60) < MAX_POINTS
    assert selector({"service": "check\"out", "env": "prod"}) == 'env="prod",service="check\\"out"'
