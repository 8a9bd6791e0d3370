"""Action items by category: done, open past due, dropped (closed without being done), and the
median time to close a done item. ``as_of`` decides what is past due: it is passed in, never read
from the clock."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, select

from afteraction.corpus.analytics.scope import Scope
from afteraction.corpus.analytics.sqlhelp import grouped_medians, scope_filter, service_id
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


def action_section(conn: Connection, scope: Scope, *, as_of: datetime) -> ActionSection:
    svc = service_id(conn, scope.service)
    where = scope_filter(scope, svc)
    today = as_of.date()
    is_open = ActionItem.status.in_(("open", "in_progress"))
    stmt = (select(ActionItem.category, func.count(),
                   func.sum(case((ActionItem.status == "done", 1), else_=0)),
                   func.sum(case((ActionItem.status == "dropped", 1), else_=0)),
                   func.sum(case((is_open, 1), else_=0)),
                   func.sum(case((is_open & (ActionItem.due < today), 1), else_=0)))
            .join(Postmortem, Postmortem.id == ActionItem.postmortem_id)
            .where(*where).group_by(ActionItem.category))
    base = (select(ActionItem.category.label("category"),
                   ActionItem.close_seconds.label("close"))
            .join(Postmortem, Postmortem.id == ActionItem.postmortem_id)
            .where(*where, ActionItem.status == "done"))
    medians = grouped_medians(conn, base, "close", ("category",))
    rows = []
    for category, total, done, dropped, open_, past_due in conn.execute(stmt):
        done, dropped = int(done or 0), int(dropped or 0)
        closed = done + dropped
        median = medians.get((category,))
        rows.append(ActionRow(category, int(total), done, dropped, int(open_ or 0),
                              int(past_due or 0), done / total if total else 0.0,
                              dropped / closed if closed else None,
                              None if median is None else median / 86400))
    rows.sort(key=lambda r: (-(r.dropped_share_of_closed or 0.0), r.category))
    return ActionSection(as_of.isoformat(), rows)
