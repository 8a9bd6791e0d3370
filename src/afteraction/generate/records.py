"""Factories for the generated world's records, one per event kind, with the documented attrs."""

from __future__ import annotations

import hashlib
from datetime import datetime

from afteraction.generate.org import ORG, Person
from afteraction.model.events import Event, EventKind
from afteraction.model.time import to_iso, utc_from_epoch

__all__ = ["alert", "annotation", "deploy", "fake_sha", "flag", "merge", "status_change", "ticket"]


def fake_sha(*parts: object) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()


def _t(epoch: float) -> datetime:
    return utc_from_epoch(round(epoch, 3))


def deploy(service: str, at: float, *, deployment_id: int, version: str, actor: Person,
           sha: str, duration: float = 240.0, state: str = "success", rollback: bool = False,
           rollback_to: str | None = None, canary: bool = False, config_only: bool = False,
           description: str = "", environment: str = "production") -> Event:
    repo = f"{ORG}/{service}"
    text = description or (f"Roll back {service} to {version}" if rollback
                           else f"Deploy {service} {version} to {environment}")
    attrs: dict[str, object] = {
        "repo": repo, "sha": sha, "ref": version, "environment": environment,
        "deployment_id": deployment_id, "state": state, "finished_at": to_iso(_t(at + duration)),
        "rollback": rollback, "version": version, "canary": canary, "config_only": config_only}
    if rollback_to:
        attrs["rollback_to"] = rollback_to
    return Event.make(source="github", kind=EventKind.DEPLOY, source_id=f"{repo}/deployments/"
                      f"{deployment_id}", at=_t(at), url=f"https://github.com/{repo}/deployments",
                      text=text, actor=actor.handle, services=(service,), attrs=attrs)


def merge(service: str, at: float, *, number: int, title: str, actor: Person, additions: int,
          deletions: int, changed_files: int, labels: tuple[str, ...] = (),
          revert_of: int | None = None, repo: str | None = None, config_only: bool = False,
          body: str = "") -> Event:
    repo = repo or f"{ORG}/{service}"
    attrs: dict[str, object] = {
        "repo": repo, "number": number, "sha": fake_sha(repo, number, "merge"), "base": "main",
        "additions": additions, "deletions": deletions, "changed_files": changed_files,
        "labels": list(labels), "config_only": config_only}
    if revert_of is not None:
        attrs["revert_of"] = revert_of
    if body:
        attrs["body"] = body
    return Event.make(source="github", kind=EventKind.MERGE, source_id=f"{repo}#{number}",
                      at=_t(at), url=f"https://github.com/{repo}/pull/{number}", text=title,
                      actor=actor.handle, services=(service,), attrs=attrs)


def flag(key: str, service: str, at: float, *, actor: Person, action: str, text: str,
         rollout_from: int | None = None, rollout_to: int | None = None,
         project: str = "default", environment: str = "production") -> Event:
    attrs: dict[str, object] = {"flag_key": key, "project": project, "environment": environment,
                                "action": action}
    if rollout_from is not None:
        attrs["rollout_from"] = rollout_from
    if rollout_to is not None:
        attrs["rollout_to"] = rollout_to
    return Event.make(source="launchdarkly", kind=EventKind.FLAG,
                      source_id=f"{project}/{environment}/{key}@{int(at * 1000)}", at=_t(at),
                      url=f"https://app.launchdarkly.com/{project}/{environment}/features/{key}",
                      text=text, actor=actor.email, services=(service,), attrs=attrs)


def alert(name: str, service: str, at: float, *, state: str, severity: str, rule_uid: str,
          summary: str = "") -> Event:
    return Event.make(source="grafana", kind=EventKind.ALERT,
                      source_id=f"{rule_uid}@{int(at * 1000)}/{state}", at=_t(at),
                      url=f"https://grafana.acme.io/alerting/grafana/{rule_uid}/view",
                      text=summary or f"{name} {state}", services=(service,),
                      attrs={"alertname": name, "state": state, "severity": severity,
                             "rule_uid": rule_uid})


def annotation(service: str, at: float, *, text: str, tags: tuple[str, ...], ident: int,
               dashboard_uid: str = "svc-overview", panel_id: int = 2) -> Event:
    return Event.make(source="grafana", kind=EventKind.ANNOTATION, source_id=str(ident),
                      at=_t(at), url=f"https://grafana.acme.io/d/{dashboard_uid}", text=text,
                      services=(service,), attrs={"tags": list(tags),
                                                  "dashboard_uid": dashboard_uid,
                                                  "panel_id": panel_id})


def ticket(key: str, at: float, *, summary: str, issue_type: str, status: str, priority: str,
           components: tuple[str, ...], labels: tuple[str, ...] = (),
           links: tuple[dict[str, str], ...] = (), resolved: float | None = None,
           actor: Person | None = None, description: str = "") -> Event:
    project = key.split("-", 1)[0]
    attrs: dict[str, object] = {
        "key": key, "issue_type": issue_type, "status": status, "priority": priority,
        "labels": list(labels), "components": list(components), "links": [dict(x) for x in links],
        "created": to_iso(_t(at)), "project": project}
    if resolved is not None:
        attrs["resolved"] = to_iso(_t(resolved))
    if description:
        attrs["description"] = description
    return Event.make(source="jira", kind=EventKind.TICKET, source_id=key, at=_t(at),
                      url=f"https://acme.atlassian.net/browse/{key}", text=summary,
                      actor=actor.name if actor else None, services=components, attrs=attrs)


def status_change(key: str, at: float, *, old: str, new: str, actor: Person,
                  services: tuple[str, ...] = ()) -> Event:
    return Event.make(source="jira", kind=EventKind.STATUS_CHANGE,
                      source_id=f"{key}@{int(at)}:{new}", at=_t(at),
                      url=f"https://acme.atlassian.net/browse/{key}",
                      text=f"{key} {old} → {new}", actor=actor.name, services=services,
                      attrs={"key": key, "field": "status", "old": old, "new": new})
