"""Slack export reader: a ZIP built from fixture files, and the same folder unpacked."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from afteraction.errors import BundleError, InputError
from afteraction.model.events import Event
from afteraction.model.incident import Window
from afteraction.sources.slack_export import parse_export

EXPORT = Path(__file__).parents[1] / "fixtures" / "slack" / "export"
WINDOW = Window(start=datetime(2026, 3, 14, 23, 0, tzinfo=UTC),
                end=datetime(2026, 3, 15, 1, 0, tzinfo=UTC))


def build_zip(target: Path, *, top: str = "", corrupt: str | None = None) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for file in sorted(EXPORT.rglob("*.json")):
            name = top + file.relative_to(EXPORT).as_posix()
            body = file.read_bytes()
            if corrupt and file.relative_to(EXPORT).as_posix() == corrupt:
                body = body[: len(body) // 2]
            archive.writestr(name, body)
    return target


def texts(events: list[Event]) -> list[str]:
    return [e.text for e in events]


@pytest.fixture()
def export_zip(tmp_path: Path) -> Path:
    return build_zip(tmp_path / "acme Slack export Mar 14 2026.zip")


def test_zip_export_reads_window_and_replies_from_later_day_files(export_zip: Path) -> None:
    events = parse_export(export_zip, "#inc-4242-checkout", WINDOW).events
    assert texts(events) == [
        "has joined the channel",
        ("checkout 5xx is up, who deployed? errors.png "
        "(https://acme-eng.slack.com/files/alice/F0GRAPH01/errors.png)"),
        "me, checkout v3.2.0 at 23:05 & I'm rolling it back",
        "[RESOLVED] HighErrorRate checkout",
        "noted",
    ]
    reply = events[2]
    assert reply.at == datetime(2026, 3, 15, 0, 10, 0, 400, tzinfo=UTC)
    assert reply.actor == "Bob Ito"
    assert reply.attrs == {"channel": "C0INC4242", "channel_name": "inc-4242-checkout",
                           "ts": "1773533400.000400", "thread_ts": "1773531000.000200",
                           "user_id": "U02BOB"}
    parent = events[1]
    assert parent.attrs["reply_count"] == 1
    assert events[3].attrs["bot"] is True and events[3].actor == "Grafana Alerting"


def test_workspace_url_is_found_in_the_export_or_given(export_zip: Path) -> None:
    sniffed = parse_export(export_zip, "inc-4242-checkout", WINDOW).events[2]
    assert sniffed.url == ("https://acme-eng.slack.com/archives/C0INC4242/p1773533400000400"
                           "?thread_ts=1773531000.000200&cid=C0INC4242")
    given = parse_export(export_zip, "inc-4242-checkout", WINDOW,
                         workspace_url="https://acme.slack.com/").events[0]
    assert given.url.startswith("https://acme.slack.com/archives/C0INC4242/p")


def test_unpacked_folder_and_zip_with_top_folder_agree(tmp_path: Path, export_zip: Path) -> None:
    from_zip = parse_export(export_zip, "inc-4242-checkout", WINDOW).events
    from_folder = parse_export(EXPORT, "inc-4242-checkout", WINDOW).events
    nested = build_zip(tmp_path / "nested.zip", top="acme-export/")
    from_nested = parse_export(nested, "C0INC4242", WINDOW).events
    assert from_zip == from_folder == from_nested


def test_unknown_channel_lists_what_the_export_has(export_zip: Path) -> None:
    with pytest.raises(InputError, match=r"'#war-room' is not in this export \(it has: general, "
                                         r"inc-4242-checkout\)"):
        parse_export(export_zip, "war-room", WINDOW)


def test_corrupt_day_file_names_the_member(tmp_path: Path) -> None:
    broken = build_zip(tmp_path / "broken.zip", corrupt="inc-4242-checkout/2026-03-15.json")
    with pytest.raises(BundleError) as info:
        parse_export(broken, "inc-4242-checkout", WINDOW)
    assert info.value.where == f"{broken}:inc-4242-checkout/2026-03-15.json"
    assert "corrupt JSON" in str(info.value) and "\n" not in str(info.value)


def test_not_a_zip_is_an_input_error(tmp_path: Path) -> None:
    bogus = tmp_path / "export.zip"
    bogus.write_text("not a zip")
    with pytest.raises(InputError, match="not a Slack export"):
        parse_export(bogus, "inc-4242-checkout", WINDOW)
