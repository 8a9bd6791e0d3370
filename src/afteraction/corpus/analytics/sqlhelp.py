"""Portable SQL pieces shared by the analytics: the scope as WHERE clauses on postmortems."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Connection, func, select

from afteraction.corpus.analytics.scope import Scope
from afteraction.corpus.store import Postmortem, PostmortemService, Service

__all__ = ["latest_start", "scope_filter", "service_id"]


def service_id(conn: Connection, name: str | None) -> int | None:
    """The id of a service named in a scope; -1 when it is unknown (matches nothing)."""
    if name is None:
        return None
    found = conn.execute(select(Service.id).where(Service.name == name)).scalar()
    return -1 if found is None else int(found)


def latest_start(conn: Connection, scope: Scope, svc_id: int | None) -> datetime | None:
    """Start of the most recent incident in scope (read from the started_epoch index)."""
    value = conn.execute(select(func.max(Postmortem.started_epoch))
                         .where(*scope_filter(scope, svc_id))).scalar()
    return None if value is None else datetime.fromtimestamp(int(value), tz=UTC)


def scope_filter(scope: Scope, svc_id: int | None) -> list[ColumnElement[bool]]:
    """WHERE clauses on postmortems for a scope (period on the incident start, service)."""
    clauses: list[ColumnElement[bool]] = []
    if scope.since_epoch is not None:
        clauses.append(Postmortem.started_epoch >= scope.since_epoch)
    if scope.until_epoch is not None:
        clauses.append(Postmortem.started_epoch < scope.until_epoch)
    if svc_id is not None:
        clauses.append(Postmortem.id.in_(select(PostmortemService.postmortem_id)
                                         .where(PostmortemService.service_id == svc_id)))
    return clauses
