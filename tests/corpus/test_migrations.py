from __future__ import annotations

from sqlalchemy import inspect, text

from afteraction.corpus.db import default_url, open_corpus
from afteraction.corpus.store import Base

TABLES = {"services", "postmortems", "postmortem_services", "contributing_factors",
          "action_items", "action_item_status", "deploys"}


def test_migrations_create_every_table_from_empty(db_url: str) -> None:
    engine = open_corpus(db_url)
    try:
        names = set(inspect(engine).get_table_names())
        assert TABLES | {"alembic_version"} == names
        with engine.connect() as conn:
            assert conn.execute(text("select version_num from alembic_version")).scalar() == "0001"
        # the migration creates exactly the columns the models declare
        for table in TABLES:
            columns = {c["name"] for c in inspect(engine).get_columns(table)}
            assert columns == set(Base.metadata.tables[table].columns.keys()), table
    finally:
        engine.dispose()
    again = open_corpus(db_url)  # opening a migrated corpus is a no-op
    assert TABLES <= set(inspect(again).get_table_names())
    again.dispose()


def test_default_url_is_per_user() -> None:
    assert default_url({"AFTERACTION_CORPUS_URL": "postgresql://db/corpus"}) == \
        "postgresql://db/corpus"
    assert default_url({"XDG_DATA_HOME": "/home/u/.data"}) == \
        "sqlite:////home/u/.data/afteraction/corpus.db"
    assert default_url({"HOME": "/home/u"}) == \
        "sqlite:////home/u/.local/share/afteraction/corpus.db"
