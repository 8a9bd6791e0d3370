"""Where the MCP server finds incidents and postmortems, and the drafts it made this session.

The tools stay thin: each asks the workspace for a bundle or a draft and reshapes the library's
answer. A draft is computed once per (incident, bundle or window) and kept for the resources.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from afteraction.analysis.evidence import Evidence
from afteraction.bundle.store import Bundle
from afteraction.errors import InputError, NotFoundError
from afteraction.model.postmortem import Postmortem

__all__ = ["ServerConfig", "Workspace"]


@dataclass(frozen=True)
class ServerConfig:
    """What the server may read: a config file for live collection, a bundles folder, a corpus."""

    config_path: Path | None = None
    bundles_dir: Path | None = None
    corpus_url: str | None = None


@dataclass
class _Entry:
    bundle: Bundle
    evidence: Evidence
    postmortem: Postmortem


@dataclass
class Workspace:
    config: ServerConfig = field(default_factory=ServerConfig)
    _cache: dict[tuple[str, str, str, str], _Entry] = field(default_factory=dict)
    _drafts: dict[str, Postmortem] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _bundle_path(self, incident_id: str, bundle_path: str | None) -> Path | None:
        if bundle_path:
            return Path(bundle_path).expanduser()
        if self.config.bundles_dir is not None:
            candidate = self.config.bundles_dir / incident_id
            if (candidate / "manifest.json").is_file():
                return candidate
        return None

    def _load(self, incident_id: str, bundle_path: str | None, since: str | None,
              until: str | None) -> Bundle:
        from afteraction.pipeline import load_bundle
        path = self._bundle_path(incident_id, bundle_path)
        if path is not None:
            return load_bundle(path, incident_id)
        if self.config.config_path is None and not Path("afteraction.toml").is_file():
            raise InputError(f"no bundle for {incident_id} and no afteraction.toml for live "
                             "collection: pass bundle_path, or start the server with --config",
                             where="bundle_path")
        from afteraction.collect import collect_live
        from afteraction.settings import load_settings
        settings = load_settings(self.config.config_path)
        return collect_live(settings, incident_id, since, until, quiet=True)

    def entry(self, incident_id: str, bundle_path: str | None = None, since: str | None = None,
              until: str | None = None) -> _Entry:
        """The bundle, evidence and draft of an incident; computed at most once per input."""
        if not incident_id.strip():
            raise InputError("incident_id is empty", where="incident_id")
        key = (incident_id, bundle_path or "", since or "", until or "")
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        from afteraction.analysis.analyze import analyze
        from afteraction.draft.builder import build_postmortem
        from afteraction.pipeline import evidence_from_bundle
        bundle = self._load(incident_id, bundle_path, since, until)
        evidence = evidence_from_bundle(bundle)
        postmortem = build_postmortem(evidence, analyze(evidence))
        entry = _Entry(bundle, evidence, postmortem)
        with self._lock:
            self._cache[key] = entry
            self._drafts[incident_id] = postmortem
        return entry

    def draft(self, incident_id: str) -> Postmortem:
        """A draft made earlier this session, or one from the bundles folder."""
        with self._lock:
            found = self._drafts.get(incident_id)
        if found is not None:
            return found
        if self._bundle_path(incident_id, None) is not None:
            return self.entry(incident_id).postmortem
        raise NotFoundError(f"no draft for {incident_id}: call draft_postmortem first",
                            where="incident_id")

    def draft_ids(self) -> list[str]:
        with self._lock:
            ids = set(self._drafts)
        if self.config.bundles_dir is not None and self.config.bundles_dir.is_dir():
            ids.update(p.parent.name for p in self.config.bundles_dir.glob("*/manifest.json"))
        return sorted(ids)
