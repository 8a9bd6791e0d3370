"""Action items by category: done, open past due, dropped (closed without being done), and the
median time to close a done item. ``as_of`` decides what is past due: it is passed in, never read
from the clock."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, case, func, select

from afteraction.corpus.analytics.scope import Scope
from afteraction.corpus.analytics.sqlhelp import scope_filter, service_id
from afteraction.corpus.store import ActionItem, Postmortem

__all__ = ["ActionRow", "ActionSection", "action_section"]


@dataclass(frozen=True)
class ActionRow:
    category: str
    total: int
    done: int
    dropped: int
    open: int
    open_past_due: int
    done_share: float
    dropped_share_of_closed: float | None
    median_days_to_close: float | None


@dataclass(frozen=True)
class ActionSection:
    as_of: str
    categories: list[ActionRow]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _median_close(conn: Connection, category: str, count: int,
                  where: list[ColumnElement[bool]]) -> float | None:
    """Median time to close by seeking into the (category, status, close_seconds) index."""
    if count == 0:
        return None
    stmt = (select(ActionItem.close_seconds)
            .where(ActionItem.category == category, ActionItem.status == "done",
                   ActionItem.close_seconds.is_not(None), *where)
            .order_by(ActionItem.close_seconds)
            .offset((count - 1) // 2).limit(2 - count % 2))
    values = [float(v) for v in conn.execute(stmt).scalars() if v is not None]
    return sum(values) / len(values) if values else None


def action_section(conn: Connection, scope: Scope, *, as_of: datetime) -> ActionSection:
    svc = service_id(conn, scope.service)
    where: list[ColumnElement[bool]] = []
    if scope.since or scope.until or svc is not None:
        where.append(ActionItem.postmortem_id.in_(
            select(Postmortem.id).where(*scope_filter(scope, svc))))
    today = as_of.date()
    is_open = ActionItem.status.in_(("open", "in_progress"))
    is_done = ActionItem.status == "done"
    stmt = (select(ActionItem.category, func.count(),
                   func.sum(case((is_done, 1), else_=0)),
                   func.sum(case((ActionItem.status == "dropped", 1), else_=0)),
                   func.sum(case((is_open, 1), else_=0)),
                   func.sum(case((is_open & (ActionItem.due < today), 1), else_=0)),
                   func.sum(case((is_done & ActionItem.close_seconds.is_not(None), 1),
                                 else_=0)))
            .where(*where).group_by(ActionItem.category))
    rows = []
    for category, total, done, dropped, open_, past_due, timed in conn.execute(stmt).all():
        done, dropped = int(done or 0), int(dropped or 0)
        closed = done + dropped
        median = _median_close(conn, category, int(timed or 0), where)
        rows.append(ActionRow(category, int(total), done, dropped, int(open_ or 0),
                              int(past_due or 0), done / total if total else 0.0,
                              dropped / closed if closed else None,
                              None if median is None else median / 86400))
    rows.sort(key=lambda r: (-(r.dropped_share_of_closed or 0.0), r.category))
    return ActionSection(as_of.isoformat(), rows)
