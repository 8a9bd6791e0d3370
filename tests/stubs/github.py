"""GitHub REST stub: deployments, statuses, search/issues, pulls, commits, releases, actions runs.

Paginates with ``Link`` headers whose URLs use the numeric ``/repositories/{id}/`` form, as
GitHub does; refuses bad tokens with the real 401 body; rate-limits with 403 +
``x-ratelimit-remaining: 0`` + ``x-ratelimit-reset`` (epoch seconds).
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlencode

from afteraction.model.time import parse_utc

from .runner import Request, Response, StubApp, json_response
from .world import DEPLOYMENTS, PULLS, RELEASES, RUNS, iso

REPO_IDS = {"acme/checkout": 1001, "acme/payments": 1002}
_BY_ID = {v: k for k, v in REPO_IDS.items()}
DOCS = "https://docs.github.com/rest"


def _user(login: str) -> dict[str, Any]:
    return {"login": login, "id": abs(hash(login)) % 10**6, "type": "User",
            "html_url": f"https://github.com/{login}"}


class GitHubStub(StubApp):
    name = "github"

    def __init__(self, token: str = "ghp_stubtoken0001") -> None:
        super().__init__()
        self.token = token

    def authorized(self, request: Request) -> bool:
        return request.header("Authorization") in (f"Bearer {self.token}", f"token {self.token}")

    def unauthorized(self, request: Request) -> Response:
        return json_response({"message": "Bad credentials", "documentation_url": DOCS,
                              "status": "401"}, 401)

    def rate_limited(self, request: Request) -> Response:
        reset = int(time.time() + self.faults.retry_after)
        return json_response(
            {"message": "API rate limit exceeded for installation ID 1.",
             "documentation_url": f"{DOCS}/overview/rate-limits-for-the-rest-api"}, 403,
            {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0",
             "x-ratelimit-used": "5000", "x-ratelimit-reset": str(reset),
             "x-ratelimit-resource": "core"})

    def server_error(self, request: Request) -> Response:
        return json_response({"message": "Server Error"}, 502)

    def _page(self, request: Request, items: list[Any], path: str,
              extra: dict[str, str] | None = None) -> tuple[list[Any], dict[str, str]]:
        per_page = self.page_size(int(request.q("per_page", "30") or 30))
        page = int(request.q("page", "1") or 1)
        chunk = items[(page - 1) * per_page: page * per_page]
        last = max(1, -(-len(items) // per_page))
        query = {k: v[0] for k, v in request.query.items() if k not in ("page", "per_page")}
        query.update(extra or {})

        def link(number: int) -> str:
            return f"{self.base_url}{path}?{urlencode({**query, 'per_page': per_page, 'page': number})}"

        rels = []
        if page < last:
            rels += [f'<{link(page + 1)}>; rel="next"', f'<{link(last)}>; rel="last"']
        if page > 1:
            rels += [f'<{link(page - 1)}>; rel="prev"', f'<{link(1)}>; rel="first"']
        headers = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4999",
                   "x-ratelimit-reset": str(int(time.time()) + 3600),
                   "x-ratelimit-resource": "core"}
        if rels:
            headers["Link"] = ", ".join(rels)
        return chunk, headers

    def _repo_path(self, path: str) -> tuple[str, str] | None:
        match = re.match(r"^/(?:repos/([^/]+/[^/]+)|repositories/(\d+))(/.*)?$", path)
        if not match:
            return None
        repo = match.group(1) or _BY_ID[int(match.group(2))]
        return repo, match.group(3) or ""

    def route(self, request: Request) -> Response:
        if request.path == "/search/issues":
            return self._search(request)
        if request.path == "/user":
            return json_response(_user("afteraction-bot"))
        found = self._repo_path(request.path)
        if found is None:
            return json_response({"message": "Not Found", "documentation_url": DOCS}, 404)
        repo, rest = found
        if repo not in REPO_IDS:
            return json_response({"message": "Not Found", "documentation_url": DOCS}, 404)
        numeric = f"/repositories/{REPO_IDS[repo]}{rest}"
        if rest == "":
            return json_response({"id": REPO_IDS[repo], "full_name": repo,
                                  "html_url": f"https://github.com/{repo}"})
        if rest == "/deployments":
            items = [self._deployment(repo, d) for d in DEPLOYMENTS[repo]]
            chunk, headers = self._page(request, items, numeric)
            return json_response(chunk, headers=headers)
        match = re.match(r"^/deployments/(\d+)/statuses$", rest)
        if match:
            deployment = next(d for d in DEPLOYMENTS[repo] if d["id"] == int(match.group(1)))
            items = [{"id": deployment["id"] * 10 + i, "state": state, "created_at": iso(when),
                      "updated_at": iso(when), "environment": deployment["environment"],
                      "creator": _user(deployment["creator"]), "description": "",
                      "log_url": f"https://github.com/{repo}/actions/runs/1",
                      "deployment_url": f"{self.base_url}/repos/{repo}/deployments/{deployment['id']}"}
                     for i, (state, when) in enumerate(deployment["statuses"])]
            chunk, headers = self._page(request, items, numeric)
            return json_response(chunk, headers=headers)
        match = re.match(r"^/pulls/(\d+)/files$", rest)
        if match:
            pull = next(p for p in PULLS[repo] if p["number"] == int(match.group(1)))
            files = [{"sha": f"{i:040x}", "filename": f"src/{repo.split('/')[1]}/module_{i}.py",
                      "status": "modified", "additions": 1, "deletions": 1, "changes": 2}
                     for i in range(pull["changed_files"])]
            chunk, headers = self._page(request, files, numeric)
            return json_response(chunk, headers=headers)
        match = re.match(r"^/pulls/(\d+)$", rest)
        if match:
            pull = next(p for p in PULLS[repo] if p["number"] == int(match.group(1)))
            return json_response(self._pull(repo, pull))
        if rest == "/pulls":
            chunk, headers = self._page(request, [self._pull(repo, p) for p in PULLS[repo]],
                                        numeric)
            return json_response(chunk, headers=headers)
        if rest == "/commits":
            return self._commits(request, repo, numeric)
        if rest == "/releases":
            items = [{"id": r["id"], "tag_name": r["tag_name"], "name": r["name"],
                      "created_at": iso(r["created_at"]), "published_at": iso(r["published_at"]),
                      "author": _user(r["author"]), "draft": False, "prerelease": False,
                      "html_url": f"https://github.com/{repo}/releases/tag/{r['tag_name']}"}
                     for r in RELEASES[repo]]
            chunk, headers = self._page(request, items, numeric)
            return json_response(chunk, headers=headers)
        if rest == "/actions/runs":
            return self._runs(request, repo, numeric)
        return json_response({"message": "Not Found", "documentation_url": DOCS}, 404)

    def _deployment(self, repo: str, d: dict[str, Any]) -> dict[str, Any]:
        return {"url": f"{self.base_url}/repos/{repo}/deployments/{d['id']}", "id": d["id"],
                "node_id": f"DE_{d['id']}", "sha": d["sha"], "ref": d["ref"], "task": d["task"],
                "payload": {}, "original_environment": d["environment"],
                "environment": d["environment"], "description": d["description"],
                "creator": _user(d["creator"]), "created_at": iso(d["created_at"]),
                "updated_at": iso(d["created_at"]),
                "statuses_url": f"{self.base_url}/repos/{repo}/deployments/{d['id']}/statuses",
                "repository_url": f"{self.base_url}/repos/{repo}",
                "transient_environment": False, "production_environment":
                    d["environment"] == "production"}

    def _pull(self, repo: str, p: dict[str, Any]) -> dict[str, Any]:
        return {"number": p["number"], "id": p["number"] * 1000, "state": "closed",
                "title": p["title"], "user": _user(p["user"]), "body": "",
                "html_url": f"https://github.com/{repo}/pull/{p['number']}",
                "created_at": iso(p["merged_at"]), "updated_at": iso(p["merged_at"]),
                "closed_at": iso(p["merged_at"]), "merged_at": iso(p["merged_at"]),
                "merged": True, "merge_commit_sha": p["merge_commit_sha"],
                "labels": [{"name": name} for name in p["labels"]],
                "base": {"ref": "main", "repo": {"full_name": repo}},
                "head": {"ref": f"branch-{p['number']}", "sha": p["merge_commit_sha"]},
                "additions": p["additions"], "deletions": p["deletions"],
                "changed_files": p["changed_files"], "commits": 1}

    def _search(self, request: Request) -> Response:
        q = request.q("q", "") or ""
        repo_match = re.search(r"repo:(\S+)", q)
        range_match = re.search(r"merged:(\S+)\.\.(\S+)", q)
        if not repo_match or not range_match:
            return json_response({"message": "Validation Failed", "errors": [
                {"resource": "Search", "field": "q", "code": "invalid"}],
                "documentation_url": DOCS}, 422)
        repo = repo_match.group(1)
        start, end = (parse_utc(range_match.group(1)), parse_utc(range_match.group(2)))
        pulls = sorted((p for p in PULLS.get(repo, []) if start <= p["merged_at"] <= end),
                       key=lambda p: p["merged_at"], reverse=True)
        items = [{"number": p["number"], "title": p["title"], "state": "closed",
                  "user": _user(p["user"]), "id": p["number"] * 1000,
                  "html_url": f"https://github.com/{repo}/pull/{p['number']}",
                  "repository_url": f"{self.base_url}/repos/{repo}",
                  "pull_request": {"url": f"{self.base_url}/repos/{repo}/pulls/{p['number']}",
                                   "html_url": f"https://github.com/{repo}/pull/{p['number']}",
                                   "merged_at": iso(p["merged_at"])},
                  "closed_at": iso(p["merged_at"]), "score": 1.0} for p in pulls]
        cap = getattr(self, "search_cap", 1000)
        chunk, headers = self._page(request, items[:cap], "/search/issues")
        headers.update({"x-ratelimit-limit": "30", "x-ratelimit-resource": "search"})
        return json_response({"total_count": len(items), "incomplete_results": False,
                              "items": chunk}, headers=headers)

    def _commits(self, request: Request, repo: str, numeric: str) -> Response:
        since = parse_utc(request.q("since") or "1970-01-01T00:00:00Z")
        until = parse_utc(request.q("until") or "2100-01-01T00:00:00Z")
        commits = sorted((p for p in PULLS[repo] if since <= p["merged_at"] <= until),
                         key=lambda p: p["merged_at"], reverse=True)
        items = [{"sha": p["merge_commit_sha"] + "0" * 33,
                  "html_url": f"https://github.com/{repo}/commit/{p['merge_commit_sha']}",
                  "commit": {"message": f"{p['title']} (#{p['number']})",
                             "author": {"name": p["user"], "date": iso(p["merged_at"])},
                             "committer": {"name": "GitHub", "date": iso(p["merged_at"])}},
                  "author": _user(p["user"]), "committer": _user("web-flow")} for p in commits]
        chunk, headers = self._page(request, items, numeric)
        return json_response(chunk, headers=headers)

    def _runs(self, request: Request, repo: str, numeric: str) -> Response:
        created = request.q("created") or ""
        runs: list[dict[str, Any]] = RUNS[repo]
        if ".." in created:
            a, b = (parse_utc(x) for x in created.split(".."))
            runs = [r for r in runs if a <= r["created_at"] <= b]
        items = [{"id": r["id"], "name": r["name"], "head_sha": r["head_sha"],
                  "event": r["event"], "status": "completed", "conclusion": r["conclusion"],
                  "created_at": iso(r["created_at"]), "updated_at": iso(r["created_at"]),
                  "run_started_at": iso(r["created_at"]),
                  "html_url": f"https://github.com/{repo}/actions/runs/{r['id']}"}
                 for r in runs]
        chunk, headers = self._page(request, items, numeric)
        return json_response({"total_count": len(items), "workflow_runs": chunk},
                             headers=headers)

