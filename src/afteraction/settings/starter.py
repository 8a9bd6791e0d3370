"""The commented starter ``afteraction.toml`` that ``afteraction init`` writes."""

from __future__ import annotations

from pathlib import Path

from afteraction.errors import ConfigError

__all__ = ["STARTER", "write_starter_config"]

STARTER = '''\
# afteraction configuration. Secrets are never written here: each one names the environment
# variable that holds it. See docs/configuration.md for every option and the token scopes.

[afteraction]
lookback = "6h"        # how far before the incident window changes are collected
baseline = "1d"        # how much metric history before the window is read
padding = "30m"        # window = ticket created - padding .. resolved + padding
budget = "120s"        # default time budget per source
# corpus_url = "postgresql://afteraction@db.internal/afteraction"  # default: per-user SQLite

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
