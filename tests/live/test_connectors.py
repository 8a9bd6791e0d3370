"""Each connector against its stub: pages, rate limits, 5xx, refused auth, a hang."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from afteraction.bundle.raw import RawCapture
from afteraction.collect import collect_live
from afteraction.sources.live.http import HttpPolicy
from tests.stubs import INCIDENT, Fleet

SINCE, UNTIL = "2026-03-10T13:35:00Z", "2026-03-10T15:50:00Z"


def _ids_github(capture: RawCapture) -> list[Any]:
    return sorted(d["id"] for r in capture.matching("/deployments")
                  if r.url.endswith("/deployments") for d in r.json())


def _ids_slack(capture: RawCapture) -> list[Any]:
    return sorted(m["ts"] for r in capture.matching("conversations.history")
                  for m in r.json()["messages"])


def _ids_jira(capture: RawCapture) -> list[Any]:
    return sorted(i["key"] for r in capture.responses if "/search" in r.url
                  for i in r.json()["issues"])


def _ids_zoom(capture: RawCapture) -> list[Any]:
    return sorted(m["id"] for r in capture.matching("/recordings") for m in r.json()["meetings"])


def _ids_ld(capture: RawCapture) -> list[Any]:
    return sorted(e["_id"] for r in capture.matching("/auditlog") for e in r.json()["items"])


def _ids_grafana(capture: RawCapture) -> list[Any]:
    return sorted(a["id"] for r in capture.matching("/api/annotations") for a in r.json())


IDS: dict[str, Callable[[RawCapture], list[Any]]] = {
    "github": _ids_github, "slack": _ids_slack, "jira": _ids_jira, "zoom": _ids_zoom,
    "launchdarkly": _ids_ld, "grafana": _ids_grafana,
}
EXPECTED = {
    "github": [101, 102, 103, 104, 105, 204, 205],  # pages stop at the first one past the window
    "slack": sorted(["1773151500.000001", "1773151620.000002", "1773152400.000003",
                     "1773153120.000004", "1773153660.000005", "1773154320.000006",
                     "1773156000.000007"]),
    "jira": ["CHK-3", "CHK-7", "CHK-7", "CHK-9", "INC-30", "INC-35"],
    "zoom": [81234567000, 81234567890],
    "launchdarkly": ["6000ab", "6001ab", "6002ab", "6003ab", "6004ab", "6005ab", "6006ab"],
    "grafana": [1201, 1202, 1203, 1204],
}
SMALL = {"grafana": "annotation_limit = 2\n"}


def run(fleet: Fleet, name: str, policy: HttpPolicy, **kwargs: Any) -> Any:
    settings = fleet.settings(only=(name,), **kwargs)
    return collect_live(settings, INCIDENT, SINCE, UNTIL, quiet=True, policy=policy)


@pytest.mark.parametrize("name", sorted(IDS))
def test_collects_every_item_over_several_pages(fleet: Fleet, quick: HttpPolicy,
                                                name: str) -> None:
    whole = run(fleet, name, quick)
    assert whole.manifest.sources[name].status == "ok", whole.manifest.sources[name].detail
    fleet.faults(name).page_size = 1 if name == "zoom" else 2
    paged = run(fleet, name, quick, sections={n: v for n, v in SMALL.items() if n == name})
    assert paged.manifest.sources[name].status == "ok", paged.manifest.sources[name].detail
    assert IDS[name](paged.captures[name]) == IDS[name](whole.captures[name]) == EXPECTED[name]
    assert len(paged.captures[name].responses) > len(whole.captures[name].responses)


@pytest.mark.parametrize("name", [*sorted(IDS), "prometheus"])
def test_rate_limit_is_waited_out(fleet: Fleet, quick: HttpPolicy, name: str) -> None:
    fleet.faults(name).rate_limit_next = 1
    fleet.faults(name).retry_after = 1
    started = time.monotonic()
    bundle = run(fleet, name, quick)
    elapsed = time.monotonic() - started
    assert bundle.manifest.sources[name].status == "ok", bundle.manifest.sources[name].detail
    assert elapsed >= 0.5  # waited for the reset instead of hammering the API
    assert fleet.faults(name).rate_limit_next == 0


def test_rate_limit_longer_than_the_budget_is_an_error(fleet: Fleet, quick: HttpPolicy) -> None:
    fleet.faults("launchdarkly").rate_limit_next = 1
    fleet.faults("launchdarkly").retry_after = 600
    started = time.monotonic()
    bundle = run(fleet, "launchdarkly", quick)
    entry = bundle.manifest.sources["launchdarkly"]
    assert entry.status == "error"
    assert entry.detail.startswith("RateLimitError")
    assert time.monotonic() - started < 60  # gave up, instead of waiting the 600 s asked


@pytest.mark.parametrize("name", [*sorted(IDS), "prometheus"])
def test_server_error_then_success(fleet: Fleet, quick: HttpPolicy, name: str) -> None:
    clean = run(fleet, name, quick)
    requests_clean = len(fleet.servers[name].requests)
    fleet.faults(name).fail_next = 1
    retried = run(fleet, name, quick)
    assert retried.manifest.sources[name].status == "ok"
    assert len(fleet.servers[name].requests) - requests_clean == requests_clean + 1
    assert [r.body for r in retried.captures[name].responses] == \
        [r.body for r in clean.captures[name].responses]


@pytest.mark.parametrize("name,words", [
    ("github", "Bad credentials"), ("slack", "invalid_auth"),
    ("jira", "not authenticated"), ("zoom", "invalid_client"),
    ("launchdarkly", "Invalid access token"), ("grafana", "invalid API key"),
])
def test_auth_failure_is_recorded(fleet: Fleet, quick: HttpPolicy, name: str,
                                  words: str) -> None:
    fleet.faults(name).auth_fail = True
    bundle = run(fleet, name, quick)
    entry = bundle.manifest.sources[name]
    assert entry.status == "error"
    assert entry.detail.startswith("AuthError")
    assert words in entry.detail
    assert name not in bundle.captures


@pytest.mark.parametrize("name", [*sorted(IDS), "prometheus"])
def test_hang_becomes_a_timeout(fleet: Fleet, name: str) -> None:
    fleet.faults(name).hang = True
    policy = HttpPolicy(timeout=0.3, retries=1, backoff=0.01, budget=1.0)
    started = time.monotonic()
    bundle = run(fleet, name, policy)
    entry = bundle.manifest.sources[name]
    assert entry.status == "error"
    assert entry.detail.startswith("SourceTimeout")
    assert time.monotonic() - started < 30  # the budget ended the wait; a hang never ends


def test_missing_token_is_an_auth_error_before_any_request(fleet: Fleet,
                                                            quick: HttpPolicy) -> None:
    from afteraction.settings import parse_settings

    settings = parse_settings(fleet.toml(only=("github",)), environ={})
    bundle = collect_live(settings, INCIDENT, SINCE, UNTIL, quiet=True, policy=quick)
    entry = bundle.manifest.sources["github"]
    assert entry.status == "error"
    assert "GITHUB_TOKEN is not set" in entry.detail
    assert fleet.servers["github"].requests == []


def test_github_stops_at_the_window_and_reads_statuses_in_it(fleet: Fleet,
                                                             quick: HttpPolicy) -> None:
    fleet.faults("github").page_size = 1
    bundle = run(fleet, "github", quick)
    capture = bundle.captures["github"]
    statuses = sorted({r.meta["deployment_id"] for r in capture.matching("/statuses")})
    assert statuses == [102, 103, 104, 105, 205]
    pages = [r for r in capture.responses if r.meta.get("kind") == "deployments"
             and r.meta["repo"] == "acme/checkout"]
    assert len(pages) == 5  # 105, 104, 103, 102, then 101 is older than the look-back: stop
    pulls = sorted((r.meta["repo"], r.meta["number"]) for r in capture.responses
                   if r.meta.get("kind") == "pull")
    assert pulls == [("acme/checkout", 309), ("acme/checkout", 311), ("acme/checkout", 314),
                     ("acme/payments", 77)]
    files = [r for r in capture.responses if r.meta.get("kind") == "pull_files"
             and r.meta["number"] == 311]
    assert len(files) == 12  # one path per page at page_size 1
    assert files[-1].json()[0]["filename"] == "src/checkout/module_11.py"
    assert pages[1].url.endswith("/repositories/1001/deployments")
    assert pages[1].params == {"per_page": "1", "page": "2"}


def test_github_search_splits_ranges_over_the_result_cap(fleet: Fleet,
                                                         quick: HttpPolicy) -> None:
    from afteraction.sources.live import github

    fleet.apps["github"].search_cap = 2  # type: ignore[attr-defined]
    original = github.SEARCH_CAP
    github.SEARCH_CAP = 2
    try:
        bundle = run(fleet, "github", quick)
    finally:
        github.SEARCH_CAP = original
    capture = bundle.captures["github"]
    searches = [r.json() for r in capture.matching("/search/issues")]
    assert all(s["total_count"] <= 2 for s in searches)
    found = sorted(i["number"] for s in searches for i in s["items"])
    assert found == [77, 309, 311, 314]
