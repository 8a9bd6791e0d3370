"""A scenario written out as a bundle: the raw payloads every source would have returned."""

from __future__ import annotations

from pathlib import Path

from afteraction import __version__
from afteraction.bundle.manifest import Manifest, SourceEntry
from afteraction.bundle.raw import RawCapture
from afteraction.bundle.store import Bundle, write_bundle
from afteraction.generate.encode import encode_all
from afteraction.generate.scenario import Scenario

__all__ = ["scenario_bundle", "scenario_manifest", "write_scenario_bundle"]


def scenario_manifest(scenario: Scenario, captures: dict[str, RawCapture]) -> Manifest:
    sources: dict[str, SourceEntry] = {}
    for name in captures:
        entry = scenario.entries.get(name, SourceEntry())
        queries = tuple(sorted({str(r.params.get("query") or r.params.get("jql") or r.params.get(
            "q")) for r in captures[name].responses if r.params.get("query") or r.params.get(
            "jql") or r.params.get("q")}))
        sources[name] = entry.model_copy(update={"queries": queries})
    return Manifest(incident=scenario.incident, window=scenario.window,
                    captured_at=scenario.captured_at, tool_version=__version__, sources=sources,
                    catalog=scenario.catalog, lookback_seconds=scenario.lookback_seconds,
                    baseline_seconds=scenario.baseline_seconds)


def scenario_bundle(scenario: Scenario) -> Bundle:
    """The bundle in memory, exactly as reading it back from disk would give it."""
    captures = encode_all(scenario)
    return Bundle(path=Path("."), manifest=scenario_manifest(scenario, captures),
                  captures=captures)


def write_scenario_bundle(scenario: Scenario, path: str | Path) -> Path:
    captures = encode_all(scenario)
    return write_bundle(path, scenario_manifest(scenario, captures), captures)
