"""The deploy log: GitHub deployments JSON, or JSONL/CSV rows, into the corpus.

Flat rows (JSONL objects or CSV columns): ``id``, ``service``, ``at`` (ISO 8601 with offset),
``kind`` (code | config | flag), ``change_size`` (lines), ``canary`` (bool), ``rollback``
(bool), ``environment``, ``actor``, ``sha``, ``url``; other keys are kept in ``attrs``.
GitHub deployments take the service, kind, size and canary from ``payload`` when present, else the
service is the repository name.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from afteraction.corpus.records import DeployRecord
from afteraction.corpus.repository import refresh_deploy_outcomes, upsert_deploys
from afteraction.errors import InputError
from afteraction.model.time import parse_utc
from afteraction.sources.changefeed import jsonl_rows

__all__ = ["ingest_deploy_log", "parse_deploy_log"]

_FLAT = {"id", "key", "service", "at", "kind", "change_size", "canary", "rollback", "environment",
         "actor", "sha", "url"}
_KINDS = {"code", "config", "flag"}
_BATCH = 5000


def _bool(value: Any, where: str, name: str) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "y"):
        return True
    if text in ("false", "0", "no", "n"):
        return False
    raise InputError(f"{name}: not a boolean: {value!r}", where=where)


def _int(value: Any, where: str, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: not an integer: {value!r}", where=where) from exc


def _kind(value: Any, where: str) -> str:
    kind = str(value or "code").strip().lower()
    if kind not in _KINDS:
        raise InputError(f"kind: {value!r} is not one of code, config, flag", where=where)
    return kind


def _from_github(obj: dict[str, Any], where: str) -> DeployRecord:
    payload = obj.get("payload")
    if isinstance(payload, str):
        try:
            payload = json.loads(payload) if payload.strip() else {}
        except json.JSONDecodeError:
            payload = {}
    payload = payload if isinstance(payload, dict) else {}
    repo_url = str(obj.get("repository_url") or "")
    repo = "/".join(repo_url.rstrip("/").split("/")[-2:]) if repo_url else "unknown/unknown"
    task = str(obj.get("task") or "deploy")
    kind = payload.get("kind") or ("config" if payload.get("config_only") or "config" in task
                                   else "code")
    creator = obj.get("creator") or {}
    return DeployRecord(
        key=f"github:{repo}:{obj.get('id')}", service=str(payload.get("service") or
                                                          repo.rsplit("/", 1)[-1]),
        at=parse_utc(str(obj.get("created_at") or ""), where=where), kind=_kind(kind, where),
        environment=obj.get("environment"),
        change_size=_int(payload.get("change_size"), where, "payload.change_size"),
        canary=_bool(payload.get("canary"), where, "payload.canary"),
        rollback=bool(_bool(payload.get("rollback"), where, "payload.rollback")
                      or "rollback" in task),
        actor=creator.get("login") if isinstance(creator, dict) else None, sha=obj.get("sha"),
        url=obj.get("url"), attrs={"repo": repo, "task": task, "ref": obj.get("ref")})


def _from_flat(obj: dict[str, Any], where: str) -> DeployRecord:
    key = obj.get("id") or obj.get("key")
    if not key or not obj.get("service") or not obj.get("at"):
        raise InputError("a deploy needs id, service and at", where=where)
    return DeployRecord(
        key=str(key), service=str(obj["service"]), at=parse_utc(str(obj["at"]), where=where),
        kind=_kind(obj.get("kind"), where), environment=obj.get("environment") or None,
        change_size=_int(obj.get("change_size"), where, "change_size"),
        canary=_bool(obj.get("canary"), where, "canary"),
        rollback=bool(_bool(obj.get("rollback"), where, "rollback")),
        actor=obj.get("actor") or None, sha=obj.get("sha") or None, url=obj.get("url") or None,
        attrs={k: v for k, v in obj.items() if k not in _FLAT})


def _record(obj: Any, where: str) -> DeployRecord:
    if not isinstance(obj, dict):
        raise InputError("a deploy must be an object", where=where)
    if "created_at" in obj and ("repository_url" in obj or "statuses_url" in obj):
        return _from_github(obj, where)
    return _from_flat(obj, where)


def parse_deploy_log(text: str, *, path: str) -> Iterator[DeployRecord]:
    """Records of a deploy log; the format is told by the suffix (.json, .jsonl, .csv)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        for number, row in enumerate(reader, start=2):
            yield _record(dict(row), f"{path}:{number}")
    elif suffix in (".jsonl", ".ndjson"):
        for number, obj in jsonl_rows(text, path):
            yield _record(obj, f"{path}:{number}")
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON: {exc.msg}", where=f"{path}:{exc.lineno}") from exc
        if isinstance(data, dict):
            data = data.get("deployments", data.get("items"))
        if not isinstance(data, list):
            raise InputError("expected a JSON array of deployments", where=path)
        for index, obj in enumerate(data):
            yield _record(obj, f"{path}[{index}]")


def ingest_deploy_log(engine: Engine, path: str | Path) -> int:
    """Load one deploy log (all or nothing) and recompute the deploys' incident outcomes."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", where=str(path)) from exc
    records = list(parse_deploy_log(text, path=str(path)))
    touched: set[int] = set()
    with engine.begin() as conn:
        for i in range(0, len(records), _BATCH):
            touched |= upsert_deploys(conn, records[i:i + _BATCH])
        refresh_deploy_outcomes(conn, touched)
    return len(records)
