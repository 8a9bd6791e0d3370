"""The usual shape of an incident, shared by the families: times, symptoms, action, story.

``timeline`` draws the plot's times, ``symptoms`` spreads the impact from where it starts to the
services that call it, ``mitigate`` plans the action that is followed by recovery, and
``assemble`` writes the channel, maybe a bridge transcript, the ticket and the series.
"""

from __future__ import annotations

from collections.abc import Sequence

from afteraction.generate.families.common import MIN, STEP, Change, Plot, World, hh, person
from afteraction.generate.families.story import Line, bridge, channel
from afteraction.generate.metrics import Effect
from afteraction.generate.org import PEOPLE, Person, owner_of
from afteraction.generate.scenario import ChangeRef, Scenario
from afteraction.model.events import MetricSeries

__all__ = ["action_words", "assemble", "change_text", "deploy_lines", "mitigate", "story_lines",
           "symptoms", "timeline"]

RECOVERY_DELAY: dict[str | None, tuple[int, int]] = {
    "rollback": (90, 200), "revert": (60, 150), "flag off": (10, 40), "failover": (20, 90),
    "scale-up": (120, 300), None: (0, 0)}
"""Seconds from the mitigating action to the first sign of recovery, per action."""


def timeline(world: World, *, detect: tuple[int, int] = (60, 480),
             decide: tuple[int, int] = (8, 40), action: str | None = "rollback") -> Plot:
    """Detection, decision, action, recovery and resolution times after the world's onset."""
    rng = world.rng
    onset = world.onset
    detected = onset + rng.randint(*detect)
    decision = detected + rng.randint(decide[0] * 60, decide[1] * 60)
    acted = decision + rng.randint(40, 240)
    recovery_start = acted + rng.randint(*RECOVERY_DELAY[action])
    if action == "revert":  # the revert PR merges, then ships
        recovery_start += rng.randint(120, 300)
    recover = float(rng.randint(5, 12) * STEP)
    plot = Plot(onset=onset, detected=float(detected), mitigated=float(acted),
                mitigation_type=action, recovery_start=float(recovery_start), recover=recover,
                decision=float(decision), declared=float(detected + rng.randint(40, 150)))
    plot.resolved = float(int(plot.recovered + rng.randint(20, 95) * MIN))
    return plot


def symptoms(world: World, plot: Plot, origin: str, *, style: str = "errors",
             start: float | None = None, slow: float = 0.0, errors_after: float = 0.0
             ) -> tuple[list[str], str]:
    """Effects from ``origin`` outwards; returns the affected services (loudest first) and the
    loudest one. Styles: ``errors`` (the origin fails), ``cascade`` (the origin slows down and its
    callers fail loudest), ``saturation`` (a slow ramp, errors follow)."""
    rng = world.rng
    t0 = plot.onset if start is None else start
    end, back = plot.recovery_start, plot.recover
    levels: dict[str, float] = {}

    def add(service: str, signal: str, level: float, at: float, ramp: float) -> None:
        world.effects.append(Effect(service, signal, at, level, ramp=ramp, end=end,
                                    recover=back))
        if signal == "error_ratio":
            levels[service] = max(levels.get(service, 0.0), level)

    callers = world.callers(origin)
    if style == "cascade":
        add(origin, "latency", rng.uniform(4.0, 10.0), t0, rng.uniform(60, 150))
        add(origin, "saturation", rng.uniform(0.78, 0.93), t0, rng.uniform(90, 180))
        add(origin, "error_ratio", rng.uniform(0.012, 0.03), t0 + 30, 120)
        direct = [c for c, d in callers.items() if d == 1]
        loud = rng.choice(direct)
        loud_level = rng.uniform(0.07, 0.2)
        add(loud, "error_ratio", loud_level, t0 + rng.uniform(15, 60), rng.uniform(60, 120))
        add(loud, "latency", rng.uniform(2.0, 4.5), t0 + 30, 90)
        add(loud, "throughput", rng.uniform(0.78, 0.9), t0 + 60, 120)
        for caller in direct:
            if caller != loud:
                add(caller, "error_ratio", rng.uniform(0.015, 0.05), t0 + rng.uniform(30, 90),
                    120)
        for caller, depth in world.callers(loud).items():
            if depth <= 2 and caller not in levels:
                add(caller, "error_ratio", loud_level * rng.uniform(0.15, 0.4) / depth,
                    t0 + 60 + 15 * depth, 120)
    else:
        level = rng.uniform(0.04, 0.22)
        ramp = rng.uniform(45, 120)
        if style == "saturation":  # ``slow`` seconds of ramp; errors ``errors_after`` in
            add(origin, "saturation", rng.uniform(0.9, 0.97), t0, slow)
            t0 = t0 + errors_after
            add(origin, "latency", rng.uniform(2.0, 5.0), t0, ramp)
        else:
            add(origin, "latency", rng.uniform(1.3, 2.5), t0, ramp)
        add(origin, "error_ratio", level, t0, ramp)
        for caller, depth in callers.items():
            share = rng.uniform(0.25, 0.5) if depth == 1 else rng.uniform(0.06, 0.18) / depth
            if level * share >= 0.012:
                add(caller, "error_ratio", level * share, t0 + 15 * depth + rng.uniform(0, 30),
                    ramp)
        loud = origin
    affected = sorted(levels, key=lambda s: -levels[s])
    if origin not in affected:
        affected.append(origin)
    return affected, loud


def mitigate(world: World, plot: Plot, culprit: Change) -> Change:
    """The action followed by recovery: roll the culprit back, or revert its PR and ship that."""
    assert plot.mitigated is not None
    if plot.mitigation_type == "revert":
        merge = culprit if culprit.kind == "merge" else culprit.pr
        assert merge is not None
        revert = world.revert(merge, plot.mitigated)
        if merge.repo is None:  # a service repo: the revert ships through the pipeline
            world.ship(culprit.service, plot.mitigated + world.rng.randint(60, 150),
                       role="mitigation", merge=False, title=f"Deploy {culprit.service} with "
                       "the revert")
        return revert
    return world.rollback(culprit, plot.mitigated)


def change_text(culprit: Change) -> str:
    """How the owner names a change in chat: 'inventory v2.14.0' or 'PR #812'."""
    if culprit.kind == "merge":
        return f"{culprit.repo or culprit.service} PR #{culprit.number}"
    return f"{culprit.service} {culprit.version}"


def action_words(culprit: Change, action: Change) -> tuple[str, str]:
    """(the decision's verb phrase, what the owner says when the action starts)."""
    if action.kind == "merge":
        merge = culprit if culprit.kind == "merge" else culprit.pr
        assert merge is not None
        return f"we revert PR #{merge.number}", "revert merged"
    return (f"we roll back {culprit.service} to {action.version}",
            "rollback deployment started")


def deploy_lines(world: World, plot: Plot, ic: Person, culprit: Change, action: Change,
                 decoys: list[Change], loud: str, *, hint: str) -> list[Line]:
    """The channel lines of a change-caused incident: decoys dismissed, culprit found, action."""
    title = culprit.title or (culprit.pr.title if culprit.pr else "a release")
    verb, done = action_words(culprit, action)
    return story_lines(world, plot, ic, owner=culprit.actor or owner_of(culprit.service),
                       culprit_text=f"{change_text(culprit)} went out at {hh(culprit.at)} UTC: "
                       f"{title}", service=culprit.service, verb=verb, done=done,
                       acted=action.at, decoys=decoys, loud=loud, hint=hint)


def story_lines(world: World, plot: Plot, ic: Person, *, owner: Person, culprit_text: str,
                service: str, verb: str, done: str, acted: float, decoys: list[Change],
                loud: str, hint: str, decide: bool = True) -> list[Line]:
    """Decoys raised and dismissed, the culprit named with a hint, the decision and the action."""
    rng = world.rng
    d = plot.declared
    lines: list[Line] = [Line(d + rng.uniform(60, 140), owner_of(loud) if loud != service
                              else person("priya"), f"{loud} 5xx started around "
                              f"{hh(plot.onset)} UTC, looking at what changed", tag="loud")]
    for position, decoy in enumerate(decoys[:3]):
        who = decoy.actor or owner_of(decoy.service)
        tag = f"decoy{position}"
        lines.append(Line(d + rng.uniform(100, 400), who, f"we deployed {decoy.service} "
                          f"{decoy.version} at {hh(decoy.at)} UTC, could it be us?", tag=tag))
        lines.append(Line(d + rng.uniform(200, 500), rng.choice(PEOPLE),
                          f"{decoy.service} error rate looks flat to me", reply_to=tag))
    if culprit_text:
        lines.append(Line(d + rng.uniform(240, 700), owner, culprit_text, tag="culprit"))
        lines.append(Line(d + rng.uniform(500, 800), rng.choice(PEOPLE), hint,
                          reply_to="culprit"))
    lines.append(Line(plot.decision - rng.uniform(120, 300), rng.choice(PEOPLE),
                      f"could we scale {service} up instead?"))
    lines.append(Line(plot.decision - rng.uniform(30, 100), person("kenji"),
                      "scaling won't help if the change is the problem"))
    if decide:
        lines += [
            Line(plot.decision, ic, f"Decision: {verb}. @{owner.handle} please go ahead now.",
                 decision=True),
            Line(plot.decision + rng.uniform(20, 45), owner, "ack, on it"),
            Line(acted + rng.uniform(10, 30), owner, done),
        ]
    lines += [
        Line(plot.recovery_start + rng.uniform(30, 90), rng.choice(PEOPLE),
             f"{loud} error rate dropping"),
        Line(plot.recovered + rng.uniform(10, 50), rng.choice(PEOPLE),
             f"{loud} 5xx back to baseline"),
    ]
    return lines


def assemble(world: World, plot: Plot, *, ic: Person, lines: list[Line], summary: str,
             loud: str, culprit: ChangeRef | None, affected: list[str], notes: str,
             alerts: list[tuple[float, str]],
             bridge_lines: Sequence[tuple[float, Person | None, str]] = (),
             series: list[MetricSeries] | None = None, extra_filler: tuple[str, ...] = (),
             culprit_service: str | None = None) -> Scenario:
    """Channel, maybe a bridge, the tickets, the series, and the scenario with its truth."""
    rng = world.rng
    name = f"{world.incident_key.lower()}-{loud}-{rng.choice(('errors', 'outage', 'degraded'))}"
    events, _ = channel(world, plot, lines, name=name, ic=ic, declared=plot.declared,
                        summary=summary, alert_lines=alerts, extra_filler=extra_filler)
    world.events.extend(events)
    if rng.random() < 0.55:
        start = plot.declared + rng.randint(3, 10) * MIN
        end = max(plot.recovered, start + 10 * MIN) + rng.randint(60, 240)
        spoken: list[tuple[float, Person | None, str]] = [(start + 4, ic, f"Okay, this is {ic.name.split()[0]}, I'm incident "
                   "commander. What are we seeing?")]
        spoken += [(max(at, start + 5), who, text) for at, who, text in bridge_lines
                   if at < end]
        world.events.extend(bridge(world, start, spoken, end,
                                   rng.sample(list(PEOPLE), rng.randint(3, 6))))
    title = summary[0].upper() + summary[1:]
    world.tickets(plot, title=title, service=loud, culprit_service=culprit_service, ic=ic)
    return world.finish(plot, culprit=culprit, affected=affected, title=title,
                        services=(loud,), series=series if series is not None else
                        world.series(), notes=notes, channel=name)
