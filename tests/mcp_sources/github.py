"""The GitHub stub served under ``/api/v3``: ``github-mcp-server --gh-host http://...`` reads a
host as GitHub Enterprise Server, whose REST API lives there (GraphQL at ``/api/graphql``).
"""

from __future__ import annotations

from dataclasses import replace

from tests.stubs.github import GitHubStub
from tests.stubs.runner import Request, Response

__all__ = ["EnterpriseGitHubStub"]


class EnterpriseGitHubStub(GitHubStub):
    def route(self, request: Request) -> Response:
        if request.path.startswith("/api/v3/"):
            request = replace(request, path=request.path.removeprefix("/api/v3"))
        return super().route(request)
