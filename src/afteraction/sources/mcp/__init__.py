"""Sources read through third-party MCP servers, converted to the native sources' raw form."""
