"""The whole structured postmortem as JSON, and its JSON Schema (committed as
``afteraction/schema/postmortem.schema.json``; a test keeps the two in step)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from afteraction.model.postmortem import Postmortem

__all__ = ["SCHEMA_FILE", "committed_schema", "postmortem_schema", "render_json"]

SCHEMA_FILE = "postmortem.schema.json"


def render_json(pm: Postmortem) -> str:
    return pm.model_dump_json(indent=2) + "\n"


def postmortem_schema() -> dict[str, Any]:
    schema = Postmortem.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://afteraction.dev/schema/postmortem.schema.json"
    return schema


def committed_schema() -> dict[str, Any]:
    text = resources.files("afteraction.schema").joinpath(SCHEMA_FILE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
