"""Collecting every source at once: window from the ticket, partial failure, capture and replay."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from afteraction.bundle.store import read_bundle
from afteraction.collect import capture, check_sources, collect_live
from afteraction.errors import InputError
from afteraction.sources.live.http import HttpPolicy
from tests.stubs import INCIDENT, TOKENS, Fleet

ALL = ("prometheus", "grafana", "github", "slack", "zoom", "jira", "launchdarkly")


def test_window_incident_and_channel_come_from_the_ticket(fleet: Fleet,
                                                          quick: HttpPolicy) -> None:
    bundle = collect_live(fleet.settings(), INCIDENT, quiet=True, policy=quick)
    manifest = bundle.manifest
    assert manifest.window.start.isoformat() == "2026-03-10T13:35:00+00:00"  # created - 30m
    assert manifest.window.end.isoformat() == "2026-03-10T15:50:00+00:00"  # resolved + 30m
    assert manifest.incident.model_dump() == {
        "id": "INC-42", "title": "Checkout 5xx after deploy", "severity": "P1",
        "ticket": "INC-42", "channel": "inc-42", "services": ("checkout",)}
    assert {n: e.status for n, e in manifest.sources.items()} == {
        **dict.fromkeys(ALL, "ok"), "changes": "missing"}
    assert manifest.lookback_seconds == 6 * 3600 and manifest.baseline_seconds == 2 * 3600
    assert manifest.catalog.names == ("checkout", "payments")
    assert manifest.sources["grafana"].web_url == "https://grafana.acme.io"
    slack = bundle.captures["slack"]
    assert [r.meta.get("kind") for r in slack.responses] == [
        "auth", "channels", "history", "replies", "replies", "users"]
    history = slack.responses[2]
    assert history.params["channel"] == "C0INC42"
    assert history.params["oldest"] == "1773149700.000000"


def test_since_and_until_override_the_ticket(fleet: Fleet, quick: HttpPolicy) -> None:
    bundle = collect_live(fleet.settings(only=("jira", "launchdarkly")), INCIDENT,
                          "2026-03-10T14:00:00+01:00", "2026-03-10T14:30:00Z", quiet=True,
                          policy=quick)
    assert bundle.manifest.window.start.isoformat() == "2026-03-10T13:00:00+00:00"
    audit = bundle.captures["launchdarkly"].responses[0]
    assert audit.params["after"] == str(1773147600000 - 6 * 3600 * 1000)
    assert audit.params["before"] == "1773153000000"


def test_no_window_without_jira_is_one_clear_error(fleet: Fleet, quick: HttpPolicy) -> None:
    with pytest.raises(InputError, match="pass --since/--until"):
        collect_live(fleet.settings(only=("github",)), INCIDENT, quiet=True, policy=quick)


def test_one_source_down_the_others_go_on(fleet: Fleet) -> None:
    fleet.faults("github").auth_fail = True
    fleet.faults("slack").hang = True
    fleet.faults("zoom").rate_limit_next = 99
    fleet.faults("zoom").retry_after = 300
    policy = HttpPolicy(timeout=0.5, retries=1, backoff=0.01, budget=1.5)
    bundle = collect_live(fleet.settings(), INCIDENT, quiet=True, policy=policy)
    statuses = {n: e.status for n, e in bundle.manifest.sources.items()}
    assert statuses == {"prometheus": "ok", "grafana": "ok", "github": "error",
                        "slack": "error", "zoom": "error", "jira": "ok",
                        "launchdarkly": "ok", "changes": "missing"}
    details = bundle.manifest.sources
    assert details["github"].detail.startswith("AuthError")
    assert details["slack"].detail.startswith("SourceTimeout")
    assert details["zoom"].detail.startswith("RateLimitError")
    assert set(bundle.captures) == {"prometheus", "grafana", "jira", "launchdarkly"}


def test_capture_writes_a_bundle_that_reads_back_the_same(fleet: Fleet, quick: HttpPolicy,
                                                          tmp_path: Path) -> None:
    feed = tmp_path / "changes.jsonl"
    feed.write_text('{"time": "2026-03-10T13:20:00Z", "service": "checkout", "kind": "config", '
                    '"summary": "raise pool size", "id": "cfg-1"}\n', encoding="utf-8")
    settings = fleet.settings(extra=f'[sources.changes]\npath = "{feed}"\n')
    written = capture(settings, INCIDENT, tmp_path / "bundle", quiet=True, policy=quick)
    replay = read_bundle(tmp_path / "bundle")
    assert replay.problems == {}
    assert replay.manifest == written.manifest
    assert set(replay.captures) == set(written.captures) == {*ALL, "changes"}
    for name, live in written.captures.items():
        again = replay.captures[name]
        assert [(r.url, r.params, r.status, r.body, r.meta) for r in again.responses] == \
            [(r.url, r.params, r.status, r.body, r.meta) for r in live.responses], name
    transcript = [r for r in replay.captures["zoom"].responses if r.meta["kind"] == "transcript"]
    assert transcript[0].body.startswith(b"WEBVTT")
    assert transcript[0].url.endswith("/rec/download/81234567890-vtt")
    assert transcript[0].params == {}  # the signed redirect's parameters are not kept
    index = json.loads((tmp_path / "bundle" / "github" / "index.json").read_text())
    assert all(set(e["headers"]) <= {"content-type", "link", "x-ratelimit-limit",
                                     "x-ratelimit-remaining", "x-ratelimit-reset",
                                     "x-ratelimit-resource"} for e in index)


def test_jira_data_center_pages_with_start_at(quick: HttpPolicy) -> None:
    with Fleet(jira_flavor="datacenter") as fleet:
        fleet.faults("jira").page_size = 2
        bundle = collect_live(fleet.settings(only=("jira",)), INCIDENT, quiet=True,
                              policy=quick)
        paths = fleet.servers["jira"].paths()
    assert bundle.manifest.sources["jira"].status == "ok"
    searches = [r for r in bundle.captures["jira"].responses if r.meta.get("kind") == "search"]
    assert all(r.url.endswith("/rest/api/2/search") for r in searches)
    related = [r for r in searches if r.meta["role"] == "related"]
    assert [r.params["startAt"] for r in related] == ["0", "2"]
    assert sorted(i["key"] for r in related for i in r.json()["issues"]) == \
        ["CHK-3", "CHK-7", "CHK-9"]
    assert "/rest/api/3/search/jql" not in paths


def test_jira_cloud_reads_the_rest_of_a_long_changelog(quick: HttpPolicy) -> None:
    with Fleet() as fleet:
        fleet.apps["jira"].changelog_page = 1  # type: ignore[attr-defined]
        bundle = collect_live(fleet.settings(only=("jira",)), INCIDENT, quiet=True,
                              policy=quick)
    pages = [r for r in bundle.captures["jira"].responses if r.meta.get("kind") == "changelog"]
    assert [r.params["startAt"] for r in pages] == ["1"]
    assert len(pages[0].json()["values"]) == 2


def test_sources_check_reports_health_per_source(fleet: Fleet, quick: HttpPolicy) -> None:
    fleet.faults("launchdarkly").auth_fail = True
    results = {h.source: h for h in check_sources(fleet.settings(), policy=quick)}
    assert set(results) == set(ALL)
    assert all(results[n].ok for n in ALL if n != "launchdarkly"), results
    assert not results["launchdarkly"].authenticated
    assert "Invalid access token" in results["launchdarkly"].detail
    assert results["slack"].sample_count == 4
    assert results["jira"].detail == "as afteraction bot"


def test_sources_check_reports_missing_scopes_and_unset_tokens(fleet: Fleet,
                                                               quick: HttpPolicy) -> None:
    from afteraction.settings import parse_settings

    env = {k: v for k, v in TOKENS.items() if k != "GITHUB_TOKEN"}
    settings = parse_settings(fleet.toml(only=("github", "zoom")), environ=env)
    results = {h.source: h for h in check_sources(settings, policy=quick)}
    assert results["github"].detail == "environment variable GITHUB_TOKEN is not set"
    assert results["zoom"].ok and results["zoom"].missing_permissions == ()


def test_sources_check_names_the_scopes_slack_lacks(fleet: Fleet, quick: HttpPolicy) -> None:
    from tests.stubs.slack import SCOPES

    fleet.apps["slack"].scopes = "channels:read,channels:history"  # type: ignore[attr-defined]
    try:
        [health] = check_sources(fleet.settings(only=("slack",)), policy=quick)
    finally:
        fleet.apps["slack"].scopes = SCOPES  # type: ignore[attr-defined]
    assert health.authenticated and not health.ok
    assert health.missing_permissions == ("groups:history", "groups:read", "users:read")
