from __future__ import annotations

from afteraction import corpus
from afteraction.corpus.cli import corpus_app


def test_public_api_names_exist() -> None:
    assert corpus.__all__ == sorted(corpus.__all__)
    assert all(callable(getattr(corpus, name)) for name in corpus.__all__)


def test_every_command_is_registered_and_documented() -> None:
    names = {c.name for c in corpus_app.registered_commands}
    assert names == {"ingest", "ingest-deploys", "sync-actions", "report", "query"}
    assert all(c.callback.__doc__ for c in corpus_app.registered_commands)
