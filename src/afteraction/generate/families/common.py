"""The skeleton every family shares: the world, its changes, alerts, tickets and series.

A family picks its culprit and its plot (onset, detection, mitigation, recovery); this module
fills in the rest of a realistic day around it: background deploys and merges across every
service, background flag and config changes, decoy deploys just before onset, Grafana alerts
and deploy annotations, the incident ticket with its status changes, and the SLO series.
Changes are planned first and turned into events in time order, so versions, deployment ids and
pull-request numbers grow with time the way they do in a real organisation.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from afteraction.generate import records as rec
from afteraction.generate.metrics import Effect, Spike, series_for_service
from afteraction.generate.org import ORG, PEOPLE, SERVICE_PROFILES, Person, demo_catalog, owner_of
from afteraction.generate.scenario import ChangeRef, GroundTruth, Scenario
from afteraction.model.events import Event, MetricSeries
from afteraction.model.incident import Catalog, Incident, Window
from afteraction.model.time import utc_from_epoch

__all__ = ["MIN", "STEP", "Change", "Plot", "World", "hh", "person", "profile"]

STEP = 15
MIN = 60.0
CONFIG_REPO = f"{ORG}/platform-config"
PROFILES = {p.name: p for p in SERVICE_PROFILES}
FLAG_NAMES = ("new-pricing-engine", "async-writes", "v2-client", "batch-lookups", "edge-cache",
              "grpc-transport", "smart-retries", "compact-payload", "read-replica",
              "bulk-api", "recommendations-v2", "fast-path")
PR_TITLES = ("bump dependencies", "add request tracing spans", "tidy error messages",
             "refactor handler registration", "cache warmup on start", "add metrics for retries",
             "update base image", "pagination for list endpoint", "remove dead code",
             "tune GC settings", "add index on created_at", "feature: saved filters",
             "fix flaky integration test", "log sampling for debug logs", "upgrade http client")
CONFIG_TITLES = ("raise replicas to {n}", "lower request timeout to {n}00ms",
                 "set connection pool max to {n}", "enable keepalive", "bump memory limit",
                 "rotate log retention to {n} days", "tighten rate limit to {n}00 rps")


def person(handle: str) -> Person:
    return next(p for p in PEOPLE if p.handle == handle)


def profile(name: str):
    return PROFILES[name]


def hh(epoch: float) -> str:
    return utc_from_epoch(epoch).strftime("%H:%M")


def _grid(value: float) -> float:
    return float(int(value) // STEP * STEP)


@dataclass
class Change:
    """A planned change; ``event`` is filled in when the world turns plans into events."""

    kind: str                       # deploy | merge
    service: str
    at: float
    role: str = "background"        # background | decoy | culprit | mitigation | attempt
    actor: Person | None = None
    duration: float = 240.0
    title: str = ""
    repo: str | None = None
    config_only: bool = False
    rollback_of: Change | None = None
    revert_of: Change | None = None
    size: tuple[int, int, int] = (40, 10, 3)
    labels: tuple[str, ...] = ()
    body: str = ""
    version: str = ""
    previous: str = ""
    event: Event | None = None
    pr: Change | None = None        # the merge a deploy ships

    @property
    def number(self) -> int:
        assert self.event is not None
        return int(self.event.attrs["number"])


@dataclass
class Plot:
    """The incident's times (epoch seconds), set by the family."""

    onset: float
    detected: float
    detection_method: str = "alert"
    mitigated: float | None = None
    mitigation_type: str | None = None
    recovery_start: float = 0.0
    recover: float = 120.0
    resolved: float = 0.0
    decision: float = 0.0
    declared: float = 0.0

    @property
    def recovered(self) -> float:
        return self.recovery_start + self.recover


@dataclass
class World:
    family: str
    seed: int
    rng: random.Random
    base_day: float
    onset: float
    start: float
    end: float = 0.0
    catalog: Catalog = field(default_factory=demo_catalog)
    events: list[Event] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    spikes: list[Spike] = field(default_factory=list)
    quiet: dict[str, tuple[float, float]] = field(default_factory=dict)
    decisions: list[tuple[float, str]] = field(default_factory=list)
    incident_key: str = ""

    @classmethod
    def new(cls, family: str, seed: int) -> World:
        """A weekday between May and September, onset in working hours (UTC), 15 s aligned."""
        rng = random.Random(f"{family}:{seed}")
        day = datetime(2026, 5, 4, tzinfo=UTC).timestamp() + rng.randint(0, 20) * 7 * 86400
        day += rng.randint(0, 4) * 86400
        onset = _grid(day + rng.randint(13 * 3600, 21 * 3600))
        start = _grid(onset - rng.randint(95, 150) * MIN)
        world = cls(family=family, seed=seed, rng=rng, base_day=day, onset=onset, start=start)
        world.incident_key = f"INC-{3000 + (seed * 7919 + len(family) * 131) % 6000}"
        return world

    @property
    def services(self) -> list[str]:
        return [p.name for p in SERVICE_PROFILES]

    def close(self, resolved: float) -> None:
        """The window's end: 4 to 6 hours after its start and well after the resolution."""
        wanted = self.start + self.rng.randint(240, 330) * MIN
        self.end = _grid(min(max(wanted, resolved + 20 * MIN), self.start + 6 * 3600))

    def callers(self, service: str) -> dict[str, int]:
        """Every transitive caller of ``service`` with its distance (1 = calls it directly)."""
        out: dict[str, int] = {}
        frontier, depth = [service], 0
        while frontier:
            depth += 1
            nxt = []
            for name in frontier:
                for caller in self.catalog.callers_of(name):
                    if caller not in out and caller != service:
                        out[caller] = depth
                        nxt.append(caller)
            frontier = nxt
        return out

    # ------------------------------------------------------------------ changes

    def change(self, kind: str, service: str, at: float, **fields: object) -> Change:
        plan = Change(kind=kind, service=service, at=float(int(at)), **fields)  # type: ignore[arg-type]
        if plan.actor is None:
            plan.actor = owner_of(service)
        self.changes.append(plan)
        return plan

    def ship(self, service: str, at: float, *, role: str = "background", merge: bool = True,
             title: str = "", size: tuple[int, int, int] | None = None, **fields: object
             ) -> Change:
        """A deploy, usually with the pull request it ships merged 10-50 minutes earlier."""
        rng = self.rng
        deploy = self.change("deploy", service, at, role=role,
                             duration=float(rng.randint(120, 330)), **fields)
        if merge:
            size = size or (rng.randint(4, 180), rng.randint(1, 90), rng.randint(1, 9))
            deploy.pr = self.change("merge", service, at - rng.uniform(10, 50) * MIN, role=role,
                                    title=title or f"{service}: {rng.choice(PR_TITLES)}",
                                    size=size, actor=deploy.actor)
        return deploy

    def rollback(self, of: Change, at: float, *, role: str = "mitigation") -> Change:
        return self.change("deploy", of.service, at, role=role, rollback_of=of, actor=of.actor,
                           duration=float(self.rng.randint(100, 200)))

    def revert(self, of: Change, at: float, *, role: str = "mitigation") -> Change:
        """A revert PR of ``of`` (a merge); for a service repo the revert is then deployed."""
        title = f'Revert "{of.title}"'
        return self.change("merge", of.service, at, role=role, revert_of=of, title=title,
                           repo=of.repo, config_only=of.config_only, actor=of.actor,
                           size=(of.size[1], of.size[0], of.size[2]))

    def flag(self, service: str, at: float, *, key: str | None = None, action: str = "on",
             rollout_from: int | None = None, rollout_to: int | None = None,
             actor: Person | None = None) -> Event:
        key = key or f"{service}.{self.rng.choice(FLAG_NAMES)}"
        if action == "rollout":
            text = f"Changed rollout of {key} from {rollout_from}% to {rollout_to}%"
        else:
            text = f"Turned {action} {key}"
        event = rec.flag(key, service, float(int(at)), actor=actor or owner_of(service),
                         action=action, text=text, rollout_from=rollout_from,
                         rollout_to=rollout_to)
        self.events.append(event)
        return event

    def protect(self, service: str, start: float, end: float) -> None:
        """No background change of ``service`` between ``start`` and ``end``."""
        low, high = self.quiet.get(service, (start, end))
        self.quiet[service] = (min(low, start), max(high, end))

    def background(self, plot: Plot) -> None:
        """Ordinary changes all day: deploys with their PRs, lone merges, config and flag changes.

        Nothing background lands between 35 minutes before onset and the resolution: that band
        belongs to the family's decoys and actions.
        """
        rng = self.rng
        low, high = self.start - 5 * 3600, self.end - 5 * MIN
        band = (self.onset - 35 * MIN, plot.resolved + 5 * MIN)

        def free(service: str, at: float) -> bool:
            if band[0] <= at <= band[1]:
                return False
            quiet = self.quiet.get(service)
            return not (quiet and quiet[0] - 10 * MIN <= at <= quiet[1])

        for service in self.services:
            for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
                at = rng.uniform(low, high)
                if free(service, at):
                    self.ship(service, at, merge=rng.random() < 0.85)
            for _ in range(rng.choice((0, 0, 1, 2))):
                at = rng.uniform(low, high)
                if free(service, at):
                    self.change("merge", service, at, title=f"{service}: {rng.choice(PR_TITLES)}",
                                size=(rng.randint(2, 60), rng.randint(0, 30), rng.randint(1, 4)))
        for _ in range(rng.randint(1, 3)):
            service, at = rng.choice(self.services), rng.uniform(low, high)
            if free(service, at):
                self.config_merge(service, at)
        for _ in range(rng.randint(1, 3)):
            service, at = rng.choice(self.services), rng.uniform(low, high)
            if free(service, at):
                if rng.random() < 0.5:
                    self.flag(service, at, action="on")
                else:
                    step = rng.choice(((0, 5), (5, 25), (10, 50), (50, 100)))
                    self.flag(service, at, action="rollout", rollout_from=step[0],
                              rollout_to=step[1])

    def config_merge(self, service: str, at: float, *, role: str = "background",
                     title: str = "") -> Change:
        rng = self.rng
        text = title or rng.choice(CONFIG_TITLES).format(n=rng.randint(2, 40))
        return self.change("merge", service, at, role=role, repo=CONFIG_REPO, config_only=True,
                           title=f"{service}: {text}", actor=person("kenji"),
                           size=(rng.randint(1, 8), rng.randint(1, 8), 1))

    def decoys(self, count: int, *, within: tuple[float, float] = (2, 30),
               exclude: tuple[str, ...] = ()) -> list[Change]:
        """Deploys of other services in the minutes before onset: the normal case, not a clue."""
        rng = self.rng
        pool = [s for s in self.services if s not in exclude]
        out = []
        for service in rng.sample(pool, min(count, len(pool))):
            minutes = rng.uniform(*within)
            out.append(self.ship(service, self.onset - minutes * MIN, role="decoy"))
        return out

    def materialize(self) -> None:
        """Plans to events in time order: versions, deployment ids and PR numbers grow with time."""
        rng = self.rng
        versions = {s: [rng.randint(1, 12), rng.randint(0, 40), rng.randint(0, 9)]
                    for s in self.services}
        highest = {s: list(v) for s, v in versions.items()}
        deployment_id = 400_000 + rng.randint(0, 500_000)
        numbers: dict[str, int] = {}
        for plan in sorted(self.changes, key=lambda c: (c.at, c.kind != "merge")):
            repo = plan.repo or f"{ORG}/{plan.service}"
            if plan.kind == "merge":
                numbers[repo] = numbers.get(repo, 200 + rng.randint(0, 3800)) + rng.randint(1, 6)
                revert = plan.revert_of.number if plan.revert_of else None
                body = plan.body or (f"Reverts {repo}#{revert}" if revert else "")
                plan.event = rec.merge(plan.service, plan.at, number=numbers[repo],
                                       title=plan.title, actor=plan.actor or owner_of(plan.service),
                                       additions=plan.size[0], deletions=plan.size[1],
                                       changed_files=plan.size[2], labels=plan.labels,
                                       revert_of=revert, repo=plan.repo,
                                       config_only=plan.config_only, body=body)
                continue
            deployment_id += rng.randint(1, 9)
            current = versions[plan.service]
            plan.previous = "v{}.{}.{}".format(*current)
            if plan.rollback_of is not None:
                plan.version = plan.rollback_of.previous
                major, minor, patch = (int(x) for x in plan.version[1:].split("."))
                versions[plan.service] = [major, minor, patch]
            else:
                top = highest[plan.service]
                if rng.random() < 0.7:
                    top[1], top[2] = top[1] + 1, 0
                else:
                    top[2] += 1
                versions[plan.service] = list(top)
                plan.version = "v{}.{}.{}".format(*top)
            sha = rec.fake_sha(plan.service, plan.version)
            rollback = plan.rollback_of is not None
            description = (f"Rollback {plan.service} to {plan.version} ({self.incident_key})"
                           if rollback else plan.title)
            plan.event = rec.deploy(plan.service, plan.at, deployment_id=deployment_id,
                                    version=plan.version, actor=plan.actor or owner_of(plan.service),
                                    sha=sha, duration=plan.duration, rollback=rollback,
                                    rollback_to=sha if rollback else None,
                                    config_only=plan.config_only, description=description)
        for plan in self.changes:
            assert plan.event is not None
            self.events.append(plan.event)
        for number, plan in enumerate(c for c in sorted(self.changes, key=lambda c: c.at)
                                      if c.kind == "deploy"):
            if self.start <= plan.at <= self.end:
                self.events.append(rec.annotation(
                    plan.service, plan.at, ident=9000 + number, tags=("deploy", plan.service),
                    text=f"deploy {plan.service} {plan.version}"))

    # ------------------------------------------------------------------ alerts and tickets

    def alert(self, name: str, service: str, firing: float, resolved: float | None, *,
              severity: str, summary: str, resolved_summary: str) -> None:
        uid = f"{service[:3]}-{name.lower()[-8:]}"
        self.events.append(rec.alert(name, service, firing, state="firing", severity=severity,
                                     rule_uid=uid, summary=summary))
        if resolved is not None:
            self.events.append(rec.alert(name, service, resolved, state="resolved",
                                         severity=severity, rule_uid=uid,
                                         summary=resolved_summary))

    def error_alert(self, service: str, at: float, plot: Plot, *, threshold: int = 5) -> str:
        name = "".join(part.title() for part in service.split("-")) + "HighErrorRate"
        resolved = plot.recovered + self.rng.randint(2, 5) * MIN
        self.alert(name, service, at, resolved, severity="critical",
                   summary=f"{service} 5xx ratio above {threshold}% for 3m",
                   resolved_summary=f"{service} 5xx ratio back below {threshold}%")
        return name

    def tickets(self, plot: Plot, *, title: str, service: str, culprit_service: str | None,
                ic: Person) -> None:
        """The incident ticket and its status changes; tech debt and a prior incident nearby."""
        rng = self.rng
        key = self.incident_key
        opened = plot.detected + rng.randint(2, 7) * MIN
        debt_key = f"OPS-{100 + rng.randint(0, 800)}"
        links = ({"type": "Relates", "direction": "outward", "key": debt_key},)
        self.events.append(rec.ticket(
            key, opened, summary=title, issue_type="Incident", status="Resolved",
            priority=rng.choice(("High", "Highest")), components=(service,),
            labels=("incident", rng.choice(("sev1", "sev2", "sev2", "sev3"))), actor=ic,
            resolved=plot.resolved, links=links, description=f"{title}. Impact under review."))
        mitigated_status = max(plot.recovered, plot.mitigated or 0) + rng.randint(3, 9) * MIN
        for at, old, new in ((opened + 60, "Open", "In Progress"),
                             (mitigated_status, "In Progress", "Mitigated"),
                             (plot.resolved, "Mitigated", "Resolved")):
            self.events.append(rec.status_change(key, at, old=old, new=new, actor=ic,
                                                 services=(service,)))
        debt_service = culprit_service or service
        self.events.append(rec.ticket(
            debt_key, self.onset - rng.randint(60, 400) * 86400,
            summary=f"{debt_service}: {rng.choice(_DEBT)}", issue_type="Task", status="To Do",
            priority=rng.choice(("Low", "Medium")), components=(debt_service,),
            labels=("tech-debt",), actor=owner_of(debt_service)))
        prior = f"INC-{2000 + rng.randint(0, 900)}"
        ago = rng.randint(30, 300) * 86400
        self.events.append(rec.ticket(
            prior, self.onset - ago, summary=f"{debt_service} degraded after a change",
            issue_type="Incident", status="Done", priority="High", components=(debt_service,),
            labels=("incident", "sev3"), actor=person("kenji"),
            resolved=self.onset - ago + rng.randint(1, 6) * 3600))

    # ------------------------------------------------------------------ finishing

    def series(self, *, missing_ratio: float = 0.004,
               post: Callable[[MetricSeries], MetricSeries] | None = None) -> list[MetricSeries]:
        grid = np.arange(self.start, self.end + 1, STEP, dtype=float)
        out: list[MetricSeries] = []
        for prof in SERVICE_PROFILES:
            out.extend(series_for_service(prof, grid, self.seed, self.effects, self.spikes,
                                          missing_ratio=missing_ratio))
        return [post(s) for s in out] if post else out

    def grid(self) -> np.ndarray:
        return np.arange(self.start, self.end + 1, STEP, dtype=float)

    def finish(self, plot: Plot, *, culprit: ChangeRef | None, affected: list[str], title: str,
               services: tuple[str, ...], series: list[MetricSeries], notes: str,
               channel: str) -> Scenario:
        truth = GroundTruth(
            family=self.family, culprit=culprit, affected_services=tuple(affected),
            impact_start=utc_from_epoch(plot.onset), detected_at=utc_from_epoch(plot.detected),
            detection_method=plot.detection_method,
            mitigated_at=utc_from_epoch(plot.mitigated) if plot.mitigated is not None else None,
            mitigation_type=plot.mitigation_type, recovered_at=utc_from_epoch(plot.recovered),
            resolved_at=utc_from_epoch(plot.resolved),
            decisions=tuple((utc_from_epoch(at), who) for at, who in sorted(self.decisions)),
            notes=notes)
        incident = Incident(id=self.incident_key, title=title,
                            severity=self.rng.choice(("SEV1", "SEV2", "SEV2", "SEV3")),
                            ticket=self.incident_key, channel=channel, services=services)
        return Scenario(seed=self.seed, incident=incident,
                        window=Window(start=utc_from_epoch(self.start),
                                      end=utc_from_epoch(self.end)),
                        catalog=self.catalog,
                        captured_at=utc_from_epoch(self.base_day + 86400 + 9 * 3600),
                        events=sorted(self.events, key=lambda e: (e.at, e.id)), series=series,
                        truth=truth)


def culprit_ref(change: Change) -> ChangeRef:
    """The truth's reference to a planned change, by the attribute that names it uniquely."""
    assert change.event is not None
    key = "deployment_id" if change.kind == "deploy" else "number"
    match = {key: change.event.attrs[key]}
    if change.kind == "merge":
        match["repo"] = change.event.attrs["repo"]
    return ChangeRef(change.kind, change.service, change.event.at, match)


def flag_ref(event: Event) -> ChangeRef:
    attrs = event.attrs
    match = {"flag_key": attrs["flag_key"], "action": attrs["action"]}
    if "rollout_to" in attrs:
        match["rollout_to"] = attrs["rollout_to"]
    return ChangeRef("flag", event.services[0], event.at, match)


_DEBT = ("no circuit breaker on upstream calls", "connection pool exhaustion risk under load",
         "missing canary stage in the deploy pipeline", "alert thresholds too loose",
         "retry storm on upstream timeouts", "memory limit set below steady-state usage")
