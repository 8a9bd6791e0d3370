"""Fixtures for the live-source tests: the stub fleet, quick HTTP policies, a real Prometheus."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stubs import Fleet  # noqa: E402

from afteraction.sources.live.http import HttpPolicy  # noqa: E402

QUICK = HttpPolicy(timeout=2.0, retries=2, backoff=0.01, max_backoff=0.05, budget=8.0)


@pytest.fixture()
def fleet() -> Iterator[Fleet]:
    with Fleet() as running:
        yield running


@pytest.fixture()
def quick() -> HttpPolicy:
    return QUICK
