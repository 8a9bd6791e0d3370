"""Jira stub, Cloud (``/rest/api/3``, ``search/jql`` + ``nextPageToken``, ADF descriptions) or
Data Center (``/rest/api/2``, ``search`` + ``startAt/total``, plain-text descriptions).

Errors use Jira's ``{"errorMessages": [...], "errors": {}}``; rate limits are 429 with
``Retry-After`` and the ``X-RateLimit-*`` headers (the reset as an ISO time, as Cloud sends it).
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from .runner import Request, Response, StubApp, json_response
from .world import ISSUES, at, jira_time


def _adf(text: str) -> dict[str, Any]:
    return {"type": "doc", "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}]}


class JiraStub(StubApp):
    name = "jira"

    def __init__(self, flavor: str = "cloud", token: str = "jira-stub-token-0001",
                 email: str = "bot@acme.example", changelog_page: int = 100) -> None:
        super().__init__()
        self.flavor = flavor
        self.token = token
        self.email = email
        self.changelog_page = changelog_page
        self.api = "/rest/api/3" if flavor == "cloud" else "/rest/api/2"

    def authorized(self, request: Request) -> bool:
        header = request.header("Authorization") or ""
        if self.flavor == "cloud":
            pair = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
            return header == f"Basic {pair}"
        return header == f"Bearer {self.token}"

    def unauthorized(self, request: Request) -> Response:
        return json_response({"errorMessages": [("You are not authenticated. Authentication "
                                                 "required to perform this operation.")],
                              "errors": {}}, 401)

    def rate_limited(self, request: Request) -> Response:
        reset = datetime.now(UTC) + timedelta(seconds=self.faults.retry_after)
        return json_response({"errorMessages": ["Rate limit exceeded."], "errors": {}}, 429,
                             {"Retry-After": f"{int(self.faults.retry_after)}",
                              "X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0",
                              "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%MZ"),
                              "RateLimit-Reason": "jira-burst-based"})

    def _issue(self, data: dict[str, Any], expand: str = "") -> dict[str, Any]:
        site = self.base_url
        description = data["description"]
        fields: dict[str, Any] = {
            "summary": data["summary"],
            "issuetype": {"name": data["type"]},
            "status": {"name": data["status"],
                       "statusCategory": {"key": data["category"], "name": data["category"]}},
            "priority": {"name": data["priority"]},
            "components": [{"name": c} for c in data["components"]],
            "labels": data["labels"], "project": {"key": data["key"].split("-")[0]},
            "created": jira_time(data["created"]), "updated": jira_time(data["updated"]),
            "resolutiondate": jira_time(data["resolved"]) if data["resolved"] else None,
            "assignee": {"displayName": "Carol Diaz", "accountId": "acc-carol"},
            "reporter": {"displayName": "Pager Bot", "accountId": "acc-pager"},
            "description": (_adf(description) if self.flavor == "cloud" else description)
            if description else None,
            "issuelinks": [{"id": str(10000 + i), "type": {"name": "Relates", "inward": kind,
                                                          "outward": kind},
                            "outwardIssue": {"key": key, "fields": {"summary": next(
                                x["summary"] for x in ISSUES if x["key"] == key)}}}
                           for i, (kind, key) in enumerate(data["links"])],
        }
        issue: dict[str, Any] = {"id": str(abs(hash(data["key"])) % 10**6), "key": data["key"],
                                 "self": f"{site}{self.api}/issue/{data['key']}",
                                 "fields": fields}
        if "changelog" in expand:
            histories = self._histories(data)
            shown = histories[: self.changelog_page]
            issue["changelog"] = {"startAt": 0, "maxResults": self.changelog_page,
                                  "total": len(histories), "histories": shown}
        return issue

    def _histories(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"id": str(500 + i), "author": {"displayName": who.title(),
                                                "accountId": f"acc-{who}"},
                 "created": jira_time(at(hhmm)),
                 "items": [{"field": field, "fieldtype": "jira", "fromString": old,
                            "toString": new}]}
                for i, (hhmm, who, field, old, new) in enumerate(data["history"])]

    def _select(self, jql: str) -> list[dict[str, Any]]:
        keys = re.search(r"key in \(([^)]*)\)", jql)
        if keys:
            wanted = [k.strip() for k in keys.group(1).split(",")]
            return [i for i in ISSUES if i["key"] in wanted]
        excluded = re.search(r"key != (\S+)", jql)
        pool = [i for i in ISSUES if not excluded or i["key"] != excluded.group(1)]
        project = re.search(r"project = (\w+)", jql)
        if project:
            return [i for i in pool if i["key"].startswith(project.group(1) + "-")]
        if "component in" in jql:
            return [i for i in pool if "checkout" in i["components"]
                    and not i["key"].startswith("INC-")]
        return pool

    def route(self, request: Request) -> Response:
        if not request.path.startswith(self.api):
            return json_response({"errorMessages": ["Not found"], "errors": {}}, 404)
        rest = request.path.removeprefix(self.api)
        if rest == "/myself":
            return json_response({"accountId": "acc-bot", "name": "afteraction",
                                  "displayName": "afteraction bot", "active": True})
        if rest == "/mypermissions":
            return json_response({"permissions": {"BROWSE_PROJECTS": {
                "id": "10", "key": "BROWSE_PROJECTS", "name": "Browse Projects",
                "type": "PROJECT", "havePermission": True}}})
        match = re.match(r"^/issue/([A-Z]+-\d+)(/changelog)?$", rest)
        if match:
            data = next((i for i in ISSUES if i["key"] == match.group(1)), None)
            if data is None:
                return json_response({"errorMessages": [("Issue does not exist or you do not "
                                                         "have permission to see it.")],
                                      "errors": {}}, 404)
            if match.group(2):
                start = int(request.q("startAt", "0") or 0)
                size = self.page_size(int(request.q("maxResults", "100") or 100))
                values = self._histories(data)
                chunk = values[start:start + size]
                return json_response({"self": f"{self.base_url}{request.path}",
                                      "maxResults": size, "startAt": start,
                                      "total": len(values),
                                      "isLast": start + size >= len(values), "values": chunk})
            return json_response(self._issue(data, request.q("expand", "") or ""))
        if rest in ("/search/jql", "/search"):
            if (rest == "/search/jql") != (self.flavor == "cloud"):
                return json_response({"errorMessages": ["Not found"], "errors": {}}, 404)
            issues = self._select(request.q("jql", "") or "")
            expand = request.q("expand", "") or ""
            size = self.page_size(int(request.q("maxResults", "50") or 50))
            if self.flavor == "cloud":
                start = int(request.q("nextPageToken", "0") or 0)
                chunk = issues[start:start + size]
                body: dict[str, Any] = {"issues": [self._issue(i, expand) for i in chunk],
                                        "isLast": start + size >= len(issues)}
                if not body["isLast"]:
                    body["nextPageToken"] = str(start + size)
                return json_response(body)
            start = int(request.q("startAt", "0") or 0)
            chunk = issues[start:start + size]
            return json_response({"expand": "schema,names", "startAt": start,
                                  "maxResults": size, "total": len(issues),
                                  "issues": [self._issue(i, expand) for i in chunk]})
        return json_response({"errorMessages": ["Not found"], "errors": {}}, 404)
