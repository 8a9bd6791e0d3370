"""Reading and writing bundle directories.

Layout::

    manifest.json                  Manifest
    <source>/index.json            [{file, method, url, params, status, headers, meta}], request order
    <source>/<file>                each body exactly as the API sent it (JSON pages, a VTT file, ...)

A broken manifest stops everything (there is nothing to say without it); a broken source folder
only marks that source as ``error`` so the rest of the draft is still produced.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from afteraction.bundle.manifest import FORMAT_VERSION, Manifest
from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.errors import BundleError

__all__ = ["Bundle", "read_bundle", "validation_message", "write_bundle"]


@dataclass(frozen=True)
class Bundle:
    path: Path
    manifest: Manifest
    captures: dict[str, RawCapture]
    problems: dict[str, str] = field(default_factory=dict)


def validation_message(exc: ValidationError) -> str:
    """The first pydantic error as one line: 'window.start: naive timestamp ...'."""
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    msg = str(first["msg"]).removeprefix("Value error, ")
    return f"{loc}: {msg}" if loc else msg


def _read_manifest(path: Path) -> Manifest:
    file = path / "manifest.json"
    if not path.is_dir():
        raise BundleError("not a bundle directory (it does not exist)", where=str(path))
    if not file.is_file():
        raise BundleError("missing manifest.json: not a bundle directory", where=str(file))
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BundleError(f"corrupt JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
                          where=str(file)) from exc
    except UnicodeDecodeError as exc:
        raise BundleError("not UTF-8 text", where=str(file)) from exc
    if not isinstance(data, dict):
        raise BundleError("manifest must be a JSON object", where=str(file))
    version = data.get("format_version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise BundleError(f"bundle format {version} is not supported (this afteraction reads "
                          f"format {FORMAT_VERSION})", where=str(file))
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        raise BundleError(validation_message(exc), where=str(file)) from exc


def _read_source(folder: Path, name: str) -> RawCapture:
    index_file = folder / "index.json"
    if not folder.is_dir():
        raise BundleError("source folder is missing", where=str(folder))
    if not index_file.is_file():
        raise BundleError("missing index.json", where=str(index_file))
    try:
        index = json.loads(index_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(f"corrupt JSON: {exc}", where=str(index_file)) from exc
    if not isinstance(index, list):
        raise BundleError("index.json must be a JSON array", where=str(index_file))
    responses = []
    for position, entry in enumerate(index):
        if not isinstance(entry, dict) or "file" not in entry or "url" not in entry:
            raise BundleError(f"entry {position} needs 'file' and 'url'", where=str(index_file))
        body_file = str(folder / entry["file"])
        try:  # one open per body, no stat first: a large bundle has thousands of them
            with open(body_file, "rb") as handle:
                body = handle.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise BundleError("file listed in index.json is missing", where=body_file) from None
        responses.append(RawResponse(
            url=entry["url"], body=body, method=entry.get("method", "GET"),
            params=entry.get("params") or {}, status=int(entry.get("status", 200)),
            headers=entry.get("headers") or {}, meta=entry.get("meta") or {},
            file=body_file))
    return RawCapture(source=name, responses=tuple(responses))


def read_bundle(path: str | Path) -> Bundle:
    """Read a bundle; a bad manifest raises, a bad source is reported in ``problems``."""
    root = Path(path)
    manifest = _read_manifest(root)
    captures: dict[str, RawCapture] = {}
    problems: dict[str, str] = {}
    for name, entry in manifest.sources.items():
        if entry.status in ("missing", "error") and not (root / name).exists():
            continue
        try:
            captures[name] = _read_source(root / name, name)
        except BundleError as exc:
            problems[name] = str(exc)
    return Bundle(path=root, manifest=manifest, captures=captures, problems=problems)


_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def body_file_name(position: int, response: RawResponse) -> str:
    """A readable file name: '0003-deployments.json'."""
    tail = response.url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or "response"
    stem = _SAFE.sub("-", tail)[:40]
    suffix = "" if "." in stem else ".json"
    return f"{position:04d}-{stem}{suffix}"


def write_bundle(path: str | Path, manifest: Manifest, captures: dict[str, RawCapture]) -> Path:
    """Write a bundle directory; bodies byte for byte, headers without secrets."""
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    for name, capture in captures.items():
        folder = root / name
        folder.mkdir(exist_ok=True)
        index = []
        for position, response in enumerate(capture.responses, start=1):
            file_name = Path(response.file).name if response.file else body_file_name(
                position, response)
            (folder / file_name).write_bytes(response.body)
            entry = response.index_entry()
            entry["file"] = file_name
            index.append(entry)
        (folder / "index.json").write_text(json.dumps(index, indent=1) + "\n", encoding="utf-8")
    (root / "manifest.json").write_text(
        manifest.model_dump_json(indent=2, exclude_none=True) + "\n", encoding="utf-8")
    return root
