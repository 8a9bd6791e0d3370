"""A scenario's flag events as LaunchDarkly's audit log returns them for the incident window.

``GET /api/v2/auditlog?after=A&before=B&limit=20``, newest first, paged through
``_links.next.href`` (the next page moves ``before`` to the oldest entry seen). Each entry has the
shape of a real flag entry: ``accesses`` with the action, a markdown ``description``, ``member``,
``target.resources`` and ``_links.site``. The event text becomes the entry's ``comment`` unless
it is the very line the parser builds from the action (then no comment is written).
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.generate.scenario import Scenario
from afteraction.model.events import Event
from afteraction.sources.launchdarkly import flag_text, format_percent

__all__ = ["LIMIT", "encode"]

LIMIT = 20
"""The audit log's largest page."""

_PATH = "/api/v2/auditlog"


def _hex(*parts: object, size: int = 24) -> str:
    return hashlib.sha1("\x1f".join(map(str, parts)).encode()).hexdigest()[:size]


def _ms(event: Event) -> int:
    return round(event.at.timestamp() * 1000)


def _member(actor: str | None) -> dict[str, Any] | None:
    """A member whose e-mail is the actor; names from the address's local part."""
    if not actor or "@" not in actor:
        return None
    email = actor
    local = email.split("@", 1)[0].replace("_", ".").split(".")
    member_id = _hex("member", email)
    return {"_links": {"parent": {"href": "/api/v2/members", "type": "application/json"},
                       "self": {"href": f"/api/v2/members/{member_id}",
                                "type": "application/json"}},
            "_id": member_id, "email": email, "firstName": local[0].capitalize(),
            "lastName": " ".join(p.capitalize() for p in local[1:])}


def _change(event: Event) -> tuple[str, str, str]:
    """(access action, titleVerb, markdown description) for the event's action."""
    attrs = event.attrs
    action = attrs.get("action") or "other"
    if action in ("on", "off"):
        return "updateOn", f"turned {action} the flag", f"* Turned the flag {action}\n"
    if action == "rollout":
        to, old = attrs.get("rollout_to"), attrs.get("rollout_from")
        if to is None:
            return ("updateFallthroughWithMeasuredRollout", "updated the flag",
                    "* Started a guarded rollout of the default rule\n")
        lines = []
        for variation, share_to, share_from in (
                ("true", to, old), ("false", 100 - to, None if old is None else 100 - old)):
            was = "" if share_from is None else f"~~{format_percent(share_from)}%~~ "
            lines.append(f"  * `{variation}`: {was}{format_percent(share_to)}%\n")
        head = ("* Changed the default rule's percentage rollout:\n" if old is not None
                else "* Changed the default rule to a percentage rollout:\n")
        return "updateFallthrough", "updated the flag", head + "".join(lines)
    if action == "targeting":
        targets = attrs.get("targets") or []
        if targets:
            keys = ", ".join(f"`{t}`" for t in targets)
            return ("updateTargets", "updated the flag",
                    f"* Added {keys} to the individual targets serving `true`\n")
        return "updateRules", "updated the flag", "* Changed the targeting rules\n"
    return "updatePrerequisites", "updated the flag", "* Changed the prerequisites\n"


def _entry(event: Event, web: str) -> dict[str, Any]:
    attrs = event.attrs
    key = str(attrs["flag_key"])
    project = str(attrs.get("project") or "default")
    environment = str(attrs.get("environment") or "production")
    resource = f"proj/{project}:env/{environment}:flag/{key}"
    access, verb, description = _change(event)
    entry_id = _hex("entry", event.id)
    site = {"href": f"/{project}/{environment}/features/{key}", "type": "text/html"}
    canonical = {"href": f"/api/v2/flags/{project}/{key}", "type": "application/json"}
    member = _member(event.actor)
    who = member["firstName"] if member else (event.actor or "LaunchDarkly")
    env_name = environment.replace("-", " ").title()
    built = flag_text(key, str(attrs.get("action") or "other"), attrs, verb)
    entry: dict[str, Any] = {
        "_links": {"canonical": canonical,
                   "parent": {"href": _PATH, "type": "application/json"},
                   "self": {"href": f"{_PATH}/{entry_id}", "type": "application/json"},
                   "site": site},
        "_id": entry_id, "_accountId": _hex("account", web), "date": _ms(event),
        "accesses": [{"action": access, "resource": resource}], "kind": "flag", "name": key,
        "description": description, "shortDescription": "",
        "comment": "" if event.text == built else event.text,
        "titleVerb": verb,
        "title": f"{who} {verb} [{key}]({web}{site['href']}) in `{env_name}`",
        "target": {"_links": {"canonical": canonical, "site": site}, "name": key,
                   "resources": [resource]},
        "parent": {"_links": {"canonical": {
            "href": f"/api/v2/projects/{project}/environments/{environment}",
            "type": "application/json"}, "site": {"href": "/settings/projects",
                                                  "type": "text/html"}},
            "name": env_name, "resource": f"proj/{project}:env/{environment}"},
    }
    if member:
        entry["member"] = member
    elif event.actor:  # not an e-mail: an API access token of that name made the change
        entry["token"] = {"_links": {}, "_id": _hex("token", event.actor), "name": event.actor,
                          "ending": _hex("ending", event.actor, size=4), "serviceToken": True}
    return entry


def encode(scenario: Scenario, *, limit: int = LIMIT) -> RawCapture:
    """The audit-log pages a live run would have recorded for this scenario's flag events."""
    entry_cfg = scenario.entries.get("launchdarkly")
    base = ((entry_cfg.base_url if entry_cfg else None)
            or "https://app.launchdarkly.com").rstrip("/")
    web = ((entry_cfg.web_url if entry_cfg else None) or base).rstrip("/")
    events = sorted(scenario.events_of("launchdarkly"), key=lambda e: (_ms(e), e.id),
                    reverse=True)
    after = round((scenario.window.start - timedelta(seconds=scenario.lookback_seconds))
                  .timestamp() * 1000)
    before = round(scenario.window.end.timestamp() * 1000)
    if events:
        after = min(after, _ms(events[-1]) - 1)
        before = max(before, _ms(events[0]) + 1)
    entries = [_entry(e, web) for e in events]
    pages: list[list[dict[str, Any]]] = []
    rest = entries
    while True:
        cut = min(limit, len(rest))
        while 0 < cut < len(rest) and rest[cut]["date"] == rest[cut - 1]["date"] and cut > 1:
            cut -= 1  # 'before' is exclusive: never split entries of the same millisecond
        pages.append(rest[:cut])
        rest = rest[cut:]
        if not rest:
            break
    reset = round(scenario.captured_at.timestamp() * 1000) + 10_000
    date = format_datetime(scenario.captured_at, usegmt=True)
    responses = []
    upper = before
    for number, page in enumerate(pages):
        params = {"after": str(after), "before": str(upper), "limit": str(limit)}
        href = f"{_PATH}?{urlencode(params)}"
        links: dict[str, Any] = {"self": {"href": href, "type": "application/json"}}
        if number + 1 < len(pages):
            upper = page[-1]["date"]
            links["next"] = {"href": f"{_PATH}?{urlencode({**params, 'before': str(upper)})}",
                             "type": "application/json"}
        body = {"_links": links, "items": page}
        headers = {"Date": date, "Content-Type": "application/json",
                   "X-Ratelimit-Global-Remaining": str(2000 - number - 1),
                   "X-Ratelimit-Route-Remaining": str(100 - number - 1),
                   "X-Ratelimit-Reset": str(reset)}
        responses.append(RawResponse(url=f"{base}{href}", params=params, headers=headers,
                                     body=json.dumps(body, separators=(",", ":")).encode()))
    return RawCapture(source="launchdarkly", responses=tuple(responses))
