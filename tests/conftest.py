"""Shared fixtures: the demo incident, generated once per test session from its fixed seed."""

from __future__ import annotations

from pathlib import Path

import pytest

from afteraction.generate.bundle import write_scenario_bundle
from afteraction.generate.demo import demo_scenario
from afteraction.generate.scenario import Scenario


@pytest.fixture(scope="session")
def demo() -> Scenario:
    return demo_scenario()


@pytest.fixture(scope="session")
def demo_bundle(demo: Scenario, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_scenario_bundle(demo, tmp_path_factory.mktemp("demo") / "bundle")
