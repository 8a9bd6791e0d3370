"""No change to blame, and noisy baselines: ``no_culprit`` and ``noisy``.

- no_culprit: an upstream provider degrades (mitigated by failing over, or it recovers by
  itself) or a traffic surge saturates a service (mitigated by scaling up); deploys still happen
  around it, some of them tempting;
- noisy: a real incident (a bad deploy, or a provider outage: the truth says which) under a
  stronger daily swing, blips that are not incidents, runs of missing scrapes, a warning alert on
  a blip long before onset, and raw request/error counters that reset when a pod restarts.
"""

from __future__ import annotations

import random
from dataclasses import replace

from afteraction.generate import records as rec
from afteraction.generate.families.common import MIN, World, person
from afteraction.generate.families.standard import assemble, story_lines, symptoms, timeline
from afteraction.generate.metrics import Effect, counter_series, with_blips, with_gaps, with_swing
from afteraction.generate.org import owner_of
from afteraction.generate.scenario import Scenario

__all__ = ["build_no_culprit", "build_noisy"]

_PROVIDERS = {"payments": "the card processor", "notifications": "the SMS provider",
              "accounts": "the identity provider", "search": "the managed search cluster",
              "fraud": "the risk-scoring vendor", "catalog": "the object store"}


def build_no_culprit(seed: int, *, family: str = "no_culprit") -> Scenario:
    w = World.new(family, seed)
    rng = w.rng
    roll = rng.random()
    kind = "failover" if roll < 0.45 else ("self" if roll < 0.7 else "capacity")
    service = rng.choice(list(_PROVIDERS) if kind != "capacity"
                         else ["search", "catalog", "api-gateway", "pricing", "inventory"])
    action = {"failover": "failover", "self": None, "capacity": "scale-up"}[kind]
    plot = timeline(w, action=action)
    if kind == "self":
        plot.mitigated, plot.mitigation_type = None, None
    w.close(plot.resolved)
    affected, loud = symptoms(w, plot, service, style="errors")
    if kind == "capacity":
        for signal, level in (("throughput", rng.uniform(1.8, 3.0)),
                              ("saturation", rng.uniform(0.92, 0.98))):
            w.effects.append(Effect(service, signal, plot.onset, level, ramp=240,
                                    end=plot.recovery_start, recover=plot.recover))
    decoys = w.decoys(rng.randint(2, 5), exclude=(service,))
    if rng.random() < 0.5:  # the affected service itself deployed before onset, innocently
        decoys.append(w.ship(service, plot.onset - rng.uniform(8, 30) * MIN, role="decoy"))
    w.protect(service, plot.onset - 40 * MIN, w.end)
    owner = owner_of(service)
    if kind == "failover":
        assert plot.mitigated is not None
        key = f"{service}.provider-failover"
        w.flag(service, plot.mitigated, key=key, action="on", actor=owner)
        verb, done = f"we fail {service} over to the secondary provider", "failover flag is on"
    elif kind == "capacity":
        assert plot.mitigated is not None
        w.config_merge(service, plot.mitigated, role="mitigation",
                       title=f"raise replicas to {rng.randint(24, 60)} (incident)")
        verb, done = f"we scale {service} out", "replica bump merged, pods coming up"
    else:
        verb, done = "we wait for the provider and keep the status page updated", "ok"
    w.background(plot)
    w.materialize()
    ic = person("priya")
    cause = (f"{_PROVIDERS.get(service, 'the provider')} status page shows a degraded API"
             if kind != "capacity" else f"{service} traffic is {rng.randint(2, 3)}x normal, "
             "looks like a crawler or a campaign")
    lines = story_lines(w, plot, ic, owner=owner, culprit_text=cause, service=service, verb=verb,
                        done=done, acted=plot.mitigated or plot.decision + 60, decoys=decoys,
                        loud=loud, hint="none of our deploys line up with this",
                        decide=True)
    if kind == "self":
        lines = [line for line in lines if line.text != "ok"]
    name = w.error_alert(loud, plot.detected, plot)
    alerts = [(plot.detected, f"[FIRING:1] {name} {loud} (critical): {loud} 5xx ratio above 5% "
                              "for 3m")]
    spoken = [(plot.declared + 300, owner, "I don't think this is us, nothing we shipped lines "
               "up."), (plot.decision - 15, ic, "Okay. " + verb[3:].capitalize() + ".")]
    notes = {"failover": f"{service}'s upstream provider degraded; failover flag mitigates",
             "self": f"{service}'s upstream provider degraded and recovered by itself",
             "capacity": f"traffic surge saturated {service}; scaled out via platform-config"
             }[kind]
    return assemble(w, plot, ic=ic, lines=lines, summary=f"{loud} failing with elevated 5xx "
                    "errors", loud=loud, culprit=None, affected=affected, notes=notes,
                    alerts=alerts, bridge_lines=spoken)


def build_noisy(seed: int) -> Scenario:
    """A real incident re-dressed with noisy baselines; the truth keeps its culprit (or none)."""
    from afteraction.generate.families.deploys import build_deploy

    underneath = "no_culprit" if seed % 3 == 0 else "bad_deploy"
    scenario = (build_no_culprit(seed, family="noisy") if underneath == "no_culprit"
                else build_deploy("noisy", seed))
    rng = random.Random(f"noisy-dress:{seed}")
    truth = scenario.truth
    onset = truth.impact_start.timestamp()
    affected = set(truth.affected_services)
    start, end = scenario.window.start.timestamp(), scenario.window.end.timestamp()

    def away(at: float, seconds: float) -> bool:  # keeps clear of onset and recovery
        marks = [onset] + ([truth.recovered_at.timestamp()] if truth.recovered_at else [])
        return all(at + seconds < m - 4 * MIN or at > m + 4 * MIN for m in marks)

    series = []
    amplitude, noise = rng.uniform(0.25, 0.45), rng.uniform(0.04, 0.1)
    blip_services = rng.sample([p.name for p in scenario.catalog.services], 4)
    blips_at = [t for t in (rng.uniform(start + 10 * MIN, end - 10 * MIN) for _ in range(12))
                if away(t, 120)][:6]
    for position, s in enumerate(scenario.series):
        s = with_swing(s, seed, amplitude, noise)
        if s.service in blip_services and s.signal in ("error_ratio", "latency"):
            mine = [(t, rng.choice((30, 45, 60, 90)), rng.uniform(0.03, 0.08)
                     if s.signal == "error_ratio" else rng.uniform(2.0, 4.0))
                    for i, t in enumerate(blips_at) if i % 4 == blip_services.index(s.service)]
            s = with_blips(s, mine)
        if rng.random() < 0.15:
            runs = []
            for _ in range(rng.randint(1, 2)):
                at, seconds = rng.uniform(start, end - 10 * MIN), rng.randint(2, 8) * MIN
                if away(at, seconds):
                    runs.append((at, seconds))
            s = with_gaps(s, runs)
        series.append(s)
    by_key = {(s.service, s.signal): s for s in series}
    names = sorted({service for service, _ in by_key if service})
    counted = list(dict.fromkeys([*truth.affected_services[:3], *rng.sample(names, 3)]))
    first_reset = rng.choice(counted[:2] if len(counted) > 1 else counted)
    for service in counted:
        resets = [rng.uniform(start + 5 * MIN, end - 5 * MIN)
                  for _ in range(rng.randint(0, 2))]
        if service == first_reset:
            resets.append(onset + rng.uniform(3, 20) * MIN if service in affected
                          else rng.uniform(start + 5 * MIN, end - 5 * MIN))
        series.extend(counter_series(by_key[(service, "throughput")],
                                     by_key[(service, "error_ratio")], seed, resets))
    events = list(scenario.events)
    if blips_at and blips_at[0] < onset - 60 * MIN:
        who = blip_services[0]
        uid = f"{who[:3]}-blip"
        events.append(rec.alert(f"{who.title()}ErrorBudgetBurn", who, blips_at[0] + 45,
                                state="firing", severity="warning", rule_uid=uid,
                                summary=f"{who} fast error-budget burn"))
        events.append(rec.alert(f"{who.title()}ErrorBudgetBurn", who, blips_at[0] + 300,
                                state="resolved", severity="warning", rule_uid=uid,
                                summary=f"{who} error-budget burn back to normal"))
    scenario.series = series
    scenario.events = sorted(events, key=lambda e: (e.at, e.id))
    scenario.truth = replace(truth, family="noisy", notes=f"{underneath} underneath: {truth.notes}"
                             f"; counters on {', '.join(counted)}, reset on {first_reset}")
    return scenario

