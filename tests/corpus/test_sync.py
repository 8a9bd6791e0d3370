from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from afteraction.corpus.ingest import ingest_paths
from afteraction.corpus.store import ActionItem, ActionStatus
from afteraction.corpus.sync import JiraClient, parse_search_page, sync_action_items
from afteraction.errors import AuthError

from .conftest import FIXTURES
from .jira_stub import JiraStub, issue

NOW = datetime(2026, 1, 5, tzinfo=UTC)
ISSUES = [
    issue("CHK-311", "Done", "done", resolution="Done", resolved="2025-10-02T11:00:00.000+0000",
          changes=[("2025-09-13T09:00:00.000+0000", "To Do", "In Progress"),
                   ("2025-10-02T11:00:00.000+0000", "In Progress", "Done")]),
    issue("CHK-312", "Done", "done", resolution="Done", resolved="2025-09-20T10:00:00.000+0000"),
    issue("CHK-313", "Closed", "done", resolution="Won't Do",
          resolved="2025-11-20T08:30:00.000+0000",
          changes=[("2025-11-20T08:30:00.000+0000", "To Do", "Closed")]),
    issue("PAY-981", "In Review", "indeterminate"),
]


def _load(engine: Engine, tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    shutil.copytree(FIXTURES / "postmortems", root / "postmortems")
    shutil.copytree(FIXTURES / "drafts", root / "drafts")
    assert ingest_paths(engine, [root], now=NOW).ok
    return root


def _status(engine: Engine, key: str) -> tuple[str, str | None, datetime | None, list[str]]:
    with engine.connect() as conn:
        row = conn.execute(select(ActionItem.id, ActionItem.status, ActionItem.tracker_status,
                                  ActionItem.closed_at)
                           .where(ActionItem.tracker_key == key)).one()
        history = conn.execute(select(ActionStatus.status, ActionStatus.source)
                               .where(ActionStatus.action_item_id == row.id)
                               .order_by(ActionStatus.id)).all()
    closed = row.closed_at.replace(tzinfo=UTC) if row.closed_at else None
    return row.status, row.tracker_status, closed, [f"{s}/{src}" for s, src in history]


def test_sync_from_a_local_jira(engine: Engine, tmp_path: Path) -> None:
    root = _load(engine, tmp_path)
    with JiraStub(ISSUES) as jira:
        client = JiraClient(jira.url, token="t0ken", email="sre@acme.test", page_size=2)
        result = sync_action_items(engine, client, now=NOW)
        # five keys, pages of two: the token is followed until isLast
        assert len(jira.requests) == 2
        assert "nextPageToken" in jira.requests[1]
        assert jira.requests[0]["fields"] == ["status", "resolution", "resolutiondate"]
        assert jira.requests[0]["jql"].startswith("key in (CHK-311, CHK-312, CHK-313")
    assert result.updated == ["CHK-311", "CHK-313", "PAY-981"]
    assert result.unchanged == ["CHK-312"] and result.not_found == ["PAY-982"]
    status, raw, closed, history = _status(engine, "CHK-311")
    assert (status, raw, closed) == ("done", "Done", datetime(2025, 10, 2, 11, tzinfo=UTC))
    assert history == ["in_progress/ingest", "in_progress/jira", "done/jira"]
    assert _status(engine, "CHK-313")[:2] == ("dropped", "Closed")
    assert _status(engine, "PAY-981")[0] == "in_progress"
    with engine.connect() as conn:
        close = conn.execute(select(ActionItem.close_seconds)
                             .where(ActionItem.tracker_key == "CHK-311")).scalar()
    assert close == int((datetime(2025, 10, 2, 11, tzinfo=UTC)
                         - datetime(2025, 9, 12, 16, tzinfo=UTC)).total_seconds())
    # the tracker has the last word: ingesting the document again keeps Jira's status
    doc = root / "postmortems" / "2025-09-12-checkout-latency.md"
    doc.write_text(doc.read_text().replace("owner: alice", "owner: alice.b"))
    assert ingest_paths(engine, [doc], now=NOW).updated == ["INC-2041"]
    assert _status(engine, "CHK-311")[0] == "done"


def test_sync_without_credentials_is_an_auth_error(engine: Engine, tmp_path: Path) -> None:
    _load(engine, tmp_path)
    with JiraStub(ISSUES) as jira, pytest.raises(AuthError, match="HTTP 401"):
        sync_action_items(engine, JiraClient(jira.url), now=NOW)


def test_last_page_has_no_token() -> None:
    statuses, token = parse_search_page({"issues": [ISSUES[2]], "isLast": True})
    assert token is None
    assert (statuses[0].status, statuses[0].closed_at) == (
        "dropped", datetime(2025, 11, 20, 8, 30, tzinfo=UTC))


def test_sync_actions_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from afteraction.corpus.cli import corpus_app
    from afteraction.corpus.db import open_corpus

    url = f"sqlite:///{tmp_path / 'c.db'}"
    engine = open_corpus(url)
    _load(engine, tmp_path)
    engine.dispose()
    runner = CliRunner()
    monkeypatch.delenv("AFTERACTION_JIRA_URL", raising=False)
    missing = runner.invoke(corpus_app, ["sync-actions", "--db", url])
    assert missing.exit_code == 3 and "AFTERACTION_JIRA_URL" in missing.output
    monkeypatch.setenv("AFTERACTION_JIRA_EMAIL", "sre@acme.test")
    monkeypatch.setenv("AFTERACTION_JIRA_TOKEN", "t0ken")
    with JiraStub(ISSUES) as jira:
        result = runner.invoke(corpus_app, ["sync-actions", "--db", url, "--jira-url", jira.url])
    assert result.exit_code == 0, result.output
    assert "3 updated, 1 unchanged, 1 not found in Jira, 0 skipped" in result.output
