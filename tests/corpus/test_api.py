from __future__ import annotations

from pathlib import Path

import pytest

from afteraction import corpus
from afteraction.corpus.cli import corpus_app


def test_public_api_names_exist() -> None:
    assert corpus.__all__ == sorted(corpus.__all__)
    assert all(callable(getattr(corpus, name)) for name in corpus.__all__)


def test_every_command_is_registered_and_documented() -> None:
    names = {c.name for c in corpus_app.registered_commands}
    assert names == {"ingest", "ingest-deploys", "sync-actions", "report", "query"}
    assert all(c.callback.__doc__ for c in corpus_app.registered_commands)


def test_the_corpus_url_of_afteraction_toml_is_used(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from afteraction.corpus.cli import corpus_app
    from afteraction.corpus.db import ENV_URL

    target = tmp_path / "team.db"
    (tmp_path / "afteraction.toml").write_text(
        f'[afteraction]\ncorpus_url = "sqlite:///{target}"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV_URL, raising=False)
    result = CliRunner().invoke(corpus_app, ["query"])
    assert result.exit_code == 0, result.output
    assert target.is_file()
