"""One HTTP policy for every live source: timeouts, retries, rate limits, a time budget, recording.

Every connector talks to its API through a :class:`SourceHttp`. It retries 5xx answers and
connection errors with jittered exponential backoff, waits out rate limits when the API says how
long (``Retry-After``; ``X-RateLimit-Reset`` in epoch seconds as GitHub and Jira send it; in epoch
milliseconds as LaunchDarkly sends it), and stops at the source's time budget. Failures become
``SourceTimeout`` / ``RateLimitError`` / ``AuthError`` / ``SourceError`` for the collector to record.

Each successful answer is recorded as a :class:`RawResponse` with the secrets stripped: the URL
loses its query (kept apart in ``params``, without token-like keys) and its user info, and only
pagination and rate-limit headers are kept. The Authorization header is never recorded.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, Self

import httpx

from afteraction import __version__
from afteraction.bundle.raw import RawResponse
from afteraction.errors import AuthError, RateLimitError, SourceError, SourceTimeout, TimeError
from afteraction.model.time import parse_utc

__all__ = [
    "HttpPolicy",
    "Progress",
    "SourceHttp",
    "error_message",
    "redact_url",
    "wait_hint",
]

SECRET_PARAMS = frozenset({"access_token", "token", "api_key", "apikey", "key", "password",
                           "client_secret", "signature", "sig", "x-amz-signature",
                           "x-amz-credential", "x-amz-security-token", "jwt"})
_KEPT_EXACT = frozenset({"content-type", "link", "retry-after", "x-total-count",
                         "x-oauth-scopes", "x-accepted-oauth-scopes"})
_KEPT_PREFIXES = ("x-ratelimit-", "ratelimit-")


@dataclass(frozen=True)
class HttpPolicy:
    """Retry and time limits; tests shrink them so failures are quick."""

    timeout: float = 30.0
    retries: int = 4
    backoff: float = 0.5
    max_backoff: float = 20.0
    budget: float = 120.0


class Progress(Protocol):
    def page(self, source: str) -> None: ...

    def items(self, source: str, count: int) -> None: ...


def redact_url(url: httpx.URL) -> tuple[str, dict[str, Any]]:
    """The URL without query or user info, and its query params minus anything secret-looking."""
    clean = url.copy_with(query=None, fragment=None, username=None, password=None)
    params: dict[str, Any] = {}
    for key, value in url.params.multi_items():
        if key.lower() in SECRET_PARAMS:
            continue
        if key in params:
            previous = params[key]
            params[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            params[key] = value
    return str(clean), params


def kept_headers(headers: httpx.Headers) -> dict[str, str]:
    return {k: v for k, v in headers.items()
            if k.lower() in _KEPT_EXACT or k.lower().startswith(_KEPT_PREFIXES)}


def error_message(body: bytes, status: int) -> str:
    """The API's own words for an error: GitHub/LaunchDarkly/Zoom ``message``, Jira
    ``errorMessages``, Prometheus/Slack ``error``; else the HTTP status."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        text = body[:120].decode("utf-8", "replace").strip()
        return f"HTTP {status}" + (f": {text}" if text and not text.startswith("<") else "")
    if isinstance(data, dict):
        parts: list[str] = []
        if isinstance(data.get("errorMessages"), list):
            parts.extend(str(m) for m in data["errorMessages"])
        if isinstance(data.get("errors"), dict):
            parts.extend(f"{k}: {v}" for k, v in data["errors"].items())
        for key in ("message", "error", "error_description", "code"):
            if not parts and isinstance(data.get(key), str | int) and data.get(key) != "":
                parts.append(str(data[key]))
        if parts:
            return f"HTTP {status}: " + "; ".join(parts)
    return f"HTTP {status}"


def wait_hint(headers: Mapping[str, str] | httpx.Headers, now: float) -> float | None:
    """Seconds the API asks us to wait, from Retry-After or an X-RateLimit-Reset epoch (s or ms)."""
    lower = {k.lower(): v for k, v in headers.items()}
    retry_after = lower.get("retry-after")
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(retry_after).timestamp() - now)
            except (TypeError, ValueError):
                pass
    reset = lower.get("x-ratelimit-reset")
    if reset:
        try:
            epoch = float(reset)
        except ValueError:
            try:  # Jira Cloud sends an ISO 8601 time
                return max(0.0, parse_utc(reset).timestamp() - now)
            except TimeError:
                return None
        if epoch > 1e11:  # LaunchDarkly sends epoch milliseconds
            return max(0.0, epoch / 1000.0 - now)
        if epoch > 1e9:
            # whole epoch seconds are the reset rounded down: wait one more second, or the
            # retry can land just before the window reopens and be refused again
            return max(0.0, epoch + 1.0 - now)
        return max(0.0, epoch)  # a delta in seconds (some gateways)
    return None


def _rate_limited(response: httpx.Response) -> bool:
    if response.status_code == 429:
        return True
    if response.status_code != 403:
        return False
    headers = response.headers
    return ("retry-after" in headers
            or headers.get("x-ratelimit-remaining") == "0"
            or b"rate limit" in response.content[:400].lower())


class SourceHttp:
    """An async HTTP session for one source: policy, budget, and the recording of its answers."""

    def __init__(self, source: str, *, headers: Mapping[str, str] | None = None,
                 auth: httpx.Auth | tuple[str, str] | None = None,
                 policy: HttpPolicy | None = None, progress: Progress | None = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.source = source
        self.policy = policy or HttpPolicy()
        self.progress = progress
        self.responses: list[RawResponse] = []
        self._clock = clock
        self._deadline = clock() + self.policy.budget
        base_headers = {"User-Agent": f"afteraction/{__version__}"}
        base_headers.update(headers or {})
        self._client = httpx.AsyncClient(headers=base_headers, auth=auth, transport=transport,
                                         timeout=self.policy.timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    def authorize(self, headers: Mapping[str, str]) -> None:
        """Add a credential obtained during the run (an OAuth token); it is never recorded."""
        self._client.headers.update(headers)

    def remaining(self) -> float:
        return self._deadline - self._clock()

    def items(self, count: int) -> None:
        if self.progress is not None and count:
            self.progress.items(self.source, count)

    async def get(self, url: str, params: Mapping[str, Any] | None = None, *,
                  meta: Mapping[str, Any] | None = None, record: bool = True,
                  headers: Mapping[str, str] | None = None,
                  follow_redirects: bool = False) -> RawResponse:
        return await self.request("GET", url, params=params, meta=meta, record=record,
                                  headers=headers, follow_redirects=follow_redirects)

    async def request(self, method: str, url: str, *, params: Mapping[str, Any] | None = None,
                      meta: Mapping[str, Any] | None = None, record: bool = True,
                      headers: Mapping[str, str] | None = None, json_body: Any = None,
                      auth: httpx.Auth | tuple[str, str] | None = None,
                      follow_redirects: bool = False) -> RawResponse:
        """One logical request, retried under the policy; raises a SourceError subclass."""
        attempt = 0
        while True:
            remaining = self.remaining()
            if remaining <= 0:
                raise SourceTimeout(f"time budget of {self.policy.budget:g}s used up",
                                    source=self.source, where=_short(url))
            try:
                kwargs: dict[str, Any] = {"headers": headers,
                                          "json": json_body,
                                          "timeout": min(self.policy.timeout, remaining),
                                          "follow_redirects": follow_redirects}
                if auth is not None:
                    kwargs["auth"] = auth
                # httpx times out each read; the whole exchange is bounded here too, so a server
                # that trickles bytes cannot hold a source past its budget.
                response = await asyncio.wait_for(
                    self._client.request(method, _with_params(url, params), **kwargs),
                    timeout=kwargs["timeout"] + 0.05)
            except (httpx.TimeoutException, TimeoutError) as exc:
                if self.remaining() <= 0 or attempt >= self.policy.retries:
                    raise SourceTimeout(f"no answer within the budget ({type(exc).__name__})",
                                        source=self.source, where=_short(url)) from exc
                await self._sleep(self._backoff(attempt), url)
                attempt += 1
                continue
            except httpx.TransportError as exc:
                if attempt >= self.policy.retries:
                    raise SourceError(f"unreachable: {type(exc).__name__}: {exc}",
                                      source=self.source, where=_short(url)) from exc
                await self._sleep(self._backoff(attempt), url)
                attempt += 1
                continue
            status = response.status_code
            if _rate_limited(response):
                hint = wait_hint(response.headers, time.time())
                wait = hint if hint is not None else self._backoff(attempt)
                if wait > self.remaining() or attempt >= self.policy.retries + 4:
                    raise RateLimitError(
                        f"rate limited (HTTP {status}); the API asks for {wait:.0f}s, "
                        f"{max(self.remaining(), 0):.0f}s of the budget left",
                        source=self.source, where=_short(url))
                await self._sleep(wait + random.uniform(0, 0.05), url)
                attempt += 1
                continue
            if status >= 500:
                if attempt >= self.policy.retries:
                    raise SourceError(error_message(response.content, status),
                                      source=self.source, where=_short(url))
                await self._sleep(self._backoff(attempt), url)
                attempt += 1
                continue
            if status in (401, 403):
                what = "authentication refused" if status == 401 else "permission denied"
                raise AuthError(f"{what}: {error_message(response.content, status)}",
                                source=self.source, where=_short(url))
            if status >= 400:
                raise SourceError(error_message(response.content, status),
                                  source=self.source, where=_short(url))
            return self._record(response, meta, record)

    def _record(self, response: httpx.Response, meta: Mapping[str, Any] | None,
                record: bool) -> RawResponse:
        request_url = response.history[0].request.url if response.history else \
            response.request.url
        clean_url, params = redact_url(request_url)
        raw = RawResponse(url=clean_url, body=response.content, method=response.request.method,
                          params=params, status=response.status_code,
                          headers=kept_headers(response.headers), meta=dict(meta or {}))
        if record:
            self.responses.append(raw)
            if self.progress is not None:
                self.progress.page(self.source)
        return raw

    def _backoff(self, attempt: int) -> float:
        delay = min(self.policy.max_backoff, self.policy.backoff * (2 ** attempt))
        return delay * random.uniform(0.5, 1.0)

    async def _sleep(self, seconds: float, url: str) -> None:
        if seconds >= self.remaining():
            raise SourceTimeout(f"time budget of {self.policy.budget:g}s used up while retrying",
                                source=self.source, where=_short(url))
        await asyncio.sleep(max(0.0, seconds))


def _with_params(url: str, params: Mapping[str, Any] | None) -> httpx.URL:
    """Merge params into the URL's own query (httpx would replace that query, losing a Link
    header's page parameters)."""
    target = httpx.URL(url)
    if not params:
        return target
    return target.copy_with(params=target.params.merge(dict(params)))


def _short(url: str) -> str:
    return redact_url(httpx.URL(url))[0]
