"""Related records: the incident ticket, its links, open tech debt on the services involved, and
prior incidents on the same services."""

from __future__ import annotations

from datetime import datetime

from afteraction.model.events import Event, EventKind
from afteraction.model.incident import Incident
from afteraction.model.postmortem import Related

__all__ = ["find_related"]

_DONE = {"done", "closed", "resolved", "fixed", "won't do", "wont do", "complete"}
_TICKET = EventKind.TICKET
"""Held here: looking a member up on the enum costs more than the comparison it feeds, and the
ticket scan makes one per event."""


def find_related(events: tuple[Event, ...], incident: Incident, services: set[str],
                 impact_start: datetime | None) -> list[Related]:
    tickets = {str(e.attrs.get("key")): e for e in events if e.kind == _TICKET}
    key = incident.ticket or incident.id
    out: dict[str, Related] = {}
    own = tickets.get(key)
    if own is not None:
        out[key] = _related(own, "incident", "incident_ticket")
        for link in own.attrs.get("links", []) or []:
            other = tickets.get(link.get("key"))
            if other is not None:
                out[other.attrs["key"]] = _related(other, _kind(other),
                                                   f"linked ({link.get('type', 'relates')})")
            elif link.get("key"):
                out[link["key"]] = Related(kind="ticket", key=link["key"], title="",
                                           relation=f"linked ({link.get('type', 'relates')})")
    for ticket_key, e in sorted(tickets.items(), key=lambda kv: str(kv[0])):
        if ticket_key in out or ticket_key == key:
            continue
        if services.isdisjoint(e.services):
            continue
        labels = {str(x).lower() for x in e.attrs.get("labels", [])}
        status = str(e.attrs.get("status", "")).lower()
        if _kind(e) == "incident" and (impact_start is None or e.at < impact_start):
            out[ticket_key] = _related(e, "incident", "prior_incident")
        elif labels & {"tech-debt", "techdebt", "debt"} and status not in _DONE:
            out[ticket_key] = _related(e, "ticket", "tech_debt")
    return list(out.values())


def _kind(e: Event) -> str:
    return "incident" if str(e.attrs.get("issue_type", "")).lower() in (
        "incident", "postmortem", "post-incident review") else "ticket"


def _related(e: Event, kind: str, relation: str) -> Related:
    return Related(kind=kind, key=str(e.attrs.get("key")), title=e.text, url=e.url,  # type: ignore[arg-type]
                   relation=relation, status=e.attrs.get("status"),
                   service=e.services[0] if e.services else None)
