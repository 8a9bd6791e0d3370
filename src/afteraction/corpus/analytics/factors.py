"""The top contributing factors over a period: counts, share of incidents, per-quarter counts, and
a trend (the share in the period's second half against its first, Fisher's exact test)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from scipy import stats
from sqlalchemy import Connection, case, func, select

from afteraction.corpus.analytics.scope import Scope, add_quarters, months_before, quarter_start
from afteraction.corpus.analytics.sqlhelp import latest_start, scope_filter, service_id
from afteraction.corpus.store import ContributingFactor, Postmortem, PostmortemService

__all__ = ["FactorRow", "FactorSection", "factor_section"]


@dataclass(frozen=True)
class FactorRow:
    category: str
    incidents: int
    share: float
    first_half: int
    second_half: int
    trend: str
    trend_p: float
    by_quarter: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class FactorSection:
    since: str | None
    until: str | None
    incidents: int
    factors: list[FactorRow]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def trend(first: int, second: int, n_first: int, n_second: int) -> tuple[str, float]:
    """Pure: rising / falling / steady share of incidents between the two halves."""
    if n_first == 0 or n_second == 0:
        return "steady", 1.0
    table = [[second, n_second - second], [first, n_first - first]]
    p = float(stats.fisher_exact(table).pvalue)
    if p >= 0.05:
        return "steady", p
    return ("rising" if second / n_second > first / n_first else "falling"), p


def factor_section(conn: Connection, scope: Scope, *, months: int = 12) -> FactorSection:
    """Factors over the scope's period (default: the 12 months before its end)."""
    svc = service_id(conn, scope.service)
    until = scope.until
    if until is None:
        latest = latest_start(conn, scope, svc)
        if latest is None:
            return FactorSection(None, None, 0, [])
        until = add_quarters(quarter_start(latest), 1)
    since = scope.since or months_before(until, months)
    period = Scope(since, until, scope.service)
    where = scope_filter(period, svc)
    lo, hi = int(since.timestamp()), int(until.timestamp())
    mid = lo + (hi - lo) // 2
    n_first, n_second = conn.execute(
        select(func.sum(case((Postmortem.started_epoch < mid, 1), else_=0)),
               func.sum(case((Postmortem.started_epoch >= mid, 1), else_=0))).where(*where)).one()
    n_first, n_second = int(n_first or 0), int(n_second or 0)
    chosen = (select(ContributingFactor.category.label("category"),
                     ContributingFactor.postmortem_id.label("pm"),
                     ContributingFactor.started_epoch.label("at"),
                     ContributingFactor.quarter.label("quarter"))
              .where(ContributingFactor.started_epoch >= lo, ContributingFactor.started_epoch < hi))
    if svc is not None:
        chosen = chosen.where(ContributingFactor.postmortem_id.in_(
            select(PostmortemService.postmortem_id).where(PostmortemService.service_id == svc)))
    pairs = chosen.distinct().subquery()
    rows = conn.execute(select(pairs.c.category, pairs.c.quarter, func.count(),
                               func.sum(case((pairs.c.at < mid, 1), else_=0)))
                        .group_by(pairs.c.category, pairs.c.quarter)).all()
    totals: dict[str, list[Any]] = {}
    for category, quarter, count, first in rows:
        entry = totals.setdefault(category, [0, 0, {}])
        entry[0] += int(count)
        entry[1] += int(first or 0)
        entry[2][quarter] = int(count)
    total = n_first + n_second
    out = []
    for category, (count, first, quarters) in totals.items():
        label, p = trend(first, count - first, n_first, n_second)
        out.append(FactorRow(category, count, count / total if total else 0.0, first,
                             count - first, label, p, dict(sorted(quarters.items()))))
    out.sort(key=lambda r: (-r.incidents, r.category))
    return FactorSection(since.isoformat(), until.isoformat(), total, out)
