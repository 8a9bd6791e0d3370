"""Stub extensions the third-party MCP servers need beyond what ``tests/stubs`` serves."""
