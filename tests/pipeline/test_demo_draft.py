"""The demo incident, drafted from its bundle, against the generator's ground truth."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest

from afteraction.generate.scenario import Scenario
from afteraction.model.postmortem import Postmortem
from afteraction.pipeline import draft_from_path
from afteraction.render import postmortem_schema, render_html, render_json, render_markdown
from afteraction.render.jsonout import committed_schema

TWO_MINUTES = timedelta(minutes=2)


@pytest.fixture(scope="module")
def pm(demo_bundle: Path) -> Postmortem:
    return draft_from_path(demo_bundle)


def test_every_source_of_the_demo_parses(pm: Postmortem) -> None:
    assert {n: r.status for n, r in pm.sources.items()} == {
        "github": "ok", "grafana": "ok", "jira": "ok", "launchdarkly": "ok",
        "prometheus": "ok", "slack": "ok", "zoom": "ok"}
    assert pm.sources["prometheus"].series == 52
    assert pm.sources["slack"].events >= 150


def test_top_suspect_is_the_culprit_not_a_decoy(pm: Postmortem, demo: Scenario) -> None:
    culprit = demo.truth.culprit
    assert culprit is not None
    top = pm.suspects[0]
    assert (top.kind, top.service) == (culprit.kind, culprit.service)
    assert top.at == culprit.at
    assert pm.confident and pm.trigger == top.id
    assert top.score >= 0.8
    # the decoys are ranked, and below the culprit
    decoys = {s.service for s in pm.suspects[1:]}
    assert {"pricing", "search", "checkout"} & decoys
    kinds = {e.kind for e in top.evidence}
    assert {"lag", "undone_recovery", "root", "first_moved"} <= kinds


def test_times_within_two_minutes_of_ground_truth(pm: Postmortem, demo: Scenario) -> None:
    truth = demo.truth
    assert pm.impact_start is not None and abs(pm.impact_start - truth.impact_start) <= TWO_MINUTES
    assert pm.detected_at is not None and abs(pm.detected_at - truth.detected_at) <= TWO_MINUTES
    assert truth.mitigated_at is not None and pm.mitigated_at is not None
    assert abs(pm.mitigated_at - truth.mitigated_at) <= TWO_MINUTES
    assert truth.recovered_at is not None and pm.recovered_at is not None
    assert abs(pm.recovered_at - truth.recovered_at) <= TWO_MINUTES
    assert pm.resolved_at == truth.resolved_at
    assert pm.detection_method == "alert"
    assert pm.mitigation_type == "rollback"
    assert pm.ttd_seconds == int((pm.detected_at - pm.impact_start).total_seconds())
    assert pm.ttm_seconds == int((pm.mitigated_at - pm.impact_start).total_seconds())


def test_affected_services_loudest_first(pm: Postmortem, demo: Scenario) -> None:
    assert pm.affected_services[0] == "checkout"
    assert set(pm.affected_services) == set(demo.truth.affected_services)


def test_decisions_and_related(pm: Postmortem, demo: Scenario) -> None:
    (decided_at, by), = demo.truth.decisions
    assert any(d.actor == by and abs(d.at - decided_at) <= timedelta(seconds=30)
               and d.kind == "decision" for d in pm.decisions)
    relations = {r.key: r.relation for r in pm.related}
    assert relations["INC-4721"] == "incident_ticket"
    assert relations["OPS-311"].startswith("linked")
    assert relations["INC-4502"] == "prior_incident"


def test_timeline_is_sorted_cited_phased_and_deduplicated(pm: Postmortem) -> None:
    stamps = [e.at for e in pm.timeline]
    assert stamps == sorted(stamps)
    assert all(e.url.startswith("https://") for e in pm.timeline)
    assert len({e.id for e in pm.timeline}) == len(pm.timeline)
    phases = {e.phase for e in pm.timeline}
    assert {"before", "response", "recovery", "after"} <= phases
    # the alert bot's echo of the Grafana alert is dropped in favour of the alert itself
    assert not any(e.source == "slack" and "[FIRING" in e.text for e in pm.timeline)
    assert any(e.kind == "alert" and e.milestone == "detected" for e in pm.timeline)
    # noise stays out: a 150-message channel does not become a 150-line timeline
    assert len(pm.timeline) < 120


def test_json_has_the_documented_fields_and_matches_the_schema(pm: Postmortem) -> None:
    data = json.loads(render_json(pm))
    for key in ("incident", "window", "affected_services", "impact_start", "detected_at",
                "mitigated_at", "recovered_at", "resolved_at", "ttd_seconds", "ttm_seconds",
                "ttr_seconds", "mitigation_type", "suspects", "timeline", "decisions",
                "contributing_factors", "related", "sources"):
        assert key in data, key
    assert data["incident"]["id"] == "INC-4721"
    assert data["impact_start"].endswith("Z")
    assert set(data["suspects"][0]) >= {"kind", "id", "service", "at", "url", "score",
                                        "evidence"}
    assert set(data["timeline"][0]) >= {"at", "source", "kind", "text", "url", "phase"}
    assert data["sources"]["slack"]["status"] == "ok"
    jsonschema.Draft202012Validator(committed_schema()).validate(data)


def test_committed_schema_is_current() -> None:
    assert committed_schema() == postmortem_schema(), (
        "regenerate src/afteraction/schema/postmortem.schema.json from postmortem_schema()")


def test_markdown_reads_like_a_postmortem(pm: Postmortem) -> None:
    md = render_markdown(pm)
    for heading in ("## Summary", "## Impact", "## Timeline", "## Detection",
                    "## Response and decisions", "## Suspect changes",
                    "## Contributing factors (draft)", "## Open questions for the author",
                    "## Provenance"):
        assert heading in md
    assert "Deploy of inventory v2.14.0" in md
    assert "](https://github.com/acme/inventory" in md


def test_html_is_self_contained_with_marked_charts(pm: Postmortem) -> None:
    page = render_html(pm)
    assert page.count("<svg") == len(pm.key_metrics) >= 4
    assert "<script" not in page
    assert 'src="http' not in page and "<link" not in page
    for label in ("impact", "detected", "mitigated", "recovered", "#1 inventory"):
        assert f">{label}</text>" in page


def test_draft_is_deterministic(demo_bundle: Path, pm: Postmortem) -> None:
    assert render_json(draft_from_path(demo_bundle)) == render_json(pm)
