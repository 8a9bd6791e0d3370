"""The plain data that flows between collect, analyze, draft and render."""

from afteraction.model.events import Event, EventKind, MetricSeries, event_id
from afteraction.model.incident import Catalog, Incident, Service, Window
from afteraction.model.time import UtcDatetime, parse_utc, to_iso, utc_from_epoch

__all__ = [
    "Catalog",
    "Event",
    "EventKind",
    "Incident",
    "MetricSeries",
    "Service",
    "UtcDatetime",
    "Window",
    "event_id",
    "parse_utc",
    "to_iso",
    "utc_from_epoch",
]
