"""Local stub servers speaking the real wire formats of afteraction's sources.

``Fleet`` starts one stub per system on loopback, and writes the ``afteraction.toml`` that points
afteraction at them, with the tokens in ``TOKENS`` (passed as the environment).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Self

from afteraction.settings import Settings, parse_settings

from .github import GitHubStub
from .grafana import GrafanaStub
from .jira import JiraStub
from .launchdarkly import LaunchDarklyStub
from .prometheus import PrometheusStub
from .runner import Faults, StubApp, StubServer
from .slack import SlackStub
from .world import INCIDENT
from .zoom import ZoomStub

__all__ = ["INCIDENT", "TOKENS", "Faults", "Fleet", "StubServer"]

TOKENS = {
    "GITHUB_TOKEN": "ghp_stubtoken0001",
    "SLACK_TOKEN": "xoxb-stub-token-0001",
    "JIRA_TOKEN": "jira-stub-token-0001",
    "LD_TOKEN": "api-stub-ld-0001",
    "GRAFANA_TOKEN": "glsa_stub_token_0001",
    "ZOOM_CLIENT_ID": "zoom-client-0001",
    "ZOOM_CLIENT_SECRET": "zoom-secret-0001",
}
SECRETS = (*TOKENS.values(), "zoom-access-token-0001")
"""Every credential the stubs accept or hand out: none may appear in a bundle or a log."""

CATALOG = '''
[[services]]
name = "checkout"
repos = ["acme/checkout"]
slack_channels = ["checkout-alerts"]
labels = {service = "checkout"}
jira_project = "CHK"
jira_components = ["checkout"]
flag_prefixes = ["checkout."]
depends_on = ["payments"]

[[services]]
name = "payments"
repos = ["acme/payments"]
labels = {service = "payments"}
jira_components = ["payments"]
flag_prefixes = ["payments."]
'''


class Fleet:
    """Every stub at once, and the config that points at them."""

    def __init__(self, *, jira_flavor: str = "cloud", prometheus_url: str | None = None,
                 via_grafana: bool = False, changes: Path | None = None,
                 slo: dict[str, str] | None = None) -> None:
        self.apps: dict[str, StubApp] = {
            "github": GitHubStub(), "slack": SlackStub(), "jira": JiraStub(jira_flavor),
            "zoom": ZoomStub(), "launchdarkly": LaunchDarklyStub(),
        }
        if prometheus_url is None:
            self.apps["prometheus"] = PrometheusStub()
        self.apps["grafana"] = GrafanaStub(prometheus_url=prometheus_url)
        self.servers = {name: StubServer(app) for name, app in self.apps.items()}
        self.prometheus_url = prometheus_url
        self.via_grafana = via_grafana
        self.jira_flavor = jira_flavor
        self.changes = changes
        self.slo = slo

    def __enter__(self) -> Self:
        for server in self.servers.values():
            server.start()
        if self.prometheus_url is None:
            self.prometheus_url = self.servers["prometheus"].url
            grafana = self.apps["grafana"]
            assert isinstance(grafana, GrafanaStub)
            grafana.prometheus_url = self.prometheus_url
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self.servers.values():
            server.stop()

    def reset(self) -> None:
        for server in self.servers.values():
            server.reset()
        self.apps["github"].__dict__.pop("search_cap", None)

    def faults(self, name: str) -> Faults:
        return self.apps[name].faults

    def url(self, name: str) -> str:
        return self.servers[name].url

    def toml(self, *, only: tuple[str, ...] | None = None, budget: str = "20s",
             extra: str = "", sections: dict[str, str] | None = None) -> str:
        parts: dict[str, str] = {
            "prometheus": (f'[sources.prometheus]\nbase_url = "{self.url("grafana")}"\n'
                           'grafana_datasource_uid = "prom-main"\n'
                           'token = {env = "GRAFANA_TOKEN"}\nstep = "60s"\n'
                           if self.via_grafana else
                           f'[sources.prometheus]\nbase_url = "{self.prometheus_url}"\n'
                           'step = "60s"\n'),
            "grafana": (f'[sources.grafana]\nbase_url = "{self.url("grafana")}"\n'
                        'web_url = "https://grafana.acme.io"\ntoken = {env = "GRAFANA_TOKEN"}\n'),
            "github": (f'[sources.github]\nbase_url = "{self.url("github")}"\n'
                       'token = {env = "GITHUB_TOKEN"}\norg = "acme"\n'),
            "slack": (f'[sources.slack]\nbase_url = "{self.url("slack")}/api"\n'
                      'workspace = "acme"\ntoken = {env = "SLACK_TOKEN"}\n'),
            "zoom": (f'[sources.zoom]\nbase_url = "{self.url("zoom")}/v2"\n'
                     f'oauth_url = "{self.url("zoom")}"\nweb_url = "https://acme.zoom.us"\n'
                     'account_id = "acct-stub"\nclient_id = {env = "ZOOM_CLIENT_ID"}\n'
                     'client_secret = {env = "ZOOM_CLIENT_SECRET"}\n'),
            "jira": (f'[sources.jira]\nbase_url = "{self.url("jira")}"\n'
                     'web_url = "https://acme.atlassian.net"\n'
                     f'flavor = "{self.jira_flavor}"\nemail = "bot@acme.example"\n'
                     'token = {env = "JIRA_TOKEN"}\nincident_project = "INC"\n'),
            "launchdarkly": (f'[sources.launchdarkly]\nbase_url = "{self.url("launchdarkly")}"\n'
                             'token = {env = "LD_TOKEN"}\nproject = "default"\n'
                             'environment = "production"\n'),
        }
        if self.changes is not None:
            parts["changes"] = f'[sources.changes]\npath = "{self.changes}"\n'
        for name, lines in (sections or {}).items():
            parts[name] += lines
        chosen = [text for name, text in parts.items() if only is None or name in only]
        head = f'[afteraction]\nlookback = "6h"\nbaseline = "2h"\nbudget = "{budget}"\n\n'
        slo = ""
        if self.slo:
            slo = "[slo]\n" + "".join(f"{k} = '{v}'\n" for k, v in self.slo.items())
        return head + "\n".join(chosen) + "\n" + slo + extra + CATALOG

    def settings(self, **kwargs: Any) -> Settings:
        return parse_settings(self.toml(**kwargs), environ=TOKENS)
