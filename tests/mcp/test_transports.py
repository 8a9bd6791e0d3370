"""The server over stdio and streamable HTTP, as ``python -m afteraction.mcp`` (= ``afteraction mcp``)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

INCIDENT = "INC-4721"
TOKEN = "s3cret-test-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_args(*extra: str) -> list[str]:
    return [sys.executable, "-m", "afteraction.mcp", *extra]


class HttpServer:
    def __init__(self, proc: subprocess.Popen[bytes], url: str) -> None:
        self.proc = proc
        self.url = url


def start_http(bundles: Path, corpus_url: str, env_token: str | None,
               host: str = "127.0.0.1") -> HttpServer:
    port = free_port()
    env = dict(os.environ)
    env.pop("AFTERACTION_MCP_TOKEN", None)
    if env_token:
        env["AFTERACTION_MCP_TOKEN"] = env_token
    proc = subprocess.Popen(serve_args("--http", "--host", host, "--port", str(port),
                                       "--bundles", str(bundles), "--db", corpus_url),
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return HttpServer(proc, f"http://127.0.0.1:{port}/mcp")
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("HTTP server did not start within 30s")


def stop(server: HttpServer) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.proc.kill()


@pytest.fixture(scope="module")
def http_server(bundles_dir: Path, corpus_url: str) -> Iterator[HttpServer]:
    server = start_http(bundles_dir, corpus_url, TOKEN)
    yield server
    stop(server)


async def exercise(client: Client) -> dict[str, Any]:
    tools = sorted(t.name for t in (await client.list_tools()).tools)
    prompts = [p.name for p in (await client.list_prompts()).prompts]
    templates = sorted(t.uri_template for t in
                       (await client.list_resource_templates()).resource_templates)
    metrics = await client.call_tool("get_incident_metrics", {"incident_id": INCIDENT})
    md = await client.read_resource(f"afteraction://drafts/{INCIDENT}.md")
    return {"tools": tools, "prompts": prompts, "templates": templates, "metrics": metrics,
            "md": md.contents[0].text}


def check(out: dict[str, Any]) -> None:
    assert len(out["tools"]) == 11 and "draft_postmortem" in out["tools"]
    assert out["prompts"] == ["postmortem_review"]
    assert len(out["templates"]) == 4
    assert not out["metrics"].is_error, out["metrics"].content
    assert out["metrics"].structured_content["mitigation_type"] == "rollback"
    assert out["md"].startswith(f"# {INCIDENT}: ")


def test_stdio(bundles_dir: Path, corpus_url: str) -> None:
    args = serve_args("--bundles", str(bundles_dir), "--db", corpus_url)
    params = StdioServerParameters(command=args[0], args=args[1:])

    async def main() -> dict[str, Any]:
        async with Client(params) as client:
            return await exercise(client)
    check(anyio.run(main))


def test_http_with_token(http_server: HttpServer) -> None:
    async def main() -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with httpx2.AsyncClient(headers=headers, timeout=60) as http:
            async with Client(streamable_http_client(http_server.url, http_client=http)) as c:
                return await exercise(c)
    check(anyio.run(main))


def test_http_rejects_requests_without_the_token(http_server: HttpServer) -> None:
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "t", "version": "0"}}}
    headers = {"Accept": "application/json, text/event-stream"}
    for auth in (None, "Bearer wrong", f"Basic {TOKEN}"):
        sent = dict(headers, **({"Authorization": auth} if auth else {}))
        response = httpx.post(http_server.url, json=init, headers=sent, timeout=10)
        assert response.status_code == 401, auth
        assert response.headers["www-authenticate"].startswith("Bearer")
    ok = httpx.post(http_server.url, json=init, timeout=10,
                    headers=dict(headers, Authorization=f"Bearer {TOKEN}"))
    assert ok.status_code == 200


def test_refuses_to_start_off_loopback_without_a_token(bundles_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "AFTERACTION_MCP_TOKEN"}
    done = subprocess.run(serve_args("--http", "--host", "0.0.0.0", "--port", "1"),
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3
    assert "refusing to serve MCP on 0.0.0.0 without a bearer token" in done.stderr
    assert "AFTERACTION_MCP_TOKEN" in done.stderr and "Traceback" not in done.stderr
