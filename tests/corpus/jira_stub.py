"""A local Jira Cloud stand-in on 127.0.0.1 that speaks ``POST /rest/api/3/search/jql``.

It pages with an opaque ``nextPageToken`` and ``isLast`` (no ``total``, the token absent on the
last page), answers 401 without credentials and 400 for JQL it does not understand, like Cloud.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

BASE = "http://127.0.0.1"


def issue(key: str, status: str, category: str, *, resolution: str | None = None,
          resolved: str | None = None, changes: list[tuple[str, str, str]] = ()) -> dict[str, Any]:
    """An IssueBean as search/jql returns it with fields=status,resolution,resolutiondate and
    expand=changelog; ``changes`` are (created, fromString, toString)."""
    number = abs(hash(key)) % 90000 + 10000
    histories = [{"id": str(100 + i), "author": {"accountId": "5b10a2844c20165700ede21g",
                                                 "displayName": "Mia Krystof"},
                  "created": created,
                  "items": [{"field": "status", "fieldtype": "jira", "fieldId": "status",
                             "from": "1", "fromString": old, "to": "2", "toString": new}]}
                 for i, (created, old, new) in enumerate(changes)]
    return {
        "expand": "operations,versionedRepresentations,editmeta,changelog,renderedFields",
        "id": str(number), "self": f"https://acme.atlassian.net/rest/api/3/issue/{number}",
        "key": key,
        "fields": {
            "status": {"self": "https://acme.atlassian.net/rest/api/3/status/3", "name": status,
                       "id": "3", "statusCategory": {"self": "https://acme.atlassian.net/rest/"
                                                             "api/3/statuscategory/4",
                                                     "id": 4, "key": category,
                                                     "colorName": "yellow", "name": status}},
            "resolution": ({"self": "https://acme.atlassian.net/rest/api/3/resolution/1",
                            "id": "1", "name": resolution} if resolution else None),
            "resolutiondate": resolved},
        "changelog": {"startAt": 0, "maxResults": len(histories), "total": len(histories),
                      "histories": histories}}


class JiraStub:
    def __init__(self, issues: list[dict[str, Any]]) -> None:
        self.issues = {i["key"]: i for i in issues}
        self.requests: list[dict[str, Any]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                if self.path != "/rest/api/3/search/jql":
                    self._send(404, {"errorMessages": ["not found"], "errors": {}})
                    return
                if not self.headers.get("Authorization", "").startswith("Basic "):
                    self._send(401, {"errorMessages": ["You are not authenticated."],
                                     "errors": {}})
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append(body)
                match = re.fullmatch(r"key in \(([^)]*)\) ORDER BY key ASC", body["jql"])
                if not match:
                    self._send(400, {"errorMessages": ["Error in the JQL Query"], "errors": {}})
                    return
                keys = sorted(k.strip() for k in match.group(1).split(","))
                found = [stub.issues[k] for k in keys if k in stub.issues]
                start = int(base64.b64decode(body["nextPageToken"])) if body.get(
                    "nextPageToken") else 0
                size = int(body.get("maxResults", 50))
                page: dict[str, Any] = {"issues": found[start:start + size]}
                if start + size < len(found):
                    page["nextPageToken"] = base64.b64encode(str(start + size).encode()).decode()
                    page["isLast"] = False
                else:
                    page["isLast"] = True
                self._send(200, page)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"{BASE}:{self.server.server_address[1]}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
