"""``python -m afteraction.mcp [--http ...]``: the same as ``afteraction mcp``."""

import typer

from afteraction.mcp.cli import mcp_command

if __name__ == "__main__":
    typer.run(mcp_command)
