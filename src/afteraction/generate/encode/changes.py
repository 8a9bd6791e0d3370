"""A scenario's ``changes`` events as the JSON Lines feed a team exports from its deploy tooling.

One file, ``feed.jsonl`` (RawCapture url ``file:feed.jsonl``), oldest change first, in the columns
``afteraction.sources.changefeed`` documents.
"""

from __future__ import annotations

import json
from typing import Any

from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.generate.scenario import Scenario
from afteraction.model.events import Event
from afteraction.model.time import to_iso

__all__ = ["FILE", "encode", "row"]

FILE = "feed.jsonl"


def row(event: Event) -> dict[str, Any]:
    """One feed record; ``services`` is written as a list only when it is not a single name."""
    record: dict[str, Any] = {"at": to_iso(event.at), "kind": str(event.kind)}
    if len(event.services) == 1:
        record["service"] = event.services[0]
    else:
        record["services"] = list(event.services)
    record["id"] = event.source_id
    if event.actor:
        record["actor"] = event.actor
    record["title"] = event.text
    record["url"] = event.url
    if event.attrs:
        record["attrs"] = event.attrs
    return record


def encode(scenario: Scenario) -> RawCapture:
    """The exported feed for this scenario's change-feed events."""
    events = sorted(scenario.events_of("changes"), key=lambda e: (e.at, e.id))
    body = "".join(json.dumps(row(e), ensure_ascii=False) + "\n" for e in events)
    return RawCapture(source="changes", responses=(
        RawResponse(url=f"file:{FILE}", body=body.encode(), file=FILE),))
