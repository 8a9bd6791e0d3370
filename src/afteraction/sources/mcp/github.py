"""GitHub through ``github-mcp-server``: merged pull requests and commits back in the REST shape.

Tools used, per repository: ``search_pull_requests`` (the issues search, scoped to ``is:pr`` by the
server; answers GitHub's ``{total_count, incomplete_results, items}``), ``get_pull_request`` (a
trimmed pull request: number, title, body, labels, user, merge sha, additions, deletions,
changed_files, head/base) and ``list_commits`` (the REST commit list, trimmed).

What it cannot express, recorded in the entry's detail: there is no deployments tool (deploys and
rollbacks, the strongest change evidence, are not collected), and ``list_commits`` takes no
``since``/``until``: the newest page is read and filtered to the window, so a window older than
that page loses commits.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from afteraction.bundle.manifest import SourceEntry
from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.errors import SourceError
from afteraction.model.time import parse_utc
from afteraction.sources.mcp.client import McpSession, ToolCall

__all__ = ["NO_DEPLOYMENTS", "GitHubResult", "collect_github"]

NO_DEPLOYMENTS = ("deployments not collected: github-mcp-server has no deployments tool "
                  "(deploys and rollbacks are missing)")
_PER_PAGE = 100


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


class GitHubResult:
    """The capture and what the server could not give."""

    def __init__(self, capture: RawCapture, notes: list[str]) -> None:
        self.capture = capture
        self.notes = notes

    def entry(self, base_url: str, web_url: str | None) -> SourceEntry:
        items = sum(len(body) if isinstance(body, list) else len(body.get("items") or [])
                    for body in (r.json() for r in self.capture.responses
                                 if not r.url.split("/tools/", 1)[-1].startswith(
                                     "get_pull_request")))
        return SourceEntry(status="ok" if items else "no_data", detail="; ".join(self.notes),
                           base_url=base_url, web_url=web_url)


def _response(call: ToolCall, server: str, path: str, params: dict[str, str], body: Any,
              repo: str) -> RawResponse:
    return RawResponse(url=f"mcp://{server}/tools/{call.tool}{path}",
                       body=json.dumps(body).encode(), method="CALL", params=params,
                       meta={"repo": repo, "mcp_tool": call.tool,
                             "mcp_arguments": dict(call.arguments),
                             "converted_to": "github-rest"})


async def _repository(session: McpSession, repo: str, start: datetime, end: datetime,
                      responses: list[RawResponse], notes: list[str]) -> None:
    owner, name = repo.split("/", 1)
    server = session.config.name
    query = f"repo:{repo} is:merged merged:{_iso(start)}..{_iso(end)}"
    search = await session.call("search_pull_requests", {
        "query": query, "perPage": _PER_PAGE, "sort": "updated", "order": "desc"})
    page = search.json()
    responses.append(_response(search, server, "/search/issues", {
        "q": f"is:pr {query}", "sort": "updated", "order": "desc",
        "per_page": str(_PER_PAGE)}, page, repo))
    if int(page.get("total_count") or 0) > len(page.get("items") or []):
        notes.append(f"{repo}: {page.get('total_count')} merged pull requests, only the first "
                     f"{_PER_PAGE} read")
    for item in page.get("items") or []:
        number = int(item["number"])
        pull = await session.call("get_pull_request", {"owner": owner, "repo": name,
                                                       "pullNumber": number})
        responses.append(_response(pull, server, f"/repos/{repo}/pulls/{number}", {},
                                   pull.json(), repo))
    commits = await session.call("list_commits", {"owner": owner, "repo": name,
                                                  "perPage": _PER_PAGE})
    listed = commits.json()
    if not isinstance(listed, list):
        raise SourceError("list_commits answered no commit list", source="github", where=server)
    kept = [c for c in listed
            if start <= parse_utc(str(((c.get("commit") or {}).get("committer") or {})
                                      .get("date")), where=f"{repo} commit") <= end]
    if len(listed) >= _PER_PAGE and kept and kept[-1] is listed[-1]:
        notes.append(f"{repo}: list_commits has no since/until and its newest {_PER_PAGE} "
                     "commits all fall in the window: older ones in it are missing")
    responses.append(_response(commits, server, f"/repos/{repo}/commits", {
        "since": _iso(start), "until": _iso(end), "per_page": str(_PER_PAGE)}, kept, repo))


async def collect_github(session: McpSession, repos: list[str], start: datetime,
                         end: datetime) -> GitHubResult:
    """Merged pull requests (with their sizes) and commits of each repository in the window."""
    responses: list[RawResponse] = []
    notes = [NO_DEPLOYMENTS]
    for repo in repos:
        await _repository(session, repo, start, end, responses, notes)
    return GitHubResult(RawCapture("github", tuple(responses)), notes)
