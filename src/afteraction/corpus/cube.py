"""A deploy's attributes packed into one small integer, written at ingest.

The deploy-pattern report groups a million deploys by weekday, hour, size band, kind, canary and
rollback; grouping by one indexed integer is several times faster than by six columns, on SQLite
and PostgreSQL alike. The packing is positional: decode(encode(x)) == x.
"""

from __future__ import annotations

__all__ = ["KINDS", "LARGE_LINES", "SIZE_BANDS", "SMALL_LINES", "decode", "encode", "size_band"]

SMALL_LINES = 50
LARGE_LINES = 500
SIZE_BANDS = ("unknown", "small", "medium", "large")
KINDS = ("code", "config", "flag")
_CANARY = (None, True, False)


def size_band(lines: int | None) -> str:
    if lines is None:
        return "unknown"
    if lines < SMALL_LINES:
        return "small"
    return "medium" if lines < LARGE_LINES else "large"


def encode(weekday: int, hour: int, lines: int | None, kind: str, canary: bool | None,
           rollback: bool) -> int:
    value = weekday * 24 + hour
    value = value * 4 + SIZE_BANDS.index(size_band(lines))
    value = value * 3 + KINDS.index(kind)
    value = value * 3 + _CANARY.index(canary)
    return value * 2 + int(rollback)


def decode(value: int) -> tuple[int, int, str, str, bool | None, bool]:
    """(weekday, hour, size band, kind, canary, rollback)."""
    value, rollback = divmod(value, 2)
    value, canary = divmod(value, 3)
    value, kind = divmod(value, 3)
    value, size = divmod(value, 4)
    weekday, hour = divmod(value, 24)
    return weekday, hour, SIZE_BANDS[size], KINDS[kind], _CANARY[canary], bool(rollback)
