"""Code deploys gone wrong: ``bad_deploy``, ``cascade`` and ``delayed``.

- bad_deploy: symptoms 1-6 minutes after the deploy, in the same service (and mildly its callers);
- cascade: the culprit is upstream; it slows down and its callers fail loudest;
- delayed: a leak that saturates the service 30-120 minutes after the deploy (saturation ramps
  slowly, errors follow), with decoy deploys much closer to the onset.
"""

from __future__ import annotations

from afteraction.generate.families.common import MIN, World, culprit_ref, hh, person
from afteraction.generate.families.standard import (
    assemble,
    deploy_lines,
    mitigate,
    symptoms,
    timeline,
)
from afteraction.generate.org import PEOPLE, Person, owner_of
from afteraction.generate.scenario import Scenario

__all__ = ["build_deploy"]

_TITLES = {
    "bad_deploy": ("Switch serializer to the new schema registry client",
                   "Rewrite request validation middleware", "Move session lookups to async driver",
                   "Batch writes in the order handler", "Upgrade ORM to 3.x"),
    "cascade": ("Batch lookups with SELECT ... FOR UPDATE", "Drop the response cache for list calls",
                "Fan out price lookups per item", "Synchronous audit logging on reads",
                "New query planner hints for the hot path"),
    "delayed": ("Keep per-tenant clients in a process-wide map", "Buffer events in memory before "
                "flush", "Cache compiled templates per request", "Retain request contexts for "
                "tracing", "Pool workers per customer"),
}
_HINTS = {
    "bad_deploy": "{o} pods are logging exceptions from the new code path since the deploy",
    "cascade": "{l} errors are timeouts calling {o}; {o} p99 is way up since the deploy",
    "delayed": "{o} memory has been climbing since that deploy, looks like a leak",
}


def build_deploy(family: str, seed: int) -> Scenario:
    w = World.new(family, seed)
    family = "bad_deploy" if family == "noisy" else family  # noisy dresses a bad deploy
    rng = w.rng
    action = "revert" if rng.random() < 0.3 else "rollback"
    slow = errors_after = 0.0
    if family == "cascade":
        origin = rng.choice([s for s in w.services if w.catalog.callers_of(s)])
        lag, style, detect = rng.randint(90, 480), "cascade", (60, 480)
    elif family == "delayed":
        origin = rng.choice(w.services)
        lag, style = rng.randint(30, 120) * 60, "saturation"
        slow = rng.uniform(12, 25) * MIN
        errors_after = slow * rng.uniform(0.55, 0.85)
        detect = (int(errors_after) + 60, int(errors_after) + 480)
    else:
        origin = rng.choice(w.services)
        lag, style, detect = rng.randint(60, 360), "errors", (60, 480)
    plot = timeline(w, action=action, detect=detect)
    w.close(plot.resolved)
    affected, loud = symptoms(w, plot, origin, style=style, slow=slow, errors_after=errors_after)
    culprit_at = plot.onset - lag
    w.protect(origin, culprit_at - 4 * 3600, w.end)
    culprit = w.ship(origin, culprit_at, role="culprit", title=rng.choice(_TITLES[family]),
                     size=(rng.randint(120, 900), rng.randint(20, 300), rng.randint(5, 30)))
    within = (2.0, 20.0) if family == "delayed" else (2.0, 30.0)
    decoys = w.decoys(rng.randint(2, 5), within=within, exclude=(origin, loud))
    if family == "cascade" and rng.random() < 0.5:  # the loud caller deployed too: tempting
        decoys.append(w.ship(loud, plot.onset - rng.uniform(3, 25) * MIN, role="decoy"))
    for decoy in decoys:
        w.protect(decoy.service, decoy.at, decoy.at)
    action_change = mitigate(w, plot, culprit)
    w.background(plot)
    w.materialize()

    ic = rng.choice([p for p in PEOPLE if p.team in ("sre", "platform")])
    name = w.error_alert(loud, plot.detected, plot)
    alerts = [(plot.detected, f"[FIRING:1] {name} {loud} (critical): {loud} 5xx ratio above 5% "
                              "for 3m")]
    if family in ("cascade", "delayed"):
        kind = "Latency" if family == "cascade" else "Saturation"
        warn = plot.detected + rng.randint(60, 300)
        alert_name = "".join(x.title() for x in origin.split("-")) + f"{kind}High"
        w.alert(alert_name, origin, warn, plot.recovered + rng.randint(3, 6) * MIN,
                severity="warning", summary=f"{origin} {kind.lower()} above threshold for 5m",
                resolved_summary=f"{origin} {kind.lower()} back to normal")
        alerts.append((warn, f"[FIRING:1] {alert_name} {origin} (warning): {origin} "
                             f"{kind.lower()} above threshold for 5m"))
    lines = deploy_lines(w, plot, ic, culprit, action_change, decoys, loud,
                         hint=_HINTS[family].format(o=origin, l=loud))
    owner = culprit.actor or owner_of(origin)
    verb = (f"revert {origin}'s change" if action == "revert"
            else f"roll back {origin} to {action_change.version}")
    spoken: list[tuple[float, Person | None, str]] = [
        (plot.declared + 400, owner_of(loud), f"{loud} is throwing errors, started around "
         f"{hh(plot.onset)}."),
        (plot.declared + 520, owner, f"We shipped {origin} {culprit.version} at {hh(culprit.at)}."),
        (plot.decision - 15, ic, f"Okay. Let's {verb}. Go ahead."),
        (plot.recovery_start + 60, person("marcus"), "Errors are coming down."),
        (plot.recovered, ic, "We're back to baseline. Thanks everyone."),
    ]
    if decoys:
        spoken.append((plot.declared + 460, decoys[0].actor, f"{decoys[0].service} deployed too, "
                       "but our graphs are flat."))
    notes = {"bad_deploy": f"bad {origin} deploy, symptoms {lag // 60} min later in {origin}",
             "cascade": f"bad {origin} deploy, loudest in its caller {loud}",
             "delayed": f"{origin} leak: deploy {lag // 60} min before the saturation ramp "
                        f"(onset); errors from {hh(plot.onset + errors_after)} UTC; decoys closer"
             }[family]
    return assemble(w, plot, ic=ic, lines=lines, summary=f"{loud} failing with elevated 5xx "
                    "errors", loud=loud, culprit=culprit_ref(culprit), affected=affected,
                    notes=f"{notes}; mitigation: {action}", alerts=alerts, bridge_lines=spoken,
                    culprit_service=origin)
