"""The GitHub parser on real-shaped pages, and the encoder's round trip through it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from afteraction.bundle import read_bundle, write_bundle
from afteraction.bundle.manifest import Manifest
from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.errors import BundleError, InputError
from afteraction.generate.encode.github import encode
from afteraction.generate.scenario import Scenario
from afteraction.model.events import Event
from afteraction.model.incident import Catalog, Incident, Service, Window
from afteraction.sources.base import ParseContext, get_parser
from afteraction.sources.github import (
    completeness_problems,
    is_config_path,
    is_config_repo,
    parse,
    parse_link_header,
)

FIXTURE = Path(__file__).parent.parent / "fixtures" / "github" / "acme-incident"
T0 = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)
ROUND_TRIP_FIELDS = ("kind", "at", "actor", "text", "services")


def _fixture() -> tuple[RawCapture, ParseContext]:
    bundle = read_bundle(FIXTURE)
    manifest = bundle.manifest
    ctx = ParseContext(incident=manifest.incident, window=manifest.window,
                       catalog=manifest.catalog, entry=manifest.sources["github"])
    return bundle.captures["github"], ctx


def _by_source_id(events: list[Event]) -> dict[str, Event]:
    return {e.source_id: e for e in events}


def _swap(capture: RawCapture, name: str, body: bytes) -> RawCapture:
    return RawCapture(source=capture.source, responses=tuple(
        replace(r, body=body) if r.file.endswith(name) else r for r in capture.responses))


# --------------------------------------------------------------------------- fixture pages


def test_fixture_yields_every_change_once() -> None:
    capture, ctx = _fixture()
    events = parse(capture, ctx).events
    kinds = [e.kind.value for e in events]
    assert kinds.count("deploy") == 5 and kinds.count("merge") == 3 and kinds.count("commit") == 1
    assert [e.at for e in events] == sorted(e.at for e in events)
    assert len({e.id for e in events}) == len(events)
    assert parse(capture, ctx).events == events  # stable ids: same pages, same events


def test_deployment_on_second_page_started_when_it_rolled() -> None:
    capture, ctx = _fixture()
    deploy = _by_source_id(parse(capture, ctx).events)["acme/checkout/deployments/9001001"]
    assert deploy.at == datetime(2026, 3, 4, 13, 50, 30, tzinfo=UTC)  # in_progress, not queued
    assert deploy.attrs["finished_at"] == "2026-03-04T13:54:05Z"
    assert deploy.attrs["state"] == "inactive"  # replaced by the rollback later
    assert deploy.attrs["version"] == "v4.2.0"
    assert deploy.attrs["change_size"] == 271  # PR #512 merged as this very sha: 240 + 31
    assert deploy.text == "Deploy v4.2.0 to production"  # no description: built from ref
    assert deploy.actor == "alice-w"
    assert deploy.services == ("checkout",)
    assert deploy.url == "https://github.com/acme/checkout/actions/runs/809001"


def test_failed_canary_with_string_payload() -> None:
    capture, ctx = _fixture()
    deploy = _by_source_id(parse(capture, ctx).events)["acme/checkout/deployments/9001002"]
    assert deploy.attrs["state"] == "failure"
    assert deploy.attrs["canary"] is True
    assert deploy.attrs["version"] == "v4.2.0-hotfix"
    assert deploy.attrs["finished_at"] == "2026-03-04T14:13:30Z"
    assert deploy.at == datetime(2026, 3, 4, 14, 10, 20, tzinfo=UTC)


def test_rollbacks_by_task_and_by_payload() -> None:
    capture, ctx = _fixture()
    events = _by_source_id(parse(capture, ctx).events)
    by_task = events["acme/checkout/deployments/9001003"]
    assert by_task.attrs["rollback"] is True
    assert by_task.attrs["rollback_to"] == "b71e0c44a9d2f35e6c7b8a9d0e1f2a3b4c5d6e7f"
    assert by_task.text == "Rollback checkout to v4.1.2 (INC-2041)"
    by_payload = events["acme/payments/deployments/9002001"]
    assert by_payload.attrs["rollback"] is True and by_payload.attrs["rollback_to"] == "e" * 40
    assert by_payload.url == "https://ci.acme.example/deploys/4410"
    assert events["acme/checkout/deployments/9001001"].attrs["rollback"] is False


def test_revert_names_the_reverted_pull_request() -> None:
    capture, ctx = _fixture()
    events = _by_source_id(parse(capture, ctx).events)
    revert, original = events["acme/checkout#515"], events["acme/checkout#512"]
    assert revert.attrs["revert_of"] == 512
    assert "revert_of" not in original.attrs
    assert revert.url == "https://github.com/acme/checkout/pull/515"
    assert original.attrs["labels"] == ["performance", "risk:high"]
    assert (original.attrs["additions"], original.attrs["deletions"],
            original.attrs["changed_files"]) == (240, 31, 6)
    assert original.attrs["sha"] == "3f9c2a71d04be5c6a8f1e2d3c4b5a69788796a5b"
    assert original.attrs["base"] == "main"
    assert original.actor == "carol-dev"
    assert original.at == datetime(2026, 3, 4, 13, 40, 12, tzinfo=UTC)


def test_config_repository_changes_name_services_by_path_and_description() -> None:
    capture, ctx = _fixture()
    events = _by_source_id(parse(capture, ctx).events)
    merge = events["acme/platform-config#88"]
    assert merge.attrs["config_only"] is True
    assert merge.services == ("payments",)  # services/payments/database.yaml, not the repo owner
    deploy = events["acme/platform-config/deployments/9003001"]
    assert deploy.attrs["config_only"] is True
    assert deploy.services == ("checkout",)  # "Apply checkout config (timeouts)"
    assert events["acme/checkout#512"].attrs["config_only"] is False


def test_commit_without_a_github_user_keeps_the_author_name() -> None:
    capture, ctx = _fixture()
    commit = _by_source_id(parse(capture, ctx).events)["acme/payments@" + "f" * 40]
    assert commit.actor == "Dana Ops"
    assert commit.text == "Bump ledger client to 2.4.1"
    assert commit.at == datetime(2026, 3, 4, 13, 5, 44, tzinfo=UTC)  # committer date
    assert commit.services == ("payments",)


def test_fixture_capture_is_complete() -> None:
    capture, _ = _fixture()
    assert completeness_problems(capture) == []


def test_lost_page_is_reported() -> None:
    capture, _ = _fixture()
    trimmed = RawCapture(source="github", responses=tuple(
        r for r in capture.responses if not r.file.endswith("0002-deployments.json")))
    problems = completeness_problems(trimmed)
    assert len(problems) == 1
    assert "0001-deployments.json" in problems[0]
    assert "/repositories/517030411/deployments?per_page=2&page=2" in problems[0]


def test_naive_timestamp_is_a_bundle_error_naming_the_file() -> None:
    capture, ctx = _fixture()
    page = next(r for r in capture.responses if r.file.endswith("0011-statuses.json"))
    body = page.body.replace(b'"2026-03-04T14:45:20Z"', b'"2026-03-04T14:45:20"')
    with pytest.raises(BundleError) as caught:
        parse(_swap(capture, "0011-statuses.json", body), ctx)
    assert "0011-statuses.json" in str(caught.value)
    assert "naive" in str(caught.value)


def test_malformed_timestamp_is_a_bundle_error_naming_the_file() -> None:
    capture, ctx = _fixture()
    page = next(r for r in capture.responses if r.file.endswith("0008-512.json"))
    data = json.loads(page.body)
    data["merged_at"] = "yesterday afternoon"
    with pytest.raises(BundleError) as caught:
        parse(_swap(capture, "0008-512.json", json.dumps(data).encode()), ctx)
    assert "0008-512.json" in str(caught.value) and "merged_at" in str(caught.value)


def test_wrong_shape_and_corrupt_json_are_bundle_errors() -> None:
    capture, ctx = _fixture()
    with pytest.raises(BundleError, match="JSON array of deployments"):
        parse(_swap(capture, "0010-deployments.json", b'{"message": "oops"}'), ctx)
    with pytest.raises(BundleError, match="corrupt JSON"):
        parse(_swap(capture, "0010-deployments.json", b"[{"), ctx)


def test_error_pages_are_skipped_and_reported() -> None:
    denied = RawResponse(url="https://api.github.com/repos/acme/ledger/deployments", status=404,
                         body=b'{"message":"Not Found","documentation_url":"https://docs.github'
                              b'.com/rest","status":"404"}', file="0001-deployments.json")
    capture, ctx = _fixture()
    with_error = RawCapture(source="github", responses=(denied, *capture.responses))
    assert len(parse(with_error, ctx).events) == len(parse(capture, ctx).events)
    assert completeness_problems(with_error) == ["0001-deployments.json: HTTP 404: Not Found"]


def test_search_incomplete_results_and_result_cap_are_visible() -> None:
    q = "repo:acme/checkout is:pr is:merged merged:2026-01-01T00:00:00Z..2026-03-04T16:00:00Z"
    page = RawResponse(url="https://api.github.com/search/issues", params={"q": q},
                       body=json.dumps({"total_count": 1500, "incomplete_results": True,
                                        "items": []}).encode(), file="0001-issues.json")
    problems = completeness_problems(RawCapture(source="github", responses=(page,)))
    assert any("incomplete_results" in p for p in problems)
    assert any("1500 results" in p and "at most 1000" in p for p in problems)


def test_link_header_and_config_conventions() -> None:
    link = ('<https://api.github.com/repositories/7/issues?page=1>; rel="prev", '
            '<https://api.github.com/repositories/7/issues?page=3>; rel="next"')
    assert parse_link_header(link) == {
        "prev": "https://api.github.com/repositories/7/issues?page=1",
        "next": "https://api.github.com/repositories/7/issues?page=3"}
    assert parse_link_header(None) == {}
    assert is_config_repo("acme/config") and is_config_repo("acme/platform-config")
    assert not is_config_repo("acme/configurator")
    assert is_config_path("deploy/helm/values-prod.yaml") and is_config_path("app.properties")
    assert not is_config_path(".github/workflows/ci.yml") and not is_config_path("src/app.py")


# --------------------------------------------------------------------------- encoder round trip

CATALOG = Catalog(services=(
    Service(name="checkout", repos=("acme/checkout",)),
    Service(name="payments", repos=("acme/payments",)),
    Service(name="api-gateway", repos=("acme/api-gateway",)),
))


def _gh(kind: str, source_id: str, minutes: float, text: str, actor: str | None,
        services: tuple[str, ...], **attrs: object) -> Event:
    return Event.make(source="github", kind=kind, source_id=source_id,
                      at=T0 + timedelta(minutes=minutes), url="https://github.com/acme",
                      text=text, actor=actor, services=services, attrs=attrs)


def _scenario(events: list[Event]) -> Scenario:
    return Scenario(seed=7, incident=Incident(id="INC-9"),
                    window=Window(start=T0, end=T0 + timedelta(hours=2)), catalog=CATALOG,
                    captured_at=T0 + timedelta(hours=4), events=events, series=[],
                    truth=None)  # type: ignore[arg-type]  # the encoder never reads the truth


def _world() -> list[Event]:
    sha = "4" * 40
    return [
        _gh("deploy", "d1", -30, "Deploy checkout v4.2.0 to production", "alice", ("checkout",),
            repo="acme/checkout", sha=sha, ref="v4.2.0", environment="production",
            deployment_id=480107, state="success", finished_at="2026-03-04T13:34:00Z",
            rollback=False, version="v4.2.0", canary=False, config_only=False),
        _gh("deploy", "d2", -12, "Canary payments v9.1.0", "bob", ("payments",),
            repo="acme/payments", sha="5" * 40, ref="v9.1.0", environment="production",
            state="failure", canary=True, version="v9.1.0", change_size=88),
        _gh("deploy", "d3", -5, "Deploy api-gateway", "carol", ("api-gateway",),
            repo="acme/api-gateway", state="in_progress"),
        _gh("deploy", "d4", 31.5, "Rollback checkout to v4.1.2 (INC-9)", "alice", ("checkout",),
            repo="acme/checkout", sha="6" * 40, rollback=True, rollback_to="6" * 40,
            state="success", finished_at="2026-03-04T14:35:30.250000Z"),
        _gh("deploy", "d5", 40, "Apply gateway timeouts", "kenji", ("api-gateway",),
            repo="acme/platform-config", config_only=True, state="success"),
        _gh("merge", "m1", -50, "Cache price lookups", "carol", ("checkout",),
            repo="acme/checkout", number=512, sha=sha, base="main", additions=240,
            deletions=31, changed_files=6, labels=["performance"], config_only=False),
        _gh("merge", "m2", 35, 'Revert "Cache price lookups"', "alice", ("checkout",),
            repo="acme/checkout", number=515, revert_of=512, labels=[]),
        _gh("merge", "m3", -48, "api-gateway: raise upstream idle timeout to 75s", "kenji",
            ("api-gateway",), repo="acme/platform-config", number=1290, additions=3,
            deletions=3, changed_files=1, config_only=True),
        _gh("merge", "m4", -20, "Tune payments retry budget", "bob", ("payments",),
            repo="acme/payments", config_only=True, changed_files=2),
        _gh("merge", "m5", -15, "Two services at once", "kenji", ("checkout", "payments"),
            repo="acme/platform-config", config_only=True, changed_files=3),
        _gh("commit", "c1", -70, "Bump ledger client", "erin", ("payments",),
            repo="acme/payments", sha="7" * 40),
    ]


def _assert_round_trip(expected: list[Event], got: list[Event]) -> None:
    assert len(got) == len(expected)
    by_key = {(e.kind, e.at, e.text): e for e in got}
    for want in expected:
        have = by_key[(want.kind, want.at, want.text)]
        for name in ROUND_TRIP_FIELDS:
            assert getattr(have, name) == getattr(want, name), (want.source_id, name)
        for key, value in want.attrs.items():
            assert have.attrs.get(key) == value, (want.source_id, key)


def test_round_trip_recovers_every_event() -> None:
    scenario = _scenario(_world())
    capture = encode(scenario, per_page=2)
    ctx = ParseContext(incident=scenario.incident, window=scenario.window, catalog=CATALOG,
                       entry=scenario.entries["github"])
    assert completeness_problems(capture) == []
    got = get_parser("github")(capture, ctx).events  # type: ignore[misc]
    _assert_round_trip(scenario.events_of("github"), got)
    urls = {e.source_id: e.url for e in got}
    assert urls["acme/checkout#515"] == "https://github.com/acme/checkout/pull/515"
    assert urls["acme/checkout/deployments/480107"].startswith(
        "https://github.com/acme/checkout/actions/runs/")


def test_encoded_pages_look_like_github() -> None:
    scenario = _scenario(_world())
    capture = encode(scenario, per_page=1)
    deployments = capture.matching("/deployments")
    first, second = [r for r in deployments if urlsplit(r.url).path.endswith("/deployments")][:2]
    assert urlsplit(first.url).path == "/repos/acme/checkout/deployments"
    links = parse_link_header(first.header("link"))
    assert set(links) == {"next", "last"}
    assert links["next"] == second.url and "/repositories/" in second.url
    assert set(parse_link_header(second.header("Link"))) == {"prev", "first"}
    remaining = [int(r.header("x-ratelimit-remaining") or 0) for r in capture.responses
                 if r.header("X-RateLimit-Resource") == "core"]
    assert remaining == sorted(remaining, reverse=True) and len(set(remaining)) == len(remaining)
    search = capture.matching("/search/issues")
    assert {r.header("X-RateLimit-Limit") for r in search} == {"30"}
    assert all(isinstance(json.loads(r.body), list) for r in deployments)
    assert encode(scenario, per_page=1) == capture  # deterministic


def test_round_trip_through_a_bundle_directory(tmp_path: Path) -> None:
    scenario = _scenario(_world())
    manifest = Manifest(incident=scenario.incident, window=scenario.window,
                        captured_at=scenario.captured_at, tool_version="test",
                        sources={"github": scenario.entries["github"]}, catalog=CATALOG)
    write_bundle(tmp_path / "b", manifest, {"github": encode(scenario, per_page=3)})
    bundle = read_bundle(tmp_path / "b")
    ctx = ParseContext(incident=scenario.incident, window=scenario.window, catalog=CATALOG,
                       entry=scenario.entries["github"])
    _assert_round_trip(scenario.events_of("github"), parse(bundle.captures["github"], ctx).events)


def test_search_ranges_are_split_under_the_result_cap() -> None:
    merges = [_gh("merge", f"bulk{k}", -300 + k * 0.25, f"Bulk change {k}", "bot-user",
                  ("checkout",), repo="acme/checkout", number=10_000 + k)
              for k in range(1203)]
    scenario = _scenario(merges)
    capture = encode(scenario)
    pages = capture.matching("/search/issues")
    queries: dict[str, int] = {}
    for page in pages:
        body = json.loads(page.body)
        assert body["total_count"] <= 1000 and body["incomplete_results"] is False
        query = parse_qs(urlsplit(page.url).query)["q"][0]
        queries[query] = body["total_count"]
    assert len(queries) >= 2 and sum(queries.values()) == 1203
    ranges = sorted(q.rsplit("merged:", 1)[1] for q in queries)
    assert all(r.count("..") == 1 for r in ranges)
    assert completeness_problems(capture) == []
    ctx = ParseContext(incident=scenario.incident, window=scenario.window, catalog=CATALOG)
    assert len(parse(capture, ctx).events) == 1203


def test_event_without_a_repository_is_an_input_error() -> None:
    orphan = _gh("deploy", "x", 0, "Deploy", "a", ("unknown-service",))
    with pytest.raises(InputError, match="names no repo"):
        encode(_scenario([orphan]))
