"""The corpus as the MCP server sees it: an engine opened once, and two look-ups.

The analytics are the corpus library's own functions; only fetching one stored postmortem and a
plain text search live here, until the corpus library offers them.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, or_, select

from afteraction.errors import NotFoundError
from afteraction.model.postmortem import Postmortem

__all__ = ["CorpusAccess", "StoredPostmortem"]


class StoredPostmortem:
    """One corpus row: the structured draft when it was ingested from one, else its Markdown."""

    def __init__(self, key: str, title: str, body: str, document: dict[str, Any] | None) -> None:
        self.key = key
        self.title = title
        self.body = body
        self.document = document

    def structured(self) -> Postmortem | None:
        if not self.document:
            return None
        try:
            return Postmortem.model_validate(self.document)
        except ValueError:
            return None


class CorpusAccess:
    def __init__(self, url: str | None) -> None:
        self._url = url
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                from afteraction.corpus.db import open_corpus
                self._engine = open_corpus(self._url)
            return self._engine

    def get(self, key: str) -> StoredPostmortem:
        from afteraction.corpus.store import Postmortem as Row
        with self.engine.connect() as conn:
            row = conn.execute(select(Row.key, Row.title, Row.body, Row.document)
                               .where(Row.key == key)).first()
        if row is None:
            raise NotFoundError(f"no postmortem {key!r} in the corpus", where="id")
        return StoredPostmortem(row.key, row.title, row.body or "", row.document)

    def search(self, query: str, *, service: str | None, since: datetime | None,
               until: datetime | None, limit: int) -> list[dict[str, Any]]:
        """Postmortems whose key, title, summary or body contain every word of ``query``."""
        from afteraction.corpus.repository import list_postmortems
        from afteraction.corpus.store import Postmortem as Row
        words = [w for w in query.split() if w]
        with self.engine.connect() as conn:
            stmt = select(Row.key)
            for word in words:
                pattern = f"%{word}%"
                stmt = stmt.where(or_(Row.key.ilike(pattern), Row.title.ilike(pattern),
                                      Row.summary.ilike(pattern), Row.body.ilike(pattern)))
            keys = set(conn.execute(stmt).scalars())
            rows = list_postmortems(conn, service=service, since=since, until=until,
                                    limit=max(limit * 20, 1000))
        return [r for r in rows if r["key"] in keys][:limit]
