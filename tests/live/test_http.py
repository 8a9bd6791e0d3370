"""The shared HTTP policy, at the transport: retries, rate limits, budgets, redaction."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from afteraction.bundle.raw import RawResponse
from afteraction.errors import AuthError, RateLimitError, SourceError, SourceTimeout
from afteraction.sources.live.http import (
    HttpPolicy,
    SourceHttp,
    error_message,
    redact_url,
    wait_hint,
)
from afteraction.sources.live.paginate import (
    JiraStartAt,
    JiraToken,
    LaunchDarklyLinks,
    LinkHeader,
    SlackCursor,
    ZoomToken,
    get_paginator,
)

NOW = 1_773_150_000.0
FAST = HttpPolicy(timeout=1, retries=2, backoff=0.001, max_backoff=0.01, budget=5)


def test_wait_hints_from_every_api_dialect() -> None:
    assert wait_hint({"Retry-After": "7"}, NOW) == 7
    assert wait_hint({"retry-after": "Tue, 10 Mar 2026 13:40:10 GMT"}, NOW) == 10
    # GitHub: epoch seconds, rounded down by the server, so one second of margin
    assert wait_hint({"X-RateLimit-Reset": str(int(NOW) + 30)}, NOW) == 31
    assert wait_hint({"X-Ratelimit-Reset": str(int(NOW * 1000) + 2500)}, NOW) == 2.5  # LD: ms
    assert wait_hint({"X-RateLimit-Reset": "2026-03-10T13:41Z"}, NOW) == 60  # Jira: ISO
    assert wait_hint({"X-RateLimit-Reset": "12"}, NOW) == 12  # a delta
    assert wait_hint({"Content-Type": "application/json"}, NOW) is None


def test_redaction_drops_user_info_and_token_params() -> None:
    url, params = redact_url(httpx.URL(
        "https://u:pw@zoom.us/rec/download/x?access_token=abc&type=vtt&match[]=a&match[]=b"))
    assert url == "https://zoom.us/rec/download/x"
    assert params == {"type": "vtt", "match[]": ["a", "b"]}


@pytest.mark.parametrize("body,expected", [
    (b'{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}',
     "HTTP 401: Bad credentials"),
    (b'{"errorMessages":["Issue does not exist"],"errors":{"jql":"bad"}}',
     "HTTP 401: Issue does not exist; jql: bad"),
    (b'{"code":"unauthorized","message":"Invalid access token"}', "HTTP 401: Invalid access token"),
    (b'{"status":"error","errorType":"bad_data","error":"parse error"}', "HTTP 401: parse error"),
    (b"<html>Unauthorized</html>", "HTTP 401"),
])
def test_error_messages_in_the_apis_own_words(body: bytes, expected: str) -> None:
    assert error_message(body, 401) == expected


def _session(handler: Callable[[httpx.Request], httpx.Response],
             policy: HttpPolicy = FAST) -> SourceHttp:
    return SourceHttp("test", headers={"Authorization": "Bearer s3cret"}, policy=policy,
                      transport=httpx.MockTransport(handler))


def _run(session: SourceHttp, url: str = "https://api.test/x") -> RawResponse:
    async def go() -> RawResponse:
        async with session:
            return await session.get(url, {"a": 1}, meta={"why": "test"})
    return asyncio.run(go())


def test_5xx_and_connection_errors_are_retried_and_only_the_answer_recorded() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ConnectError("refused")
        if len(calls) == 2:
            return httpx.Response(502, json={"message": "Server Error"})
        return httpx.Response(200, json={"ok": True},
                              headers={"Link": '<https://api.test/x?page=2>; rel="next"',
                                       "X-RateLimit-Remaining": "10", "Set-Cookie": "s=1"})

    session = _session(handler)
    answer = _run(session)
    assert len(calls) == 3
    assert [r.status for r in session.responses] == [200]
    assert answer.params == {"a": "1"} and answer.meta == {"why": "test"}
    assert set(answer.headers) == {"content-type", "link", "x-ratelimit-remaining"}


def test_retries_run_out_into_a_source_error() -> None:
    session = _session(lambda r: httpx.Response(503, json={"message": "down"}))
    with pytest.raises(SourceError, match="HTTP 503: down"):
        _run(session)


def test_auth_and_permission_failures() -> None:
    with pytest.raises(AuthError, match="authentication refused: HTTP 401: Bad credentials"):
        _run(_session(lambda r: httpx.Response(401, json={"message": "Bad credentials"})))
    with pytest.raises(AuthError, match="permission denied"):
        _run(_session(lambda r: httpx.Response(403, json={"message": "Resource not accessible"})))


def test_a_403_rate_limit_is_waited_out() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(403, json={"message": "API rate limit exceeded"},
                                  headers={"x-ratelimit-remaining": "0", "retry-after": "0"})
        return httpx.Response(200, json=[])

    assert _run(_session(handler)).status == 200
    assert len(calls) == 2


def test_rate_limit_beyond_the_budget_and_hangs_beyond_it() -> None:
    with pytest.raises(RateLimitError, match="asks for 3600s"):
        _run(_session(lambda r: httpx.Response(429, headers={"Retry-After": "3600"})))

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200)

    session = SourceHttp("test", policy=HttpPolicy(timeout=0.1, retries=5, backoff=0.01,
                                                   budget=0.5),
                         transport=httpx.MockTransport(slow))
    with pytest.raises(SourceTimeout):
        _run(session)


def _raw(body: bytes = b"{}", headers: dict[str, str] | None = None) -> RawResponse:
    return RawResponse(url="https://api.test/x", body=body, headers=headers or {})


def test_paginators() -> None:
    link = _raw(b"[]", {"Link": '<https://api.test/repositories/1/x?page=2>; rel="next", '
                                '<https://api.test/repositories/1/x?page=9>; rel="last"'})
    assert LinkHeader().next(link, "https://api.test/x", {"per_page": 1}) == (
        "https://api.test/repositories/1/x?page=2", {})
    assert LinkHeader().next(_raw(b"[]", {"Link": '<u>; rel="prev"'}), "u", {}) is None
    slack = _raw(b'{"ok":true,"response_metadata":{"next_cursor":"dXNlcg=="}}')
    assert SlackCursor().next(slack, "u", {"limit": 2}) == ("u", {"limit": 2, "cursor": "dXNlcg=="})
    assert SlackCursor().next(_raw(b'{"ok":true}'), "u", {}) is None
    assert JiraToken().next(_raw(b'{"issues":[],"nextPageToken":"t2","isLast":false}'), "u",
                            {}) == ("u", {"nextPageToken": "t2"})
    assert JiraToken().next(_raw(b'{"issues":[],"isLast":true}'), "u", {}) is None
    dc = _raw(b'{"startAt":0,"maxResults":2,"total":3,"issues":[1,2]}')
    assert JiraStartAt().next(dc, "u", {"startAt": 0}) == ("u", {"startAt": 2})
    last = _raw(b'{"startAt":2,"maxResults":2,"total":3,"issues":[3]}')
    assert JiraStartAt().next(last, "u", {"startAt": 2}) is None
    ld = _raw(b'{"items":[1],"_links":{"next":{"href":"/api/v2/auditlog?before=5"}}}')
    assert LaunchDarklyLinks().next(ld, "https://app.test/api/v2/auditlog", {}) == (
        "https://app.test/api/v2/auditlog?before=5", {})
    assert ZoomToken().next(_raw(b'{"next_page_token":""}'), "u", {}) is None
    assert ZoomToken().next(_raw(b'{"next_page_token":"n2"}'), "u", {"a": 1}) == (
        "u", {"a": 1, "next_page_token": "n2"})
    assert type(get_paginator("jira_token")) is JiraToken
    with pytest.raises(ValueError, match="unknown paginator"):
        get_paginator("nope")
