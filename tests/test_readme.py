"""The README stays true: its configuration example loads, its commands exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main

from afteraction.cli import app
from afteraction.settings import load_settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_configuration_example_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"```toml\n(\[sources\.prometheus\].*?)```", text, re.S)
    assert block is not None
    config = tmp_path / "afteraction.toml"
    config.write_text(block.group(1), encoding="utf-8")
    settings = load_settings(config)
    assert [s.name for s in settings.catalog.services] == ["checkout"]


def test_every_top_level_command_is_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    group = typer.main.get_group(app)
    for name in group.commands:
        assert f"afteraction {name}" in text, name


def test_the_quickstart_is_two_make_commands() -> None:
    text = README.read_text(encoding="utf-8")
    quick = text.split("## Quickstart", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in quick.strip().splitlines()]
    assert commands == ["make demo", "make test"]
