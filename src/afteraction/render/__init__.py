"""Renderers: read a Postmortem, write Markdown, JSON or a self-contained HTML page."""

from afteraction.render.html import render_html
from afteraction.render.jsonout import postmortem_schema, render_json
from afteraction.render.markdown import render_markdown

__all__ = ["postmortem_schema", "render_html", "render_json", "render_markdown"]
