from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from afteraction.corpus.frontmatter import parse_markdown
from afteraction.corpus.ingest import parse_document
from afteraction.errors import InputError

from .conftest import FIXTURES


def test_icco_fields_map_onto_the_corpus() -> None:
    path = FIXTURES / "icco" / "3f2a9c1e-5b7d-4e61-9a0c-7d1e2b4c8f01.md"
    record = parse_document(path)
    assert record.key == "3f2a9c1e-5b7d-4e61-9a0c-7d1e2b4c8f01"
    assert record.title.startswith("Example Bank card payments declined")
    assert record.services == ("card payments",)
    assert record.started_at == datetime(2023, 3, 14, 8, 2, tzinfo=UTC)
    assert record.resolved_at == datetime(2023, 3, 14, 10, 47, tzinfo=UTC)
    assert record.ttr_seconds == 165 * 60
    assert [f.category for f in record.factors] == ["time", "automation"]
    assert record.url == "https://status.example-bank.test/incidents/2023-03-14"
    assert record.summary.startswith("An intermediate TLS certificate")
    assert record.body.startswith("On March 14, 2023")
    # unknown fields are kept, not dropped
    assert record.extra["company"] == "Example Bank"
    assert record.extra["keywords"][:2] == ["certificate", "tls"]
    assert record.extra["archive_url"].startswith("https://web.archive.org/")
    assert record.extra["source_fetched_at"] == "2026-05-04T18:10:11.482913+00:00"


def test_icco_cloud_category_maps_to_the_taxonomy_and_keeps_the_word() -> None:
    record = parse_document(FIXTURES / "icco" / "a71c0d44-2e9b-4f3a-8d15-0b6e9f2c3a77.md")
    assert [(f.category, f.text) for f in record.factors] == [
        ("config-change", ""), ("cascading-failure", ""), ("cloud-provider", "cloud")]


def test_icco_entry_without_times_or_title() -> None:
    record = parse_document(FIXTURES / "icco" / "c0ffee00-1111-4222-8333-944455556666.md")
    assert record.started_at is None and record.ttr_seconds is None
    assert record.title == "c0ffee00-1111-4222-8333-944455556666"
    assert record.services == ("matchmaking",)


def test_afteraction_front_matter() -> None:
    record = parse_document(FIXTURES / "postmortems" / "2025-09-12-checkout-latency.md")
    assert record.key == "INC-2041"
    assert record.services == ("checkout", "payments")
    assert (record.ttd_seconds, record.ttm_seconds, record.ttr_seconds) == (480, 1980, 2520)
    assert [(f.category, f.text[:9]) for f in record.factors] == [
        ("config-change", "pool size"), ("monitoring-gap", "the satur")]
    first, second, third = record.actions
    assert (first.tracker_key, first.status, first.tracker_status, first.due) == (
        "CHK-311", "in_progress", "In Progress", date(2025, 10, 15))
    assert second.status == "done" and second.closed_at == datetime(2025, 9, 20, 10, tzinfo=UTC)
    assert third.category == "documentation"
    assert second.created_at == datetime(2025, 9, 12, 16, tzinfo=UTC)
    assert record.extra == {"team": "checkout-sre", "review_meeting": "2025-09-15"}


def test_offsets_are_converted_to_utc_and_short_forms_accepted() -> None:
    record = parse_document(FIXTURES / "postmortems" / "2025-11-03-search-outage.md")
    assert record.started_at == datetime(2025, 11, 3, 1, 10, tzinfo=UTC)
    assert record.services == ("search",)
    assert record.ttd_seconds == 900 and record.ttr_seconds == 3 * 3600 + 30 * 60
    assert [a.title for a in record.actions] == ["Add a second index replica"]


def test_broken_yaml_names_file_and_line() -> None:
    path = FIXTURES / "bad" / "broken-yaml.md"
    with pytest.raises(InputError) as err:
        parse_document(path)
    assert str(err.value).startswith(f"{path}:")
    line = int(err.value.where.rsplit(":", 1)[1])
    assert line in (4, 5)
    assert "not valid YAML" in err.value.message


def test_naive_time_is_refused_with_its_line() -> None:
    path = FIXTURES / "bad" / "naive-time.md"
    with pytest.raises(InputError) as err:
        parse_document(path)
    assert err.value.where == f"{path}:5"
    assert "impact_start" in err.value.message and "offset" in err.value.message


def test_draft_with_a_wrong_type_names_the_field_line() -> None:
    path = FIXTURES / "bad" / "INC-2299-bad-type.json"
    with pytest.raises(InputError) as err:
        parse_document(path)
    assert err.value.where == f"{path}:29"
    assert err.value.message.startswith("ttd_seconds:")


def test_missing_front_matter() -> None:
    with pytest.raises(InputError, match="no front matter"):
        parse_markdown("# just a title\n", path="x.md", stem="x")


def test_draft_json_maps_every_field() -> None:
    record = parse_document(FIXTURES / "drafts" / "INC-2210.json")
    assert record.key == "INC-2210" and record.source_format == "draft"
    assert record.services == ("payments",)
    assert (record.ttd_seconds, record.ttr_seconds) == (240, 1380)
    assert [a.tracker_key for a in record.actions] == ["PAY-981", "PAY-982"]
    assert record.document is not None and record.document["trigger"] == \
        "github-deploy-5c0ffee123"


def test_a_product_field_naming_several_services_is_split() -> None:
    text = ("---\nuuid: 5b0c\ntitle: Background jobs degraded\nstart_time: 2020-10-09T21:30:00Z\n"
            "product: GitHub Actions, GitHub Pages,  webhooks\n---\nBody.\n")
    record = parse_markdown(text, path="several.md", stem="several")
    assert record.services == ("GitHub Actions", "GitHub Pages", "webhooks")
