"""UTC only: every time that enters afteraction is timezone-aware and converted to UTC here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator

from afteraction.errors import TimeError

__all__ = ["UtcDatetime", "format_duration", "parse_utc", "require_utc", "to_iso",
           "utc_from_epoch"]


def require_utc(value: datetime) -> datetime:
    """Reject naive datetimes: a time without an offset is a guess, and guesses shift timelines."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"naive timestamp {value.isoformat()} has no UTC offset")
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(require_utc)]


def parse_utc(text: str, *, where: str | None = None) -> datetime:
    """Parse an ISO 8601 time with an offset ('Z', '+00:00' or Jira's '+0000') into UTC."""
    raw = text.strip()
    if raw.endswith("Z"):
        raw = raw[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise TimeError(f"not an ISO 8601 time: {text!r}", where=where) from exc
    if value.tzinfo is None:
        raise TimeError(f"naive timestamp {text!r} has no UTC offset", where=where)
    return value.astimezone(UTC)


def utc_from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def to_iso(value: datetime) -> str:
    """ISO 8601 in UTC with a 'Z', to the second unless there are fractions."""
    value = value.astimezone(UTC)
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def format_duration(seconds: float) -> str:
    """'3m 15s', '1h 40m', '-0m 30s': how a postmortem writes a span of time."""
    whole = int(round(seconds))
    sign = "-" if whole < 0 else ""
    hours, rest = divmod(abs(whole), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    return f"{sign}{minutes}m {secs:02d}s"
