"""GitHub REST: deployments and statuses, merged PRs, commits, releases and workflow runs per repo.

Lists that GitHub returns newest first (deployments, releases) are walked only until the page's
oldest item is older than the look-back. Merged PRs come from ``search/issues`` with
``merged:A..B``; search answers at most 1,000 results, so a range with more is split in halves.
Each merged PR is read once more (``pulls/{n}``) for its size and merge commit.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from afteraction.errors import AuthError, SourceError
from afteraction.model.time import parse_utc
from afteraction.settings import GitHubConfig
from afteraction.sources.live.base import CollectQuery, Connector, Health, iso_z
from afteraction.sources.live.http import SourceHttp
from afteraction.sources.live.paginate import walk

__all__ = ["GitHubConnector"]

SEARCH_CAP = 1000
FILES_FOR_SMALL_PRS = 100
"""PRs changing at most this many files get their paths read (one page)."""
CONFIG_REPO = re.compile(r"^(configs?|.+-configs?|config-.+)$")


class GitHubConnector(Connector):
    name = "github"
    config: GitHubConfig

    def auth_headers(self) -> dict[str, str]:
        token = self.require_token(self.config.token, self.config.token_env)
        return {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28"}

    def repos(self, query: CollectQuery | None = None) -> list[str]:
        """Configured repos plus every repo the catalog names, 'owner/name', in order."""
        found: list[str] = list(self.config.repos)
        if query is not None:
            for service in query.catalog.services:
                found.extend(service.repos)
        full = [r if "/" in r or not self.config.org else f"{self.config.org}/{r}" for r in found]
        return list(dict.fromkeys(r for r in full if "/" in r))

    def api(self, path: str) -> str:
        return f"{self.config.base_url}{path}"

    async def _collect(self, http: SourceHttp, query: CollectQuery) -> None:
        since, until = query.changes_since, query.window.end
        repos = self.repos(query)
        if not repos:
            raise SourceError("no repositories configured (sources.github.repos or the catalog)",
                              source=self.name)
        for repo in repos:
            await self._deployments(http, repo, since, until)
            await self._merged_prs(http, repo, since, until)
            await self._commits(http, repo, since, until)
            await self._releases(http, repo, since, until)
            if self.config.workflow_runs:
                await self._runs(http, repo, since, until)

    async def _deployments(self, http: SourceHttp, repo: str, since: datetime,
                           until: datetime) -> None:
        self.queries.append({"repo": repo, "list": "deployments", "since": iso_z(since)})
        in_window: list[int] = []
        params: dict[str, Any] = {"per_page": 100}
        if len(self.config.environments) == 1:
            params["environment"] = self.config.environments[0]
        async for page in walk(http, self.api(f"/repos/{repo}/deployments"), params, "link",
                               meta={"repo": repo, "kind": "deployments"}):
            items = page.json()
            for item in items:
                created = parse_utc(item["created_at"])
                if since <= created <= until:
                    in_window.append(int(item["id"]))
            self.count(len(items))
            if not items or parse_utc(items[-1]["created_at"]) < since:
                break
        for deployment_id in in_window:
            async for page in walk(http,
                                   self.api(f"/repos/{repo}/deployments/{deployment_id}/statuses"),
                                   {"per_page": 100}, "link",
                                   meta={"repo": repo, "kind": "deployment_statuses",
                                         "deployment_id": deployment_id}):
                self.count(len(page.json()))

    async def _merged_prs(self, http: SourceHttp, repo: str, since: datetime,
                          until: datetime) -> None:
        numbers: list[int] = []
        await self._search_range(http, repo, since, until, numbers)
        config_repo = bool(CONFIG_REPO.match(repo.rsplit("/", 1)[-1]))
        for number in dict.fromkeys(numbers):
            pull = await http.get(self.api(f"/repos/{repo}/pulls/{number}"),
                                  meta={"repo": repo, "kind": "pull", "number": number})
            self.count(1)
            changed = int(pull.json().get("changed_files") or 0)
            if changed and (config_repo or changed <= FILES_FOR_SMALL_PRS):
                # The changed paths tell a config-only change (and its services) from code.
                async for _page in walk(http, self.api(f"/repos/{repo}/pulls/{number}/files"),
                                        {"per_page": 100}, "link",
                                        meta={"repo": repo, "kind": "pull_files",
                                              "number": number}):
                    pass

    async def _search_range(self, http: SourceHttp, repo: str, since: datetime,
                            until: datetime, numbers: list[int]) -> None:
        q = f"repo:{repo} is:pr is:merged merged:{iso_z(since)}..{iso_z(until)}"
        first = True
        async for page in walk(http, self.api("/search/issues"),
                               {"q": q, "per_page": 100, "sort": "updated", "order": "desc"},
                               "link", meta={"repo": repo, "kind": "merged_prs"}):
            data = page.json()
            total = int(data.get("total_count", 0))
            if first and total > SEARCH_CAP and until - since > timedelta(seconds=2):
                # Drop this page from the record: the halves below cover the range completely.
                http.responses.pop()
                middle = since + (until - since) / 2
                await self._search_range(http, repo, since, middle, numbers)
                await self._search_range(http, repo, middle + timedelta(seconds=1), until,
                                         numbers)
                return
            if first:
                self.queries.append({"repo": repo, "search": q, "total_count": total})
            first = False
            items = data.get("items") or []
            numbers.extend(int(i["number"]) for i in items)
            self.count(len(items))

    async def _commits(self, http: SourceHttp, repo: str, since: datetime,
                       until: datetime) -> None:
        self.queries.append({"repo": repo, "list": "commits", "since": iso_z(since),
                             "until": iso_z(until)})
        async for page in walk(http, self.api(f"/repos/{repo}/commits"),
                               {"since": iso_z(since), "until": iso_z(until), "per_page": 100},
                               "link", meta={"repo": repo, "kind": "commits"}):
            self.count(len(page.json()))

    async def _releases(self, http: SourceHttp, repo: str, since: datetime,
                        until: datetime) -> None:
        async for page in walk(http, self.api(f"/repos/{repo}/releases"), {"per_page": 100},
                               "link", meta={"repo": repo, "kind": "releases"}):
            items = page.json()
            self.count(len(items))
            if not items or parse_utc(items[-1]["created_at"]) < since:
                break

    async def _runs(self, http: SourceHttp, repo: str, since: datetime,
                    until: datetime) -> None:
        created = f"{iso_z(since)}..{iso_z(until)}"
        try:
            async for page in walk(http, self.api(f"/repos/{repo}/actions/runs"),
                                   {"created": created, "per_page": 100}, "link",
                                   meta={"repo": repo, "kind": "workflow_runs"}):
                self.count(len(page.json().get("workflow_runs") or []))
        except AuthError as exc:
            self.notes.append(f"{repo}: workflow runs not readable ({exc.message})")

    async def _check(self, http: SourceHttp) -> Health:
        repos = self.repos()
        missing: list[str] = []
        sample = 0
        day_ago = self.now() - timedelta(days=1)
        probes = {"deployments": "Deployments: read", "pulls": "Pull requests: read",
                  "commits": "Contents: read", "actions/runs": "Actions: read"}
        for repo in repos:
            await http.get(self.api(f"/repos/{repo}"), record=False)
            for path, permission in probes.items():
                try:
                    answer = await http.get(self.api(f"/repos/{repo}/{path}"),
                                            {"per_page": 100}, record=False)
                except (AuthError, SourceError) as exc:
                    if isinstance(exc, AuthError) or "404" in exc.message:
                        missing.append(f"{repo}: {permission}")
                        continue
                    raise
                if path == "deployments":
                    sample += sum(1 for d in answer.json()
                                  if parse_utc(d["created_at"]) >= day_ago)
        return Health(self.name, reachable=True, authenticated=True,
                      missing_permissions=tuple(dict.fromkeys(missing)), sample_count=sample,
                      sample_what="deployments in the last day",
                      detail="" if repos else "no repositories configured")
