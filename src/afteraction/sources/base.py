"""What every source shares: the parse context, the parsed result, and the parser registry.

A parser is a pure function ``(RawCapture, ParseContext) -> SourceData``: no network, no clock.
The live connector of the same source fetches the raw pages and hands them to this function, so a
replayed bundle runs exactly the code that reads the live API.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from afteraction.bundle.manifest import SourceEntry
from afteraction.bundle.raw import RawCapture
from afteraction.model.events import Event, MetricSeries
from afteraction.model.incident import Catalog, Incident, Window

__all__ = ["BUILTIN_SOURCES", "ParseContext", "Parser", "SourceData", "get_parser", "register_parser"]


@dataclass(frozen=True)
class ParseContext:
    incident: Incident
    window: Window
    catalog: Catalog
    entry: SourceEntry = field(default_factory=SourceEntry)


@dataclass
class SourceData:
    events: list[Event] = field(default_factory=list)
    series: list[MetricSeries] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What the parser noticed about the capture's completeness (lost pages, capped search)."""


Parser = Callable[[RawCapture, ParseContext], SourceData]

BUILTIN_SOURCES: dict[str, str] = {
    "prometheus": "afteraction.sources.prometheus",
    "grafana": "afteraction.sources.grafana",
    "github": "afteraction.sources.github",
    "slack": "afteraction.sources.slack",
    "zoom": "afteraction.sources.zoom",
    "jira": "afteraction.sources.jira",
    "launchdarkly": "afteraction.sources.launchdarkly",
    "changes": "afteraction.sources.changefeed",
}
"""Source name -> module. Each module defines ``parse(capture, ctx) -> SourceData``."""

_EXTRA: dict[str, Parser] = {}


def register_parser(name: str, parser: Parser) -> None:
    """Register a third-party source's parser under its config name."""
    _EXTRA[name] = parser


def get_parser(name: str) -> Parser | None:
    if name in _EXTRA:
        return _EXTRA[name]
    module_name = BUILTIN_SOURCES.get(name)
    if module_name is None:
        return None
    module = importlib.import_module(module_name)
    parser: Parser = module.parse
    return parser
