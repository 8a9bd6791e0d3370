"""MCP resources: this session's drafts and the corpus postmortems, as Markdown and JSON.

``afteraction://drafts/{id}.md|.json`` are drafts made by ``draft_postmortem`` (or found in the
server's bundles folder); ``afteraction://postmortems/{id}.md|.json`` are stored in the corpus.
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError

from afteraction.errors import AfteractionError
from afteraction.mcp.corpus import CorpusAccess
from afteraction.mcp.workspace import Workspace

__all__ = ["register_resources"]


def register_resources(server: MCPServer, workspace: Workspace, corpus: CorpusAccess) -> None:
    from afteraction.render import render_json, render_markdown

    @server.resource("afteraction://drafts/{id}.md", name="draft-markdown",
                     title="Postmortem draft (Markdown)", mime_type="text/markdown")
    def draft_markdown(id: str) -> str:
        """The draft rendered as Markdown, every claim linked to its evidence."""
        try:
            return render_markdown(workspace.draft(id))
        except AfteractionError as exc:
            raise ResourceError(str(exc)) from exc

    @server.resource("afteraction://drafts/{id}.json", name="draft-json",
                     title="Postmortem draft (JSON)", mime_type="application/json")
    def draft_json(id: str) -> str:
        """The structured draft as JSON (the postmortem schema)."""
        try:
            return render_json(workspace.draft(id))
        except AfteractionError as exc:
            raise ResourceError(str(exc)) from exc

    @server.resource("afteraction://postmortems/{id}.md", name="postmortem-markdown",
                     title="Stored postmortem (Markdown)", mime_type="text/markdown")
    def postmortem_markdown(id: str) -> str:
        """A postmortem from the corpus as Markdown."""
        try:
            stored = corpus.get(id)
        except AfteractionError as exc:
            raise ResourceError(str(exc)) from exc
        structured = stored.structured()
        return render_markdown(structured) if structured is not None else stored.body

    @server.resource("afteraction://postmortems/{id}.json", name="postmortem-json",
                     title="Stored postmortem (JSON)", mime_type="application/json")
    def postmortem_json(id: str) -> str:
        """A postmortem from the corpus as JSON: the structured draft when it was ingested from
        one, else its key, title and Markdown body."""
        import json
        try:
            stored = corpus.get(id)
        except AfteractionError as exc:
            raise ResourceError(str(exc)) from exc
        structured = stored.structured()
        if structured is not None:
            return render_json(structured)
        return json.dumps({"key": stored.key, "title": stored.title, "markdown": stored.body},
                          indent=2)
