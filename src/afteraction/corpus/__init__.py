"""The corpus: every postmortem in one database, and the org-level questions answered over it.

The library is here; ``afteraction.corpus.cli`` is a thin typer app over it::

    engine = open_corpus(url)                       # SQLite file or PostgreSQL, migrated on open
    ingest_paths(engine, [folder], now=now)         # drafts and Markdown with front matter
    ingest_deploy_log(engine, "deploys.jsonl")      # the denominator of deploy statistics
    report = build_report(engine, Scope(), as_of=now)
"""

from afteraction.corpus.analytics.scope import Scope
from afteraction.corpus.db import default_url, open_corpus
from afteraction.corpus.deploys import ingest_deploy_log
from afteraction.corpus.ingest import IngestResult, ingest_paths
from afteraction.corpus.report import CorpusReport, build_report, render_json, render_markdown

__all__ = ["CorpusReport", "IngestResult", "Scope", "build_report", "default_url",
           "ingest_deploy_log", "ingest_paths", "open_corpus", "render_json", "render_markdown"]
