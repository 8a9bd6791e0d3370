"""Fast row loading for the bulk path: COPY on PostgreSQL, DB-API executemany on SQLite.

Runs on the raw driver connection inside the caller's SQLAlchemy transaction, so a failed batch
rolls back with everything else. Ids are reserved up front so child rows can point at parents
without a RETURNING round trip.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, text

__all__ = ["analyze", "copy_rows", "reserve_ids"]


def _sqlite_value(value: Any) -> Any:
    """The storage form SQLAlchemy's SQLite types use, so ORM reads see the same values."""
    kind = type(value)
    if kind is datetime:
        if value.utcoffset():
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None).isoformat(" ", "microseconds")
    if kind is bool:
        return int(value)
    if kind is date:
        return value.isoformat()
    if kind is dict or kind is list:
        return json.dumps(value)
    return value


def _pg_value(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


def reserve_ids(conn: Connection, table: str, count: int) -> list[int]:
    """``count`` fresh primary keys of ``table`` (its sequence on PostgreSQL, max+1 on SQLite)."""
    if count == 0:
        return []
    if conn.dialect.name == "postgresql":
        rows = conn.execute(text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
                                 "FROM generate_series(1, :n)"), {"n": count}).scalars().all()
        return [int(r) for r in rows]
    start = int(conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar_one())
    return list(range(start + 1, start + 1 + count))


def copy_rows(conn: Connection, table: str, columns: Sequence[str],
              rows: Sequence[Sequence[Any]]) -> None:
    """Append ``rows`` (tuples in ``columns`` order) to ``table``."""
    if not rows:
        return
    raw = conn.connection.dbapi_connection
    if raw is None:
        raise RuntimeError("no driver connection")
    cols = ", ".join(columns)
    cursor = raw.cursor()
    try:
        if conn.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([_pg_value(v) for v in row])
        else:
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})",
                               [[_sqlite_value(v) for v in row] for row in rows])
    finally:
        cursor.close()


def analyze(conn: Connection) -> None:
    """Refresh the planner's statistics after a bulk load, so the report's plans are good."""
    conn.execute(text("ANALYZE"))
