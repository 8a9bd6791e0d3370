"""Fixtures for the live-source tests: the stub fleet, quick HTTP policies, a real Prometheus."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from afteraction.sources.live.http import HttpPolicy
from tests.stubs import Fleet

QUICK = HttpPolicy(timeout=2.0, retries=2, backoff=0.01, max_backoff=0.05, budget=8.0)


@pytest.fixture(scope="session")
def _fleet() -> Iterator[Fleet]:
    with Fleet() as running:
        yield running


@pytest.fixture()
def fleet(_fleet: Fleet) -> Iterator[Fleet]:
    """The shared stub fleet, reset to good behaviour before and after each test."""
    _fleet.reset()
    yield _fleet
    _fleet.reset()


@pytest.fixture()
def quick() -> HttpPolicy:
    return QUICK


def world_series() -> list[tuple[str, str, dict[str, str], list[tuple[float, float]]]]:
    """Request counters for the stub world: checkout's 5xx ratio is 8% from 13:55 to 14:45."""
    from datetime import timedelta

    from tests.stubs.world import at, error_ratio

    series = []
    for service in ("checkout", "payments"):
        ok_total, err_total = 0.0, 0.0
        ok_points, err_points = [], []
        moment = at("11:00")
        while moment <= at("16:30"):
            ratio = error_ratio(service, moment)
            ok_total += 1000 * (1 - ratio)
            err_total += 1000 * ratio
            ok_points.append((moment.timestamp(), round(ok_total, 3)))
            err_points.append((moment.timestamp(), round(err_total, 3)))
            moment += timedelta(minutes=1)
        series.append(("http_requests", "counter", {"service": service, "code": "200"},
                       ok_points))
        series.append(("http_requests", "counter", {"service": service, "code": "500"},
                       err_points))
    return series


@pytest.fixture(scope="session")
def real_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a real Prometheus loaded with ``world_series`` (fails when not installed)."""
    from tests.stubs.promserver import RealPrometheus, binaries, openmetrics

    if binaries() is None:
        pytest.fail("prometheus is not installed; run scripts/test-services (make test does)")
    with RealPrometheus(tmp_path_factory.mktemp("prometheus"),
                        openmetrics(world_series())) as prom:
        yield prom.url
