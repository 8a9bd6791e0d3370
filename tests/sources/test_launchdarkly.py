"""The LaunchDarkly audit-log parser on real-shaped pages, and the encoder's round trip."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from afteraction.bundle import read_bundle
from afteraction.bundle.raw import RawCapture
from afteraction.errors import BundleError
from afteraction.generate.encode.launchdarkly import encode
from afteraction.generate.scenario import Scenario
from afteraction.model.events import Event
from afteraction.model.incident import Catalog, Incident, Service, Window
from afteraction.sources.base import ParseContext, get_parser
from afteraction.sources.launchdarkly import completeness_problems, flag_text, parse

FIXTURE = Path(__file__).parent.parent / "fixtures" / "launchdarkly" / "acme-incident"
T0 = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)
FLAG_PAGE = "https://app.launchdarkly.com/default/production/features/checkout.recommendations-v2"


def _fixture() -> tuple[RawCapture, ParseContext]:
    bundle = read_bundle(FIXTURE)
    manifest = bundle.manifest
    ctx = ParseContext(incident=manifest.incident, window=manifest.window,
                       catalog=manifest.catalog, entry=manifest.sources["launchdarkly"])
    return bundle.captures["launchdarkly"], ctx


def _events() -> dict[str, Event]:
    capture, ctx = _fixture()
    return {e.source_id: e for e in parse(capture, ctx).events}


def test_flag_entries_from_both_pages_and_nothing_else() -> None:
    events = _events()
    assert len(events) == 5  # the segment entry on page 1 is not a flag change
    assert "65e5d0a1c9f3b200129e0a03" not in events
    times = [e.at for e in sorted(events.values(), key=lambda e: e.at)]
    assert times[0] == datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    assert times[-1] == datetime(2026, 3, 4, 14, 41, 7, 250000, tzinfo=UTC)  # epoch ms


def test_rollout_percentages_from_the_description() -> None:
    rollout = _events()["65e5d0a1c9f3b200129e0a02"]
    assert rollout.attrs == {"flag_key": "checkout.recommendations-v2", "project": "default",
                             "environment": "production", "action": "rollout",
                             "rollout_from": 10, "rollout_to": 50}
    assert rollout.text == "Changed rollout of checkout.recommendations-v2 from 10% to 50%"
    assert rollout.actor == "marcus.oyelaran@acme.example"
    assert rollout.services == ("checkout",)
    assert rollout.url == FLAG_PAGE


def test_turning_on_wins_over_the_default_rule_change_in_the_same_entry() -> None:
    on = _events()["65e5d0a1c9f3b200129e0a01"]
    assert on.attrs["action"] == "on"
    assert on.text == "Turned on accounts.passkey-login"
    assert on.services == ("accounts",)


def test_comment_is_the_text_and_off_is_read() -> None:
    off = _events()["65e5d0a1c9f3b200129e0a05"]
    assert off.attrs["action"] == "off"
    assert off.text == "Killing recs v2 while we look at INC-2041"


def test_targets_and_token_actor_and_other_actions() -> None:
    events = _events()
    targeting = events["65e5d0a1c9f3b200129e0a04"]
    assert targeting.attrs["action"] == "targeting"
    assert targeting.attrs["targets"] == ["user-81723", "user-99120"]
    other = events["65e5d0a1c9f3b200129e0a00"]
    assert other.attrs["action"] == "other" and other.attrs["environment"] == "staging"
    assert other.actor == "terraform-ci"
    assert other.text == "Updated the flag search.semantic-ranking"
    assert other.url.endswith("/default/staging/features/search.semantic-ranking")


def test_complete_capture_and_a_lost_page() -> None:
    capture, _ = _fixture()
    assert completeness_problems(capture) == []
    first_only = RawCapture(source="launchdarkly", responses=capture.responses[:1])
    problems = completeness_problems(first_only)
    assert len(problems) == 1 and "0001-auditlog.json" in problems[0]


@pytest.mark.parametrize("date", ["2026-03-04T14:20:00Z", 0, None, True])
def test_malformed_date_is_a_bundle_error_naming_the_file(date: object) -> None:
    capture, ctx = _fixture()
    page = capture.responses[0]
    data = json.loads(page.body)
    data["items"][1]["date"] = date
    broken = RawCapture(source="launchdarkly", responses=(
        replace(page, body=json.dumps(data).encode()), *capture.responses[1:]))
    with pytest.raises(BundleError) as caught:
        parse(broken, ctx)
    assert "0001-auditlog.json" in str(caught.value) and "epoch milliseconds" in str(caught.value)


def test_not_an_audit_log_page_is_a_bundle_error() -> None:
    capture, ctx = _fixture()
    broken = RawCapture(source="launchdarkly", responses=(
        replace(capture.responses[0], body=b"[]"),))
    with pytest.raises(BundleError, match="audit log page"):
        parse(broken, ctx)


# --------------------------------------------------------------------------- encoder round trip

CATALOG = Catalog(services=(
    Service(name="checkout", flag_prefixes=("checkout.",)),
    Service(name="checkout-web", flag_prefixes=("checkout.web.",)),
    Service(name="accounts", flag_prefixes=("accounts.",)),
))


def _flag(key: str, minutes: float, actor: str | None, action: str, text: str = "",
          **attrs: object) -> Event:
    service = CATALOG.service_for_flag(key)
    all_attrs = {"flag_key": key, "project": "default", "environment": "production",
                 "action": action, **attrs}
    return Event.make(source="launchdarkly", kind="flag", source_id=f"{key}@{minutes}/{action}",
                      at=T0 + timedelta(minutes=minutes), url="https://app.launchdarkly.com",
                      text=text or flag_text(key, action, all_attrs),
                      actor=actor, services=(service,) if service else (), attrs=all_attrs)


def _world() -> list[Event]:
    return [
        _flag("checkout.recommendations-v2", -9, "marcus.oyelaran@acme.example", "rollout",
              rollout_from=10, rollout_to=50),
        _flag("checkout.recommendations-v2", 32, "marcus.oyelaran@acme.example", "off",
              text="Killing recs v2 (INC-9)"),
        _flag("accounts.passkey-login", -100, "liam.oconnor@acme.example", "on"),
        _flag("checkout.web.banner", -30, "deploy-bot", "rollout", rollout_to=12.5),
        _flag("checkout.web.banner", -29, "deploy-bot", "rollout"),
        _flag("accounts.passkey-login", -20, "liam.oconnor@acme.example", "targeting",
              targets=["user-1", "user-2"]),
        _flag("accounts.passkey-login", -19, "liam.oconnor@acme.example", "targeting",
              text="Only staff for now"),
        _flag("billing.legacy-invoices", -60, "ops@acme.example", "other",
              environment="staging", project="billing"),
        _flag("checkout.recommendations-v2", 5, "marcus.oyelaran@acme.example", "on"),
        _flag("checkout.recommendations-v2", 5, "marcus.oyelaran@acme.example", "off",
              text="same millisecond as the one before"),
    ]


def _scenario(events: list[Event]) -> Scenario:
    return Scenario(seed=3, incident=Incident(id="INC-9"),
                    window=Window(start=T0, end=T0 + timedelta(hours=2)), catalog=CATALOG,
                    captured_at=T0 + timedelta(hours=3), events=events, series=[],
                    truth=None)  # type: ignore[arg-type]  # the encoder never reads the truth


def test_round_trip_over_pages() -> None:
    scenario = _scenario(_world())
    capture = encode(scenario, limit=2)
    assert len(capture.responses) >= 4
    assert completeness_problems(capture) == []
    ctx = ParseContext(incident=scenario.incident, window=scenario.window, catalog=CATALOG,
                       entry=scenario.entries["launchdarkly"])
    got = get_parser("launchdarkly")(capture, ctx).events  # type: ignore[misc]
    want = scenario.events_of("launchdarkly")
    assert len(got) == len(want)
    remaining = list(got)
    for event in want:
        match = next(g for g in remaining if (g.at, g.text) == (event.at, event.text))
        remaining.remove(match)
        assert (match.kind, match.actor, match.services) == (event.kind, event.actor,
                                                             event.services)
        assert match.attrs == event.attrs
        key, env = event.attrs["flag_key"], event.attrs["environment"]
        assert match.url == (f"https://app.launchdarkly.com/{event.attrs['project']}/{env}"
                             f"/features/{key}")


def test_encoded_entries_carry_comments_only_for_free_text() -> None:
    capture = encode(_scenario(_world()[:3]))
    (page,) = capture.responses
    body = json.loads(page.body)
    comments = {e["comment"] for e in body["items"]}
    assert comments == {"", "Killing recs v2 (INC-9)"}
    assert [e["date"] for e in body["items"]] == sorted((e["date"] for e in body["items"]),
                                                        reverse=True)
    assert "next" not in body["_links"]
    assert page.url.startswith("https://app.launchdarkly.com/api/v2/auditlog?after=")
    assert page.params["limit"] == "20"
