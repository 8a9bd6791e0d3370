"""The change-feed parser on JSON Lines and CSV exports, its errors, its encoder, the registry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from afteraction.bundle.manifest import SourceEntry
from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.errors import BundleError
from afteraction.generate.encode import ENCODERS, encode_all
from afteraction.generate.encode.changes import encode
from afteraction.generate.scenario import Scenario
from afteraction.model.events import Event
from afteraction.model.incident import Catalog, Incident, Service, Window
from afteraction.sources.base import ParseContext, get_parser
from afteraction.sources.changefeed import parse

FIXTURES = Path(__file__).parent.parent / "fixtures" / "changes"
T0 = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)
CATALOG = Catalog(services=(
    Service(name="inventory", repos=("acme/inventory",)),
    Service(name="payments", repos=("acme/payments",)),
    Service(name="cart", flag_prefixes=("cart.",)),
))
CTX = ParseContext(incident=Incident(id="INC-9"),
                   window=Window(start=T0, end=T0 + timedelta(hours=2)), catalog=CATALOG)


def _file(name: str) -> RawResponse:
    path = FIXTURES / name
    return RawResponse(url=f"file:{name}", body=path.read_bytes(), file=str(path))


def _parse(*names: str) -> list[Event]:
    return parse(RawCapture(source="changes", responses=tuple(map(_file, names))), CTX).events


def test_jsonl_export() -> None:
    config, deploy, flag = _parse("feed.jsonl")  # by time: +01:00 puts the config first
    assert deploy.kind == "deploy" and deploy.source == "changes"
    assert deploy.source_id == "argocd/inventory-prod/412"
    assert deploy.at == datetime(2026, 3, 4, 13, 20, tzinfo=UTC)
    assert deploy.services == ("inventory",) and deploy.actor == "argocd"
    assert deploy.attrs["finished_at"] == "2026-03-04T13:24:10Z"
    assert deploy.url.startswith("https://argocd.acme.example/applications/inventory-prod")
    assert config.at == datetime(2026, 3, 4, 12, 31, 5, tzinfo=UTC)  # +01:00 converted to UTC
    assert config.services == ("api-gateway", "web")
    assert config.attrs == {"system": "terraform", "key": "module.gateway.idle_timeout",
                            "old": "60", "new": "75"}
    assert flag.services == ("cart",)  # looked up from attrs.flag_key
    assert flag.attrs["rollout_to"] == 25 and flag.actor is None
    assert flag.url == "file:feed.jsonl#L4"  # no url column: the line in the export
    assert [e.at for e in _parse("feed.jsonl")] == sorted(e.at for e in _parse("feed.jsonl"))


def test_csv_export_converts_documented_attrs() -> None:
    upgrade, rollback = _parse("helm-releases.csv")
    assert upgrade.attrs == {"environment": "production", "rollback": False, "change_size": 120,
                             "version": "9.0.3"}
    assert upgrade.text == "helm upgrade payments 9.0.3" and upgrade.actor == "elena"
    assert upgrade.url == "file:helm-releases.csv#L2"
    assert rollback.attrs["rollback"] is True and "change_size" not in rollback.attrs
    assert rollback.services == ("payments", "ledger")
    assert rollback.text == "helm rollback payments 56, ledger follows"
    assert rollback.url == "https://ci.acme.example/jobs/991"


def test_files_are_merged_and_ids_are_stable() -> None:
    events = _parse("feed.jsonl", "helm-releases.csv")
    assert len(events) == 5 and len({e.id for e in events}) == 5
    assert _parse("feed.jsonl", "helm-releases.csv") == events


def test_naive_time_names_file_and_line() -> None:
    with pytest.raises(BundleError) as caught:
        _parse("naive-time.csv")
    message = str(caught.value)
    assert message.startswith(str(FIXTURES / "naive-time.csv") + ":3: ")
    assert "column 'at'" in message and "no UTC offset" in message


def test_unknown_kind_names_file_and_line() -> None:
    with pytest.raises(BundleError, match=r"bad-kind\.jsonl:3: column 'kind'.*'restart'"):
        _parse("bad-kind.jsonl")


@pytest.mark.parametrize(("name", "body", "expected"), [
    ("x.jsonl", b'{"at": "2026-03-04T12:00:00Z", "kind": "deploy"}\n{"at": \n',
     r"x\.jsonl:2: not a JSON object"),
    ("x.jsonl", b'["2026-03-04T12:00:00Z", "deploy"]\n', r"x\.jsonl:1: each line must be"),
    ("x.jsonl", b'{"kind": "deploy"}\n', r"x\.jsonl:1: column 'at' is missing"),
    ("x.jsonl", b'{"at": "soon", "kind": "deploy"}\n', r"x\.jsonl:1: column 'at': not an ISO"),
    ("x.jsonl", b'{"at": "2026-03-04T12:00:00Z", "kind": "flag", "attrs": [1]}\n',
     r"x\.jsonl:1: column 'attrs': expected a JSON object"),
    ("x.csv", b"when,kind\n2026-03-04T12:00:00Z,deploy\n", r"x\.csv:1: header row lacks .*at"),
    ("x.csv", b"at,kind,rollback\n2026-03-04T12:00:00Z,deploy,maybe\n",
     r"x\.csv:2: column 'rollback': expected true or false"),
    ("x.csv", b"at,kind\n2026-03-04T12:00:00Z,deploy,extra\n", r"x\.csv:2: more cells"),
    ("x.csv", b"at,kind,attrs\n2026-03-04T12:00:00Z,deploy,{nope\n",
     r"x\.csv:2: column 'attrs': not JSON"),
])
def test_bad_rows_are_one_line_errors(name: str, body: bytes, expected: str) -> None:
    capture = RawCapture(source="changes", responses=(RawResponse(url=f"file:{name}", body=body,
                                                                  file=name),))
    with pytest.raises(BundleError, match=expected):
        parse(capture, CTX)


def test_format_is_sniffed_when_the_name_does_not_say() -> None:
    jsonl = RawResponse(url="file:export", body=b'{"at": "2026-03-04T12:00:00Z", "kind": '
                                                 b'"config", "title": "x"}\n')
    csv = RawResponse(url="file:export2", body=b"at,kind,title\n2026-03-04T12:00:00Z,config,y\n")
    events = parse(RawCapture(source="changes", responses=(jsonl, csv)), CTX).events
    assert sorted(e.text for e in events) == ["x", "y"]


# --------------------------------------------------------------------------- encoder and registry


def _change(kind: str, minutes: float, text: str, services: tuple[str, ...],
            actor: str | None = "kenji", **attrs: object) -> Event:
    return Event.make(source="changes", kind=kind, source_id=f"feed-{kind}-{minutes}",
                      at=T0 + timedelta(minutes=minutes), url=f"https://ci.acme.example/{minutes}",
                      text=text, actor=actor, services=services, attrs=attrs)


def _scenario(events: list[Event], entries: dict[str, SourceEntry] | None = None) -> Scenario:
    scenario = Scenario(seed=1, incident=Incident(id="INC-9"),
                        window=Window(start=T0, end=T0 + timedelta(hours=2)), catalog=CATALOG,
                        captured_at=T0 + timedelta(hours=3), events=events, series=[],
                        truth=None)  # type: ignore[arg-type]  # encoders never read the truth
    if entries is not None:
        scenario.entries = entries
    return scenario


WORLD = [
    _change("deploy", -20, "Sync inventory-prod to v2.14.0", ("inventory",), actor="argocd",
            environment="production", version="v2.14.0", rollback=False),
    _change("config", -48, "terraform apply: idle timeout 75s", ("api-gateway", "web"),
            system="terraform", key="idle_timeout", old="60", new="75"),
    _change("flag", -9.5, "Enable new-cart for 25%", ("cart",), actor=None,
            flag_key="cart.new-cart", action="rollout", rollout_from=5, rollout_to=25),
    _change("config", 3, "Global rate limit change", (), system="envoy", key="rl", old=1, new=2),
]


def test_round_trip() -> None:
    scenario = _scenario(WORLD)
    capture = encode(scenario)
    (response,) = capture.responses
    assert response.url == "file:feed.jsonl" and response.file == "feed.jsonl"
    got = get_parser("changes")(capture, CTX).events  # type: ignore[misc]
    want = sorted(WORLD, key=lambda e: e.at)
    assert [(e.kind, e.at, e.actor, e.text, e.services, e.attrs, e.url, e.source_id)
            for e in got] == [(e.kind, e.at, e.actor, e.text, e.services, e.attrs, e.url,
                               e.source_id) for e in want]
    assert [e.id for e in got] == [e.id for e in want]


def test_registry_encodes_configured_sources_and_skips_the_rest() -> None:
    assert ENCODERS["github"] == "afteraction.generate.encode.github"
    assert ENCODERS["changes"] == "afteraction.generate.encode.changes"
    assert ENCODERS["launchdarkly"] == "afteraction.generate.encode.launchdarkly"
    only_feed = _scenario(WORLD, entries={})
    assert list(encode_all(only_feed)) == ["changes"]
    with_ld = _scenario(WORLD, entries={"launchdarkly": SourceEntry()})
    captures = encode_all(with_ld)
    assert set(captures) == {"launchdarkly", "changes"}
    assert captures["launchdarkly"].responses[0].url.startswith(
        "https://app.launchdarkly.com/api/v2/auditlog?")
    assert encode_all(_scenario([], entries={})) == {}
