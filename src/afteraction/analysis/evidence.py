"""Everything collected for one incident, in one event model, sorted and indexed for analysis."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import compress
from operator import attrgetter, eq

from afteraction.model.events import Event, EventKind, MetricSeries
from afteraction.model.incident import Catalog, Incident, Window
from afteraction.model.postmortem import SourceReport

__all__ = ["Evidence", "chat_lines"]

_AT = attrgetter("at")
_SPOKEN = (EventKind.MESSAGE, EventKind.UTTERANCE)
_ORDER = attrgetter("at", "source", "id")


def chat_lines(events: Sequence[Event]) -> list[str]:
    """What each event says if it is chat (a message or an utterance), else "": the lines the
    chat passes scan, a line's index being its event's."""
    return [e.text if e.kind in _SPOKEN else "" for e in events]


def _in_order(events: Iterable[Event]) -> list[Event]:
    """Events sorted by (time, source, id). Sorting on the time alone is several times cheaper
    than on a tuple for tens of thousands of events, and equal times are rare: only the runs of
    them are then sorted on the whole key."""
    ordered = sorted(events, key=_AT)
    ats = [e.at for e in ordered]
    end = 0
    for i in compress(range(len(ats)), map(eq, ats, ats[1:])):  # ats[i] == ats[i + 1]
        if i < end:
            continue  # inside a run already sorted
        end = i + 2
        while end < len(ats) and ats[end] == ats[i]:
            end += 1
        ordered[i:end] = sorted(ordered[i:end], key=_ORDER)
    return ordered


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
        ordered = tuple(_in_order(unique.values()))
        series_sorted = tuple(sorted({s.id: s for s in series}.values(), key=lambda s: s.id))
        return cls(incident=incident, window=window, catalog=catalog, events=ordered,
                   series=series_sorted, sources=dict(sorted(sources.items())),
                   provenance=provenance or {})

    def of_kind(self, *kinds: EventKind | str) -> list[Event]:
        wanted = {EventKind(k) for k in kinds}
        return [e for e in self.events if e.kind in wanted]
