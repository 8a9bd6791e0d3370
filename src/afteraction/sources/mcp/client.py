"""An MCP server as a source: configured as assistants configure them, called tool by tool.

``McpServerConfig`` is the ``mcpServers`` entry of Claude Desktop / Cursor (command, args, env) or
a streamable HTTP URL with headers. Every tool call is kept as a :class:`RawResponse` (URL
``mcp://<server>/tools/<tool>``, params = the arguments, body = the tool's text), so a bundle
records exactly what the server answered and an adapter's conversion can be replayed.

A started server's stderr (its own INFO logs) never reaches the user's terminal: each line goes to
the ``afteraction.sources.mcp.client`` logger at DEBUG, and the last ones are added to the error
when the server fails to start or stops answering.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TextIO

from pydantic import BaseModel, ConfigDict, Field, model_validator

from afteraction.bundle.raw import RawResponse
from afteraction.errors import ConfigError, SourceError

__all__ = ["McpServerConfig", "McpSession", "ReplaySession", "ServerLog", "ToolCall",
           "open_session"]

_log = logging.getLogger(__name__)
_KEPT_LINES = 20
_SAID_LINES = 5
_SAID_CHARS = 400


class McpServerConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="a label used in recorded URLs, e.g. mcp-atlassian")
    command: str | None = None
    args: tuple[str, ...] = ()
    env: dict[str, str] = Field(default_factory=dict)
    url: str | None = Field(default=None, description="streamable HTTP endpoint instead of a "
                                                      "command")
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: float = 60.0

    @model_validator(mode="after")
    def _one_transport(self) -> McpServerConfig:
        if (self.command is None) == (self.url is None):
            raise ValueError("give exactly one of command or url")
        return self


class ToolCall(BaseModel):
    model_config = ConfigDict(frozen=True)

    tool: str
    arguments: dict[str, Any]
    text: str
    is_error: bool = False

    def json(self) -> Any:  # type: ignore[override]
        try:
            return json.loads(self.text)
        except json.JSONDecodeError as exc:
            raise SourceError(f"tool {self.tool} answered non-JSON text: {self.text[:120]!r}",
                              source="mcp") from exc

    def raw(self, server: str) -> RawResponse:
        return RawResponse(url=f"mcp://{server}/tools/{self.tool}", body=self.text.encode(),
                           method="CALL", params=dict(self.arguments),
                           status=500 if self.is_error else 200, meta={"mcp_tool": self.tool})


class McpSession:
    """A connected client; ``call`` returns the tool's text and records the exchange."""

    def __init__(self, config: McpServerConfig, client: Any, tools: set[str],
                 stderr: ServerLog | None = None) -> None:
        self.config = config
        self._client = client
        self.tools = tools
        self.calls: list[ToolCall] = []
        self._stderr = stderr

    def has(self, tool: str) -> bool:
        return tool in self.tools

    async def call(self, tool: str, arguments: dict[str, Any]) -> ToolCall:
        if tool not in self.tools:
            raise SourceError(f"{self.config.name} has no tool {tool!r}", source="mcp",
                              where=self.config.name)
        from mcp.shared.exceptions import MCPError
        try:
            result = await self._client.call_tool(tool, arguments)
        except MCPError as exc:  # a protocol-level error (some servers report API failures so)
            said = self._stderr.said() if self._stderr else ""
            raise SourceError(f"{self.config.name} {tool}: {exc}{said}", source="mcp",
                              where=self.config.name) from exc
        text = "\n".join(getattr(c, "text", "") for c in result.content)
        call = ToolCall(tool=tool, arguments=arguments, text=text, is_error=bool(result.is_error))
        self.calls.append(call)
        if call.is_error:
            raise SourceError(f"{self.config.name} {tool}: {text[:200]}", source="mcp",
                              where=self.config.name)
        return call


class ReplaySession(McpSession):
    """Answers tool calls from recorded ones (same tool and arguments, in order): adapters run on
    a server's recorded outputs exactly as on the live server."""

    def __init__(self, config: McpServerConfig, recorded: list[ToolCall],
                 tools: set[str] | None = None) -> None:
        super().__init__(config, None, tools if tools is not None else
                         {c.tool for c in recorded})
        self._pending = list(recorded)

    async def call(self, tool: str, arguments: dict[str, Any]) -> ToolCall:
        if tool not in self.tools:
            raise SourceError(f"{self.config.name} has no tool {tool!r}", source="mcp",
                              where=self.config.name)
        found = next((c for c in self._pending if c.tool == tool and c.arguments == arguments),
                     None)
        if found is None:
            raise SourceError(f"no recorded answer for {tool} {json.dumps(arguments)}",
                              source="mcp", where=self.config.name)
        self._pending.remove(found)
        self.calls.append(found)
        if found.is_error:
            raise SourceError(f"{self.config.name} {tool}: {found.text[:200]}", source="mcp",
                              where=self.config.name)
        return found


class ServerLog:
    """A server's stderr through a pipe: a thread logs each line at DEBUG and keeps the last
    ones, so a failure can say what the server said and the terminal stays afteraction's."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lines: deque[str] = deque(maxlen=_KEPT_LINES)
        read_fd, write_fd = os.pipe()
        self._reader = os.fdopen(read_fd, "r", encoding="utf-8", errors="replace")
        self._writer: TextIO | None = os.fdopen(write_fd, "w", encoding="utf-8")
        self._thread = threading.Thread(target=self._pump, name=f"{name} stderr", daemon=True)
        self._thread.start()

    @property
    def errlog(self) -> TextIO:
        """The pipe's write end, given to the server process as its stderr."""
        if self._writer is None:
            raise RuntimeError("server log already closed")
        return self._writer

    def _pump(self) -> None:
        with self._reader:
            for raw in self._reader:
                line = raw.rstrip()
                if line:
                    self.lines.append(line)
                    _log.debug("%s: %s", self.name, line)

    def spawned(self) -> None:
        """Drop afteraction's copy of the write end: the pipe ends when the server exits."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    async def close(self, wait: float = 2.0) -> None:
        """Wait (briefly) for the server's last lines once it has exited."""
        self.spawned()
        await asyncio.to_thread(self._thread.join, wait)

    def said(self) -> str:
        """The server's last stderr lines as one clause for an error message, or ''."""
        if not self.lines:
            return ""
        text = " | ".join(list(self.lines)[-_SAID_LINES:])
        if len(text) > _SAID_CHARS:
            text = "..." + text[-_SAID_CHARS:]
        return f"; its stderr ends: {text}"


def _leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


@asynccontextmanager
async def open_session(config: McpServerConfig) -> AsyncIterator[McpSession]:
    """Start (or reach) the server, list its tools, yield a session; closes it on exit.

    A stdio server's stderr goes to a :class:`ServerLog`; when the server cannot start or stops
    answering, the SourceError ends with its last lines."""
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client
    from mcp.shared.exceptions import MCPError
    stderr: ServerLog | None = None
    if config.command is not None:
        stderr = ServerLog(config.name)
        target: Any = stdio_client(StdioServerParameters(
            command=config.command, args=list(config.args), env=dict(config.env)),
            errlog=stderr.errlog)
    else:
        import httpx2
        from mcp.client.streamable_http import streamable_http_client
        if config.url is None:
            raise ConfigError("no url", where=config.name)
        target = streamable_http_client(config.url, http_client=httpx2.AsyncClient(
            headers=config.headers, timeout=config.timeout))
    try:
        async with Client(target, mode="legacy", read_timeout_seconds=config.timeout) as client:
            if stderr is not None:
                stderr.spawned()
            tools = {t.name for t in (await client.list_tools()).tools}
            yield McpSession(config, client, tools, stderr)
    except OSError as exc:
        said = await _said(stderr)
        raise SourceError(f"cannot start MCP server: {exc}{said}", source="mcp",
                          where=config.name) from exc
    except Exception as exc:
        leaf = _leaf(exc)
        if not isinstance(leaf, MCPError):
            raise
        said = await _said(stderr)
        raise SourceError(f"the server stopped answering ({leaf}){said}", source="mcp",
                          where=config.name) from exc
    finally:
        if stderr is not None:
            await stderr.close()


async def _said(stderr: ServerLog | None) -> str:
    if stderr is None:
        return ""
    await stderr.close()
    return stderr.said()
