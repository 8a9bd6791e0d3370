"""Bad input: one clear line naming the file and what is wrong, a non-zero exit, no traceback;
and a broken source does not sink the draft."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from afteraction.errors import BundleError, NotFoundError
from afteraction.pipeline import draft_from_path, load_bundle


@pytest.fixture()
def bundle(demo_bundle: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "bundle"
    shutil.copytree(demo_bundle, copy)
    return copy


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from afteraction.cli import main; main()",
                           *args], capture_output=True, text=True, timeout=120)


def _one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def _edit_manifest(bundle: Path, change: dict[str, object]) -> None:
    path = bundle / "manifest.json"
    data = json.loads(path.read_text())
    for dotted, value in change.items():
        target = data
        *parents, leaf = dotted.split(".")
        for part in parents:
            target = target[part]
        target[leaf] = value
    path.write_text(json.dumps(data))


def test_missing_manifest(bundle: Path) -> None:
    (bundle / "manifest.json").unlink()
    with pytest.raises(BundleError, match="missing manifest.json"):
        load_bundle(bundle)
    _one_line_error(_cli("draft", "--bundle", str(bundle)), "manifest.json", "missing")


def test_not_a_directory(tmp_path: Path) -> None:
    _one_line_error(_cli("draft", "--bundle", str(tmp_path / "nope")), "nope", "does not exist")


def test_corrupt_manifest(bundle: Path) -> None:
    (bundle / "manifest.json").write_text('{"incident": {"id": "INC-1"},')
    _one_line_error(_cli("draft", "--bundle", str(bundle)), "manifest.json", "corrupt JSON",
                    "line 1")


def test_naive_timestamp_in_manifest(bundle: Path) -> None:
    _edit_manifest(bundle, {"window.start": "2026-10-14T12:07:30"})
    _one_line_error(_cli("draft", "--bundle", str(bundle)), "manifest.json", "window.start",
                    "naive timestamp")


@pytest.mark.parametrize(("start", "word"), [("2026-10-14T17:07:30Z", "empty"),
                                             ("2026-10-14T18:00:00Z", "inverted")])
def test_empty_or_inverted_window(bundle: Path, start: str, word: str) -> None:
    _edit_manifest(bundle, {"window.start": start, "window.end": "2026-10-14T17:07:30Z"})
    _one_line_error(_cli("draft", "--bundle", str(bundle)), "manifest.json", f"{word} window")


def test_unknown_incident(bundle: Path) -> None:
    with pytest.raises(NotFoundError, match="INC-9999"):
        load_bundle(bundle, "INC-9999")
    _one_line_error(_cli("draft", "INC-9999", "--bundle", str(bundle)), "unknown incident",
                    "INC-4721")


def test_missing_source_file_marks_the_source_and_keeps_the_draft(bundle: Path) -> None:
    victim = sorted((bundle / "slack").glob("*conversations.history*"))[0]
    victim.unlink()
    pm = draft_from_path(bundle)
    assert pm.sources["slack"].status == "error"
    assert victim.name in pm.sources["slack"].detail and "missing" in pm.sources["slack"].detail
    assert pm.sources["github"].status == "ok"
    assert pm.suspects and pm.suspects[0].service == "inventory"


def test_a_folder_where_a_source_file_should_be(bundle: Path) -> None:
    victim = sorted((bundle / "github").glob("*deployments*"))[0]
    victim.unlink()
    victim.mkdir()
    pm = draft_from_path(bundle)
    assert pm.sources["github"].status == "error"
    assert pm.sources["github"].detail == f"{victim}: file listed in index.json is missing"
    assert pm.sources["slack"].status == "ok"


def test_corrupt_source_file_marks_the_source_and_keeps_the_draft(bundle: Path) -> None:
    victim = sorted((bundle / "jira").glob("*search*"))[0]
    victim.write_text('{"issues": [ {"key": "INC-4721", ')
    pm = draft_from_path(bundle)
    assert pm.sources["jira"].status == "error"
    assert victim.name in pm.sources["jira"].detail
    assert "JSON" in pm.sources["jira"].detail
    assert pm.resolved_at is None or pm.sources["slack"].status == "ok"
    md_proc = _cli("draft", "--bundle", str(bundle), "--format", "md")
    assert md_proc.returncode == 0, md_proc.stderr
    assert "| Jira | error |" in md_proc.stdout


def test_naive_timestamp_in_a_source_payload(bundle: Path) -> None:
    page = sorted((bundle / "github").glob("*deployments*"))[0]
    data = json.loads(page.read_text())
    data[0]["created_at"] = data[0]["created_at"].rstrip("Z")
    page.write_text(json.dumps(data))
    pm = draft_from_path(bundle)
    assert pm.sources["github"].status == "error"
    assert page.name in pm.sources["github"].detail
    assert "naive" in pm.sources["github"].detail or "offset" in pm.sources["github"].detail


def test_missing_source_folder(bundle: Path) -> None:
    shutil.rmtree(bundle / "zoom")
    pm = draft_from_path(bundle)
    assert pm.sources["zoom"].status == "error"
    assert "source folder is missing" in pm.sources["zoom"].detail
