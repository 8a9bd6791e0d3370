"""Markdown postmortems with a YAML front matter block -> corpus records.

The format is documented in docs/corpus.md. It accepts afteraction's own keys and the keys of the
public icco/postmortems corpus (``uuid``, ``start_time``, ``end_time``, ``categories``,
``product``...). Every key it does not map is kept in ``extra``, never dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any

import yaml

from afteraction.corpus.records import ActionRecord, FactorRecord, PostmortemRecord, durations
from afteraction.corpus.taxonomy import (
    normalize_action_category,
    normalize_action_status,
    normalize_factor,
)
from afteraction.errors import InputError
from afteraction.model.time import parse_utc

__all__ = ["parse_markdown", "split_front_matter"]

_ALIASES: dict[str, tuple[str, ...]] = {
    "key": ("id", "uuid", "key", "incident"),
    "started_at": ("impact_start", "start_time", "started_at"),
    "resolved_at": ("resolved_at", "end_time"),
    "services": ("services", "service", "affected_services", "product"),
}
_DIRECT = ("title", "severity", "status", "detected_at", "mitigated_at", "recovered_at",
           "detection_method", "mitigation_type", "trigger", "summary", "url")
_LISTS = ("contributing_factors", "categories", "action_items")


class _FieldError(Exception):
    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def split_front_matter(text: str, *, where: str) -> tuple[str, str, int]:
    """(front matter, body, line where the body starts); the block opens and closes with ---."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise InputError("no front matter: the file must start with a '---' line", where=f"{where}:1")
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() in ("---", "..."):
            return "".join(lines[1:number - 1]), "".join(lines[number:]), number + 1
    raise InputError("front matter is not closed by a '---' line", where=f"{where}:1")


def _line_of(front: str, path: tuple[str | int, ...]) -> int:
    """1-based line (inside the front matter) of the value at ``path``, best effort."""
    try:
        node: Any = yaml.compose(front, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return 1
    line = 0
    for step in path:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == step), None)
            if match is None:
                break
            line, node = match[0].start_mark.line, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
            line = node.start_mark.line
        else:
            break
    return line + 1


def _time(value: Any, path: tuple[str | int, ...]) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise _FieldError(path, f"time {value.isoformat()} has no UTC offset")
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=UTC)
    if isinstance(value, str):
        try:
            return parse_utc(value)
        except InputError as exc:
            raise _FieldError(path, exc.message) from exc
    raise _FieldError(path, f"expected a time, got {type(value).__name__}")


def _date(value: Any, path: tuple[str | int, ...]) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise _FieldError(path, f"not a date: {value!r}") from exc


def _text(value: Any, path: tuple[str | int, ...]) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise _FieldError(path, f"expected text, got a {type(value).__name__}")
    return str(value).strip()


def _pick(data: dict[str, Any], used: set[str], names: Sequence[str]) -> tuple[str, Any]:
    for name in names:
        if name in data:
            used.add(name)
            if data[name] not in (None, "", []):
                return name, data[name]
    return names[0], None


def _factors(data: dict[str, Any], used: set[str]) -> tuple[FactorRecord, ...]:
    out: list[FactorRecord] = []
    for name in ("contributing_factors", "categories"):
        items = data.get(name)
        if name in data:
            used.add(name)
        if items in (None, ""):
            continue
        if not isinstance(items, list):
            items = [items]
        for i, item in enumerate(items):
            if isinstance(item, dict):
                cat = _text(item.get("category"), (name, i, "category"))
                text = _text(item.get("text"), (name, i, "text")) or ""
                out.append(FactorRecord(normalize_factor(cat), text or (cat or ""),
                                        bool(item.get("draft", False))))
            else:
                raw = _text(item, (name, i)) or ""
                category = normalize_factor(raw)
                out.append(FactorRecord(category, "" if category == raw else raw))
    return tuple(out)


def _actions(data: dict[str, Any], used: set[str], created: datetime | None
             ) -> tuple[ActionRecord, ...]:
    items = data.get("action_items")
    used.add("action_items")
    if items in (None, ""):
        return ()
    if not isinstance(items, list):
        raise _FieldError(("action_items",), "expected a list of action items")
    out = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            item = {"title": item}
        if not isinstance(item, dict) or not item.get("title"):
            raise _FieldError(("action_items", i), "an action item needs a title")
        path = ("action_items", i)
        status = _text(item.get("status"), path + ("status",))
        out.append(ActionRecord(
            title=str(item["title"]).strip(), owner=_text(item.get("owner"), path + ("owner",)),
            category=normalize_action_category(_text(item.get("category"), path + ("category",))),
            tracker_key=_text(item.get("tracker_key") or item.get("key"), path + ("tracker_key",)),
            status=normalize_action_status(status), tracker_status=status,
            due=_date(item.get("due"), path + ("due",)),
            created_at=_time(item.get("created_at") or item.get("created"),
                             path + ("created_at",)) or created,
            closed_at=_time(item.get("closed_at") or item.get("closed"), path + ("closed_at",))))
    return tuple(out)


def _record(data: dict[str, Any], body: str, stem: str, path: str) -> PostmortemRecord:
    used: set[str] = set()
    _, key = _pick(data, used, _ALIASES["key"])
    name, started = _pick(data, used, _ALIASES["started_at"])
    started_at = _time(started, (name,))
    name, resolved = _pick(data, used, _ALIASES["resolved_at"])
    resolved_at = _time(resolved, (name,))
    name, services = _pick(data, used, _ALIASES["services"])
    if isinstance(services, str):
        # one field naming several, as people write it: "GitHub Actions, GitHub Pages"
        services = [s.strip() for s in services.split(",") if s.strip()]
    services = tuple(_text(s, (name, i)) or "" for i, s in enumerate(services or ()))
    direct: dict[str, Any] = {}
    for field in _DIRECT:
        if field in data:
            used.add(field)
            if field.endswith("_at"):
                direct[field] = _time(data[field], (field,))
            else:
                direct[field] = _text(data[field], (field,))
    ttd, ttm, ttr = durations(started_at, direct.get("detected_at"), direct.get("mitigated_at"),
                              direct.get("recovered_at"), resolved_at)
    factors = _factors(data, used)
    actions = _actions(data, used, resolved_at or direct.get("recovered_at") or started_at)
    extra = {k: v for k, v in data.items() if k not in used}
    return PostmortemRecord(
        key=str(key if key is not None else stem), title=direct.get("title") or stem,
        services=tuple(s for s in services if s), severity=direct.get("severity"),
        status=direct.get("status"), started_at=started_at,
        detected_at=direct.get("detected_at"), mitigated_at=direct.get("mitigated_at"),
        recovered_at=direct.get("recovered_at"), resolved_at=resolved_at,
        ttd_seconds=ttd, ttm_seconds=ttm, ttr_seconds=ttr,
        detection_method=direct.get("detection_method"),
        mitigation_type=direct.get("mitigation_type"), trigger=direct.get("trigger"),
        summary=direct.get("summary") or "", body=body.strip(), url=direct.get("url"),
        factors=factors, actions=actions, extra=_jsonable(extra), source_format="markdown",
        source_path=path)


def _jsonable(value: Any) -> Any:
    """YAML gives datetimes and dates; the extra column is JSON."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def parse_markdown(text: str, *, path: str, stem: str) -> PostmortemRecord:
    """One Markdown postmortem -> a record; errors name the file and the front-matter line."""
    front, body, _ = split_front_matter(text, where=path)
    try:
        data = yaml.safe_load(front)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"front matter is not valid YAML: {reason}", where=f"{path}:{line}") from exc
    if not isinstance(data, dict):
        raise InputError("front matter must be a mapping of fields", where=f"{path}:2")
    try:
        return _record(data, body, stem, path)
    except _FieldError as exc:
        line = _line_of(front, exc.path) + 1
        field = ".".join(str(p) for p in exc.path)
        raise InputError(f"{field}: {exc.message}", where=f"{path}:{line}") from exc
