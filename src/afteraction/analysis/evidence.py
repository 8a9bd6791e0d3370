"""Everything collected for one incident, in one event model, sorted and indexed for analysis."""

from __future__ import annotations

from dataclasses import dataclass, field

from afteraction.model.events import Event, EventKind, MetricSeries
from afteraction.model.incident import Catalog, Incident, Window
from afteraction.model.postmortem import SourceReport

__all__ = ["Evidence"]


@dataclass(frozen=True)
class Evidence:
    incident: Incident
    window: Window
    catalog: Catalog
    events: tuple[Event, ...]
    series: tuple[MetricSeries, ...]
    sources: dict[str, SourceReport] = field(default_factory=dict)
    provenance: dict[str, object] = field(default_factory=dict)

    @classmethod
    def build(cls, incident: Incident, window: Window, catalog: Catalog, events: list[Event],
              series: list[MetricSeries], sources: dict[str, SourceReport],
              provenance: dict[str, object] | None = None) -> Evidence:
        """Deduplicate by id and sort, so the same input always gives the same output."""
        unique = {e.id: e for e in events}
        ordered = tuple(sorted(unique.values(), key=lambda e: (e.at, e.source, e.id)))
        series_sorted = tuple(sorted({s.id: s for s in series}.values(), key=lambda s: s.id))
        return cls(incident=incident, window=window, catalog=catalog, events=ordered,
                   series=series_sorted, sources=dict(sorted(sources.items())),
                   provenance=provenance or {})

    def of_kind(self, *kinds: EventKind | str) -> list[Event]:
        wanted = {EventKind(k) for k in kinds}
        return [e for e in self.events if e.kind in wanted]
