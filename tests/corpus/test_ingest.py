from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from afteraction.corpus.ingest import ingest_paths
from afteraction.corpus.repository import list_postmortems
from afteraction.corpus.store import ActionItem, ActionStatus, ContributingFactor, Postmortem

from .conftest import FIXTURES

NOW = datetime(2026, 1, 5, tzinfo=UTC)


def _counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(Postmortem)).scalar_one(),
                conn.execute(select(func.count()).select_from(ContributingFactor)).scalar_one(),
                conn.execute(select(func.count()).select_from(ActionItem)).scalar_one())


def _good(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    for sub in ("icco", "postmortems", "drafts"):
        shutil.copytree(FIXTURES / sub, root / sub)
    return root


def test_directory_ingest_is_idempotent(engine: Engine, tmp_path: Path) -> None:
    root = _good(tmp_path)
    first = ingest_paths(engine, [root], now=NOW)
    assert first.ok and len(first.inserted) == 6
    counts = _counts(engine)
    assert counts == (6, 12, 6)
    again = ingest_paths(engine, [root], now=NOW)
    assert again.ok and again.inserted == [] and again.updated == []
    assert len(again.unchanged) == 6
    assert _counts(engine) == counts


def test_changed_document_updates_in_place(engine: Engine, tmp_path: Path) -> None:
    root = _good(tmp_path)
    ingest_paths(engine, [root], now=NOW)
    doc = root / "postmortems" / "2025-09-12-checkout-latency.md"
    text = doc.read_text().replace("status: open", "status: Won't Do")
    doc.write_text(text.replace("title: Checkout latency", "title: Checkout p99 latency"))
    result = ingest_paths(engine, [doc], now=NOW)
    assert result.updated == ["INC-2041"]
    assert _counts(engine) == (6, 12, 6)
    with engine.connect() as conn:
        title = conn.execute(select(Postmortem.title).where(Postmortem.key == "INC-2041")).scalar()
        assert title.startswith("Checkout p99 latency")
        item = conn.execute(select(ActionItem.id, ActionItem.status)
                            .where(ActionItem.tracker_key == "CHK-313")).one()
        assert item.status == "dropped"
        history = conn.execute(select(ActionStatus.status).where(
            ActionStatus.action_item_id == item.id).order_by(ActionStatus.id)).scalars().all()
        assert history == ["open", "dropped"]


def test_one_bad_file_among_good_ones(engine: Engine, tmp_path: Path) -> None:
    root = _good(tmp_path)
    shutil.copy(FIXTURES / "bad" / "broken-yaml.md", root / "postmortems")
    shutil.copy(FIXTURES / "bad" / "INC-2299-bad-type.json", root / "drafts")
    result = ingest_paths(engine, [root], now=NOW)
    assert len(result.inserted) == 6
    wheres = sorted(f.where for f in result.failures)
    assert wheres[0] == f"{root / 'drafts' / 'INC-2299-bad-type.json'}:29"
    assert wheres[1].startswith(f"{root / 'postmortems' / 'broken-yaml.md'}:")
    assert _counts(engine)[0] == 6


def test_unknown_fields_and_query(engine: Engine, tmp_path: Path) -> None:
    ingest_paths(engine, [_good(tmp_path)], now=NOW)
    with engine.connect() as conn:
        extra = conn.execute(select(Postmortem.extra).where(
            Postmortem.key == "a71c0d44-2e9b-4f3a-8d15-0b6e9f2c3a77")).scalar()
        assert extra["company"] == "Example CDN" and extra["keywords"] == [
            "cdn", "configuration", "rollback"]
        rows = list_postmortems(conn, service="payments")
        assert [r["key"] for r in rows] == ["INC-2210", "INC-2041"]
        rows = list_postmortems(conn, factor="config-change",
                                since=datetime(2025, 1, 1, tzinfo=UTC))
        assert [r["key"] for r in rows] == ["INC-2041"]
        assert rows[0]["services"] == ["checkout", "payments"]
        assert rows[0]["started_at"] == datetime(2025, 9, 12, 13, 58, tzinfo=UTC)
