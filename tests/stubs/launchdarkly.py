"""LaunchDarkly stub: ``/api/v2/auditlog`` with ``after``/``before`` in epoch ms, ``limit`` at
most 20, ``_links.next.href`` pages; ``{"code": ..., "message": ...}`` errors; the rate limit
reset in ``X-Ratelimit-Reset`` as epoch milliseconds.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from .runner import Request, Response, StubApp, json_response
from .world import FLAG_CHANGES, ms


class LaunchDarklyStub(StubApp):
    name = "launchdarkly"

    def __init__(self, token: str = "api-stub-ld-0001") -> None:
        super().__init__()
        self.token = token

    def authorized(self, request: Request) -> bool:
        return request.header("Authorization") == self.token

    def unauthorized(self, request: Request) -> Response:
        return json_response({"code": "unauthorized", "message": "Invalid access token"}, 401)

    def rate_limited(self, request: Request) -> Response:
        reset = int((time.time() + self.faults.retry_after) * 1000)
        return json_response({"code": "rate_limited", "message": "You've exceeded the API rate "
                              "limit. Try again later."}, 429,
                             {"X-Ratelimit-Reset": str(reset),
                              "X-Ratelimit-Global-Remaining": "0"})

    def _entry(self, change: dict[str, Any]) -> dict[str, Any]:
        env = "production"
        resource = f"proj/default:env/{env}:flag/{change['flag']}"
        return {"_id": change["id"], "_accountId": "acct-ld",
                "_links": {"self": {"href": f"/api/v2/auditlog/{change['id']}",
                                    "type": "application/json"},
                           "canonical": {"href": f"/api/v2/flags/default/{change['flag']}",
                                         "type": "application/json"}},
                "date": ms(change["date"]), "accesses": [{"action": change["action"],
                                                          "resource": resource}],
                "kind": "flag", "name": change["flag"], "description": change["verb"],
                "shortDescription": change["verb"],
                "member": {"_id": f"m-{change['who']}", "email": f"{change['who']}@acme.example",
                           "firstName": change["who"].title(), "lastName": ""},
                "titleVerb": change["verb"],
                "title": f"{change['who'].title()} {change['verb']} {change['flag']}",
                "target": {"name": change["flag"], "resources": [resource]}}

    def route(self, request: Request) -> Response:
        if request.path != "/api/v2/auditlog":
            return json_response({"code": "not_found", "message": "Unknown resource"}, 404)
        limit = int(request.q("limit", "10") or 10)
        if limit > 20:
            return json_response({"code": "invalid_request",
                                  "message": "limit must be at most 20"}, 400)
        limit = self.page_size(limit)
        after = int(request.q("after", "0") or 0)
        before = int(request.q("before", str(2**53)) or 2**53)
        entries = sorted((c for c in FLAG_CHANGES if after <= ms(c["date"]) < before),
                         key=lambda c: c["date"], reverse=True)
        chunk = entries[:limit]
        links: dict[str, Any] = {"self": {"href": f"/api/v2/auditlog?{urlencode(request.query, doseq=True)}",
                                          "type": "application/json"}}
        if len(entries) > limit:
            query = {k: v[0] for k, v in request.query.items()}
            query["before"] = str(ms(chunk[-1]["date"]))
            links["next"] = {"href": f"/api/v2/auditlog?{urlencode(query)}",
                             "type": "application/json"}
        return json_response({"items": [self._entry(c) for c in chunk], "_links": links,
                              "totalCount": len(entries)})
