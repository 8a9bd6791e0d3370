"""Concurrency benchmark: every stub answers each request after 100 ms; collecting all sources
at once should take at most 1.5x the slowest source collected alone.

Run by hand: ``.venv/bin/python bench/collect_bench.py [--latency 0.1] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from stubs import INCIDENT, Fleet

from afteraction.collect import collect_live
from afteraction.sources.live.http import HttpPolicy

SOURCES = ("prometheus", "grafana", "github", "slack", "zoom", "jira", "launchdarkly")
SINCE, UNTIL = "2026-03-10T13:35:00Z", "2026-03-10T15:50:00Z"
POLICY = HttpPolicy(timeout=10, retries=1, budget=120)


def timed(fleet: Fleet, only: tuple[str, ...], window: bool = True) -> tuple[float, int]:
    """Seconds for one collection and the number of pages it recorded."""
    settings = fleet.settings(only=only, budget="120s")
    started = time.perf_counter()
    since, until = (SINCE, UNTIL) if window else (None, None)
    bundle = collect_live(settings, INCIDENT, since, until, quiet=True, policy=POLICY)
    elapsed = time.perf_counter() - started
    bad = {n: e.detail for n, e in bundle.manifest.sources.items() if e.status == "error"}
    if bad:
        raise SystemExit(f"collection failed: {bad}")
    return elapsed, sum(len(c.responses) for c in bundle.captures.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with Fleet() as fleet:
        for name in SOURCES:
            fleet.faults(name).latency = args.latency
        alone: dict[str, float] = {}
        for name in SOURCES:
            runs = [timed(fleet, (name,)) for _ in range(args.repeat)]
            alone[name] = min(r[0] for r in runs)
            print(f"{name:<13} alone  {alone[name]:6.2f}s  {runs[0][1]:3d} requests recorded")
        together = [timed(fleet, SOURCES) for _ in range(args.repeat)]
        best = min(t[0] for t in together)
        with_ticket = min(timed(fleet, SOURCES, window=False)[0] for _ in range(args.repeat))
    slowest = max(alone, key=alone.__getitem__)
    ratio = best / alone[slowest]
    print(f"{'all':<13} at once {best:5.2f}s  {together[0][1]:3d} requests recorded")
    print(f"slowest alone: {slowest} {alone[slowest]:.2f}s; all / slowest = {ratio:.2f} "
          f"(limit 1.50); sequential sum would be {sum(alone.values()):.2f}s")
    print(f"all, window read from the incident ticket first: {with_ticket:.2f}s "
          f"({with_ticket / alone[slowest]:.2f}x)")
    return 0 if ratio <= 1.5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
