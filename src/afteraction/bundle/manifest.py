"""The bundle manifest: what incident, what window, what was asked of which source, and when."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from afteraction.model.incident import Catalog, Incident, Window
from afteraction.model.time import UtcDatetime

__all__ = ["FORMAT_VERSION", "Manifest", "SourceEntry"]

FORMAT_VERSION = 1


class SourceEntry(BaseModel):
    """How one source fared at capture time, and what it needs to build citation links."""

    model_config = ConfigDict(frozen=True, extra="allow")

    status: Literal["ok", "error", "missing", "no_data"] = "ok"
    detail: str = ""
    base_url: str | None = Field(default=None, description="the API base URL that was read")
    web_url: str | None = Field(default=None,
                                description="where citations point (e.g. the Grafana UI)")
    queries: tuple[Any, ...] = ()


class Manifest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    format_version: int = FORMAT_VERSION
    incident: Incident
    window: Window
    captured_at: UtcDatetime
    tool_version: str
    sources: dict[str, SourceEntry] = Field(default_factory=dict)
    catalog: Catalog = Field(default_factory=Catalog)
    lookback_seconds: int = Field(default=6 * 3600,
                                  description="how far before the window changes were collected")
    baseline_seconds: int = Field(default=0,
                                  description="how much metric history before the window was read")
