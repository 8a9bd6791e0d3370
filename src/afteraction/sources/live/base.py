"""What every live connector shares: the query it answers, its health report, the template method.

A connector only fetches raw pages (``_collect``) and probes its API (``_check``); the base class
owns the HTTP session, the budget, the error mapping of ``check`` and the bookkeeping the collector
shows (pages, items, queries). Parsing stays in ``afteraction.sources.<name>``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from afteraction.bundle.raw import RawCapture
from afteraction.errors import AuthError, RateLimitError, SourceError, SourceTimeout
from afteraction.model.incident import Catalog, Incident, Window
from afteraction.settings import DEFAULT_SLO
from afteraction.sources.live.http import HttpPolicy, Progress, SourceHttp

__all__ = ["CollectQuery", "Connector", "Health", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CollectQuery:
    """What to collect: the incident, its window, and how far back changes and baselines go."""

    incident: Incident
    window: Window
    catalog: Catalog = field(default_factory=Catalog)
    lookback_seconds: float = 6 * 3600
    baseline_seconds: float = 0
    slo: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_SLO))

    @property
    def changes_since(self) -> datetime:
        return self.window.start - timedelta(seconds=self.lookback_seconds)

    @property
    def metrics_since(self) -> datetime:
        return self.window.start - timedelta(seconds=self.baseline_seconds)


@dataclass(frozen=True)
class Health:
    """``sources check`` for one source: a value, never an exception."""

    source: str
    reachable: bool
    authenticated: bool
    missing_permissions: tuple[str, ...] = ()
    sample_count: int | None = None
    sample_what: str = ""
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.reachable and self.authenticated and not self.missing_permissions


class Connector(ABC):
    """Base of every live connector; subclasses write ``_collect`` and ``_check``."""

    name: ClassVar[str]

    def __init__(self, config: Any, *, policy: HttpPolicy | None = None,
                 progress: Progress | None = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 now: Callable[[], datetime] = utcnow) -> None:
        self.config = config
        budget = getattr(config, "budget_seconds", 120.0)
        timeout = getattr(config, "timeout_seconds", 30.0)
        base = policy or HttpPolicy()
        self.policy = HttpPolicy(timeout=min(base.timeout, timeout), retries=base.retries,
                                 backoff=base.backoff, max_backoff=base.max_backoff,
                                 budget=min(base.budget, budget) if policy else budget)
        self.progress = progress
        self.transport = transport
        self.now = now
        self.queries: list[Any] = []
        self.items = 0
        self.notes: list[str] = []

    # -- what subclasses provide -------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        """Headers carrying the credential; raise AuthError when it is not configured."""
        return {}

    def auth(self) -> httpx.Auth | tuple[str, str] | None:
        return None

    @abstractmethod
    async def _collect(self, http: SourceHttp, query: CollectQuery) -> None: ...

    @abstractmethod
    async def _check(self, http: SourceHttp) -> Health: ...

    # -- the template ------------------------------------------------------------------------

    @property
    def base_url(self) -> str | None:
        return getattr(self.config, "base_url", None)

    @property
    def web_url(self) -> str | None:
        citation = getattr(self.config, "citation_url", None)
        return citation if isinstance(citation, str) else self.base_url

    def session(self) -> SourceHttp:
        return SourceHttp(self.name, headers=self.auth_headers(), auth=self.auth(),
                          policy=self.policy, progress=self.progress, transport=self.transport)

    def require_token(self, value: Any, env_name: str | None, what: str = "token") -> str:
        if value is None:
            hint = f"environment variable {env_name} is not set" if env_name else \
                f"no {what} configured ({what} = {{env = \"NAME\"}})"
            raise AuthError(hint, source=self.name)
        return str(value.get_secret_value())

    def count(self, number: int) -> None:
        self.items += number
        if self.progress is not None and number:
            self.progress.items(self.name, number)

    async def collect(self, query: CollectQuery) -> RawCapture:
        """Every raw page for the query, in request order; raises a SourceError on failure."""
        self.queries, self.items, self.notes = [], 0, []
        http = self.session()
        try:
            await self._collect(http, query)
        finally:
            await http.aclose()
        return RawCapture(source=self.name, responses=tuple(http.responses))

    async def check(self) -> Health:
        """Reachable, authenticated, permissions, a sample count; never raises for those."""
        try:
            http = self.session()
        except AuthError as exc:
            return Health(self.name, reachable=False, authenticated=False, detail=exc.message)
        try:
            return await self._check(http)
        except AuthError as exc:
            return Health(self.name, reachable=True, authenticated=False, detail=exc.message)
        except (SourceTimeout, RateLimitError) as exc:
            return Health(self.name, reachable=False, authenticated=False, detail=exc.message)
        except SourceError as exc:
            return Health(self.name, reachable=False, authenticated=False, detail=exc.message)
        finally:
            await http.aclose()


def epoch_ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def iso_z(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
