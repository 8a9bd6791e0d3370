"""A change feed a team exports from its deploy tooling (Argo CD, Terraform, Helm, Spinnaker, ...).

Source name ``changes``. Each file of the capture is JSON Lines (``.jsonl``/``.ndjson``: one
object per line) or CSV with a header row (``.csv``); other names are told apart by their first
character. One row is one change:

========  ========  ==========================================================================
column    required  meaning
========  ========  ==========================================================================
at        yes       ISO 8601 time with an offset (``Z`` or ``+02:00``); naive times are refused
kind      yes       ``deploy``, ``config``, ``flag`` or ``merge``
service   no        a catalog service; several separated by ``;`` (JSON: a string or a list, or
                    a ``services`` list). Left out, it is looked up from ``attrs`` (``repo``,
                    ``flag_key``) in the catalog
id        no        the record's id in the exporting tool (default: a hash of the row)
actor     no        who made the change
title     no        what changed: the event's text
url       no        where the record opens (default: the capture's url, ``file:feed.jsonl#L7``)
attrs     no        a JSON object of the documented attrs of the kind (``system``, ``key``,
                    ``old``, ``new`` for config; ``flag_key``, ``rollout_to`` ... for flags)
(other)   no        any other column is one attr of that name; in CSV the documented boolean and
                    number attrs (``rollback``, ``config_only``, ``rollout_to`` ...) are converted
========  ========  ==========================================================================

A bad row stops the parse with a one-line error naming ``file:line`` and the column.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import Any

from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.errors import BundleError, TimeError
from afteraction.model.events import Event, EventKind
from afteraction.model.incident import Catalog
from afteraction.model.time import parse_utc
from afteraction.sources.base import ParseContext, SourceData

__all__ = ["COLUMNS", "KINDS", "jsonl_rows", "parse", "parse_rows"]

SOURCE = "changes"
COLUMNS = ("at", "kind", "service", "id", "actor", "title", "url", "attrs")
KINDS = frozenset({"deploy", "config", "flag", "merge"})
_BOOL_ATTRS = frozenset({"rollback", "canary", "config_only"})
_INT_ATTRS = frozenset({"deployment_id", "number", "additions", "deletions", "changed_files",
                        "revert_of", "change_size"})
_NUMBER_ATTRS = frozenset({"rollout_from", "rollout_to"})


def _name(response: RawResponse) -> str:
    return response.file or response.url.removeprefix("file:")


def _is_jsonl(response: RawResponse, text: str) -> bool:
    name = _name(response).lower()
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return True
    if name.endswith(".csv"):
        return False
    return text.lstrip().startswith("{")


def jsonl_rows(text: str, where: str) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) of each non-blank JSON Lines row; errors name ``where:line``."""
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BundleError(f"not a JSON object: {exc.msg}", where=f"{where}:{number}") from exc
        if not isinstance(row, dict):
            raise BundleError("each line must be a JSON object", where=f"{where}:{number}")
        rows.append((number, row))
    return rows


def _coerce(key: str, value: str, where: str) -> Any:
    """CSV cells are text; documented boolean and number attrs get their type back."""
    if key in _BOOL_ATTRS:
        lowered = value.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        raise BundleError(f"column {key!r}: expected true or false, got {value!r}", where=where)
    if key in _INT_ATTRS | _NUMBER_ATTRS:
        try:
            number = float(value)
        except ValueError as exc:
            raise BundleError(f"column {key!r}: expected a number, got {value!r}",
                              where=where) from exc
        if key in _INT_ATTRS and not number.is_integer():
            raise BundleError(f"column {key!r}: expected a whole number, got {value!r}",
                              where=where)
        return int(number) if number.is_integer() else number
    return value


def _csv_rows(text: str, where: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = {"at", "kind"} - set(reader.fieldnames or ())
    if missing:
        raise BundleError(f"header row lacks the column(s) {', '.join(sorted(missing))}",
                          where=f"{where}:1")
    rows = []
    for row in reader:
        line = reader.line_num
        if None in row:
            raise BundleError("more cells than header columns", where=f"{where}:{line}")
        cleaned: dict[str, Any] = {}
        for key, value in row.items():
            if value is None or value == "":
                continue
            if key == "attrs":
                try:
                    cleaned[key] = json.loads(value)
                except json.JSONDecodeError as exc:
                    raise BundleError(f"column 'attrs': not JSON: {exc.msg}",
                                      where=f"{where}:{line}") from exc
            elif key in COLUMNS:
                cleaned[key] = value
            else:
                cleaned[key] = _coerce(key, value, f"{where}:{line}")
        rows.append((line, cleaned))
    return rows


def _services(row: dict[str, Any], attrs: dict[str, Any], catalog: Catalog,
              where: str) -> tuple[str, ...]:
    value = row.get("services", row.get("service"))
    if isinstance(value, str):
        value = [part.strip() for part in value.split(";") if part.strip()]
    if isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            raise BundleError("column 'service': expected names", where=where)
        return tuple(value)
    if value is not None:
        raise BundleError(f"column 'service': expected a name or a list, got {value!r}",
                          where=where)
    found = None
    if attrs.get("repo"):
        found = catalog.service_for_repo(str(attrs["repo"]))
    if found is None and attrs.get("flag_key"):
        found = catalog.service_for_flag(str(attrs["flag_key"]))
    return (found,) if found else ()


def _event(row: dict[str, Any], where: str, cite: str, catalog: Catalog) -> Event:
    kind = row.get("kind")
    if kind not in KINDS:
        raise BundleError(f"column 'kind': expected one of {', '.join(sorted(KINDS))}, "
                          f"got {kind!r}", where=where)
    at_text = row.get("at")
    if not isinstance(at_text, str) or not at_text.strip():
        raise BundleError("column 'at' is missing", where=where)
    try:
        at = parse_utc(at_text)
    except TimeError as exc:
        raise BundleError(f"column 'at': {exc.message}", where=where) from exc
    attrs = row.get("attrs", {})
    if not isinstance(attrs, dict):
        raise BundleError("column 'attrs': expected a JSON object", where=where)
    attrs = {**{k: v for k, v in row.items() if k not in COLUMNS and k != "services"}, **attrs}
    for key in ("id", "actor", "title", "url"):
        if row.get(key) is not None and not isinstance(row[key], str | int):
            raise BundleError(f"column {key!r}: expected text, got {row[key]!r}", where=where)
    source_id = str(row.get("id") or "") or hashlib.sha1(
        json.dumps(row, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return Event.make(source=SOURCE, kind=EventKind(kind), source_id=source_id, at=at,
                      url=str(row.get("url") or "") or cite,
                      text=str(row.get("title") or ""),
                      actor=str(row["actor"]) if row.get("actor") else None,
                      services=_services(row, attrs, catalog, where), attrs=attrs)


def parse_rows(response: RawResponse, catalog: Catalog) -> list[Event]:
    """The events of one feed file."""
    text = response.text()
    name = _name(response)
    rows = jsonl_rows(text, name) if _is_jsonl(response, text) else _csv_rows(text, name)
    return [_event(row, f"{name}:{line}", f"{response.url}#L{line}", catalog)
            for line, row in rows]


def parse(capture: RawCapture, ctx: ParseContext) -> SourceData:
    """Change events from every feed file of the capture, sorted by time."""
    events: dict[str, Event] = {}
    for response in capture.responses:
        if response.status >= 300:
            continue
        for event in parse_rows(response, ctx.catalog):
            events.setdefault(event.id, event)
    return SourceData(events=sorted(events.values(), key=lambda e: (e.at, e.id)))
