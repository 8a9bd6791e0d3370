"""Raw responses exactly as a source's API sent them: the unit a bundle stores and a parser reads."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import orjson

from afteraction.errors import BundleError

__all__ = ["RawCapture", "RawResponse"]

_SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "x-api-key",
                             "proxy-authorization"})


@dataclass(frozen=True)
class RawResponse:
    """One HTTP exchange (or one file read): request line, status, kept headers, body bytes.

    ``meta`` is afteraction's own note about why the request was made (for example the service and
    signal a Prometheus query was for); it is never sent to or received from the API.
    ``file`` is the body's file name inside the bundle's source folder.
    """

    url: str
    body: bytes
    method: str = "GET"
    params: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    file: str = ""

    def json(self) -> Any:
        try:
            return orjson.loads(self.body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            where = self.file or self.url
            line = getattr(exc, "lineno", None)
            at = f" (line {line})" if line else ""
            raise BundleError(f"corrupt JSON{at}: {exc.args[0] if exc.args else exc}",
                              where=where) from exc

    def text(self) -> str:
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BundleError("not UTF-8 text", where=self.file or self.url) from exc

    def header(self, name: str) -> str | None:
        """Header lookup ignoring case: real APIs (and recordings) vary it."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)

    def index_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"file": self.file, "method": self.method, "url": self.url,
                                 "params": self.params, "status": self.status,
                                 "headers": {k: v for k, v in self.headers.items()
                                             if k.lower() not in _SECRET_HEADERS}}
        if self.meta:
            entry["meta"] = self.meta
        return entry


@dataclass(frozen=True)
class RawCapture:
    """Everything one source returned for one incident window, in request order."""

    source: str
    responses: tuple[RawResponse, ...] = ()

    def matching(self, path_fragment: str) -> list[RawResponse]:
        """Responses whose URL path contains ``path_fragment`` (e.g. '/deployments')."""
        return [r for r in self.responses if path_fragment in r.url.split("?", 1)[0]]
