"""Rich text to plain text: Atlassian Document Format (Jira Cloud v3) and Jira wiki markup.

Timelines and drafts quote short plain text; the structure of a rich document (panels, marks,
mentions) only matters as far as it changes the words a reader sees.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["adf_to_text", "text_to_adf", "wiki_to_text"]

_BLOCKS = frozenset({"paragraph", "heading", "blockquote", "codeBlock", "panel", "listItem",
                     "rule", "table", "tableRow", "mediaSingle", "mediaGroup", "expand",
                     "nestedExpand", "decisionItem", "taskItem"})


def _inline(node: dict[str, Any]) -> str:
    kind = node.get("type")
    attrs = node.get("attrs") or {}
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    if kind == "mention":
        text = str(attrs.get("text") or attrs.get("id") or "")
        return text if text.startswith("@") else f"@{text}"
    if kind == "emoji":
        return str(attrs.get("text") or attrs.get("shortName") or "")
    if kind in ("inlineCard", "blockCard", "embedCard"):
        return str(attrs.get("url") or "")
    if kind == "status":
        return str(attrs.get("text") or "")
    if kind == "date":
        return str(attrs.get("timestamp") or "")
    return ""


def _walk(node: Any, out: list[str]) -> None:
    if isinstance(node, list):
        for child in node:
            _walk(child, out)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    content = node.get("content")
    if kind in _BLOCKS or kind in ("bulletList", "orderedList", "taskList", "decisionList"):
        if kind == "listItem" or kind == "taskItem":
            out.append("- ")
        if content:
            _walk(content, out)
        if kind in _BLOCKS and not (out and out[-1].endswith("\n")):
            out.append("\n")
        return
    if content is not None:
        _walk(content, out)
        return
    out.append(_inline(node))


def adf_to_text(document: Any) -> str:
    """The words of an ADF document, one line per block; a plain string passes through."""
    if document is None:
        return ""
    if isinstance(document, str):
        return document.strip()
    out: list[str] = []
    _walk(document, out)
    lines = [line.rstrip() for line in "".join(out).split("\n")]
    return "\n".join(line for line in lines if line.strip()).strip()


def text_to_adf(text: str) -> dict[str, Any]:
    """A minimal ADF document, one paragraph per line (what Jira's editor writes for plain text)."""
    paragraphs = [{"type": "paragraph", "content": [{"type": "text", "text": line}]}
                  for line in text.split("\n") if line.strip()]
    return {"type": "doc", "version": 1, "content": paragraphs}


_WIKI_LINK = re.compile(r"\[([^|\]]+)\|([^\]]+)\]")
_WIKI_MARKS = re.compile(r"(?<![\w*_])([*_+^~-])(\S(?:.*?\S)?)\1(?![\w*_])")
_WIKI_HEADING = re.compile(r"^h[1-6]\.\s*", re.MULTILINE)
_WIKI_BLOCK = re.compile(r"\{(?:code|noformat|quote|panel)(?::[^}]*)?\}")


def wiki_to_text(text: str) -> str:
    """Jira Data Center wiki markup (v2 descriptions) to plain text: links, marks, headings."""
    plain = _WIKI_BLOCK.sub("", text)
    plain = _WIKI_HEADING.sub("", plain)
    plain = _WIKI_LINK.sub(r"\1 (\2)", plain)
    plain = _WIKI_MARKS.sub(r"\2", plain)
    lines = [line.rstrip() for line in plain.replace("\r\n", "\n").split("\n")]
    return "\n".join(line for line in lines if line.strip()).strip()
