"""The incident being analyzed, its time window, and the service catalog that ties signals to services."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from afteraction.model.time import UtcDatetime

__all__ = ["Catalog", "Incident", "Service", "Window"]


class Window(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    start: UtcDatetime
    end: UtcDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end <= self.start:
            what = "empty" if self.end == self.start else "inverted"
            raise ValueError(f"{what} window: end {self.end.isoformat()} is not after start "
                             f"{self.start.isoformat()}")
        return self

    def contains(self, at: datetime) -> bool:
        return self.start <= at <= self.end

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


class Incident(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    title: str = ""
    severity: str | None = None
    ticket: str | None = Field(default=None, description="the incident ticket key, e.g. INC-123")
    channel: str | None = Field(default=None, description="the incident chat channel name")
    services: tuple[str, ...] = Field(default=(), description="services named when declared")


class Service(BaseModel):
    """One catalog entry: how to find this service's signals in every source."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    repos: tuple[str, ...] = ()
    slack_channels: tuple[str, ...] = ()
    labels: dict[str, str] = Field(default_factory=dict,
                                   description="metric label selector, e.g. {service: checkout}")
    jira_components: tuple[str, ...] = ()
    jira_project: str | None = None
    flag_prefixes: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = Field(default=(), description="upstream services it calls")
    tier: int | None = None


class Catalog(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    services: tuple[Service, ...] = ()

    def get(self, name: str) -> Service | None:
        return next((s for s in self.services if s.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.services)

    def service_for_repo(self, repo: str) -> str | None:
        """'owner/name' or 'name' of a repository to the service that lives in it."""
        short = repo.rsplit("/", 1)[-1]
        for service in self.services:
            for candidate in service.repos:
                if candidate == repo or candidate.rsplit("/", 1)[-1] == short:
                    return service.name
        return None

    def service_for_flag(self, flag_key: str) -> str | None:
        best: tuple[int, str] | None = None
        for service in self.services:
            for prefix in service.flag_prefixes:
                if flag_key.startswith(prefix) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), service.name)
        return best[1] if best else None

    def service_for_labels(self, labels: dict[str, str]) -> str | None:
        """The service whose whole label selector matches these series labels."""
        for service in self.services:
            if service.labels and all(labels.get(k) == v for k, v in service.labels.items()):
                return service.name
        return None

    def service_for_component(self, component: str) -> str | None:
        for service in self.services:
            if component in service.jira_components or component == service.name:
                return service.name
        return None

    def callers_of(self, name: str) -> tuple[str, ...]:
        """Services that depend on ``name`` directly (its downstream callers)."""
        return tuple(s.name for s in self.services if name in s.depends_on)

    def upstream_of(self, name: str) -> frozenset[str]:
        """Every service ``name`` depends on, transitively."""
        seen: set[str] = set()
        entry = self.get(name)
        stack = list(entry.depends_on) if entry else []
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            entry = self.get(current)
            if entry:
                stack.extend(entry.depends_on)
        return frozenset(seen)
