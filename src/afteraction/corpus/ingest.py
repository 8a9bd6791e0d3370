"""Ingest postmortem documents: drafts (JSON) and Markdown with front matter, files or folders.

One transaction per document: a bad file is reported with its name and line and the others still
land. Ingesting the same document again updates it in place (documents are keyed by incident id).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from afteraction.corpus.frontmatter import parse_markdown
from afteraction.corpus.records import PostmortemRecord, from_draft
from afteraction.corpus.repository import refresh_deploy_outcomes, upsert_postmortem
from afteraction.errors import InputError
from afteraction.model.postmortem import Postmortem

__all__ = ["IngestFailure", "IngestResult", "find_documents", "ingest_paths", "parse_document",
           "parse_draft"]

SUFFIXES = (".json", ".md", ".markdown")


@dataclass(frozen=True)
class IngestFailure:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class IngestResult:
    inserted: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failures: list[IngestFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def find_documents(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files as given; folders walked recursively for .json/.md files, in sorted order."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*")
                              if p.is_file() and p.suffix.lower() in SUFFIXES
                              and not p.name.startswith("."))
        elif path.is_file():
            yield path
        else:
            raise InputError("no such file or directory", where=str(path))


def _json_line(text: str, loc: tuple[int | str, ...]) -> int | None:
    """The line of the last named key in a validation error's location, best effort."""
    names = [p for p in loc if isinstance(p, str)]
    if not names:
        return None
    needle = json.dumps(names[-1]) + ":"
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line.replace('": ', '":'):
            return number
    return None


def parse_draft(text: str, *, path: str) -> PostmortemRecord:
    """A draft JSON file (the structured postmortem) -> record, with file:line on errors."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", where=f"{path}:{exc.lineno}") from exc
    try:
        pm = Postmortem.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        line = _json_line(text, loc)
        field_name = ".".join(str(p) for p in loc) or "document"
        where = f"{path}:{line}" if line else path
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise InputError(f"{field_name}: {err['msg']}{more}", where=where) from exc
    return from_draft(pm, path=path)


def parse_document(path: Path) -> PostmortemRecord:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", where=str(path)) from exc
    if path.suffix.lower() == ".json":
        return parse_draft(text, path=str(path))
    return parse_markdown(text, path=str(path), stem=path.stem)


def ingest_paths(engine: Engine, paths: Iterable[str | Path], *, now: datetime) -> IngestResult:
    """Ingest every document under ``paths``; failures are collected, not raised."""
    result = IngestResult()
    touched: set[int] = set()
    for path in find_documents(paths):
        try:
            record = parse_document(path)
        except InputError as exc:
            result.failures.append(IngestFailure(exc.where or str(path), exc.message))
            continue
        try:
            with engine.begin() as conn:
                outcome, services = upsert_postmortem(conn, record, now=now)
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            result.failures.append(IngestFailure(str(path), f"the store refused it: {reason}"))
            continue
        touched |= services
        getattr(result, outcome).append(record.key)
    if touched:
        with engine.begin() as conn:
            refresh_deploy_outcomes(conn, touched)
    return result
