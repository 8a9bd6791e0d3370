"""Portable SQL pieces for the analytics: scope filters and grouped medians via window functions.

Medians are computed in the database (row_number over each group), so only one row per group
crosses the wire; this works on SQLite >= 3.25 and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, func, select

from afteraction.corpus.analytics.scope import Scope
from afteraction.corpus.store import Postmortem, PostmortemService, Service

__all__ = ["grouped_medians", "scope_filter", "service_id"]


def service_id(conn: Connection, name: str | None) -> int | None:
    """The id of a service named in a scope; -1 when it is unknown (matches nothing)."""
    if name is None:
        return None
    found = conn.execute(select(Service.id).where(Service.name == name)).scalar()
    return -1 if found is None else int(found)


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


def grouped_medians(conn: Connection, base: Select, value: str,
                    groups: Sequence[str]) -> dict[tuple[Any, ...], float]:
    """Median of column ``value`` per ``groups`` over the rows of ``base`` (NULLs ignored)."""
    sub = base.subquery()
    keys = [sub.c[g] for g in groups]
    ranked = select(*keys, sub.c[value].label("v"),
                    func.row_number().over(partition_by=keys, order_by=sub.c[value]).label("rn"),
                    func.count().over(partition_by=keys).label("cnt")
                    ).where(sub.c[value].is_not(None)).subquery()
    rkeys = [ranked.c[g] for g in groups]
    stmt = (select(*rkeys, func.avg(ranked.c.v))
            .where(and_(ranked.c.rn >= (ranked.c.cnt + 1) // 2,
                        ranked.c.rn <= (ranked.c.cnt + 2) // 2))
            .group_by(*rkeys))
    return {tuple(row[:-1]): float(row[-1]) for row in conn.execute(stmt)}
