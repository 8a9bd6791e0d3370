"""afteraction over the Model Context Protocol: the server assistants connect to."""

from afteraction.mcp.server import build_server
from afteraction.mcp.workspace import ServerConfig

__all__ = ["ServerConfig", "build_server"]
