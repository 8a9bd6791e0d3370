"""Where the corpus lives and how it is opened: one URL, SQLite by default, migrated on open.

Migrations run from code (``alembic.command.upgrade`` with a Config built here), so an installed
package needs no alembic.ini and no working directory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import SQLAlchemyError

from afteraction.errors import CorpusError

__all__ = ["ENV_URL", "default_url", "migrate", "open_corpus", "redact_url"]

ENV_URL = "AFTERACTION_CORPUS_URL"
MIGRATIONS = str(Path(__file__).with_name("migrations"))


def default_url(env: dict[str, str] | None = None) -> str:
    """``$AFTERACTION_CORPUS_URL``, else ``sqlite:///$XDG_DATA_HOME/afteraction/corpus.db``."""
    env = dict(os.environ) if env is None else env
    if env.get(ENV_URL):
        return env[ENV_URL]
    data_home = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", "~")).expanduser()
                                                 / ".local" / "share")
    return f"sqlite:///{Path(data_home) / 'afteraction' / 'corpus.db'}"


def redact_url(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown as the user typed it
        return url


def _normalize(url: str) -> str:
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (creates every table on an empty database)."""
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def open_corpus(url: str | None = None, *, upgrade: bool = True) -> Engine:
    """An engine on the corpus at ``url`` (default: :func:`default_url`), migrated to head."""
    url = _normalize(url or default_url())
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise CorpusError(f"cannot use corpus URL: {exc}", where=redact_url(url)) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        if upgrade:
            migrate(engine)
        else:
            inspect(engine).get_table_names()
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise CorpusError(f"cannot open the corpus: {reason}", where=redact_url(url)) from exc
    return engine
