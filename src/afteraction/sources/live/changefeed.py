"""A generic change feed: a JSONL or CSV file a team exports from Argo CD, Terraform, Helm...

There is no API: the file is read once and kept whole as one raw response, so a bundle replays it
exactly; the ``changes`` parser reads the rows.
"""

from __future__ import annotations

from pathlib import Path

from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.errors import SourceError
from afteraction.settings import ChangeFeedConfig
from afteraction.sources.live.base import CollectQuery, Connector, Health
from afteraction.sources.live.http import SourceHttp

__all__ = ["ChangeFeedConnector", "feed_format"]


def feed_format(path: Path) -> str:
    return "csv" if path.suffix.lower() == ".csv" else "jsonl"


class ChangeFeedConnector(Connector):
    name = "changes"
    config: ChangeFeedConfig

    @property
    def base_url(self) -> str | None:
        return None

    def _read(self) -> bytes:
        path = self.config.path
        try:
            return path.read_bytes()
        except OSError as exc:
            raise SourceError(f"cannot read the change feed: {exc.strerror or exc}",
                              source=self.name, where=str(path)) from exc

    def _rows(self, body: bytes) -> int:
        lines = [line for line in body.splitlines() if line.strip()]
        header = 1 if feed_format(self.config.path) == "csv" and lines else 0
        return len(lines) - header

    async def collect(self, query: CollectQuery) -> RawCapture:
        self.queries, self.items, self.notes = [{"file": self.config.path.name}], 0, []
        body = self._read()
        self.count(self._rows(body))
        if self.progress is not None:
            self.progress.page(self.name)
        response = RawResponse(url=f"file:{self.config.path.name}", body=body,
                               meta={"kind": "feed", "format": feed_format(self.config.path)},
                               file=f"0001-{self.config.path.name}")
        return RawCapture(source=self.name, responses=(response,))

    async def _collect(self, http: SourceHttp, query: CollectQuery) -> None:
        raise NotImplementedError  # collect() is overridden: there is no HTTP here

    async def _check(self, http: SourceHttp) -> Health:
        body = self._read()
        return Health(self.name, reachable=True, authenticated=True, sample_count=self._rows(body),
                      sample_what="rows in the feed")
