"""Families of seeded incidents with ground truth: the scenario suite the analysis is scored on.

``build(family, seed)`` makes one scenario; ``suite()`` lists the (family, seed) pairs the
evaluation runs. Every scenario is generated on demand from its seed (nothing is committed), the
same seed always gives the same events and series.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from afteraction.errors import InputError
from afteraction.generate.scenario import Scenario

__all__ = ["FAMILIES", "build", "suite"]


def _builders() -> dict[str, Callable[[int], Scenario]]:
    from afteraction.generate.families.changes import build_config, build_flag
    from afteraction.generate.families.concurrent import build_concurrent
    from afteraction.generate.families.deploys import build_deploy
    from afteraction.generate.families.humans import build_humans
    from afteraction.generate.families.provider import build_no_culprit, build_noisy

    return {
        "bad_deploy": partial(build_deploy, "bad_deploy"),
        "cascade": partial(build_deploy, "cascade"),
        "delayed": partial(build_deploy, "delayed"),
        "config_rollout": build_config,
        "flag": build_flag,
        "no_culprit": build_no_culprit,
        "noisy": build_noisy,
        "humans": build_humans,
        "concurrent": build_concurrent,
    }


FAMILIES: tuple[str, ...] = ("bad_deploy", "cascade", "config_rollout", "flag", "delayed",
                             "no_culprit", "noisy", "humans", "concurrent")


def build(family: str, seed: int) -> Scenario:
    """The scenario of ``family`` for ``seed``."""
    builders = _builders()
    if family not in builders:
        raise InputError(f"unknown scenario family {family!r}; known: {', '.join(FAMILIES)}",
                         where="family")
    return builders[family](seed)


def suite(n_per_family: int = 8, *, first_seed: int = 1) -> Iterator[tuple[str, int]]:
    """(family, seed) pairs: ``n_per_family`` seeds of every family (9 families x 8 = 72)."""
    for family in FAMILIES:
        for seed in range(first_seed, first_seed + n_per_family):
            yield family, seed
