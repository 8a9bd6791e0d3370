"""The scenario suite: every family builds, is deterministic, and its truth agrees with its world."""

from __future__ import annotations

import itertools
import math
from datetime import timedelta

import pytest

from afteraction.errors import InputError
from afteraction.generate.bundle import scenario_bundle
from afteraction.generate.encode import prometheus
from afteraction.generate.families import FAMILIES, build, suite
from afteraction.generate.scenario import Scenario
from afteraction.model.events import CHANGE_KINDS, EventKind

PAIRS = list(suite())


@pytest.fixture(scope="module")
def scenarios() -> dict[tuple[str, int], Scenario]:
    return {(family, seed): build(family, seed) for family, seed in PAIRS}


def _culprit_matches(scenario: Scenario) -> list[str]:
    culprit = scenario.truth.culprit
    assert culprit is not None
    return [e.id for e in scenario.events if e.kind in CHANGE_KINDS and culprit.matches(
        e.kind, e.services[0] if e.services else None, e.attrs)]


def test_suite_lists_at_least_70_pairs_over_every_family() -> None:
    assert len(PAIRS) >= 70 and len(set(PAIRS)) == len(PAIRS)
    assert {family for family, _ in PAIRS} == set(FAMILIES) and len(FAMILIES) == 9


def test_unknown_family_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown scenario family 'nope'"):
        build("nope", 1)


@pytest.mark.parametrize("family", FAMILIES)
def test_same_seed_same_world(family: str) -> None:
    first, second = build(family, 3), build(family, 3)
    assert [e.model_dump_json() for e in first.events] == [e.model_dump_json()
                                                          for e in second.events]
    assert [(s.id, s.labels, repr(s.values)) for s in first.series] == [
        (s.id, s.labels, repr(s.values)) for s in second.series]
    assert first.truth == second.truth
    other = build(family, 4)
    assert other.truth.impact_start != first.truth.impact_start



def test_the_truth_agrees_with_the_world(scenarios: dict[tuple[str, int], Scenario]) -> None:
    for (family, seed), scenario in scenarios.items():
        truth, where = scenario.truth, f"{family}/{seed}"
        assert truth.family == family, where
        hours = scenario.window.seconds / 3600
        assert 4 <= hours <= 6, where
        assert scenario.window.start < truth.impact_start < scenario.window.end, where
        assert truth.impact_start < truth.detected_at < truth.recovered_at, where
        assert truth.recovered_at < truth.resolved_at <= scenario.window.end, where
        if truth.culprit is not None:
            assert len(_culprit_matches(scenario)) == 1, where
            assert truth.culprit.at < truth.impact_start, where
        times = {e.at for e in scenario.events}
        if truth.mitigated_at is not None:
            acts = [e for e in scenario.events if e.at == truth.mitigated_at
                    and e.kind in CHANGE_KINDS]
            assert acts, where
            assert truth.impact_start < truth.mitigated_at < truth.recovered_at, where
        for at, who in truth.decisions:
            assert at in times and any(e.actor == who and e.at == at and "Decision" in e.text
                                       for e in scenario.events), where
        messages = [e for e in scenario.events if e.kind == EventKind.MESSAGE]
        assert 60 <= len(messages) <= 200, where
        firing = sorted(e.at for e in scenario.events
                        if e.kind == EventKind.ALERT and e.attrs["state"] == "firing"
                        and e.at > truth.impact_start)
        if truth.detection_method == "alert":
            assert firing[0] == truth.detected_at, where
        assert truth.resolved_at in {e.at for e in scenario.events
                                     if e.kind == EventKind.STATUS_CHANGE
                                     and e.attrs["new"] == "Resolved"}, where
        before = [e for e in scenario.events if e.kind == EventKind.DEPLOY
                  and timedelta(0) < truth.impact_start - e.at <= timedelta(minutes=30)
                  and (truth.culprit is None or e.services[0] != truth.culprit.service)]
        assert before, f"{where}: no decoy deploy in the 30 minutes before onset"
        steps = {round(b - a, 3) for s in scenario.series[:3]
                 for a, b in zip(s.timestamps, s.timestamps[1:])}
        assert steps == {15.0}, where


def test_families_have_their_shape(scenarios: dict[tuple[str, int], Scenario]) -> None:
    for (family, seed), scenario in scenarios.items():
        truth, where = scenario.truth, f"{family}/{seed}"
        lag = (truth.impact_start - truth.culprit.at) if truth.culprit else None
        alert_delay = truth.detected_at - truth.impact_start
        if family in ("bad_deploy", "cascade", "config_rollout", "flag", "concurrent"):
            assert timedelta(minutes=1) <= alert_delay <= timedelta(minutes=8), where
        if family == "bad_deploy":
            assert lag is not None and timedelta(minutes=1) <= lag <= timedelta(minutes=6)
            assert truth.affected_services[0] == truth.culprit.service, where
        if family == "cascade":
            assert truth.culprit is not None
            assert truth.affected_services[0] != truth.culprit.service, where
            assert truth.culprit.service in scenario.catalog.upstream_of(
                truth.affected_services[0]), where
        if family == "delayed":
            assert lag is not None and timedelta(minutes=30) <= lag <= timedelta(minutes=120)
            near = [e for e in scenario.events if e.kind == EventKind.DEPLOY
                    and timedelta(0) < truth.impact_start - e.at < lag]
            assert near, where
        if family == "config_rollout":
            assert truth.culprit is not None
            event = next(e for e in scenario.events if e.id in _culprit_matches(scenario))
            assert event.attrs["config_only"] is True, where
            if event.kind == EventKind.MERGE:
                assert event.attrs["repo"] == "acme/platform-config", where
        if family == "flag":
            assert truth.culprit is not None and truth.culprit.kind == "flag", where
            assert truth.mitigation_type == "flag off", where
        if family == "no_culprit":
            assert truth.culprit is None, where
        if family == "humans":
            assert truth.detection_method == "human report", where
            report = next(e for e in scenario.events if e.at == truth.detected_at
                          and e.kind == EventKind.MESSAGE)
            assert "customers" in report.text, where
            first_alert = min(e.at for e in scenario.events if e.kind == EventKind.ALERT
                              and e.attrs["state"] == "firing")
            assert truth.detected_at < first_alert, where
            rollbacks = [e for e in scenario.events if e.kind == EventKind.DEPLOY
                         and e.attrs["rollback"] and e.at > truth.impact_start]
            assert len(rollbacks) == 2 and rollbacks[0].services != rollbacks[1].services
            assert rollbacks[1].at == truth.mitigated_at and len(truth.decisions) == 2, where
            assert any(" PT" in e.text or " ET" in e.text or " CET" in e.text or " IST" in e.text
                       or " MT" in e.text for e in scenario.events
                       if e.kind == EventKind.MESSAGE), where


def test_concurrent_pods_carry_the_deployed_versions(
        scenarios: dict[tuple[str, int], Scenario]) -> None:
    for (family, seed), scenario in scenarios.items():
        if family != "concurrent":
            continue
        truth = scenario.truth
        assert truth.culprit is not None
        pods = [s for s in scenario.series if "pod" in s.labels]
        rolling = {s.service for s in pods}
        assert 3 <= len(rolling) <= 6 and truth.culprit.service in rolling
        for service in rolling:
            versions = {s.labels["version"] for s in pods if s.service == service}
            deployed = {e.attrs["version"] for e in scenario.events
                        if e.kind == EventKind.DEPLOY and e.services == (service,)}
            new = {e.attrs["version"] for e in scenario.events if e.kind == EventKind.DEPLOY
                   and e.services == (service,) and abs(e.at - truth.impact_start)
                   < timedelta(minutes=12) and not e.attrs["rollback"]}
            assert new and new <= versions and versions - new, (seed, service)
            assert (versions & deployed) == versions - (versions - deployed)

        def peak(service: str, version: str, pods: list = pods) -> float:
            values = [v for s in pods if s.service == service and s.signal == "error_ratio"
                      and s.labels["version"] == version for v in s.values if not math.isnan(v)]
            return max(values)

        culprit = next(e for e in scenario.events if e.id in _culprit_matches(scenario))
        bad = peak(culprit.services[0], culprit.attrs["version"])
        assert bad > 0.03
        for service in rolling - {truth.culprit.service}:
            for version in {s.labels["version"] for s in pods if s.service == service}:
                assert peak(service, version) < bad / 2, (seed, service, version)
        clients = [s for s in scenario.series if s.signal == "client_error_ratio"]
        assert {s.labels["target"] for s in clients} == rolling
        assert all(s.labels["service"] == s.service for s in clients)


def test_noisy_has_counters_with_a_reset(scenarios: dict[tuple[str, int], Scenario]) -> None:
    for (family, seed), scenario in scenarios.items():
        if family != "noisy":
            continue
        counters = [s for s in scenario.series if s.signal in ("requests_total", "errors_total")]
        assert counters and all(set(s.labels) == {"service"} for s in counters)
        resets = 0
        for series in counters:
            values = [v for v in series.values if not math.isnan(v)]
            resets += sum(1 for a, b in itertools.pairwise(values) if b < a)
        assert resets >= 1, seed
        gaps = max(_longest_nan_run(s.values) for s in scenario.series)
        assert gaps >= 8, seed  # at least two minutes of missing scrapes somewhere
    noisy = [s.truth.culprit for (family, _), s in scenarios.items() if family == "noisy"]
    assert None in noisy and any(c is not None for c in noisy)


def _longest_nan_run(values: tuple[float, ...]) -> int:
    best = run = 0
    for value in values:
        run = run + 1 if math.isnan(value) else 0
        best = max(best, run)
    return best


def test_every_scenario_writes_a_bundle(scenarios: dict[tuple[str, int], Scenario]) -> None:
    for (family, seed), scenario in scenarios.items():
        bundle = scenario_bundle(scenario)
        assert {"github", "slack", "jira"} <= set(bundle.captures), (family, seed)
        if "prometheus" not in bundle.captures:  # until its encoder is registered
            assert prometheus.encode(scenario).responses, (family, seed)
