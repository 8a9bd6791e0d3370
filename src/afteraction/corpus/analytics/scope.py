"""What a report covers (period, service) and the calendar quarters it is counted in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["Scope", "add_quarters", "last_instant", "months_before", "quarter_label",
           "quarter_start"]


@dataclass(frozen=True)
class Scope:
    """Half-open period ``[since, until)`` in UTC and an optional service; None = unbounded."""

    since: datetime | None = None
    until: datetime | None = None
    service: str | None = None

    @property
    def since_epoch(self) -> int | None:
        return None if self.since is None else int(self.since.timestamp())

    @property
    def until_epoch(self) -> int | None:
        return None if self.until is None else int(self.until.timestamp())


def quarter_start(at: datetime) -> datetime:
    at = at.astimezone(UTC)
    return datetime(at.year, 3 * ((at.month - 1) // 3) + 1, 1, tzinfo=UTC)


def add_quarters(start: datetime, count: int) -> datetime:
    """The start of the quarter ``count`` quarters after (or before) the one starting at ``start``."""
    index = start.year * 4 + (start.month - 1) // 3 + count
    return datetime(index // 4, 3 * (index % 4) + 1, 1, tzinfo=UTC)


def quarter_label(at: datetime) -> str:
    at = at.astimezone(UTC)
    return f"{at.year}Q{(at.month - 1) // 3 + 1}"


def last_instant(until: datetime) -> datetime:
    """The last second inside a half-open period ending at ``until``."""
    return until - timedelta(seconds=1)


def months_before(at: datetime, months: int) -> datetime:
    """The same instant ``months`` calendar months earlier (day clamped to the month's end)."""
    index = at.year * 12 + at.month - 1 - months
    year, month = divmod(index, 12)
    day = min(at.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31,
                       30, 31, 30, 31, 31, 30, 31, 30, 31][month])
    return at.replace(year=year, month=month + 1, day=day)
