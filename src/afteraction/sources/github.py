"""GitHub: deployments (with their statuses), merged pull requests and commits as change events.

What the connector requests for each catalog repository ``owner/name``, and this parser reads::

    GET /repos/{o}/{r}/deployments?per_page=100                 bare array, newest first
    GET /repos/{o}/{r}/deployments/{id}/statuses?per_page=100   bare array, newest first
    GET /search/issues?q=repo:{o}/{r} is:pr is:merged merged:A..B&per_page=100
                                                   {total_count, incomplete_results, items[]}
    GET /repos/{o}/{r}/pulls/{n}                   additions, deletions, changed_files, base, ...
    GET /repos/{o}/{r}/pulls/{n}/files?per_page=100   changed paths (config repositories)
    GET /repos/{o}/{r}/commits?since=A&until=B&per_page=100

Pages after the first follow the ``Link`` header, whose URLs use ``/repositories/{id}/...``; the
repository of such a page is learnt from the first page's Link header or from the items themselves.

Conventions, so analysis never reads a raw payload:

* deploy ``at`` is when the rollout started: the oldest ``in_progress`` status, else the
  deployment's ``created_at``; ``finished_at`` is the newest success/failure/error status;
  ``state`` is the newest status's state verbatim (``pending`` when none was posted yet;
  ``inactive`` means a later deployment replaced a live one).
* a rollback is a deployment with ``task: "deploy:rollback"`` (or ``"rollback"``), or a payload
  holding ``{"rollback": true}`` or ``{"rollback_to": "<sha>"}``; ``rollback_to`` defaults to the
  deployed sha. Payload keys ``version``, ``canary``, ``config_only``, ``change_size`` and
  ``service``/``services`` are read when present.
* a revert is a merged PR whose body has the line GitHub's revert button writes,
  ``Reverts owner/repo#N`` (the title usually reads ``Revert "..."``): ``revert_of = N``.
* a config repository is one named ``config``, ``configs``, ``*-config(s)`` or ``config-*``:
  its merges are ``config_only`` and name their services by the changed paths (a path segment or
  file stem equal to a catalog service), else by the title; any other PR whose changed paths are
  all configuration files is ``config_only`` too.
* citations: a PR's ``html_url``; a deployment's pipeline log (``log_url``/``target_url`` of its
  oldest status that has one), else the deployed commit's page; a commit's ``html_url``.

``completeness_problems`` lists what a capture could not see (error pages, GitHub search's
``incomplete_results`` and its 1,000-result cap, pages named by a Link header but missing).
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.errors import BundleError, TimeError
from afteraction.model.events import Event, EventKind
from afteraction.model.incident import Catalog
from afteraction.model.time import parse_utc, to_iso
from afteraction.sources.base import ParseContext, SourceData

__all__ = [
    "SEARCH_RESULT_CAP",
    "completeness_problems",
    "is_config_path",
    "is_config_repo",
    "parse",
    "parse_link_header",
    "services_in_paths",
    "services_in_text",
]

SOURCE = "github"
SEARCH_RESULT_CAP = 1000
"""GitHub search returns at most this many results per query, whatever ``total_count`` says."""

_log = logging.getLogger(__name__)

_ROUTES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("statuses", re.compile(r"/deployments/(\d+)/statuses/?$")),
    ("deployments", re.compile(r"/deployments/?$")),
    ("search", re.compile(r"/search/issues/?$")),
    ("pull_files", re.compile(r"/pulls/(\d+)/files/?$")),
    ("pull", re.compile(r"/pulls/(\d+)/?$")),
    ("commits", re.compile(r"/commits/?$")),
)
_DEPLOYMENT_PATH = re.compile(r"/deployments/(\d+)/?$")
_REPO_PATH = re.compile(r"/repos/([^/]+/[^/]+)")
_REPO_ID_PATH = re.compile(r"/repositories/(\d+)(?:/|$)")
_WEB_REPO = re.compile(r"^https?://[^/]+/([^/]+/[^/]+)/(?:pull|commit|blob)/")
_LINK_PART = re.compile(r'<([^>]*)>\s*;\s*rel="?([^";]+)"?')
_REVERTS = re.compile(r"(?mi)^\s*Reverts\s+(?:([\w.-]+/[\w.-]+))?#(\d+)\b")
_CONFIG_DIRS = frozenset({"config", "configs", "conf", "deploy", "deployment", "deployments",
                          "helm", "charts", "k8s", "kubernetes", "manifests", "environments"})
_CONFIG_SUFFIXES = (".tfvars", ".properties", ".env", ".ini", ".conf", ".cfg")
_ROLLBACK_TASKS = frozenset({"deploy:rollback", "rollback"})


def parse_link_header(value: str | None) -> dict[str, str]:
    """``<url>; rel="next", <url>; rel="last"`` -> {"next": url, "last": url}."""
    if not value:
        return {}
    return {rel.strip(): url for url, rel in _LINK_PART.findall(value)}


def is_config_repo(repo: str) -> bool:
    name = repo.rsplit("/", 1)[-1].lower()
    return (name in ("config", "configs") or name.endswith(("-config", "-configs"))
            or name.startswith("config-"))


def is_config_path(path: str) -> bool:
    """A file that configures rather than implements: under a config/deploy folder, or a .env."""
    parts = path.lower().split("/")
    if parts[0] == ".github":
        return False
    return bool(_CONFIG_DIRS.intersection(parts[:-1])) or parts[-1].endswith(_CONFIG_SUFFIXES)


# --------------------------------------------------------------------------- reading responses


def _where(response: RawResponse) -> str:
    return response.file or response.url


_urlsplit = functools.lru_cache(maxsize=8192, typed=True)(urlsplit)
"""``urlsplit`` with room for every URL of a capture: a parse reads each page's URL several
times over, more than urlsplit's own cache holds."""


def _route(response: RawResponse) -> tuple[str, int | None] | None:
    path = _urlsplit(response.url).path
    for name, pattern in _ROUTES:
        match = pattern.search(path)
        if match:
            return name, int(match.group(1)) if match.groups() else None
    return None


def _time(value: Any, response: RawResponse, what: str) -> Any:
    """An ISO time from a payload; a naive or malformed one names the file it is in."""
    if not isinstance(value, str):
        raise BundleError(f"{what}: expected an ISO 8601 time, got {value!r}",
                          where=_where(response))
    try:
        return parse_utc(value)
    except TimeError as exc:
        raise BundleError(f"{what}: {exc.message}", where=_where(response)) from exc


def _array(response: RawResponse, what: str) -> list[dict[str, Any]]:
    data = response.json()
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise BundleError(f"expected a JSON array of {what}", where=_where(response))
    return data


def _full_url(response: RawResponse) -> str:
    if "?" in response.url or not response.params:
        return response.url
    return f"{response.url}?{urlencode(response.params, doseq=True)}"


def _url_key(url: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    parts = _urlsplit(url)
    return parts.netloc.lower(), parts.path.rstrip("/"), tuple(sorted(parse_qsl(parts.query)))


def _repository_ids(capture: RawCapture) -> dict[str, str]:
    """Numeric repository ids seen in Link headers, mapped to the 'owner/name' of the first page."""
    ids: dict[str, str] = {}
    for response in capture.responses:
        named = _REPO_PATH.search(_urlsplit(response.url).path)
        if not named:
            continue
        for url in parse_link_header(response.header("Link")).values():
            numeric = _REPO_ID_PATH.search(_urlsplit(url).path)
            if numeric:
                ids.setdefault(numeric.group(1), named.group(1))
    return ids


def _repo_of(url: str | None, ids: dict[str, str]) -> str | None:
    if not url:
        return None
    path = _urlsplit(url).path
    named = _REPO_PATH.search(path)
    if named:
        return named.group(1)
    numeric = _REPO_ID_PATH.search(path)
    if numeric:
        return ids.get(numeric.group(1))
    web = _WEB_REPO.match(url)
    return web.group(1) if web else None


def _login(user: Any) -> str | None:
    return user.get("login") if isinstance(user, dict) else None


@dataclass
class _Pages:
    """The capture's items, deduplicated across pages and keyed by what joins them."""

    deployments: dict[int, tuple[str, dict[str, Any], RawResponse]] = field(default_factory=dict)
    statuses: dict[int, dict[int, tuple[dict[str, Any], RawResponse]]] = field(
        default_factory=dict)
    search: dict[tuple[str, int], tuple[dict[str, Any], RawResponse]] = field(
        default_factory=dict)
    pulls: dict[tuple[str, int], tuple[dict[str, Any], RawResponse]] = field(
        default_factory=dict)
    files: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    commits: dict[tuple[str, str], tuple[dict[str, Any], RawResponse]] = field(
        default_factory=dict)


def _read_pages(capture: RawCapture) -> _Pages:
    pages = _Pages()
    ids = _repository_ids(capture)
    for response in capture.responses:
        route = _route(response)
        if route is None or response.status >= 300:
            continue
        name, number = route
        page_repo = _repo_of(response.url, ids) or response.meta.get("repo")
        if name == "deployments":
            for item in _array(response, "deployments"):
                repo = _repo_of(item.get("repository_url"), ids) or page_repo
                if repo is None or not isinstance(item.get("id"), int):
                    raise BundleError("deployment without an id or repository",
                                      where=_where(response))
                pages.deployments[item["id"]] = (repo, item, response)
        elif name == "statuses":
            for item in _array(response, "deployment statuses"):
                deployment = _deployment_id(item.get("deployment_url")) or number
                if deployment is not None:
                    pages.statuses.setdefault(deployment, {})[int(item.get("id", 0))] = (
                        item, response)
        elif name == "search":
            data = response.json()
            if not isinstance(data, dict) or not isinstance(data.get("items"), list):
                raise BundleError("expected a search result {total_count, items[]}",
                                  where=_where(response))
            for item in data["items"]:
                repo = _repo_of(item.get("repository_url"), ids) or _repo_of(
                    item.get("html_url"), ids)
                if repo and isinstance(item.get("number"), int) and "pull_request" in item:
                    pages.search[(repo, item["number"])] = (item, response)
        elif name == "pull":
            item = response.json()
            if not isinstance(item, dict) or not isinstance(item.get("number"), int):
                raise BundleError("expected a pull request object", where=_where(response))
            base_repo = (item.get("base") or {}).get("repo") or {}
            repo = base_repo.get("full_name") or page_repo or _repo_of(item.get("html_url"), ids)
            if repo:
                pages.pulls[(repo, item["number"])] = (item, response)
        elif name == "pull_files" and number is not None:
            items = _array(response, "pull request files")
            repo = page_repo or next((_repo_of(f.get("blob_url"), ids) for f in items), None)
            if repo:
                pages.files.setdefault((repo, number), []).extend(
                    str(f["filename"]) for f in items if "filename" in f)
        elif name == "commits":
            for item in _array(response, "commits"):
                repo = _repo_of(item.get("url"), ids) or _repo_of(item.get("html_url"), ids)
                repo = repo or page_repo
                if repo and isinstance(item.get("sha"), str):
                    pages.commits[(repo, item["sha"])] = (item, response)
    return pages


def _deployment_id(url: Any) -> int | None:
    if not isinstance(url, str):
        return None
    match = _DEPLOYMENT_PATH.search(_urlsplit(url).path)
    return int(match.group(1)) if match else None


# --------------------------------------------------------------------------- services


def _name_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])", re.IGNORECASE)


def services_in_text(text: str, catalog: Catalog) -> list[str]:
    """Catalog services named in free text, in the order they appear."""
    found: list[tuple[int, str]] = []
    for name in catalog.names:
        match = _name_pattern(name).search(text)
        if match:
            found.append((match.start(), name))
    return [name for _, name in sorted(found)]


def services_in_paths(paths: Iterable[str], catalog: Catalog) -> list[str]:
    """Catalog services named by a path segment or file stem ('services/checkout/values.yaml')."""
    names = set(catalog.names)
    found: list[str] = []
    for path in paths:
        parts = path.split("/")
        candidates = [*parts[:-1], parts[-1].split(".", 1)[0]]
        for part in candidates:
            if part in names and part not in found:
                found.append(part)
    return found


def _repo_services(repo: str, catalog: Catalog) -> list[str]:
    service = catalog.service_for_repo(repo)
    return [service] if service else []


# --------------------------------------------------------------------------- events


def _merge_event(repo: str, number: int, pages: _Pages, ctx: ParseContext) -> Event | None:
    item, item_response = pages.search.get((repo, number), ({}, None))
    pull, pull_response = pages.pulls.get((repo, number), ({}, None))
    response = pull_response or item_response
    assert response is not None
    if pull and pull.get("merged") is False:
        return None
    merged_raw = pull.get("merged_at") or (item.get("pull_request") or {}).get("merged_at") or (
        item.get("closed_at"))
    if merged_raw is None:
        return None
    at = _time(merged_raw, response, f"pull request #{number} merged_at")
    source = pull or item
    paths = pages.files.get((repo, number), [])
    title = str(source.get("title") or "")
    attrs: dict[str, Any] = {"repo": repo, "number": number,
                             "labels": [label.get("name") for label in source.get("labels") or []
                                        if isinstance(label, dict)]}
    if pull:
        attrs["sha"] = pull.get("merge_commit_sha")
        attrs["base"] = (pull.get("base") or {}).get("ref")
        for key in ("additions", "deletions", "changed_files"):
            if isinstance(pull.get(key), int):
                attrs[key] = pull[key]
    revert = _REVERTS.search(str(source.get("body") or ""))
    if revert and revert.group(1) in (None, repo):
        attrs["revert_of"] = int(revert.group(2))
    config_repo = is_config_repo(repo)
    attrs["config_only"] = config_repo or bool(paths and all(map(is_config_path, paths)))
    if config_repo:
        services = (services_in_paths(paths, ctx.catalog) or services_in_text(title, ctx.catalog)
                    or _repo_services(repo, ctx.catalog))
    else:
        services = _repo_services(repo, ctx.catalog)
    url = source.get("html_url") or f"{_web(ctx)}/{repo}/pull/{number}"
    return Event.make(source=SOURCE, kind=EventKind.MERGE, source_id=f"{repo}#{number}", at=at,
                      url=url, text=title, actor=_login(source.get("user")),
                      services=tuple(services), attrs=attrs)


def _payload(deployment: dict[str, Any]) -> dict[str, Any]:
    payload = deployment.get("payload")
    if isinstance(payload, str) and payload.strip():
        try:
            payload = json.loads(payload)
        except json.JSONDecodeError:
            return {}
    return payload if isinstance(payload, dict) else {}


def _deploy_event(deployment_id: int, pages: _Pages, ctx: ParseContext,
                  sizes: dict[tuple[str, str], int]) -> Event:
    repo, deployment, response = pages.deployments[deployment_id]
    created = _time(deployment.get("created_at"), response,
                    f"deployment {deployment_id} created_at")
    statuses = []
    for status, status_response in pages.statuses.get(deployment_id, {}).values():
        at = _time(status.get("created_at"), status_response,
                   f"deployment {deployment_id} status created_at")
        statuses.append((at, int(status.get("id", 0)), status))
    statuses.sort(key=lambda s: (s[0], s[1]), reverse=True)  # newest first, as GitHub sends them
    started = [at for at, _, status in statuses if status.get("state") == "in_progress"]
    finished = [at for at, _, status in statuses
                if status.get("state") in ("success", "failure", "error")]
    payload = _payload(deployment)
    sha = str(deployment.get("sha") or "")
    task = str(deployment.get("task") or "deploy")
    rollback = (task in _ROLLBACK_TASKS or payload.get("rollback") is True
                or bool(payload.get("rollback_to")))
    attrs: dict[str, Any] = {
        "repo": repo, "sha": sha, "ref": deployment.get("ref"),
        "environment": deployment.get("environment"), "deployment_id": deployment_id,
        "state": statuses[0][2].get("state") if statuses else "pending",
        "rollback": rollback, "config_only": payload.get("config_only") is True,
        "canary": payload.get("canary") is True,
    }
    if finished:
        attrs["finished_at"] = to_iso(finished[0])
    if rollback:
        attrs["rollback_to"] = payload.get("rollback_to") or sha
    if payload.get("version") is not None:
        attrs["version"] = str(payload["version"])
    size = payload.get("change_size")
    if isinstance(size, int) and not isinstance(size, bool):
        attrs["change_size"] = size
    elif (repo, sha) in sizes:
        attrs["change_size"] = sizes[(repo, sha)]
    description = str(deployment.get("description") or "")
    named = payload.get("services", payload.get("service"))
    if isinstance(named, str):
        services = [named]
    elif isinstance(named, list):
        services = [str(s) for s in named]
    elif is_config_repo(repo):
        services = (services_in_text(description, ctx.catalog)
                    or _repo_services(repo, ctx.catalog))
    else:
        services = _repo_services(repo, ctx.catalog)
    logs = [status.get("log_url") or status.get("target_url") for _, _, status in statuses]
    logs = [log for log in logs if log]
    url = logs[-1] if logs else f"{_web(ctx)}/{repo}/commit/{sha}"
    text = description or f"Deploy {deployment.get('ref') or sha[:7]} to {attrs['environment']}"
    return Event.make(source=SOURCE, kind=EventKind.DEPLOY,
                      source_id=f"{repo}/deployments/{deployment_id}",
                      at=min(started) if started else created, url=url, text=text,
                      actor=_login(deployment.get("creator")), services=tuple(services),
                      attrs=attrs)


def _commit_event(repo: str, sha: str, pages: _Pages, ctx: ParseContext) -> Event:
    item, response = pages.commits[(repo, sha)]
    commit = item.get("commit") or {}
    author = commit.get("author") or {}
    committed = (commit.get("committer") or {}).get("date") or author.get("date")
    at = _time(committed, response, f"commit {sha[:12]} committer date")
    message = str(commit.get("message") or "")
    return Event.make(source=SOURCE, kind=EventKind.COMMIT, source_id=f"{repo}@{sha}", at=at,
                      url=item.get("html_url") or f"{_web(ctx)}/{repo}/commit/{sha}",
                      text=message.split("\n", 1)[0],
                      actor=_login(item.get("author")) or author.get("name"),
                      services=tuple(_repo_services(repo, ctx.catalog)),
                      attrs={"repo": repo, "sha": sha})


def _web(ctx: ParseContext) -> str:
    return (ctx.entry.web_url or "https://github.com").rstrip("/")


def parse(capture: RawCapture, ctx: ParseContext) -> SourceData:
    """Deploy, merge and commit events from a GitHub capture, sorted by time."""
    problems = completeness_problems(capture)
    for problem in problems:
        _log.warning("github capture is incomplete: %s", problem)
    pages = _read_pages(capture)
    events: list[Event] = []
    for repo, number in sorted(set(pages.search) | set(pages.pulls)):
        merge = _merge_event(repo, number, pages, ctx)
        if merge is not None:
            events.append(merge)
    sizes = {(e.attrs["repo"], e.attrs["sha"]): e.attrs["additions"] + e.attrs["deletions"]
             for e in events if "additions" in e.attrs and "deletions" in e.attrs
             and e.attrs.get("sha")}
    events.extend(_deploy_event(d, pages, ctx, sizes) for d in sorted(pages.deployments))
    events.extend(_commit_event(repo, sha, pages, ctx) for repo, sha in sorted(pages.commits))
    events.sort(key=lambda e: (e.at, e.id))
    return SourceData(events=events, notes=[f"incomplete: {p}" for p in problems])


def completeness_problems(capture: RawCapture) -> list[str]:
    """What this capture could not see, one line each: error pages, truncated search, lost pages.

    Parsing goes on without these; the draft's source report should show them.
    """
    problems: list[str] = []
    seen = {_url_key(_full_url(r)) for r in capture.responses}
    queries: dict[str, tuple[int, int, str]] = {}
    for response in capture.responses:
        where = _where(response)
        if response.status >= 400:
            detail = ""
            try:
                body = response.json()
                detail = f": {body.get('message')}" if isinstance(body, dict) else ""
            except BundleError:
                pass
            problems.append(f"{where}: HTTP {response.status}{detail}")
            continue
        next_url = parse_link_header(response.header("Link")).get("next")
        if next_url and _url_key(next_url) not in seen:
            problems.append(f"{where}: next page {next_url} was not captured")
        if _route(response) == ("search", None):
            data = response.json()
            if not isinstance(data, dict):
                continue
            if data.get("incomplete_results"):
                problems.append(f"{where}: GitHub search timed out and returned incomplete "
                                f"results (incomplete_results: true)")
            query = str(dict(parse_qsl(_urlsplit(_full_url(response)).query)).get("q", ""))
            total, got, first = queries.get(query, (0, 0, where))
            queries[query] = (int(data.get("total_count") or 0), got + len(data.get("items") or []),
                              first)
    for query, (total, got, where) in queries.items():
        if total > SEARCH_RESULT_CAP:
            problems.append(f"{where}: {total} results for {query!r}; GitHub search returns at "
                            f"most {SEARCH_RESULT_CAP}: split the merged: range")
        elif got < total:
            problems.append(f"{where}: {got} of {total} results for {query!r} were captured")
    return problems
