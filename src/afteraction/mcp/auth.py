"""Bearer-token guard for the HTTP transport: off loopback, no token, no server.

The token comes from ``AFTERACTION_MCP_TOKEN``; every request must carry
``Authorization: Bearer <token>`` or gets 401. On loopback the token is optional (a token that is
set is still enforced).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Mapping

from starlette.types import ASGIApp, Receive, Scope, Send

from afteraction.errors import ConfigError

__all__ = ["TOKEN_ENV", "BearerAuth", "is_loopback", "require_token"]

TOKEN_ENV = "AFTERACTION_MCP_TOKEN"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def require_token(host: str, environ: Mapping[str, str]) -> str | None:
    """The token to enforce, or None on loopback without one; refuses an open non-loopback bind."""
    token = environ.get(TOKEN_ENV, "").strip() or None
    if token is None and not is_loopback(host):
        raise ConfigError(f"refusing to serve MCP on {host} without a bearer token: set "
                          f"{TOKEN_ENV}", where="--host")
    return token


class BearerAuth:
    """ASGI middleware: HTTP requests without the right bearer token get 401."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"authorization", b"")
        if hmac.compare_digest(given, self._expected):
            await self.app(scope, receive, send)
            return
        body = json.dumps({"error": "unauthorized",
                           "error_description": "missing or wrong bearer token"}).encode()
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json"),
                                (b"www-authenticate", b'Bearer realm="afteraction"'),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
