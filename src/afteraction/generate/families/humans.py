"""Humans being humans: customers notice first, the first rollback is the wrong one.

A bad deploy of a customer-facing service. Support posts a customer report in the channel minutes
before the alert fires (detection is the human report); the team first rolls back a decoy that
deployed just before onset (no recovery follows), then the culprit (recovery follows). People
write times in their own zone ("we deployed at 9:50 PT").
"""

from __future__ import annotations

from afteraction.generate.chatter import HUMAN_FILLER, SUPPORT_REPORTS, local_clock
from afteraction.generate.families.common import MIN, STEP, Plot, World, culprit_ref, person
from afteraction.generate.families.standard import assemble, symptoms
from afteraction.generate.families.story import Line
from afteraction.generate.org import PEOPLE, owner_of
from afteraction.generate.scenario import Scenario

__all__ = ["build_humans"]

_WHAT = {"checkout": "checkout", "cart": "adding to cart", "web": "the website",
         "payments": "card payments", "accounts": "login", "search": "search"}


def build_humans(seed: int) -> Scenario:
    w = World.new("humans", seed)
    rng = w.rng
    origin = rng.choice(list(_WHAT))
    onset = w.onset
    report = onset + rng.randint(90, 300)
    alert_at = report + rng.randint(180, 540)
    wrong_decision = report + rng.randint(6, 14) * 60
    wrong_at = wrong_decision + rng.randint(40, 150)
    decision = wrong_at + rng.randint(6, 14) * 60
    acted = decision + rng.randint(40, 180)
    recovery_start = acted + rng.randint(90, 200)
    plot = Plot(onset=onset, detected=float(report), detection_method="human report",
                mitigated=float(acted), mitigation_type="rollback",
                recovery_start=float(recovery_start), recover=float(rng.randint(5, 12) * STEP),
                decision=float(decision), declared=float(report + rng.randint(60, 180)))
    plot.resolved = float(int(plot.recovered + rng.randint(20, 80) * MIN))
    w.close(plot.resolved)
    affected, loud = symptoms(w, plot, origin, style="errors")
    culprit_at = onset - rng.randint(60, 360)
    w.protect(origin, culprit_at - 4 * 3600, w.end)
    culprit = w.ship(origin, culprit_at, role="culprit",
                     title=f"{origin}: {rng.choice(('new session handling', 'reworked form validation', 'switch to v2 upstream client', 'async confirmation emails'))}",
                     size=(rng.randint(150, 700), rng.randint(30, 200), rng.randint(6, 25)))
    decoys = w.decoys(rng.randint(2, 4), within=(3.0, 25.0), exclude=(origin,))
    wrong = decoys[0]
    wrong_rollback = w.rollback(wrong, wrong_at, role="attempt")
    right = w.rollback(culprit, acted)
    w.background(plot)
    w.materialize()

    zones = {p.handle: rng.choice(("PT", "PT", "ET", "CET", "IST", "MT")) for p in PEOPLE}
    ic = person("priya")
    support = person("hannah")
    owner, wrong_owner = culprit.actor or owner_of(origin), wrong.actor or owner_of(wrong.service)
    lines = [
        Line(float(report), support, rng.choice(SUPPORT_REPORTS).format(what=_WHAT[origin]),
             tag="report"),
        Line(report + rng.uniform(40, 90), support, f"first ticket came in around "
             f"{local_clock(report - 60, zones['hannah'])}", reply_to="report"),
        Line(plot.declared + rng.uniform(60, 200), wrong_owner,
             f"we deployed {wrong.service} at {local_clock(wrong.at, zones[wrong_owner.handle])}, "
             "right before this started", tag="wrong"),
        Line(wrong_decision - rng.uniform(30, 90), rng.choice(PEOPLE),
             f"timing fits {wrong.service}, the errors started a few minutes after"),
        Line(float(wrong_decision), ic, f"Decision: roll back {wrong.service} to "
             f"{wrong_rollback.version}. @{wrong_owner.handle} go ahead.", decision=True),
        Line(wrong_at + rng.uniform(10, 30), wrong_owner, f"rolling back {wrong.service}"),
        Line(wrong_at + rng.uniform(300, 420), rng.choice(PEOPLE),
             f"{loud} still failing after the {wrong.service} rollback", tag="still"),
        Line(wrong_at + rng.uniform(330, 450), owner,
             f"we also deployed {origin} at {local_clock(culprit.at, zones[owner.handle])}, "
             f"{culprit.pr.title if culprit.pr else ''}", tag="culprit"),
        Line(wrong_at + rng.uniform(460, 520), rng.choice(PEOPLE),
             f"{origin} pods are logging exceptions from the new code", reply_to="culprit"),
        Line(float(decision), ic, f"Decision: roll back {origin} to {right.version}. "
             f"@{owner.handle} please start now.", decision=True),
        Line(decision + rng.uniform(15, 40), owner, "ack, on it"),
        Line(acted + rng.uniform(10, 30), owner, "rollback deployment started"),
        Line(plot.recovery_start + rng.uniform(30, 90), support,
             "customers say it's working again"),
        Line(plot.recovered + rng.uniform(10, 50), rng.choice(PEOPLE),
             f"{loud} 5xx back to baseline"),
        Line(plot.resolved - rng.uniform(300, 900), ic, f"for the timeline: impact began around "
             f"{local_clock(onset, zones['priya'])}, we were mitigated by "
             f"{local_clock(plot.recovered, zones['priya'])}"),
    ]
    name = w.error_alert(loud, float(alert_at), plot)
    alerts = [(float(alert_at), f"[FIRING:1] {name} {loud} (critical): {loud} 5xx ratio above "
                                "5% for 3m")]
    spoken = [(plot.declared + 300, support, f"Support has dozens of tickets about "
               f"{_WHAT[origin]}."),
              (wrong_decision - 15, ic, f"Let's roll back {wrong.service} first."),
              (decision - 15, ic, f"That didn't help. Roll back {origin}.")]
    notes = (f"bad {origin} deploy; customer report at detection, alert "
             f"{(alert_at - report) // 60} min later; wrong rollback of {wrong.service} first; "
             "chat times in local zones")
    return assemble(w, plot, ic=ic, lines=lines, summary=f"customers cannot use {_WHAT[origin]}",
                    loud=loud, culprit=culprit_ref(culprit), affected=affected, notes=notes,
                    alerts=alerts, bridge_lines=spoken, extra_filler=HUMAN_FILLER,
                    culprit_service=origin)
