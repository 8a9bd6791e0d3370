"""Deploy patterns before incidents: for each deploy attribute, the rate of deploys followed by an
incident of the same service within a window, with the attribute against without it.

One GROUP BY over the deploy log builds a small cube (weekday x hour x size band x kind x canary x
rollback); every attribute is a pair of sums over that cube. Rate ratios carry a 95% CI and
Fisher's p-value, Benjamini-Hochberg corrected across the attributes with adequate samples.
Hours and weekdays are UTC.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from afteraction.corpus.analytics.scope import Scope
from afteraction.corpus.analytics.sqlhelp import service_id
from afteraction.corpus.analytics.stats import benjamini_hochberg, rate_ratio
from afteraction.corpus.cube import LARGE_LINES, SMALL_LINES, decode
from afteraction.corpus.store import Deploy

__all__ = ["ATTRIBUTES", "CubeCell", "PatternRow", "PatternSection", "analyze_patterns",
           "deploy_pattern_section"]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
HOUR_BANDS = {"night (00-06 UTC)": (0, 6), "morning (06-12 UTC)": (6, 12),
              "afternoon (12-18 UTC)": (12, 18), "evening (18-24 UTC)": (18, 24)}


@dataclass(frozen=True)
class CubeCell:
    weekday: int
    hour: int
    size: str
    kind: str
    canary: bool | None
    rollback: bool
    deploys: int
    followed: int


Predicate = Callable[[CubeCell], bool]


def _on_weekday(day: int) -> Predicate:
    return lambda c: c.weekday == day


def _in_hours(lo: int, hi: int) -> Predicate:
    return lambda c: lo <= c.hour < hi


def _attributes() -> list[tuple[str, Predicate, Predicate]]:
    """(name, has it, applies) — 'applies' leaves out deploys where the attribute is unknown."""
    always: Predicate = lambda c: True
    out: list[tuple[str, Predicate, Predicate]] = []
    for day, name in enumerate(WEEKDAYS):
        out.append((f"weekday: {name}", _on_weekday(day), always))
    for band, (lo, hi) in HOUR_BANDS.items():
        out.append((f"hour: {band}", _in_hours(lo, hi), always))
    known_size: Predicate = lambda c: c.size != "unknown"
    out.append((f"size: small (< {SMALL_LINES} lines)", lambda c: c.size == "small", known_size))
    out.append((f"size: large (>= {LARGE_LINES} lines)", lambda c: c.size == "large", known_size))
    out.append(("kind: config change", lambda c: c.kind == "config", always))
    out.append(("kind: flag change", lambda c: c.kind == "flag", always))
    out.append(("no canary", lambda c: c.canary is False, lambda c: c.canary is not None))
    out.append(("rollback", lambda c: c.rollback, always))
    return out


ATTRIBUTES = _attributes()


@dataclass(frozen=True)
class PatternRow:
    attribute: str
    deploys_with: int
    incidents_with: int
    rate_with: float | None
    deploys_without: int
    incidents_without: int
    rate_without: float | None
    rate_ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    q_value: float | None
    verdict: str


@dataclass(frozen=True)
class PatternSection:
    window_hours: float
    deploys: int
    followed: int
    attributes: list[PatternRow]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def analyze_patterns(cells: list[CubeCell], *, alpha: float = 0.05) -> list[PatternRow]:
    """Pure: one row per attribute, BH-corrected; small samples say so instead of a verdict."""
    rows: list[dict[str, Any]] = []
    tested: list[tuple[int, float]] = []
    for name, has, applies in ATTRIBUTES:
        nw = kw = no = ko = 0
        for cell in cells:
            if not applies(cell):
                continue
            if has(cell):
                nw, kw = nw + cell.deploys, kw + cell.followed
            else:
                no, ko = no + cell.deploys, ko + cell.followed
        rr = rate_ratio(kw, nw, ko, no)
        row: dict[str, Any] = {"attribute": name, "deploys_with": nw, "incidents_with": kw,
               "rate_with": kw / nw if nw else None, "deploys_without": no,
               "incidents_without": ko, "rate_without": ko / no if no else None,
               "rate_ratio": _finite(rr.ratio), "ci_low": _finite(rr.low),
               "ci_high": _finite(rr.high), "p_value": rr.p_value if nw and no else None,
               "q_value": None, "verdict": "sample too small"}
        if rr.adequate:
            tested.append((len(rows), rr.p_value))
        rows.append(row)
    for (index, _), q in zip(tested, benjamini_hochberg([p for _, p in tested]), strict=True):
        row = rows[index]
        row["q_value"] = q
        if q < alpha:
            row["verdict"] = ("more incidents" if (row["rate_ratio"] or 0) > 1
                              else "fewer incidents")
        else:
            row["verdict"] = "no significant difference"
    out = [PatternRow(**r) for r in rows]
    order = {"more incidents": 0, "fewer incidents": 1, "no significant difference": 2,
             "sample too small": 3}
    return sorted(out, key=lambda r: (order[r.verdict], r.q_value if r.q_value is not None
                                      else 1.0, r.attribute))


def query_cube(conn: Connection, scope: Scope, window_seconds: int) -> list[CubeCell]:
    """The deploy cube over the scope, counting deploys followed by an incident in the window."""
    followed = case((and_(Deploy.next_incident_epoch.is_not(None),
                          Deploy.next_incident_epoch - Deploy.at_epoch <= window_seconds), 1),
                    else_=0)
    stmt = select(Deploy.cube, func.count(), func.sum(followed))
    if scope.since_epoch is not None:
        stmt = stmt.where(Deploy.at_epoch >= scope.since_epoch)
    if scope.until_epoch is not None:
        stmt = stmt.where(Deploy.at_epoch < scope.until_epoch)
    svc = service_id(conn, scope.service)
    if svc is not None:
        stmt = stmt.where(Deploy.service_id == svc)
    stmt = stmt.group_by(Deploy.cube)
    return [CubeCell(*decode(int(key)), int(n), int(f or 0))
            for key, n, f in conn.execute(stmt)]


def deploy_pattern_section(conn: Connection, scope: Scope, *, window_hours: float = 4.0
                           ) -> PatternSection:
    cells = query_cube(conn, scope, int(window_hours * 3600))
    return PatternSection(window_hours, sum(c.deploys for c in cells),
                          sum(c.followed for c in cells), analyze_patterns(cells))
