"""A scenario's GitHub events as the pages GitHub's REST API returns for the incident window.

For every repository of the catalog (and any other repository an event names) it renders the
requests ``afteraction.sources.github`` documents: deployments and their statuses, a merged-PR
search per ``merged:A..B`` range (ranges split until each holds at most 1,000 results, GitHub's
search cap), each PR's detail (and changed files for config changes), and commits. Lists are
split into pages with ``Link`` headers whose later URLs use ``/repositories/{id}/``, and every
response carries ``X-RateLimit-*`` headers counting down as GitHub's do. Values a scenario leaves
out (shas, ids, sizes) are derived from the event id, so the same scenario gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.errors import InputError
from afteraction.generate.scenario import Scenario
from afteraction.model.events import Event, EventKind
from afteraction.model.incident import Catalog
from afteraction.model.time import parse_utc, to_iso
from afteraction.sources.github import (
    SEARCH_RESULT_CAP,
    is_config_repo,
    services_in_text,
)

__all__ = ["PER_PAGE", "encode"]

PER_PAGE = 100
"""What the connector asks for (GitHub's maximum)."""


def _digest(*parts: object) -> str:
    return hashlib.sha1("\x1f".join(map(str, parts)).encode()).hexdigest()


def _number(*parts: object, low: int, span: int) -> int:
    return low + int(_digest(*parts)[:12], 16) % span


def _iso(value: datetime) -> str:
    return to_iso(value.replace(microsecond=0)) if not value.microsecond else to_iso(value)


class _Api:
    """Builds URLs, user objects and responses; counts the rate-limit buckets down."""

    def __init__(self, scenario: Scenario, per_page: int) -> None:
        entry = scenario.entries.get("github")
        self.api = ((entry.base_url if entry else None) or "https://api.github.com").rstrip("/")
        self.web = ((entry.web_url if entry else None) or "https://github.com").rstrip("/")
        self.per_page = per_page
        self.catalog = scenario.catalog
        self.date = format_datetime(scenario.captured_at, usegmt=True)
        reset = int(scenario.captured_at.timestamp())
        self.buckets = {"core": [5000, 137, reset + 3127], "search": [30, 0, reset + 60]}
        self.responses: list[RawResponse] = []

    def repo_id(self, repo: str) -> int:
        return _number("repo", repo, low=100_000_000, span=800_000_000)

    def user(self, login: str | None) -> dict[str, Any] | None:
        if not login:
            return None
        user_id = _number("user", login, low=1_000_000, span=90_000_000)
        return {"login": login, "id": user_id, "node_id": f"U_kgDO{_digest(login)[:8]}",
                "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
                "gravatar_id": "", "url": f"{self.api}/users/{login}",
                "html_url": f"{self.web}/{login}",
                "type": "Bot" if login.endswith("[bot]") else "User", "site_admin": False}

    def repo(self, repo: str) -> dict[str, Any]:
        owner, name = repo.split("/", 1)
        return {"id": self.repo_id(repo), "node_id": f"R_kgDO{_digest(repo)[:8]}", "name": name,
                "full_name": repo, "private": True, "owner": self.user(owner),
                "html_url": f"{self.web}/{repo}", "url": f"{self.api}/repos/{repo}",
                "default_branch": "main"}

    def respond(self, path: str, params: dict[str, str], body: Any, *, link: str | None = None,
                resource: str = "core", meta: dict[str, Any] | None = None) -> None:
        limit, used, reset = self.buckets[resource]
        used += 1
        self.buckets[resource][1] = used
        headers = {"Date": self.date, "Content-Type": "application/json; charset=utf-8",
                   "X-GitHub-Api-Version-Selected": "2022-11-28",
                   "X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(limit - used),
                   "X-RateLimit-Reset": str(reset), "X-RateLimit-Used": str(used),
                   "X-RateLimit-Resource": resource}
        if link:
            headers["Link"] = link
        query = f"?{urlencode(params)}" if params else ""
        self.responses.append(RawResponse(
            url=f"{self.api}{path}{query}", params=dict(params), headers=headers,
            body=json.dumps(body, separators=(",", ":")).encode(), meta=meta or {}))

    def paged(self, path: str, later_path: str, params: dict[str, str], items: list[Any], *,
              wrap: Callable[[list[Any]], Any] | None = None, resource: str = "core",
              meta: dict[str, Any] | None = None) -> None:
        """``items`` in pages of ``per_page``; later pages at ``later_path``, as GitHub links."""
        params = {**params, "per_page": str(self.per_page)}
        count = max(1, -(-len(items) // self.per_page))

        def url(page: int) -> str:
            return f"{self.api}{later_path}?{urlencode({**params, 'page': str(page)})}"

        for page in range(1, count + 1):
            rels = []
            if page > 1:
                rels.append(f'<{url(page - 1)}>; rel="prev"')
            if page < count:
                rels += [f'<{url(page + 1)}>; rel="next"', f'<{url(count)}>; rel="last"']
            if page > 1:
                rels.append(f'<{url(1)}>; rel="first"')
            chunk = items[(page - 1) * self.per_page:page * self.per_page]
            body = wrap(chunk) if wrap else chunk
            self.respond(path if page == 1 else later_path,
                         params if page == 1 else {**params, "page": str(page)}, body,
                         link=", ".join(rels) or None, resource=resource, meta=meta)


# --------------------------------------------------------------------------- deployments


def _sha(event: Event, key: str = "sha") -> str:
    value = event.attrs.get(key)
    return str(value) if value else _digest("sha", event.id)[:40]


def _deployment(api: _Api, repo: str, event: Event) -> tuple[dict[str, Any], list[Any]]:
    attrs = event.attrs
    deployment_id = int(attrs.get("deployment_id") or _number("deploy", event.id, low=1_000_000_000,
                                                               span=900_000_000))
    rollback = bool(attrs.get("rollback"))
    sha = str(attrs.get("sha") or (attrs.get("rollback_to") if rollback else "") or _sha(event))
    environment = str(attrs.get("environment") or "production")
    state = str(attrs.get("state") or "success")
    payload: dict[str, Any] = {}
    if rollback and attrs.get("rollback_to"):
        payload["rollback_to"] = attrs["rollback_to"]
    for key in ("version", "change_size"):
        if attrs.get(key) is not None:
            payload[key] = attrs[key]
    for key in ("canary", "config_only"):
        if attrs.get(key):
            payload[key] = True
    inferred = services_in_text(event.text, api.catalog) if is_config_repo(repo) else []
    inferred = inferred or ([s] if (s := api.catalog.service_for_repo(repo)) else [])
    if list(event.services) != inferred:
        payload["services"] = list(event.services)
    base = f"{api.api}/repos/{repo}/deployments/{deployment_id}"
    queued_at = event.at if state in ("pending", "queued") else event.at - timedelta(seconds=30)
    deployment = {
        "url": base, "id": deployment_id, "node_id": f"DE_kwDO{_digest(deployment_id)[:10]}",
        "sha": sha, "ref": attrs.get("ref") or "main",
        "task": "deploy:rollback" if rollback else "deploy", "payload": payload,
        "original_environment": environment, "environment": environment,
        "description": event.text or None, "creator": api.user(event.actor),
        "created_at": _iso(queued_at), "updated_at": _iso(queued_at),
        "statuses_url": f"{base}/statuses", "repository_url": f"{api.api}/repos/{repo}",
        "transient_environment": False,
        "production_environment": environment.startswith("prod"),
        "performed_via_github_app": None,
    }
    run = _number("run", deployment_id, low=6_000_000_000, span=900_000_000)
    log_url = f"{api.web}/{repo}/actions/runs/{run}"
    finished = (parse_utc(str(attrs["finished_at"])) if attrs.get("finished_at")
                else event.at + timedelta(minutes=4))
    steps: list[tuple[str, datetime]] = []
    if state != "pending":
        steps.append(("queued", queued_at))
    if state not in ("pending", "queued"):
        steps.append(("in_progress", event.at))
    if state in ("success", "failure", "error"):
        steps.append((state, finished))
    elif state == "inactive":
        steps += [("success", finished), ("inactive", finished + timedelta(hours=1))]
    statuses = []
    for position, (step, at) in enumerate(steps):
        status_id = deployment_id * 10 + position
        statuses.append({
            "url": f"{base}/statuses/{status_id}", "id": status_id,
            "node_id": f"DES_kwDO{_digest(status_id)[:10]}", "state": step,
            "creator": api.user(event.actor or "github-actions[bot]"),
            "description": {"queued": "Deployment queued", "in_progress": "Rolling out",
                            "success": "Deployment finished successfully.",
                            "failure": "Deployment failed", "error": "Deployment errored",
                            "inactive": "Superseded by a newer deployment"}[step],
            "environment": environment, "target_url": log_url, "created_at": _iso(at),
            "updated_at": _iso(at), "deployment_url": base,
            "repository_url": f"{api.api}/repos/{repo}", "environment_url": "",
            "log_url": log_url, "performed_via_github_app": None})
    statuses.reverse()  # newest first
    return deployment, statuses


# --------------------------------------------------------------------------- pull requests


def _pull(api: _Api, repo: str, event: Event, number: int) -> tuple[dict[str, Any],
                                                                      dict[str, Any], list[Any]]:
    attrs = event.attrs
    merged = _iso(event.at)
    opened = _iso(event.at - timedelta(hours=3, minutes=_number("open", event.id, low=0, span=50)))
    changed = int(attrs.get("changed_files") or _number("files", event.id, low=1, span=12))
    additions = int(attrs["additions"] if attrs.get("additions") is not None
                    else _number("add", event.id, low=3, span=400))
    deletions = int(attrs["deletions"] if attrs.get("deletions") is not None
                    else _number("del", event.id, low=0, span=150))
    labels = [{"id": _number("label", repo, name, low=1_000_000, span=9_000_000),
               "node_id": f"LA_kwDO{_digest(repo, name)[:10]}",
               "url": f"{api.api}/repos/{repo}/labels/{name}", "name": name,
               "color": _digest(name)[:6], "default": False, "description": None}
              for name in attrs.get("labels") or []]
    body = str(attrs.get("body") or "") or None
    reverts = re.compile(rf"(?mi)^\s*Reverts\s+(?:{re.escape(repo)})?#{attrs.get('revert_of')}\b")
    if attrs.get("revert_of") and not reverts.search(body or ""):
        body = f"Reverts {repo}#{attrs['revert_of']}" + (f"\n\n{body}" if body else "")
    issue = f"{api.api}/repos/{repo}/issues/{number}"
    html = f"{api.web}/{repo}/pull/{number}"
    user = api.user(event.actor)
    pr_id = _number("pr", repo, number, low=1_000_000_000, span=900_000_000)
    item = {
        "url": issue, "repository_url": f"{api.api}/repos/{repo}",
        "labels_url": f"{issue}/labels{{/name}}", "comments_url": f"{issue}/comments",
        "events_url": f"{issue}/events", "html_url": html, "id": pr_id,
        "node_id": f"PR_kwDO{_digest(pr_id)[:10]}", "number": number, "title": event.text,
        "user": user, "labels": labels, "state": "closed", "locked": False, "assignee": None,
        "assignees": [], "milestone": None, "comments": 0, "created_at": opened,
        "updated_at": merged, "closed_at": merged, "author_association": "MEMBER",
        "active_lock_reason": None, "draft": False,
        "pull_request": {"url": f"{api.api}/repos/{repo}/pulls/{number}", "html_url": html,
                         "diff_url": f"{html}.diff", "patch_url": f"{html}.patch",
                         "merged_at": merged},
        "body": body, "timeline_url": f"{issue}/timeline", "performed_via_github_app": None,
        "state_reason": None, "score": 1.0,
    }
    sha = _sha(event)
    base_ref = str(attrs.get("base") or "main")
    head_sha = _digest("head", event.id)[:40]
    pull = {
        "url": f"{api.api}/repos/{repo}/pulls/{number}", "id": pr_id,
        "node_id": item["node_id"], "html_url": html, "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch", "issue_url": issue, "number": number, "state": "closed",
        "locked": False, "title": event.text, "user": user, "body": body, "labels": labels,
        "milestone": None, "active_lock_reason": None, "created_at": opened,
        "updated_at": merged, "closed_at": merged, "merged_at": merged,
        "merge_commit_sha": sha, "assignee": None, "assignees": [], "requested_reviewers": [],
        "requested_teams": [],
        "head": {"label": f"{repo.split('/')[0]}:change-{number}", "ref": f"change-{number}",
                 "sha": head_sha, "user": user, "repo": api.repo(repo)},
        "base": {"label": f"{repo.split('/')[0]}:{base_ref}", "ref": base_ref,
                 "sha": _digest("base", event.id)[:40], "user": api.user(repo.split("/")[0]),
                 "repo": api.repo(repo)},
        "author_association": "MEMBER", "auto_merge": None, "draft": False, "merged": True,
        "mergeable": None, "rebaseable": None, "mergeable_state": "unknown",
        "merged_by": user, "comments": 0, "review_comments": 0,
        "maintainer_can_modify": False, "commits": max(1, changed // 2),
        "additions": additions, "deletions": deletions, "changed_files": changed,
    }
    files: list[Any] = []
    if is_config_repo(repo) or attrs.get("config_only"):
        paths = _config_paths(api.catalog, repo, event, changed)
        for position, path in enumerate(paths):
            add = additions // len(paths) + (additions % len(paths) if position == 0 else 0)
            delete = deletions // len(paths) + (deletions % len(paths) if position == 0 else 0)
            files.append({
                "sha": _digest("blob", event.id, path)[:40], "filename": path,
                "status": "modified", "additions": add, "deletions": delete,
                "changes": add + delete,
                "blob_url": f"{api.web}/{repo}/blob/{head_sha}/{path}",
                "raw_url": f"{api.web}/{repo}/raw/{head_sha}/{path}",
                "contents_url": f"{api.api}/repos/{repo}/contents/{path}?ref={head_sha}"})
    return item, pull, files


def _config_paths(catalog: Catalog, repo: str, event: Event, count: int) -> list[str]:
    """Changed paths that name the event's services the way the parser reads them back."""
    if not is_config_repo(repo):
        return [f"config/production-{k}.yaml" if k else "config/production.yaml"
                for k in range(max(1, count))]
    roots = [f"services/{s}" for s in event.services] or ["global"]
    paths = [f"{root}/values.yaml" for root in roots]
    k = 1
    while len(paths) < count:
        paths.append(f"{roots[len(paths) % len(roots)]}/values-{k}.yaml")
        k += 1
    return paths


def _search_result(total: int) -> Callable[[list[Any]], dict[str, Any]]:
    """Wraps one page of items the way /search/issues does."""
    return lambda chunk: {"total_count": total, "incomplete_results": False, "items": chunk}


def _split(merges: list[Event], start: datetime, end: datetime
           ) -> list[tuple[datetime, datetime, list[Event]]]:
    """``merged:start..end`` ranges (inclusive, whole seconds) that each hold <= 1,000 results."""
    inside = [m for m in merges if start <= m.at.replace(microsecond=0) <= end]
    if len(inside) <= SEARCH_RESULT_CAP or end - start < timedelta(seconds=2):
        return [(start, end, inside)]
    middle = start + (end - start) / 2
    middle = middle.replace(microsecond=0)
    return _split(inside, start, middle) + _split(inside, middle + timedelta(seconds=1), end)


# --------------------------------------------------------------------------- the capture


def _repo_for(scenario: Scenario, event: Event) -> str:
    repo = event.attrs.get("repo")
    if repo:
        return str(repo)
    for name in event.services:
        service = scenario.catalog.get(name)
        if service and service.repos:
            return service.repos[0]
    raise InputError(f"event {event.id} names no repo (attrs.repo) and its services have no "
                     f"repos in the catalog", where="scenario.events")


def encode(scenario: Scenario, *, per_page: int = PER_PAGE) -> RawCapture:
    """The GitHub capture a live run would have recorded for this scenario."""
    api = _Api(scenario, per_page)
    events = scenario.events_of("github")
    repos: list[str] = []
    for service in scenario.catalog.services:
        repos += [r for r in service.repos if r not in repos]
    by_repo: dict[str, list[Event]] = {}
    for event in events:
        repo = _repo_for(scenario, event)
        by_repo.setdefault(repo, []).append(event)
        if repo not in repos:
            repos.append(repo)
    start = scenario.window.start - timedelta(seconds=scenario.lookback_seconds)
    end = scenario.window.end
    if events:
        start = min(start, *(e.at for e in events))
        end = max(end, *(e.at for e in events))
    start, end = start.replace(microsecond=0), end.replace(microsecond=0) + timedelta(
        seconds=1 if end.microsecond else 0)
    for repo in repos:
        _encode_repo(api, repo, by_repo.get(repo, []), start, end)
    return RawCapture(source="github", responses=tuple(api.responses))


def _encode_repo(api: _Api, repo: str, events: list[Event], start: datetime,
                 end: datetime) -> None:
    numeric = f"/repositories/{api.repo_id(repo)}"
    meta = {"repo": repo}
    deploys = [_deployment(api, repo, e) for e in events if e.kind == EventKind.DEPLOY]
    deploys.sort(key=lambda d: (d[0]["created_at"], d[0]["id"]), reverse=True)
    api.paged(f"/repos/{repo}/deployments", f"{numeric}/deployments", {},
              [d for d, _ in deploys], meta=meta)
    for deployment, statuses in deploys:
        path = f"/deployments/{deployment['id']}/statuses"
        api.paged(f"/repos/{repo}{path}", f"{numeric}{path}", {}, statuses, meta=meta)

    merges = sorted((e for e in events if e.kind == EventKind.MERGE),
                    key=lambda e: (e.at, e.id), reverse=True)
    used = {int(e.attrs["number"]) for e in merges if e.attrs.get("number")}
    used |= {int(e.attrs["revert_of"]) for e in merges if e.attrs.get("revert_of")}
    numbers: dict[str, int] = {}
    next_number = _number("first-pr", repo, low=1200, span=3000)
    for event in sorted(merges, key=lambda e: (e.at, e.id)):
        if event.attrs.get("number"):
            numbers[event.id] = int(event.attrs["number"])
            continue
        while next_number in used:
            next_number += 1
        numbers[event.id] = next_number
        used.add(next_number)
    rendered = {e.id: _pull(api, repo, e, numbers[e.id]) for e in merges}
    for low, high, inside in _split(merges, start, end):
        query = f"repo:{repo} is:pr is:merged merged:{_iso(low)}..{_iso(high)}"
        items = [rendered[e.id][0] for e in inside]
        api.paged("/search/issues", "/search/issues",
                  {"q": query, "sort": "updated", "order": "desc"}, items, resource="search",
                  wrap=_search_result(len(items)), meta=meta)
        for event in inside:
            number = numbers[event.id]
            _, pull, files = rendered[event.id]
            api.respond(f"/repos/{repo}/pulls/{number}", {}, pull, meta=meta)
            if files:
                path = f"/pulls/{number}/files"
                api.paged(f"/repos/{repo}{path}", f"{numeric}{path}", {}, files, meta=meta)

    commits = sorted((e for e in events if e.kind == EventKind.COMMIT),
                     key=lambda e: (e.at, e.id), reverse=True)
    api.paged(f"/repos/{repo}/commits", f"{numeric}/commits",
              {"since": _iso(start), "until": _iso(end)},
              [_commit(api, repo, e) for e in commits], meta=meta)


def _commit(api: _Api, repo: str, event: Event) -> dict[str, Any]:
    sha = _sha(event)
    who = {"name": event.actor or "unknown", "email": f"{event.actor or 'unknown'}@users.noreply",
           "date": _iso(event.at)}
    tree = _digest("tree", sha)[:40]
    return {"sha": sha, "node_id": f"C_kwDO{sha[:10]}",
            "url": f"{api.api}/repos/{repo}/commits/{sha}",
            "html_url": f"{api.web}/{repo}/commit/{sha}",
            "comments_url": f"{api.api}/repos/{repo}/commits/{sha}/comments",
            "commit": {"url": f"{api.api}/repos/{repo}/git/commits/{sha}", "author": who,
                       "committer": who, "message": event.text, "comment_count": 0,
                       "tree": {"sha": tree, "url": f"{api.api}/repos/{repo}/git/trees/{tree}"},
                       "verification": {"verified": False, "reason": "unsigned",
                                        "signature": None, "payload": None,
                                        "verified_at": None}},
            "author": api.user(event.actor), "committer": api.user("web-flow"),
            "parents": [{"sha": _digest("parent", sha)[:40]}]}
