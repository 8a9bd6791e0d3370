"""The analysis building blocks on small, hand-made inputs."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from afteraction.analysis.decisions import find_decisions
from afteraction.analysis.derive import counter_increase, derive_error_ratios
from afteraction.analysis.lag import lag_log_ratio
from afteraction.analysis.onset import detect_anomaly
from afteraction.model.events import Event, EventKind, MetricSeries

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC).timestamp()


def _series(values: np.ndarray, signal: str = "error_ratio", **labels: str) -> MetricSeries:
    ts = T0 + 15.0 * np.arange(len(values))
    return MetricSeries(id=f"s-{signal}-{len(labels)}", source="prometheus", query="q",
                        labels={"service": "api", **labels}, service="api", signal=signal,
                        url="https://grafana.example/explore", timestamps=tuple(ts.tolist()),
                        values=tuple(float(v) for v in values))


def _noise(n: int, level: float = 0.002, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return level * np.exp(0.2 * rng.standard_normal(n))


def test_a_step_is_found_at_the_step() -> None:
    values = _noise(960)
    values[600:720] += 0.05
    (anomaly,) = detect_anomaly(_series(values))
    assert abs(anomaly.onset.timestamp() - (T0 + 600 * 15)) <= 15
    assert anomaly.recovered_at is not None
    assert abs(anomaly.recovered_at.timestamp() - (T0 + 720 * 15)) <= 60


def test_a_one_minute_spike_and_missing_scrapes_are_not_incidents() -> None:
    values = _noise(960)
    values[400:404] = 0.2            # one minute of errors: a blip
    values[500:530] = np.nan         # seven minutes without scrapes
    assert detect_anomaly(_series(values)) == []


def test_two_separate_incidents_are_both_found() -> None:
    values = _noise(1200)
    values[300:380] += 0.04
    values[900:980] += 0.04
    found = detect_anomaly(_series(values))
    assert [round((a.onset.timestamp() - T0) / 15) for a in found] == [300, 900]


def test_a_slow_leak_is_dated_from_the_foot_of_its_ramp() -> None:
    rng = np.random.default_rng(3)
    values = 0.35 + 0.01 * rng.standard_normal(1200)
    values[700:1000] += np.linspace(0, 0.55, 300)   # 75 minutes of ramp
    (anomaly,) = detect_anomaly(_series(values, "saturation"))
    assert abs(anomaly.onset.timestamp() - (T0 + 700 * 15)) <= 10 * 60


def test_counter_increase_treats_a_drop_as_a_reset() -> None:
    assert counter_increase(np.array([10.0, 15.0, 3.0, 8.0])).tolist()[1:] == [5.0, 3.0, 5.0]


def test_derived_error_ratio_survives_a_counter_reset() -> None:
    steps = 400
    requests = np.cumsum(np.full(steps, 100.0))
    errors = np.cumsum(np.full(steps, 1.0))
    requests[200:] -= requests[199]   # the process restarted: both counters begin again
    errors[200:] -= errors[199]
    req = _series(requests, "requests_total")
    err = _series(errors, "errors_total").model_copy(update={"id": "other"})
    (ratio,) = derive_error_ratios([req, err])
    values = np.asarray(ratio.values)
    assert np.nanmax(values[5:]) <= 0.0101 and np.nanmin(values[5:]) >= 0.0099
    assert detect_anomaly(ratio) == []


def test_lag_model_prefers_minutes_for_deploys_and_tolerates_an_hour_for_leaks() -> None:
    minutes = 360
    assert lag_log_ratio(5, "deploy", minutes) > 2.0
    assert lag_log_ratio(60, "deploy", minutes) > -1.0  # a leak: barely penalised
    assert lag_log_ratio(240, "deploy", minutes) < lag_log_ratio(60, "deploy", minutes) - 1.5
    assert lag_log_ratio(-5, "deploy", minutes) == -4.0


def _msg(text: str, **attrs: object) -> Event:
    return Event.make(source="slack", kind=EventKind.MESSAGE, source_id=text,
                      at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC), url="https://x.slack.com/a",
                      text=text, actor="Ana", attrs=attrs)


def test_decisions_are_commitments_not_questions() -> None:
    found = find_decisions([
        _msg("Decision: roll back payments to v1.2"), _msg("could we roll back payments?"),
        _msg("rolling back now"), _msg("let's keep this channel for the incident"),
        _msg("[FIRING:1] rollback pending", bot=True), _msg("failing over to us-west now")])
    assert [(s.event.text, s.kind, s.action) for s in found] == [
        ("Decision: roll back payments to v1.2", "decision", "rollback"),
        ("rolling back now", "action", "rollback"),
        ("failing over to us-west now", "action", "failover")]


def _deploy(n: int, minute: int, **attrs: object) -> Event:
    return Event.make(source="github", kind=EventKind.DEPLOY, source_id=f"d{n}",
                      at=datetime(2026, 3, 2, 9, minute, tzinfo=UTC), url="https://gh/x",
                      services=("api",), attrs={"sha": f"sha{n}", **attrs})


def test_a_rollback_takes_back_only_the_deploys_after_its_target() -> None:
    from afteraction.analysis.suspects import _rolled_back

    one, two, three = _deploy(1, 0), _deploy(2, 10), _deploy(3, 20)
    back_to_one = _deploy(4, 30, rollback=True, rollback_to="sha1")
    assert _rolled_back((one, two, three, back_to_one)) == {back_to_one.id: {two.id, three.id}}
    unknown_target = _deploy(5, 30, rollback=True)
    assert _rolled_back((one, two, three, unknown_target)) == {unknown_target.id: {three.id}}


def test_scores_are_not_rounded_into_certainty() -> None:
    from afteraction.render.text import score_text

    assert [score_text(s) for s in (0.998, 1.0, 0.6685, 0.0001, 0.0)] == [
        ">0.99", "1.00", "0.67", "<0.01", "0.00"]
