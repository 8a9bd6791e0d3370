"""Changes that are not code: ``config_rollout`` and ``flag``.

- config_rollout: a merged change to ``acme/platform-config`` for the target service (reverted to
  mitigate), or a config-only deployment of the service (rolled back);
- flag: a LaunchDarkly flag turned on, or its rollout percentage raised (turned off to mitigate),
  with decoy flag changes and deploys around it.
"""

from __future__ import annotations

from afteraction.generate.families.common import (
    MIN,
    Change,
    World,
    culprit_ref,
    flag_ref,
    hh,
    person,
)
from afteraction.generate.families.standard import (
    assemble,
    deploy_lines,
    mitigate,
    story_lines,
    symptoms,
    timeline,
)
from afteraction.generate.org import owner_of
from afteraction.generate.scenario import Scenario

__all__ = ["build_config", "build_flag"]

_BAD_CONFIG = ("lower connection pool max to {n}", "set upstream timeout to {n}0ms",
               "drop replicas to {n}", "enable strict TLS verification for upstreams",
               "tighten rate limit to {n}0 rps", "switch DNS resolver to the new cluster")


_CULPRIT_FLAGS = ("new-checkout-flow", "async-ledger-writes", "v3-client", "edge-cache-v2",
                  "batched-lookups", "adaptive-retries", "grpc-transport-v2")
"""Names no background flag uses, so the culprit's key is unambiguous."""


def _alerts(world: World, loud: str, plot) -> list[tuple[float, str]]:
    name = world.error_alert(loud, plot.detected, plot)
    return [(plot.detected, f"[FIRING:1] {name} {loud} (critical): {loud} 5xx ratio above 5% "
                            "for 3m")]


def _ic():
    return person("priya")


def build_config(seed: int) -> Scenario:
    w = World.new("config_rollout", seed)
    rng = w.rng
    via_repo = rng.random() < 0.6
    target = rng.choice(w.services)
    plot = timeline(w, action="revert" if via_repo else "rollback")
    w.close(plot.resolved)
    style = "cascade" if w.catalog.callers_of(target) and rng.random() < 0.3 else "errors"
    affected, loud = symptoms(w, plot, target, style=style)
    lag = rng.randint(45, 300)
    text = rng.choice(_BAD_CONFIG).format(n=rng.randint(2, 9))
    w.protect(target, plot.onset - lag - 3 * 3600, w.end)
    culprit: Change
    if via_repo:
        culprit = w.config_merge(target, plot.onset - lag, role="culprit", title=text)
    else:
        culprit = w.ship(target, plot.onset - lag, role="culprit", merge=False,
                         config_only=True, title=f"Config: {target} {text}")
    decoys = w.decoys(rng.randint(2, 4), exclude=(target, loud))
    for _ in range(rng.randint(1, 2)):  # other config PRs land around the same time
        other = rng.choice([s for s in w.services if s != target])
        w.config_merge(other, plot.onset - rng.uniform(3, 30) * MIN, role="decoy")
    action = mitigate(w, plot, culprit)
    w.background(plot)
    w.materialize()
    ic = _ic()
    hint = f"{target} started failing right when the config synced"
    lines = deploy_lines(w, plot, ic, culprit, action, decoys, loud, hint=hint)
    spoken = [(plot.declared + 300, person("kenji"), f"There was a config change for {target} "
               f"at {hh(culprit.at)}."),
              (plot.decision - 15, ic, "Let's undo that config change. Go ahead.")]
    how = "platform-config PR" if via_repo else "config-only deployment"
    return assemble(w, plot, ic=ic, lines=lines, summary=f"{loud} failing with elevated 5xx "
                    "errors", loud=loud, culprit=culprit_ref(culprit), affected=affected,
                    notes=f"{how} for {target} ({text}), {lag} s before onset; style {style}",
                    alerts=_alerts(w, loud, plot), bridge_lines=spoken, culprit_service=target)


def build_flag(seed: int) -> Scenario:
    w = World.new("flag", seed)
    rng = w.rng
    service = rng.choice(["web", "api-gateway", "checkout", "cart", "payments", "search",
                          "accounts", "pricing", "inventory", "catalog"])
    plot = timeline(w, action="flag off")
    w.close(plot.resolved)
    turn_on = rng.random() < 0.5
    step = (0, 100) if turn_on else rng.choice(((5, 25), (10, 50), (25, 100), (20, 60)))
    style = "cascade" if w.catalog.callers_of(service) and rng.random() < 0.25 else "errors"
    affected, loud = symptoms(w, plot, service, style=style)
    key = f"{service}.{rng.choice(_CULPRIT_FLAGS)}"
    flag_at = plot.onset - rng.randint(15, 180)
    owner = owner_of(service)
    if not turn_on and step[0] > 0:  # the earlier, smaller step of the same rollout
        w.flag(service, plot.onset - rng.randint(70, 160) * MIN, key=key, action="rollout",
               rollout_from=0, rollout_to=step[0], actor=owner)
    if turn_on:
        culprit = w.flag(service, flag_at, key=key, action="on", actor=owner)
        said = f"I turned on {key} at {hh(flag_at)} UTC"
    else:
        culprit = w.flag(service, flag_at, key=key, action="rollout", rollout_from=step[0],
                         rollout_to=step[1], actor=owner)
        said = f"I raised {key} from {step[0]}% to {step[1]}% at {hh(flag_at)} UTC"
    assert plot.mitigated is not None
    if rng.random() < 0.7:
        w.flag(service, plot.mitigated, key=key, action="off", actor=owner)
    else:
        w.flag(service, plot.mitigated, key=key, action="rollout", rollout_from=step[1],
               rollout_to=0, actor=owner)
    decoys = w.decoys(rng.randint(2, 4), exclude=(service,))
    if rng.random() < 0.5:  # the flag's own service deployed shortly before: tempting
        decoys.append(w.ship(service, plot.onset - rng.uniform(6, 28) * MIN, role="decoy"))
    for other in rng.sample([s for s in w.services if s != service], rng.randint(1, 2)):
        w.flag(other, plot.onset - rng.uniform(2, 30) * MIN, action="on")
    w.protect(service, plot.onset - 3 * 3600, w.end)
    w.background(plot)
    w.materialize()
    ic = _ic()
    lines = story_lines(w, plot, ic, owner=owner, culprit_text=said, service=service,
                        verb=f"we turn off {key}", done=f"{key} is off", acted=plot.mitigated,
                        decoys=decoys, loud=loud,
                        hint=f"the failing requests all have {key} enabled in their context")
    spoken = [(plot.declared + 350, owner, f"I changed the {key} flag a few minutes before."),
              (plot.decision - 15, ic, "Turn the flag off. Go ahead.")]
    what = "turned on" if turn_on else f"raised {step[0]}%->{step[1]}%"
    return assemble(w, plot, ic=ic, lines=lines, summary=f"{loud} failing with elevated 5xx "
                    "errors", loud=loud, culprit=flag_ref(culprit), affected=affected,
                    notes=f"flag {key} {what} {int(plot.onset - flag_at)} s before onset; "
                          f"style {style}", alerts=_alerts(w, loud, plot), bridge_lines=spoken,
                    culprit_service=service)
