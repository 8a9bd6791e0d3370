"""Every report section on a generated corpus: the planted effects are found, the nulls are not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from afteraction.corpus.analytics.scope import Scope
from afteraction.corpus.cli import corpus_app
from afteraction.corpus.db import open_corpus
from afteraction.corpus.generator import GeneratedCorpus, generate_corpus
from afteraction.corpus.report import CorpusReport, build_report, render_json, render_markdown
from afteraction.corpus.repository import (
    bulk_insert_deploys,
    bulk_insert_postmortems,
    refresh_deploy_outcomes,
)

SEED = 7


@pytest.fixture(scope="module")
def corpus() -> GeneratedCorpus:
    return generate_corpus(SEED)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def loaded(request: pytest.FixtureRequest, corpus: GeneratedCorpus,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('gen') / 'corpus.db'}"
    else:
        url = request.getfixturevalue("pg_generated_database")
    engine = open_corpus(url)
    with engine.begin() as conn:
        for i in range(0, len(corpus.postmortems), 1000):
            bulk_insert_postmortems(conn, corpus.postmortems[i:i + 1000])
        for i in range(0, len(corpus.deploys), 10000):
            bulk_insert_deploys(conn, corpus.deploys[i:i + 10000])
        refresh_deploy_outcomes(conn)
    yield url, engine
    engine.dispose()


@pytest.fixture(scope="module")
def report(loaded: tuple[str, Engine], corpus: GeneratedCorpus) -> CorpusReport:
    return build_report(loaded[1], Scope(), as_of=corpus.truth["end"])


def test_the_degraded_service_is_found_and_only_it(report: CorpusReport) -> None:
    mttr = report.mttr
    assert (mttr.previous_quarter, mttr.last_quarter) == ("2025Q3", "2025Q4")
    assert mttr.quarters == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    degraded = [d for d in mttr.degradation if d.verdict == "degraded"]
    assert [(d.service, d.metric) for d in degraded] == [("payments", "mttr")]
    hit = degraded[0]
    assert hit.n_previous >= 30 and hit.n_last >= 30
    assert 1.6 < (hit.ratio or 0) < 2.5 and (hit.q_value or 1) < 0.001
    # sample sizes are shown for every service, and the table has every service-quarter
    assert all(d.n_previous > 0 and d.n_last > 0 for d in mttr.degradation)
    assert len(mttr.by_quarter) == 12 * 4
    payments = {r.quarter: r for r in mttr.by_quarter if r.service == "payments"}
    assert payments["2025Q4"].mttr_median_s > 1.6 * payments["2025Q3"].mttr_median_s


def test_the_planted_top_factor_is_first(report: CorpusReport) -> None:
    factors = report.factors.factors
    assert factors[0].category == "dependency-failure"
    assert factors[0].incidents > 2 * factors[1].incidents
    assert 0.3 < factors[0].share < 0.5
    assert report.factors.since.startswith("2025-01-01") and report.factors.until.startswith(
        "2026-01-01")
    assert sum(factors[0].by_quarter.values()) == factors[0].incidents
    assert factors[0].first_half + factors[0].second_half == factors[0].incidents


def test_the_mostly_dropped_category(report: CorpusReport) -> None:
    rows = {r.category: r for r in report.actions.categories}
    assert report.actions.categories[0].category == "documentation"
    assert rows["documentation"].dropped_share_of_closed > 0.6
    assert all(r.dropped_share_of_closed < 0.25 for c, r in rows.items() if c != "documentation")
    total = sum(r.total for r in rows.values())
    assert total == sum(len(p.actions) for p in generate_corpus(SEED).postmortems)
    assert all(r.done + r.dropped + r.open == r.total for r in rows.values())
    assert 15 < rows["prevention"].median_days_to_close < 25
    assert all(r.open_past_due <= r.open for r in rows.values())


def test_deploy_patterns_flag_the_planted_attribute_and_no_null(report: CorpusReport,
                                                               corpus: GeneratedCorpus) -> None:
    rows = {r.attribute: r for r in report.deploys.attributes}
    risky = rows["no canary"]
    assert risky.verdict == "more incidents"
    assert risky.q_value is not None and risky.q_value < 1e-6
    assert risky.ci_low is not None and risky.ci_low > 1.3 and risky.rate_ratio > 1.4
    for name in corpus.truth["null_attributes"]:
        assert rows[name].verdict == "no significant difference", name
        assert rows[name].q_value is not None and rows[name].q_value >= 0.05
    assert report.deploys.deploys == 20_000
    assert report.deploys.attributes[0].attribute == "no canary"


def test_small_samples_are_said_so(loaded: tuple[str, Engine], corpus: GeneratedCorpus) -> None:
    # one service, one week: too few deploys to test anything
    end = corpus.truth["end"]
    scope = Scope(end.replace(month=12, day=24), end, "search")
    small = build_report(loaded[1], scope, as_of=end)
    assert small.deploys.deploys < 100
    assert all(r.verdict == "sample too small" for r in small.deploys.attributes)
    assert all(d.verdict == "too few incidents" for d in small.mttr.degradation
               if d.n_previous < 4 or d.n_last < 4)


def test_renderers_and_cli(loaded: tuple[str, Engine], report: CorpusReport) -> None:
    md = render_markdown(report)
    for heading in ("## MTTR and TTD per service per quarter", "### Degradation: 2025Q4 against",
                    "## Top contributing factors", "## Action items by category",
                    "## Deploy patterns before incidents"):
        assert heading in md
    assert "| payments | MTTR |" in md and "| degraded |" in md
    data = json.loads(render_json(report))
    assert data["deploy_patterns"]["attributes"][0]["attribute"] == "no canary"
    result = CliRunner().invoke(corpus_app, ["report", "--db", loaded[0], "--format", "json",
                                             "--service", "payments", "--since", "2025-01-01",
                                             "--until", "2026-01-01"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["scope"]["service"] == "payments"
    assert {r["service"] for r in payload["mttr"]["by_quarter"]} == {"payments"}
    listed = CliRunner().invoke(corpus_app, ["query", "--db", loaded[0], "--service", "payments",
                                             "--factor", "data", "--format", "json",
                                             "--limit", "5"])
    assert listed.exit_code == 0
    rows = json.loads(listed.output)
    assert len(rows) == 5 and all("payments" in r["services"] and "data" in r["factors"]
                                  for r in rows)


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    bad = CliRunner().invoke(corpus_app, ["report", "--db", f"sqlite:///{tmp_path}/c.db",
                                          "--format", "pdf"])
    assert bad.exit_code == 2 and bad.output.strip().count("\n") == 0
    assert "unknown format 'pdf'" in bad.output
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"
    result = CliRunner().invoke(corpus_app, ["ingest", "--db", f"sqlite:///{tmp_path}/c.db",
                                             str(fixtures / "postmortems"),
                                             str(fixtures / "bad" / "naive-time.md")])
    assert result.exit_code == 2
    assert "2 inserted, 0 updated, 0 unchanged, 1 failed" in result.output
    assert "naive-time.md:5: impact_start" in result.output


def test_report_on_an_empty_corpus(tmp_path: Path) -> None:
    result = CliRunner().invoke(corpus_app, ["report", "--db", f"sqlite:///{tmp_path}/e.db"])
    assert result.exit_code == 0
    for line in ("No incidents in scope.", "No contributing factors in scope.",
                 "No action items in scope.", "No deploys in scope"):
        assert line in result.output
