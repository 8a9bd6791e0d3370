"""LaunchDarkly: flag changes from the audit log as flag events.

The connector reads ``GET /api/v2/auditlog?after=A&before=B&limit=20`` (epoch milliseconds; 20 is
the API's maximum) and follows ``_links.next.href`` until it is absent. Each page is
``{items[], _links}``, newest first. Only ``kind: "flag"`` entries become events.

Conventions:

* ``environment``/``project``/``flag_key`` come from the resource specifier
  ``proj/<project>:env/<environment>:flag/<key>`` of the entry's first access (else its target).
* ``action``: ``on``/``off`` when the entry turned the flag on or off (``updateOn``, told by the
  description or ``titleVerb``); ``rollout`` when it changed a percentage rollout (an action named
  ``...Rollout``, or percentages in the description of a rule or default-rule change, read as
  ``rollout_from``/``rollout_to`` of the first variation listed: `` `true`: ~~10%~~ 50%``);
  ``targeting`` for rule, default-rule and individual-target changes (``targets`` lists the
  back-quoted keys of an "Added ... to the individual targets" line); ``other`` for the rest.
* ``actor`` is the member's e-mail (unique across systems), else the token's or app's name.
* ``text`` is the entry's ``comment`` when the author wrote one (their own words for the change),
  else a line built from the action: ``Turned on <key>``, ``Changed rollout of <key> from 10% to
  50%``, ``Changed targeting of <key>``.
* the citation is the flag's page in the environment (the entry's ``_links.site``).
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.errors import BundleError
from afteraction.model.events import Event, EventKind
from afteraction.model.time import utc_from_epoch
from afteraction.sources.base import ParseContext, SourceData

__all__ = ["completeness_problems", "flag_text", "format_percent", "parse"]

SOURCE = "launchdarkly"
_log = logging.getLogger(__name__)

_RESOURCE = re.compile(r"proj/([^:;]+)[^:]*:env/([^:;]+)[^:]*:flag/([^:;\s]+)")
_PERCENTS = re.compile(r"`[^`]*`\s*:\s*(?:~~\s*(\d+(?:\.\d+)?)\s*%\s*~~\s*)?\**(\d+(?:\.\d+)?)\s*%")
_TURNED = re.compile(r"turned\s+(?:the\s+flag\s+)?(on|off)\b", re.IGNORECASE)
_TARGETS = re.compile(r"(?im)^\s*[*-]\s*Added\s+(.+?)\s+to\s+(?:the\s+)?individual\s+targets")
_TARGETING_ACTIONS = frozenset({
    "updateRules", "updateTargets", "updateContextTargets", "updateFallthrough",
    "updateExpiringTargets", "updateExpiringRules", "updateOffVariation"})


def format_percent(value: float) -> str:
    """10 -> '10', 12.5 -> '12.5': how the audit log and our texts print a percentage."""
    return f"{value:g}"


def flag_text(key: str, action: str, attrs: dict[str, Any], title_verb: str = "") -> str:
    """The event text of an entry that carries no comment."""
    if action in ("on", "off"):
        return f"Turned {action} {key}"
    if action == "rollout":
        to, old = attrs.get("rollout_to"), attrs.get("rollout_from")
        if to is None:
            return f"Changed rollout of {key}"
        if old is None:
            return f"Changed rollout of {key} to {format_percent(to)}%"
        return f"Changed rollout of {key} from {format_percent(old)}% to {format_percent(to)}%"
    if action == "targeting":
        return f"Changed targeting of {key}"
    verb = title_verb.strip() or "updated the flag"
    return f"{verb[:1].upper()}{verb[1:]} {key}"


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


def _where(response: RawResponse) -> str:
    return response.file or response.url


def _action(entry: dict[str, Any], actions: set[str]) -> tuple[str, dict[str, Any]]:
    description = str(entry.get("description") or "")
    verb = str(entry.get("titleVerb") or "")
    attrs: dict[str, Any] = {}
    turned = _TURNED.search(description) or _TURNED.search(verb)
    if "updateOn" in actions and turned:
        return turned.group(1).lower(), attrs
    percents = _PERCENTS.search(description)
    rollout_action = any(a.endswith("Rollout") for a in actions)
    if rollout_action or (percents and actions & {"updateRules", "updateFallthrough"}):
        if percents:
            if percents.group(1) is not None:
                attrs["rollout_from"] = _number(percents.group(1))
            attrs["rollout_to"] = _number(percents.group(2))
        return "rollout", attrs
    if actions & _TARGETING_ACTIONS:
        added = _TARGETS.search(description)
        if added:
            attrs["targets"] = re.findall(r"`([^`]+)`", added.group(1))
        return "targeting", attrs
    return "other", attrs


def _actor(entry: dict[str, Any]) -> str | None:
    member = entry.get("member")
    if isinstance(member, dict):
        name = " ".join(str(member.get(k) or "") for k in ("firstName", "lastName")).strip()
        return member.get("email") or name or None
    for key in ("token", "app", "subject"):
        other = entry.get(key)
        if isinstance(other, dict) and other.get("name"):
            return str(other["name"])
    return None


def _entry_event(entry: dict[str, Any], response: RawResponse, ctx: ParseContext) -> Event | None:
    entry_id = entry.get("_id")
    if not isinstance(entry_id, str) or not entry_id:
        raise BundleError("audit log entry without an _id", where=_where(response))
    date = entry.get("date")
    if not isinstance(date, int) or isinstance(date, bool) or date <= 0:
        raise BundleError(f"entry {entry_id} date: expected epoch milliseconds, got {date!r}",
                          where=_where(response))
    accesses = [a for a in entry.get("accesses") or [] if isinstance(a, dict)]
    resources = [str(a.get("resource") or "") for a in accesses]
    resources += list((entry.get("target") or {}).get("resources") or [])
    found = next((m for m in map(_RESOURCE.search, resources) if m), None)
    if found is None:
        return None
    project, environment, key = found.groups()
    action, attrs = _action(entry, {str(a.get("action")) for a in accesses})
    attrs = {"flag_key": key, "project": project, "environment": environment, "action": action,
             **attrs}
    site = (((entry.get("_links") or {}).get("site") or {}).get("href")
            or f"/{project}/{environment}/features/{key}")
    web = (ctx.entry.web_url or ctx.entry.base_url or "https://app.launchdarkly.com")
    comment = str(entry.get("comment") or "").strip()
    service = ctx.catalog.service_for_flag(key)
    return Event.make(source=SOURCE, kind=EventKind.FLAG, source_id=entry_id,
                      at=utc_from_epoch(date / 1000), url=urljoin(web.rstrip("/") + "/", site),
                      text=comment or flag_text(key, action, attrs,
                                                str(entry.get("titleVerb") or "")),
                      actor=_actor(entry), services=(service,) if service else (), attrs=attrs)


def parse(capture: RawCapture, ctx: ParseContext) -> SourceData:
    """Flag events from audit-log pages, sorted by time; one per entry, duplicates dropped."""
    for problem in completeness_problems(capture):
        _log.warning("launchdarkly capture is incomplete: %s", problem)
    events: dict[str, Event] = {}
    for response in capture.responses:
        if response.status >= 300 or "/auditlog" not in urlsplit(response.url).path:
            continue
        data = response.json()
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise BundleError("expected an audit log page {items[], _links}",
                              where=_where(response))
        for entry in data["items"]:
            if not isinstance(entry, dict):
                raise BundleError("audit log item is not an object", where=_where(response))
            if entry.get("kind") != "flag":
                continue
            event = _entry_event(entry, response, ctx)
            if event is not None:
                events.setdefault(event.id, event)
    return SourceData(events=sorted(events.values(), key=lambda e: (e.at, e.id)))


def completeness_problems(capture: RawCapture) -> list[str]:
    """Error pages, and next pages that were named but not captured."""
    problems: list[str] = []
    seen = {(urlsplit(r.url).path, urlsplit(r.url).query) for r in capture.responses}
    for response in capture.responses:
        if response.status >= 400:
            problems.append(f"{_where(response)}: HTTP {response.status}")
            continue
        try:
            data = response.json()
        except BundleError:
            continue
        href = (((data.get("_links") or {}).get("next") or {}).get("href")
                if isinstance(data, dict) else None)
        if href:
            parts = urlsplit(urljoin(response.url, href))
            if (parts.path, parts.query) not in seen:
                problems.append(f"{_where(response)}: next page {href} was not captured")
    return problems
