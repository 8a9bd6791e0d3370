"""Small paginators, chosen by name: each knows how one API says "there is another page".

A paginator looks at the response it was given and returns the next request (URL and params), or
``None`` at the end. :func:`walk` drives one through a :class:`SourceHttp`, recording every page.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, ClassVar
from urllib.parse import urljoin

from afteraction.bundle.raw import RawResponse
from afteraction.sources.live.http import SourceHttp

__all__ = [
    "JiraStartAt",
    "JiraToken",
    "LaunchDarklyLinks",
    "LinkHeader",
    "Paginator",
    "SinglePage",
    "SlackCursor",
    "ZoomToken",
    "get_paginator",
    "walk",
]

NextRequest = tuple[str, dict[str, Any]]


class Paginator:
    name: ClassVar[str] = "single"

    def next(self, response: RawResponse, url: str, params: dict[str, Any]) -> NextRequest | None:
        return None


class SinglePage(Paginator):
    name = "single"


_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?([^";]+)"?')


class LinkHeader(Paginator):
    """RFC 8288 ``Link: <url>; rel="next"`` (GitHub). The URL is followed as given."""

    name = "link"

    def next(self, response: RawResponse, url: str, params: dict[str, Any]) -> NextRequest | None:
        header = response.header("link") or ""
        for target, rels in _LINK.findall(header):
            if "next" in rels.split():
                return urljoin(url, target), {}
        return None


class SlackCursor(Paginator):
    """``response_metadata.next_cursor``: empty or missing on the last page."""

    name = "slack_cursor"

    def next(self, response: RawResponse, url: str, params: dict[str, Any]) -> NextRequest | None:
        data = response.json()
        cursor = (data.get("response_metadata") or {}).get("next_cursor") or ""
        if not cursor:
            return None
        return url, {**params, "cursor": cursor}


class JiraToken(Paginator):
    """Jira Cloud ``/search/jql``: ``nextPageToken`` until ``isLast`` (the key is then absent)."""

    name = "jira_token"

    def next(self, response: RawResponse, url: str, params: dict[str, Any]) -> NextRequest | None:
        data = response.json()
        token = data.get("nextPageToken")
        if data.get("isLast") is True or not token:
            return None
        return url, {**params, "nextPageToken": token}


class JiraStartAt(Paginator):
    """Jira Data Center ``startAt/maxResults/total`` (and the Cloud changelog page bean)."""

    name = "jira_start_at"

    def __init__(self, items_key: str = "issues") -> None:
        self.items_key = items_key

    def next(self, response: RawResponse, url: str, params: dict[str, Any]) -> NextRequest | None:
        data = response.json()
        items = data.get(self.items_key) or []
        start = int(data.get("startAt", params.get("startAt", 0)))
        following = start + len(items)
        if not items or data.get("isLast") is True:
            return None
        total = data.get("total")
        if total is not None and following >= int(total):
            return None
        return url, {**params, "startAt": following}


class LaunchDarklyLinks(Paginator):
    """``_links.next.href``, a path relative to the API host that carries every parameter."""

    name = "ld_links"

    def next(self, response: RawResponse, url: str, params: dict[str, Any]) -> NextRequest | None:
        data = response.json()
        href = ((data.get("_links") or {}).get("next") or {}).get("href")
        if not href or not data.get("items"):
            return None
        return urljoin(url, href), {}


class ZoomToken(Paginator):
    """Zoom ``next_page_token``: an empty string on the last page."""

    name = "zoom_token"

    def next(self, response: RawResponse, url: str, params: dict[str, Any]) -> NextRequest | None:
        token = response.json().get("next_page_token") or ""
        if not token:
            return None
        return url, {**params, "next_page_token": token}


_BY_NAME: dict[str, Callable[[], Paginator]] = {
    cls.name: cls for cls in (SinglePage, LinkHeader, SlackCursor, JiraToken, JiraStartAt,
                              LaunchDarklyLinks, ZoomToken)
}


def get_paginator(name: str) -> Paginator:
    try:
        return _BY_NAME[name]()
    except KeyError:
        raise ValueError(f"unknown paginator {name!r} (known: {', '.join(_BY_NAME)})") from None


async def walk(http: SourceHttp, url: str, params: Mapping[str, Any] | None,
               paginator: Paginator | str, *, meta: Mapping[str, Any] | None = None,
               max_pages: int = 200) -> AsyncIterator[RawResponse]:
    """Yield every page in order; the caller may stop early (e.g. once past the window)."""
    pager = get_paginator(paginator) if isinstance(paginator, str) else paginator
    current_url, current = url, dict(params or {})
    for number in range(max_pages):
        page_meta = dict(meta or {})
        if number:
            page_meta["page"] = number + 1
        response = await http.get(current_url, current, meta=page_meta)
        yield response
        following = pager.next(response, current_url, current)
        if following is None:
            return
        current_url, current = following
