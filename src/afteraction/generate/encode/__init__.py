"""Encoders: a scenario's world rendered as the raw responses each real API would have returned.

Each module named in ``ENCODERS`` defines ``encode(scenario) -> RawCapture``. ``encode_all``
imports them lazily, so a source whose encoder is not written yet is simply left out.
"""

from __future__ import annotations

import importlib

from afteraction.bundle.raw import RawCapture
from afteraction.generate.scenario import Scenario

__all__ = ["ENCODERS", "encode_all"]

ENCODERS: dict[str, str] = {
    "github": "afteraction.generate.encode.github",
    "launchdarkly": "afteraction.generate.encode.launchdarkly",
    "changes": "afteraction.generate.encode.changes",
    "slack": "afteraction.generate.encode.slack",
    "zoom": "afteraction.generate.encode.zoom",
    "jira": "afteraction.generate.encode.jira",
    "prometheus": "afteraction.generate.encode.prometheus",
    "grafana": "afteraction.generate.encode.grafana",
}
"""Source name -> encoder module. One line per source."""


def encode_all(scenario: Scenario) -> dict[str, RawCapture]:
    """Every available encoder's capture, for the sources the scenario configures or has events of.

    A source the scenario neither configures (``scenario.entries``) nor has events of is left out,
    as a live run would not have collected it.
    """
    captures: dict[str, RawCapture] = {}
    for name, module_name in ENCODERS.items():
        if name not in scenario.entries and not scenario.events_of(name):
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        captures[name] = module.encode(scenario)
    return captures
