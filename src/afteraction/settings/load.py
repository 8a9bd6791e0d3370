"""Reading ``afteraction.toml``: finding the file, TOML into the models, every error one line.

Secrets come only from the environment: the file names the variable that holds each one
(``token = {env = "GITHUB_TOKEN"}`` or ``token_env = "GITHUB_TOKEN"``) and a literal secret is
refused, so a config can be committed and shared.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError

from afteraction.errors import ConfigError
from afteraction.model.incident import Catalog, Service
from afteraction.settings.locate import fail, nth_services_line
from afteraction.settings.mcp import MCP_ADAPTERS, MCP_URL, mcp_table, mcp_url, with_adapter_options
from afteraction.settings.sources import MODELS, SLO_UNITS, Settings, SourceConfig

__all__ = ["CONFIG_NAME", "find_config", "load_settings", "parse_duration", "parse_settings"]

CONFIG_NAME = "afteraction.toml"

_SECRET_KEYS = ("token", "client_secret", "client_id", "password")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNIT = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}


def parse_duration(value: str | float, *, field: str = "duration") -> float:
    """'90s', '5m', '6h', '1d' or a number of seconds -> seconds."""
    if isinstance(value, bool):
        raise ValueError(f"{field}: expected a duration like '90s' or '6h', got {value!r}")  # noqa: TRY004
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"{field}: expected a duration like '90s' or '6h', got {value!r}")
    return float(match.group(1)) * _UNIT[match.group(2)]



def find_config(explicit: str | Path | None = None, cwd: Path | None = None) -> Path:
    """The given file, or ``afteraction.toml`` in the working directory."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError("configuration file not found", where=str(path))
        return path
    path = (cwd or Path.cwd()) / CONFIG_NAME
    if not path.is_file():
        raise ConfigError(f"no {CONFIG_NAME} here; run 'afteraction init' or pass --config",
                          where=str(path))
    return path


def load_settings(path: str | Path | None = None,
                  environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the config file; secrets come from ``environ`` (the process env)."""
    file = find_config(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", where=str(file)) from exc
    return parse_settings(text, where=str(file), environ=environ, path=file)


def _secret(section: dict[str, Any], key: str, env: Mapping[str, str], where: str) -> None:
    """Replace ``key = {env = NAME}`` / ``key_env = NAME`` by the variable's value as a secret."""
    ref = section.pop(key, None)
    env_name = section.get(f"{key}_env")
    if isinstance(ref, dict):
        if set(ref) != {"env"} or not isinstance(ref["env"], str):
            raise ConfigError(f"{key} must be {{env = \"VARIABLE\"}}", where=where)
        env_name = ref["env"]
    elif ref is not None:
        raise ConfigError(f"{key} must reference an environment variable "
                          f"({key} = {{env = \"NAME\"}}); secrets are never read from the file",
                          where=where)
    if env_name:
        section[f"{key}_env"] = env_name
        value = env.get(env_name)
        if value:
            section[key] = SecretStr(value)



def _durations(section: dict[str, Any], keys: dict[str, str]) -> None:
    for raw, target in keys.items():
        if raw in section:
            section[target] = parse_duration(section.pop(raw), field=raw)



def parse_settings(text: str, *, where: str = CONFIG_NAME,
                   environ: Mapping[str, str] | None = None, path: Path | None = None) -> Settings:
    """Validate TOML text into :class:`Settings` (pure apart from reading ``environ``)."""
    env = os.environ if environ is None else environ
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        location = f"{where}:{match.group(1)}" if match else where
        raise ConfigError(f"not valid TOML: {exc}", where=location) from exc
    base = data.pop("afteraction", {})
    top: dict[str, Any] = {"path": path}
    try:
        _durations(base, {"lookback": "lookback_seconds", "baseline": "baseline_seconds",
                          "padding": "padding_seconds", "budget": "budget_seconds"})
    except ValueError as exc:
        raise fail(text, where, "afteraction", str(exc).split(":")[0], str(exc)) from exc
    top.update(base)
    default_budget = float(top.get("budget_seconds", 120.0))
    sources = data.pop("sources", {})
    for name, section in sources.items():
        model = MODELS.get(name)
        if model is None:
            raise fail(text, where, f"sources.{name}", None,
                        f"unknown source (known: {', '.join(MODELS)})")
        section = dict(section)
        label = f"sources.{name}"
        if "mcp_secrets" in section:
            raise fail(text, where, label, "mcp_secrets", "unknown field")
        if "mcp" in section:
            section["mcp"], section["mcp_secrets"] = mcp_table(text, where, name,
                                                                section["mcp"], env)
            if "base_url" not in section and name in MCP_URL:
                url = mcp_url(name, section["mcp"])
                if url:
                    section["base_url"] = url
        try:
            _durations(section, {"budget": "budget_seconds", "timeout": "timeout_seconds",
                                 "step": "step_seconds"})
        except ValueError as exc:
            raise fail(text, where, label, str(exc).split(":")[0], str(exc)) from exc
        section.setdefault("budget_seconds", default_budget)
        for key in _SECRET_KEYS:
            if key in section or f"{key}_env" in section:
                if key == "password" or (key.startswith("client") and name != "zoom"):
                    raise fail(text, where, label, key, "unknown field")
                try:
                    _secret(section, key, env, where)
                except ConfigError as exc:
                    raise fail(text, where, label, key, exc.message) from exc
        try:
            top[name] = model.model_validate(section)
        except ValidationError as exc:
            first = exc.errors()[0]
            field_name = str(first["loc"][0]) if first["loc"] else None
            msg = str(first["msg"]).removeprefix("Value error, ")
            raise fail(text, where, label, field_name, msg) from exc
    for name in MCP_ADAPTERS:
        config = top.get(name)
        if isinstance(config, SourceConfig) and config.mcp is not None:
            top[name] = with_adapter_options(text, where, name, config, top)
    services = data.pop("services", [])
    catalog: list[Service] = []
    for position, entry in enumerate(services if isinstance(services, list) else [services]):
        try:
            catalog.append(Service.model_validate(entry))
        except ValidationError as exc:
            first = exc.errors()[0]
            field_name = str(first["loc"][0]) if first["loc"] else None
            line = nth_services_line(text, position)
            location = f"{where}:{line}" if line else where
            raise ConfigError(f"services[{position}].{field_name}: {first['msg']}",
                              where=location) from exc
    top["catalog"] = Catalog(services=tuple(catalog))
    slo = data.pop("slo", None)
    if slo is not None:
        unknown_signal = next((k for k in slo if k not in SLO_UNITS), None)
        if unknown_signal is not None:
            raise fail(text, where, "slo", unknown_signal,
                        f"unknown signal (known: {', '.join(SLO_UNITS)})")
        if not all(isinstance(v, str) and "{selector}" in v for v in slo.values()):
            raise fail(text, where, "slo", None, "each signal is a PromQL string with {selector}")
        top["slo"] = slo
    if data:
        unknown = next(iter(data))
        raise fail(text, where, None, unknown, "unknown top-level key")
    try:
        return Settings.model_validate(top)
    except ValidationError as exc:
        first = exc.errors()[0]
        field_name = str(first["loc"][0]) if first["loc"] else None
        raise fail(text, where, "afteraction", field_name, str(first["msg"])) from exc
