"""Corpus benchmark (run by hand): bulk ingest throughput and full report time.

100,000 postmortems, 1,000,000 deploys and ~300,000 action items from the seeded generator, loaded
through the bulk path into SQLite and PostgreSQL, then ``corpus report`` over everything.

    .venv/bin/python bench/corpus_bench.py [--postmortems N] [--deploys N] [--backend sqlite]
        [--pg postgresql://postgres@127.0.0.1:5432/test]

The PostgreSQL run creates a scratch database next to the one given and drops it afterwards.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from afteraction.corpus.analytics.scope import Scope
from afteraction.corpus.bulk import analyze
from afteraction.corpus.db import open_corpus
from afteraction.corpus.generator import GeneratedCorpus, generate_corpus
from afteraction.corpus.report import build_report, render_markdown
from afteraction.corpus.repository import (
    bulk_insert_deploys,
    bulk_insert_postmortems,
    refresh_deploy_outcomes,
)


def run(url: str, corpus: GeneratedCorpus, label: str) -> None:
    engine = open_corpus(url)
    n_pm, n_dep = len(corpus.postmortems), len(corpus.deploys)
    n_act = sum(len(p.actions) for p in corpus.postmortems)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        for i in range(0, n_pm, 5000):
            bulk_insert_postmortems(conn, corpus.postmortems[i:i + 5000])
    t1 = time.perf_counter()
    with engine.begin() as conn:
        for i in range(0, n_dep, 50_000):
            bulk_insert_deploys(conn, corpus.deploys[i:i + 50_000])
    t2 = time.perf_counter()
    with engine.begin() as conn:
        refresh_deploy_outcomes(conn)
        analyze(conn)
    t3 = time.perf_counter()
    print(f"[{label}] postmortems: {n_pm:,} (+{n_act:,} action items) in {t1 - t0:.1f} s "
          f"= {n_pm / (t1 - t0):,.0f} postmortems/s")
    print(f"[{label}] deploys: {n_dep:,} in {t2 - t1:.1f} s = {n_dep / (t2 - t1):,.0f} deploys/s")
    print(f"[{label}] deploy->incident linking + ANALYZE: {t3 - t2:.1f} s")
    times = []
    report = None
    for _ in range(3):
        start = time.perf_counter()
        report = build_report(engine, Scope(), as_of=corpus.truth["end"])
        render_markdown(report)
        times.append(time.perf_counter() - start)
    assert report is not None
    print(f"[{label}] full report: first {times[0]:.2f} s, best {min(times):.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in times)})")
    top = report.factors.factors[0].category
    risky = next(r for r in report.deploys.attributes if r.attribute == "no canary")
    degraded = [d.service for d in report.mttr.degradation if d.verdict == "degraded"]
    print(f"[{label}] sanity: top factor {top}; no canary RR {risky.rate_ratio:.2f} "
          f"({risky.verdict}); degraded {degraded[:5]}")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postmortems", type=int, default=100_000)
    parser.add_argument("--deploys", type=int, default=1_000_000)
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    start = time.perf_counter()
    corpus = generate_corpus(11, services=args.services, deploys=args.deploys,
                             postmortems=args.postmortems)
    print(f"generated in {time.perf_counter() - start:.1f} s")
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{Path(tmp) / 'bench.db'}", corpus, "sqlite")
    if args.backend in ("postgresql", "both"):
        name = f"aa_corpus_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.pg, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            run(f"{args.pg.rsplit('/', 1)[0]}/{name}", corpus, "postgresql")
        finally:
            with psycopg.connect(args.pg, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
