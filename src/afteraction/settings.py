"""Configuration: ``afteraction.toml`` read into frozen models, secrets only from the environment.

The file names the environment variable that holds each secret (``token = {env = "GITHUB_TOKEN"}``
or ``token_env = "GITHUB_TOKEN"``); a literal secret in the file is refused, so a config can be
committed and shared. Every error is one :class:`ConfigError` line naming ``file:line`` and the field.
A source may instead be read through a third-party MCP server (``[sources.grafana.mcp]``, see
:mod:`afteraction.sources.mcp.config`); it then needs no native token.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from afteraction.errors import ConfigError
from afteraction.model.incident import Catalog, Service
from afteraction.sources.mcp.client import McpServerConfig
from afteraction.sources.mcp.config import EnvRef, McpSourceConfig

__all__ = [
    "CONFIG_NAME",
    "DEFAULT_SLO",
    "MCP_ADAPTERS",
    "SLO_UNITS",
    "ChangeFeedConfig",
    "GitHubConfig",
    "GrafanaConfig",
    "JiraConfig",
    "LaunchDarklyConfig",
    "PrometheusConfig",
    "Settings",
    "SlackConfig",
    "SourceConfig",
    "ZoomConfig",
    "find_config",
    "load_settings",
    "parse_duration",
    "parse_settings",
    "write_starter_config",
]

CONFIG_NAME = "afteraction.toml"

DEFAULT_SLO: dict[str, str] = {
    "error_ratio": ('sum(rate(http_requests_total{{selector},code=~"5.."}[5m]))'
                    ' / sum(rate(http_requests_total{{selector}}[5m]))'),
    "latency": ('histogram_quantile(0.99, sum by (le) '
                '(rate(http_request_duration_seconds_bucket{{selector}}[5m])))'),
    "saturation": 'max(container_cpu_usage_ratio{{selector}})',
}
"""PromQL per SLO signal; ``{selector}`` becomes the service's matchers, without braces."""

SLO_UNITS: dict[str, str] = {"error_ratio": "ratio", "latency": "seconds", "saturation": "ratio",
                             "throughput": "rps", "client_error_ratio": "ratio"}
"""The SLO signals afteraction analyses, and the unit of each (what the parser expects)."""

_SECRET_KEYS = ("token", "client_secret", "client_id", "password")
MCP_ADAPTERS: dict[str, str] = {"grafana": "mcp-grafana", "jira": "mcp-atlassian",
                                "github": "github-mcp-server",
                                "launchdarkly": "launchdarkly-mcp-server",
                                "slack": "slack-mcp-server"}
"""The sources that can be read through an MCP server, and the default adapter of each."""
_MCP_URL = {"grafana": ("grafana_url", "GRAFANA_URL"), "jira": ("base_url", "JIRA_URL")}
_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|(?:^|_)PAT(?:_|$)|AUTHORIZATION"
                          r"|COOKIE", re.IGNORECASE)
"""Names of MCP server ``env``/``headers`` entries whose value must be an ``{env = NAME}``."""
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


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceConfig(_Frozen):
    """What every source shares: where its API is, where citations point, its secret and budget."""

    base_url: str
    web_url: str | None = None
    token: SecretStr | None = Field(default=None, exclude=True, repr=False)
    token_env: str | None = None
    budget_seconds: float = 120.0
    timeout_seconds: float = 30.0
    enabled: bool = True
    mcp: McpSourceConfig | None = Field(default=None, description="read through an MCP server")
    mcp_secrets: dict[str, SecretStr] = Field(default_factory=dict, exclude=True, repr=False)

    @field_validator("base_url", "web_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @property
    def citation_url(self) -> str:
        return self.web_url or self.base_url

    def mcp_server(self, where: str) -> McpServerConfig:
        """The MCP server to start, its ``{env = NAME}`` values read with the config; an unset
        one is a ConfigError naming the variable (the source is then recorded as failed)."""
        if self.mcp is None:
            raise ConfigError("not read through an MCP server", where=where)
        values = {name: secret.get_secret_value() for name, secret in self.mcp_secrets.items()}
        return self.mcp.server(values, where=where)


class PrometheusConfig(SourceConfig):
    base_url: str = ""
    grafana_datasource_uid: str | None = Field(
        default=None, description="read through Grafana's datasource proxy instead of directly")
    step_seconds: float = 60.0
    discover_series: bool = True


class GrafanaConfig(SourceConfig):
    annotation_tags: tuple[str, ...] = ()
    annotation_limit: int = 1000
    alert_history: bool = True


class GitHubConfig(SourceConfig):
    base_url: str = "https://api.github.com"
    web_url: str | None = "https://github.com"
    org: str | None = None
    repos: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()
    workflow_runs: bool = True


class SlackConfig(SourceConfig):
    base_url: str = "https://slack.com/api"
    workspace: str | None = Field(default=None, description="e.g. acme for acme.slack.com")
    channel_pattern: str = "inc-{number}"

    @property
    def citation_url(self) -> str:
        if self.web_url:
            return self.web_url
        return f"https://{self.workspace}.slack.com" if self.workspace else "https://slack.com"


class ZoomConfig(SourceConfig):
    base_url: str = "https://api.zoom.us/v2"
    oauth_url: str = "https://zoom.us"
    account_id: str | None = None
    client_id: SecretStr | None = Field(default=None, exclude=True, repr=False)
    client_id_env: str | None = None
    client_secret: SecretStr | None = Field(default=None, exclude=True, repr=False)
    client_secret_env: str | None = None
    user: str = "me"
    topic_contains: str | None = None


class JiraConfig(SourceConfig):
    flavor: Literal["cloud", "datacenter"] = "cloud"
    email: str | None = Field(default=None, description="Cloud: the account of the API token")
    incident_project: str | None = None
    channel_field: str | None = Field(default=None, description="custom field holding the channel")
    max_related: int = 200

    @property
    def api(self) -> str:
        return "/rest/api/3" if self.flavor == "cloud" else "/rest/api/2"


class LaunchDarklyConfig(SourceConfig):
    base_url: str = "https://app.launchdarkly.com"
    project: str = "default"
    environment: str | None = "production"


class ChangeFeedConfig(_Frozen):
    path: Path
    enabled: bool = True
    budget_seconds: float = 10.0


class Settings(_Frozen):
    path: Path | None = None
    lookback_seconds: float = 6 * 3600
    baseline_seconds: float = 24 * 3600
    padding_seconds: float = 30 * 60
    budget_seconds: float = 120.0
    corpus_url: str = "sqlite:///afteraction.db"
    prometheus: PrometheusConfig | None = None
    grafana: GrafanaConfig | None = None
    github: GitHubConfig | None = None
    slack: SlackConfig | None = None
    zoom: ZoomConfig | None = None
    jira: JiraConfig | None = None
    launchdarkly: LaunchDarklyConfig | None = None
    changes: ChangeFeedConfig | None = None
    catalog: Catalog = Field(default_factory=Catalog)
    slo: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_SLO))

    def configured(self) -> dict[str, SourceConfig | ChangeFeedConfig]:
        """The enabled sources, by their config (and bundle) name."""
        found: dict[str, SourceConfig | ChangeFeedConfig] = {}
        for name in ("prometheus", "grafana", "github", "slack", "zoom", "jira", "launchdarkly",
                     "changes"):
            value = getattr(self, name)
            if value is not None and value.enabled:
                found[name] = value
        return found

    def mcp_routes(self) -> dict[str, SourceConfig]:
        """The enabled sources read through an MCP server, by config name."""
        return {name: config for name, config in self.configured().items()
                if isinstance(config, SourceConfig) and config.mcp is not None}

    def served_by_mcp(self) -> dict[str, str]:
        """Every source an MCP server fills -> the config name of its route: mcp-grafana also
        fills ``prometheus`` when its options name the Prometheus datasource."""
        served: dict[str, str] = {}
        for name, config in self.mcp_routes().items():
            served[name] = name
            if name == "grafana" and config.mcp and config.mcp.options.get("datasource_uid"):
                served["prometheus"] = name
        return served


_MODELS: dict[str, type[BaseModel]] = {
    "prometheus": PrometheusConfig, "grafana": GrafanaConfig, "github": GitHubConfig,
    "slack": SlackConfig, "zoom": ZoomConfig, "jira": JiraConfig,
    "launchdarkly": LaunchDarklyConfig, "changes": ChangeFeedConfig,
}


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


def _line_of(text: str, section: str | None, key: str | None) -> int | None:
    lines = text.splitlines()
    start = 0
    if section:
        header = re.compile(r"^\s*\[+\s*" + re.escape(section).replace(r"\.", r"\s*\.\s*")
                            + r"\s*\]+")
        start = next((i for i, line in enumerate(lines) if header.match(line)), -1)
        if start < 0:
            return None
    if key is None:
        return start + 1
    pattern = re.compile(r"^\s*" + re.escape(key) + r"\s*=")
    for number in range(start, len(lines)):
        if number > start and lines[number].lstrip().startswith("[") and section:
            break
        if pattern.match(lines[number]):
            return number + 1
    return start + 1 if section else None


def _nth_services_line(text: str, position: int) -> int | None:
    headers = [n for n, line in enumerate(text.splitlines(), start=1)
               if re.match(r"^\s*\[\[\s*services\s*\]\]", line)]
    return headers[position] if position < len(headers) else None


def _fail(text: str, where: str, section: str | None, key: str | None, message: str) -> ConfigError:
    line = _line_of(text, section, key)
    location = f"{where}:{line}" if line else where
    field = ".".join(p for p in (section, key) if p)
    return ConfigError(f"{field}: {message}" if field else message, where=location)


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
        raise _fail(text, where, "afteraction", str(exc).split(":")[0], str(exc)) from exc
    top.update(base)
    default_budget = float(top.get("budget_seconds", 120.0))
    sources = data.pop("sources", {})
    for name, section in sources.items():
        model = _MODELS.get(name)
        if model is None:
            raise _fail(text, where, f"sources.{name}", None,
                        f"unknown source (known: {', '.join(_MODELS)})")
        section = dict(section)
        label = f"sources.{name}"
        if "mcp_secrets" in section:
            raise _fail(text, where, label, "mcp_secrets", "unknown field")
        if "mcp" in section:
            section["mcp"], section["mcp_secrets"] = _mcp_table(text, where, name,
                                                                section["mcp"], env)
            if "base_url" not in section and name in _MCP_URL:
                url = _mcp_url(name, section["mcp"])
                if url:
                    section["base_url"] = url
        try:
            _durations(section, {"budget": "budget_seconds", "timeout": "timeout_seconds",
                                 "step": "step_seconds"})
        except ValueError as exc:
            raise _fail(text, where, label, str(exc).split(":")[0], str(exc)) from exc
        section.setdefault("budget_seconds", default_budget)
        for key in _SECRET_KEYS:
            if key in section or f"{key}_env" in section:
                if key == "password" or (key.startswith("client") and name != "zoom"):
                    raise _fail(text, where, label, key, "unknown field")
                try:
                    _secret(section, key, env, where)
                except ConfigError as exc:
                    raise _fail(text, where, label, key, exc.message) from exc
        try:
            top[name] = model.model_validate(section)
        except ValidationError as exc:
            first = exc.errors()[0]
            field_name = str(first["loc"][0]) if first["loc"] else None
            msg = str(first["msg"]).removeprefix("Value error, ")
            raise _fail(text, where, label, field_name, msg) from exc
    for name in MCP_ADAPTERS:
        config = top.get(name)
        if isinstance(config, SourceConfig) and config.mcp is not None:
            top[name] = _with_adapter_options(text, where, name, config, top)
    services = data.pop("services", [])
    catalog: list[Service] = []
    for position, entry in enumerate(services if isinstance(services, list) else [services]):
        try:
            catalog.append(Service.model_validate(entry))
        except ValidationError as exc:
            first = exc.errors()[0]
            field_name = str(first["loc"][0]) if first["loc"] else None
            line = _nth_services_line(text, position)
            location = f"{where}:{line}" if line else where
            raise ConfigError(f"services[{position}].{field_name}: {first['msg']}",
                              where=location) from exc
    top["catalog"] = Catalog(services=tuple(catalog))
    slo = data.pop("slo", None)
    if slo is not None:
        unknown_signal = next((k for k in slo if k not in SLO_UNITS), None)
        if unknown_signal is not None:
            raise _fail(text, where, "slo", unknown_signal,
                        f"unknown signal (known: {', '.join(SLO_UNITS)})")
        if not all(isinstance(v, str) and "{selector}" in v for v in slo.values()):
            raise _fail(text, where, "slo", None, "each signal is a PromQL string with {selector}")
        top["slo"] = slo
    if data:
        unknown = next(iter(data))
        raise _fail(text, where, None, unknown, "unknown top-level key")
    try:
        return Settings.model_validate(top)
    except ValidationError as exc:
        first = exc.errors()[0]
        field_name = str(first["loc"][0]) if first["loc"] else None
        raise _fail(text, where, "afteraction", field_name, str(first["msg"])) from exc


def _mcp_fail(text: str, where: str, name: str, key: str | None, message: str,
              field: str | None = None) -> ConfigError:
    """An error in ``[sources.NAME.mcp]`` (or an inline ``mcp = {...}``), at the key's line."""
    label = f"sources.{name}.mcp"
    line = _line_of(text, label, key) or _line_of(text, f"sources.{name}", "mcp")
    location = f"{where}:{line}" if line else where
    return ConfigError(f"{label}.{field or key}: {message}" if field or key else
                       f"{label}: {message}", where=location)


def _mcp_table(text: str, where: str, name: str, raw: Any, env: Mapping[str, str]
               ) -> tuple[McpSourceConfig, dict[str, SecretStr]]:
    """Validate an ``mcp`` table; secrets referenced as ``{env = NAME}`` are read now, as a
    native token is, and a literal value under a secret-looking name is refused."""
    if name not in MCP_ADAPTERS:
        hint = ("Prometheus is read through mcp-grafana: set options.datasource_uid in "
                "[sources.grafana.mcp]" if name == "prometheus" else
                f"no MCP adapter reads {name} (adapters read {', '.join(MCP_ADAPTERS)})")
        raise _mcp_fail(text, where, name, None, hint)
    if not isinstance(raw, dict):
        raise _mcp_fail(text, where, name, None, "must be a table")
    raw = {"adapter": MCP_ADAPTERS[name], **raw}
    for field in ("env", "headers"):
        values = raw.get(field)
        for key, value in (values.items() if isinstance(values, dict) else ()):
            if isinstance(value, str) and _SECRET_NAME.search(key):
                raise _mcp_fail(text, where, name, field, "must reference an environment "
                                "variable ({env = \"NAME\"}); secrets are never read from the "
                                "file", field=f"{field}.{key}")
    try:
        config = McpSourceConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(part) for part in first["loc"]]
        message = str(first["msg"]).removeprefix("Value error, ")
        raise _mcp_fail(text, where, name, loc[0] if loc else None, message,
                        field=".".join(loc) or None) from exc
    if name not in config.sources:
        raise _mcp_fail(text, where, name, "adapter", f"{config.adapter} reads "
                        f"{', '.join(config.sources)}, not {name}")
    refs = [v for v in (*config.env.values(), *config.headers.values()) if isinstance(v, EnvRef)]
    secrets = {ref.env: SecretStr(env[ref.env]) for ref in refs if env.get(ref.env)}
    return config, secrets


def _mcp_url(name: str, config: McpSourceConfig) -> str | None:
    """The system an MCP server reads: its adapter option, else the URL in the server's env."""
    option, variable = _MCP_URL[name]
    found = config.options.get(option) or config.env.get(variable)
    return found if isinstance(found, str) else None


def _with_adapter_options(text: str, where: str, name: str, config: SourceConfig,
                          top: dict[str, Any]) -> SourceConfig:
    """The adapter's options: the native section's settings, overridden by ``options``."""
    from afteraction.sources.mcp.atlassian import JiraOptions
    from afteraction.sources.mcp.grafana import GrafanaOptions

    assert config.mcp is not None
    given = dict(config.mcp.options)
    model: type[BaseModel] | None = None
    defaults: dict[str, Any] = {}
    if isinstance(config, GrafanaConfig):
        model = GrafanaOptions
        defaults = {"grafana_url": config.base_url, "web_url": config.web_url,
                    "annotation_tags": config.annotation_tags,
                    "annotation_limit": config.annotation_limit,
                    "alert_history": config.alert_history}
        prometheus = top.get("prometheus")
        if isinstance(prometheus, PrometheusConfig) and prometheus.enabled:
            defaults["step_seconds"] = int(prometheus.step_seconds)
            if prometheus.grafana_datasource_uid:
                defaults["datasource_uid"] = prometheus.grafana_datasource_uid
    elif isinstance(config, JiraConfig):
        model = JiraOptions
        defaults = {"base_url": config.base_url, "web_url": config.citation_url,
                    "incident_project": config.incident_project,
                    "max_related": config.max_related}
    elif given:
        raise _mcp_fail(text, where, name, "options", f"{config.mcp.adapter} takes no options "
                        f"(it reads the settings of [sources.{name}])")
    if model is None:
        return config
    try:
        options = model.model_validate({**defaults, **given}).model_dump(mode="json")
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(part) for part in first["loc"])
        raise _mcp_fail(text, where, name, "options", str(first["msg"]),
                        field=f"options.{loc}" if loc else "options") from exc
    return config.model_copy(update={"mcp": config.mcp.model_copy(update={"options": options})})


STARTER = '''\
# afteraction configuration. Secrets are never written here: each one names the environment
# variable that holds it. See docs/configuration.md for every option and the token scopes.

[afteraction]
lookback = "6h"        # how far before the incident window changes are collected
baseline = "1d"        # how much metric history before the window is read
padding = "30m"        # window = ticket created - padding .. resolved + padding
budget = "120s"        # default time budget per source
corpus_url = "sqlite:///afteraction.db"

[sources.prometheus]
base_url = "http://prometheus.internal:9090"
# or read through Grafana's datasource proxy (uses the grafana section's URL and token):
# grafana_datasource_uid = "prometheus-main"
# token = {env = "PROMETHEUS_TOKEN"}
step = "60s"

[sources.grafana]
base_url = "https://grafana.example.com"
token = {env = "GRAFANA_TOKEN"}           # service account, Viewer role
# Or read Grafana (and Prometheus through its datasource) with the mcp-grafana server instead;
# no native token is needed then, and afteraction turns the server's usage reports off:
# [sources.grafana.mcp]
# command = "mcp-grafana"
# env = {GRAFANA_URL = "https://grafana.example.com", GRAFANA_SERVICE_ACCOUNT_TOKEN = {env = "GRAFANA_TOKEN"}}
# options = {datasource_uid = "prometheus-main"}

[sources.github]
base_url = "https://api.github.com"       # GitHub Enterprise Server: https://HOST/api/v3
web_url = "https://github.com"
token = {env = "GITHUB_TOKEN"}
org = "example"
repos = ["example/checkout", "example/payments"]

[sources.slack]
workspace = "example"                      # example.slack.com
token = {env = "SLACK_TOKEN"}
channel_pattern = "inc-{number}"           # when the ticket does not name the channel

[sources.zoom]
account_id = "AbCdEfGhIj"
client_id = {env = "ZOOM_CLIENT_ID"}
client_secret = {env = "ZOOM_CLIENT_SECRET"}
user = "me"

[sources.jira]
base_url = "https://example.atlassian.net" # Data Center: flavor = "datacenter"
flavor = "cloud"
email = "oncall-bot@example.com"
token = {env = "JIRA_TOKEN"}
incident_project = "INC"
# channel_field = "customfield_10050"
# Or through mcp-atlassian (Data Center: JIRA_PERSONAL_TOKEN; Cloud: JIRA_USERNAME + JIRA_API_TOKEN):
# [sources.jira.mcp]
# command = "mcp-atlassian"
# env = {JIRA_URL = "https://example.atlassian.net", JIRA_USERNAME = "oncall-bot@example.com", JIRA_API_TOKEN = {env = "JIRA_TOKEN"}, READ_ONLY_MODE = "true"}

[sources.launchdarkly]
token = {env = "LAUNCHDARKLY_TOKEN"}
project = "default"
environment = "production"

[sources.changes]
path = "changes.jsonl"                     # JSONL or CSV: Argo CD, Terraform, Helm exports

[slo]
# {selector} is replaced by a service's label matchers, e.g. service="checkout"
error_ratio = 'sum(rate(http_requests_total{{selector},code=~"5.."}[5m])) / sum(rate(http_requests_total{{selector}}[5m]))'
latency = 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{{selector}}[5m])))'

[[services]]
name = "checkout"
repos = ["example/checkout"]
slack_channels = ["checkout-alerts"]
labels = {service = "checkout"}
jira_project = "CHK"
jira_components = ["checkout"]
flag_prefixes = ["checkout."]
depends_on = ["payments"]

[[services]]
name = "payments"
repos = ["example/payments"]
labels = {service = "payments"}
jira_components = ["payments"]
flag_prefixes = ["payments."]
'''


def write_starter_config(path: str | Path, *, force: bool = False) -> Path:
    """Write the commented starter config for ``afteraction init``; never overwrite silently."""
    target = Path(path)
    if target.exists() and not force:
        raise ConfigError("already exists (use --force to overwrite)", where=str(target))
    target.write_text(STARTER, encoding="utf-8")
    return target
