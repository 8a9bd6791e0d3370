"""One scenario of every family goes all the way to the three rendered drafts."""

from __future__ import annotations

import json

import pytest

from afteraction.generate.bundle import scenario_bundle
from afteraction.generate.families import FAMILIES, build
from afteraction.pipeline import draft
from afteraction.render import render_html, render_json, render_markdown


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_the_family_drafts_in_every_format(family: str) -> None:
    pm = draft(scenario_bundle(build(family, 1)))
    assert render_markdown(pm).startswith("# ")
    assert json.loads(render_json(pm))["incident"]["id"] == pm.incident.id
    assert "<svg" in render_html(pm)
    assert pm.key_metrics, "an incident with impact charts the signal it was measured on"


def test_a_key_metric_can_be_an_error_ratio_derived_from_counters() -> None:
    """The noisy family exports only request counters: the ratio the onset was found on is
    derived, and the draft charts that derived series."""
    pm = draft(scenario_bundle(build("noisy", 1)))
    assert any(m.series_id.startswith("derived-") and m.signal == "error_ratio"
               for m in pm.key_metrics)
