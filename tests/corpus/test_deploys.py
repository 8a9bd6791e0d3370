from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from afteraction.corpus.deploys import ingest_deploy_log, parse_deploy_log
from afteraction.corpus.ingest import ingest_paths
from afteraction.corpus.store import Deploy
from afteraction.errors import InputError

from .conftest import FIXTURES

DEPLOYS = FIXTURES / "deploys"


def _parse(name: str) -> list:
    path = DEPLOYS / name
    return list(parse_deploy_log(path.read_text(), path=str(path)))


def test_github_deployments() -> None:
    first, second, third = _parse("github-deployments.json")
    assert (first.key, first.service, first.change_size, first.canary, first.kind) == (
        "github:acme/payments:902211", "payments", 640, False, "code")
    assert first.at == datetime(2025, 12, 2, 9, 58, 12, tzinfo=UTC) and first.actor == "carol"
    assert second.service == "payments" and second.canary is None
    # a string payload is decoded; a deploy:config task is a config change
    assert (third.service, third.kind, third.change_size) == ("checkout", "config", 2)


def test_jsonl_and_csv() -> None:
    rows = _parse("deploys.jsonl")
    assert [r.key for r in rows] == ["cd-10001", "cd-10002", "cd-10003"]
    assert rows[0].attrs == {"pipeline": "spinnaker"} and rows[1].kind == "flag"
    assert rows[2].at == datetime(2025, 11, 2, 8, 15, tzinfo=UTC) and rows[2].rollback
    csv_rows = _parse("deploys.csv")
    assert [(r.change_size, r.canary) for r in csv_rows] == [(1200, False), (None, True),
                                                             (3, None)]


def test_bad_row_names_its_line() -> None:
    path = FIXTURES / "bad" / "deploys-bad-kind.csv"
    with pytest.raises(InputError) as err:
        list(parse_deploy_log(path.read_text(), path=str(path)))
    assert err.value.where == f"{path}:3" and "rocket" in err.value.message


def test_deploys_are_linked_to_the_next_incident(engine: Engine, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(FIXTURES / "drafts", docs / "drafts")
    shutil.copytree(FIXTURES / "postmortems", docs / "postmortems")
    assert ingest_deploy_log(engine, DEPLOYS / "github-deployments.json") == 3
    assert ingest_deploy_log(engine, DEPLOYS / "deploys.jsonl") == 3
    assert ingest_deploy_log(engine, DEPLOYS / "deploys.jsonl") == 3  # idempotent
    ingest_paths(engine, [docs], now=datetime(2026, 1, 5, tzinfo=UTC))
    with engine.connect() as conn:
        rows = dict(conn.execute(select(Deploy.key, Deploy.next_incident_epoch)).all())
    assert len(rows) == 6
    inc_2210 = int(datetime(2025, 12, 2, 10, 2, tzinfo=UTC).timestamp())
    assert rows["github:acme/payments:902211"] == inc_2210
    assert rows["github:acme/payments:902180"] == inc_2210
    assert rows["github:acme/checkout-config:77001"] == int(
        datetime(2025, 9, 12, 13, 58, tzinfo=UTC).timestamp())
    assert rows["cd-10001"] == int(datetime(2025, 11, 3, 1, 10, tzinfo=UTC).timestamp())
    assert rows["cd-10003"] is None


def test_ingest_deploys_command(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from afteraction.corpus.cli import corpus_app

    url = f"sqlite:///{tmp_path / 'c.db'}"
    runner = CliRunner()
    ok = runner.invoke(corpus_app, ["ingest-deploys", "--db", url, str(DEPLOYS / "deploys.csv")])
    assert ok.exit_code == 0 and ok.output.startswith("3 deploys stored")
    bad = runner.invoke(corpus_app, ["ingest-deploys", "--db", url,
                                     str(FIXTURES / "bad" / "deploys-bad-kind.csv")])
    assert bad.exit_code == 2
    assert "deploys-bad-kind.csv:3: kind: 'rocket' is not one of code, config, flag" in \
        bad.output.replace("\n", "")
