"""The demo incident: a bad inventory deploy whose loudest symptom is in its caller, checkout.

INC-4721, about 14:00 UTC on a weekday: inventory v2.14.0 changes the reservation query to hold
row locks; inventory's own latency rises, but the alert and the customers see checkout's timeouts.
Four other services deploy in the half hour before onset (decoys), the checkout recommendations
flag goes from 10% to 50% nine minutes before onset (the most tempting decoy), the team debates in
the channel and on the bridge, rolls inventory back, and checkout recovers.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import numpy as np

from afteraction.generate import records as rec
from afteraction.generate.chatter import ChannelBuilder, TranscriptBuilder
from afteraction.generate.metrics import Effect, Spike, series_for_service
from afteraction.generate.org import PEOPLE, SERVICE_PROFILES, demo_catalog
from afteraction.generate.scenario import ChangeRef, GroundTruth, Scenario
from afteraction.model.events import Event
from afteraction.model.incident import Incident, Window
from afteraction.model.time import utc_from_epoch

__all__ = ["DEMO_SEED", "demo_scenario"]

DEMO_SEED = 4721
STEP = 15
MIN = 60.0


def _who(handle: str):
    return next(p for p in PEOPLE if p.handle == handle)


def demo_scenario(seed: int = DEMO_SEED, *, hours_before: float = 2.0,
                  hours_after: float = 3.0) -> Scenario:
    """The demo incident; the window spans ``hours_before`` onset to ``hours_after`` it."""
    rng = random.Random(seed)
    base_day = datetime(2026, 10, 14, tzinfo=UTC).timestamp()
    onset = base_day + 14 * 3600 + 6 * 60 + rng.randint(0, 240) // STEP * STEP
    start, end = onset - hours_before * 3600, onset + hours_after * 3600
    catalog = demo_catalog()
    priya, marcus, elena, tomas = _who("priya"), _who("marcus"), _who("elena"), _who("tomas")
    kenji, aisha, liam = _who("kenji"), _who("aisha"), _who("liam")

    # --- changes -------------------------------------------------------------------------
    events: list[Event] = []
    culprit_start = onset - 5 * MIN - rng.randint(0, 4) * STEP
    deploy_plan = [  # service, minutes before onset, duration, version, actor
        ("catalog", 95, 200, "v5.2.0", elena), ("web", 70, 300, "v2026.10.14-1", kenji),
        ("cart", 50, 180, "v1.88.1", marcus), ("accounts", 26, 200, "v3.4.0", liam),
        ("pricing", 17, 220, "v7.11.0", tomas), ("search", 11, 260, "v12.0.3", aisha),
        ("notifications", 3, 150, "v0.42.1", liam),
    ]
    deployment_id = 480_100 + rng.randint(0, 500)
    pr_number = {p.name: 300 + 97 * i for i, p in enumerate(SERVICE_PROFILES)}
    previous_sha: dict[str, str] = {}
    for service, minutes, duration, version, actor in deploy_plan:
        deployment_id += 7
        at = onset - minutes * MIN + rng.randint(-2, 2) * STEP
        pr_number[service] += 1
        number = pr_number[service]
        merged_at = at - rng.uniform(12, 40) * MIN
        events.append(rec.merge(service, merged_at, number=number,
                                title=_PR_TITLES.get(service, f"{service}: routine update"),
                                actor=actor, additions=rng.randint(8, 160),
                                deletions=rng.randint(2, 80), changed_files=rng.randint(1, 9)))
        sha = rec.fake_sha(service, version)
        events.append(rec.deploy(service, at, deployment_id=deployment_id, version=version,
                                 actor=actor, sha=sha, duration=duration))
    # the culprit and its pull request
    old_sha = rec.fake_sha("inventory", "v2.13.2")
    previous_sha["inventory"] = old_sha
    events.append(rec.deploy("inventory", onset - 26 * 3600, deployment_id=479_950,
                             version="v2.13.2", actor=elena, sha=old_sha, duration=210))
    events.append(rec.merge("inventory", culprit_start - 34 * MIN, number=812,
                            title="Batch reservation lookups with SELECT ... FOR UPDATE",
                            actor=elena, additions=412, deletions=96, changed_files=14,
                            labels=("performance",)))
    deployment_id += 7
    culprit_id = deployment_id
    culprit = rec.deploy("inventory", culprit_start, deployment_id=culprit_id, version="v2.14.0",
                         actor=elena, sha=rec.fake_sha("inventory", "v2.14.0"), duration=230)
    events.append(culprit)
    # an unrelated config change and the tempting flag
    events.append(rec.merge("api-gateway", onset - 48 * MIN, number=1290, repo="acme/platform-config",
                            title="api-gateway: raise upstream idle timeout to 75s", actor=kenji,
                            additions=3, deletions=3, changed_files=1, config_only=True))
    flag_at = onset - 9 * MIN + rng.randint(0, 3) * STEP
    events.append(rec.flag("checkout.recommendations-v2", "checkout", flag_at, actor=marcus,
                           action="rollout", rollout_from=10, rollout_to=50,
                           text="Changed rollout of checkout.recommendations-v2 from 10% to 50%"))
    events.append(rec.flag("accounts.passkey-login", "accounts", onset - 100 * MIN, actor=liam,
                           action="on", text="Turned on accounts.passkey-login"))

    # --- detection, mitigation, recovery --------------------------------------------------
    alert_at = onset + 3 * MIN + 30 + rng.randint(0, 2) * STEP
    decision_at = onset + 29 * MIN + rng.randint(0, 8) * STEP
    rollback_at = decision_at + 70 + rng.randint(0, 4) * STEP
    recovery_start = rollback_at + 150
    recovered_at = recovery_start + 120
    resolved_at = onset + 100 * MIN + rng.randint(0, 20) * STEP
    deployment_id += 7
    events.append(rec.deploy("inventory", rollback_at, deployment_id=deployment_id,
                             version="v2.13.2", actor=elena, sha=old_sha, duration=150,
                             rollback=True, rollback_to=old_sha,
                             description="Rollback inventory to v2.13.2 (INC-4721)"))
    events.append(rec.alert("CheckoutHighErrorRate", "checkout", alert_at, state="firing",
                            severity="critical", rule_uid="ck-5xx-ratio",
                            summary="checkout 5xx ratio above 5% for 3m"))
    events.append(rec.alert("InventoryLatencyHigh", "inventory", alert_at + 150, state="firing",
                            severity="warning", rule_uid="inv-p99",
                            summary="inventory p99 latency above 500ms for 5m"))
    events.append(rec.alert("CheckoutHighErrorRate", "checkout", recovered_at + 180,
                            state="resolved", severity="critical", rule_uid="ck-5xx-ratio",
                            summary="checkout 5xx ratio back below 5%"))
    events.append(rec.alert("InventoryLatencyHigh", "inventory", recovered_at + 240,
                            state="resolved", severity="warning", rule_uid="inv-p99",
                            summary="inventory p99 latency back below 500ms"))
    for number, event in enumerate(e for e in list(events) if e.kind == "deploy"):
        service = event.services[0]
        events.append(rec.annotation(service, event.at.timestamp(), ident=9000 + number,
                                     text=f"deploy {service} {event.attrs['version']}",
                                     tags=("deploy", service)))

    # --- metrics --------------------------------------------------------------------------
    grid = np.arange(start, end + 1, STEP, dtype=float)
    effects = [
        Effect("inventory", "latency", onset, 9.0, ramp=120, end=recovery_start, recover=100),
        Effect("inventory", "error_ratio", onset + 30, 0.028, ramp=120, end=recovery_start),
        Effect("inventory", "saturation", onset, 0.83, ramp=180, end=recovery_start),
        Effect("checkout", "error_ratio", onset + 45, 0.118, ramp=90, end=recovery_start,
               recover=110),
        Effect("checkout", "latency", onset + 30, 4.2, ramp=90, end=recovery_start),
        Effect("cart", "error_ratio", onset + 60, 0.041, ramp=120, end=recovery_start),
        Effect("api-gateway", "error_ratio", onset + 60, 0.036, ramp=120, end=recovery_start),
        Effect("web", "error_ratio", onset + 75, 0.014, ramp=120, end=recovery_start),
        Effect("checkout", "throughput", onset + 60, 0.82, ramp=120, end=recovery_start),
    ]
    spikes = [Spike("search", "error_ratio", onset - 62 * MIN, 60, 0.05),
              Spike("pricing", "latency", onset - 40 * MIN, 45, 0.4)]
    series = []
    for profile in SERVICE_PROFILES:
        series.extend(series_for_service(profile, grid, seed, effects, spikes))

    # --- people ---------------------------------------------------------------------------
    channel = ChannelBuilder("C07INC4721", "inc-4721-checkout-errors", rng)
    events.extend(_channel_story(channel, rng, onset, alert_at, decision_at, rollback_at,
                                 recovered_at, resolved_at, culprit_start, flag_at))
    bridge_start = onset + 11 * MIN
    transcript = TranscriptBuilder("4f9Xq2LmRz6uN0eYb1Tk", bridge_start, rng)
    events.extend(_bridge_story(transcript, rng, bridge_start, decision_at, rollback_at,
                                recovered_at))

    # --- tickets --------------------------------------------------------------------------
    ticket_at = alert_at + 4 * MIN
    events.append(rec.ticket(
        "INC-4721", ticket_at, summary="Checkout failing with elevated 5xx errors",
        issue_type="Incident", status="Resolved", priority="High", components=("checkout",),
        labels=("incident", "sev2"), actor=priya, resolved=resolved_at,
        links=({"type": "Relates", "direction": "outward", "key": "OPS-311"},
               {"type": "Relates", "direction": "outward", "key": "OPS-287"}),
        description="Customers cannot complete checkout; 5xx ratio above 10%."))
    for at, old, new in ((ticket_at + 60, "Open", "In Progress"),
                         (recovered_at + 5 * MIN, "In Progress", "Mitigated"),
                         (resolved_at, "Mitigated", "Resolved")):
        events.append(rec.status_change("INC-4721", at, old=old, new=new, actor=priya,
                                        services=("checkout",)))
    events.append(rec.ticket(
        "OPS-311", onset - 241 * 86400, summary="inventory: reservation path holds row locks "
        "under load; connection pool exhaustion risk", issue_type="Task", status="To Do",
        priority="Medium", components=("inventory",), labels=("tech-debt",), actor=elena))
    events.append(rec.ticket(
        "OPS-287", onset - 300 * 86400, summary="checkout: no timeout budget or circuit breaker "
        "on the inventory client", issue_type="Task", status="To Do", priority="Low",
        components=("checkout",), labels=("tech-debt",), actor=marcus))
    events.append(rec.ticket(
        "INC-4502", onset - 97 * 86400, summary="Inventory latency after catalog index change",
        issue_type="Incident", status="Done", priority="High", components=("inventory",),
        labels=("incident", "sev3"), actor=kenji, resolved=onset - 97 * 86400 + 7200))

    truth = GroundTruth(
        family="cascade", culprit=ChangeRef("deploy", "inventory", utc_from_epoch(culprit_start),
                                            {"deployment_id": culprit_id}),
        affected_services=("checkout", "inventory", "cart", "api-gateway", "web"),
        impact_start=utc_from_epoch(onset), detected_at=utc_from_epoch(alert_at),
        detection_method="alert", mitigated_at=utc_from_epoch(rollback_at),
        mitigation_type="rollback", recovered_at=utc_from_epoch(recovered_at),
        resolved_at=utc_from_epoch(resolved_at),
        decisions=((utc_from_epoch(decision_at), priya.name),),
        notes="bad inventory deploy, loudest in checkout; flag rollout on checkout is a decoy")
    incident = Incident(id="INC-4721", title="Checkout failing with elevated 5xx errors",
                        severity="SEV2", ticket="INC-4721", channel="inc-4721-checkout-errors",
                        services=("checkout",))
    return Scenario(seed=seed, incident=incident,
                    window=Window(start=utc_from_epoch(start), end=utc_from_epoch(end)),
                    catalog=catalog, captured_at=utc_from_epoch(base_day + 86400 + 9 * 3600),
                    events=sorted(events, key=lambda e: (e.at, e.id)), series=series, truth=truth)


_PR_TITLES = {
    "catalog": "Add brand facet to catalog index",
    "web": "Checkout page: lazy-load recommendations carousel",
    "cart": "Cart: show saved-for-later count",
    "accounts": "Passkey login behind flag",
    "pricing": "Pricing: cache regional tax tables for 10 minutes",
    "search": "Search: bump analyzer to v12",
    "notifications": "Notifications: retry SMS provider on 503",
}


def _channel_story(ch: ChannelBuilder, rng: random.Random, onset: float, alert_at: float,
                   decision_at: float, rollback_at: float, recovered_at: float,
                   resolved_at: float, culprit_start: float, flag_at: float) -> list[Event]:
    p = {x.handle: x for x in PEOPLE}
    t0 = alert_at + 70
    hh = lambda epoch: utc_from_epoch(epoch).strftime("%H:%M")
    ch.say(t0 - 5, p["priya"], "has joined the channel", subtype="channel_join")
    ch.say(t0, p["priya"], "Declaring INC-4721: checkout is failing with elevated 5xx. "
           "I'm IC. Bridge is on zoom, link in the topic.")
    ch.say(t0 + 8, None, "[FIRING:1] CheckoutHighErrorRate checkout (critical): checkout 5xx "
           "ratio above 5% for 3m", bot="Grafana Alerting")
    for who in ("marcus", "elena", "tomas", "hannah", "kenji", "aisha", "liam"):
        ch.say(t0 + rng.uniform(20, 240), p[who], "has joined the channel", subtype="channel_join")
    ask = ch.say(t0 + 60, p["priya"], "What changed in the last hour? Please post deploys and "
                 "flag changes here.")
    ch.say(t0 + 95, p["marcus"], "checkout errors are timeouts on the inventory client, not "
           "exceptions in checkout itself. p99 to inventory is over 2s", thread=None)
    pricing = ch.say(t0 + 120, p["tomas"], f"we deployed pricing v7.11.0 at {hh(onset - 17 * MIN)}"
                     " UTC, could it be us?")
    ch.say(t0 + 170, p["marcus"], "pricing error rate looks flat to me", thread=pricing)
    ch.say(t0 + 200, p["tomas"], "yeah pricing latency is normal, I don't think it's us",
           thread=pricing)
    flag_thread = ch.say(t0 + 150, p["aisha"], "the checkout.recommendations-v2 flag went from "
                         f"10% to 50% at {hh(flag_at)}, that's right before this")
    ch.say(t0 + 210, p["marcus"], "the flag only changes which widget renders, it doesn't touch "
           "the inventory client. could turn it back to be safe", thread=flag_thread)
    ch.say(t0 + 260, p["priya"], "hold the flag for now, let's not change two things at once",
           thread=flag_thread)
    ch.say(t0 + 180, p["aisha"], f"search v12.0.3 went out at {hh(onset - 11 * MIN)}, search "
           "looks healthy though", thread=ask)
    inv = ch.say(t0 + 240, p["elena"], f"inventory v2.14.0 started rolling out at "
                 f"{hh(culprit_start)}: it changes the reservation query (PR #812)")
    ch.say(t0 + 300, p["kenji"], "inventory pods are at 80%+ CPU and db connections are maxed",
           thread=inv)
    ch.say(t0 + 330, p["elena"], "lock waits on the reservations table are way up since the "
           "deploy", thread=inv)
    ch.say(t0 + 420, p["hannah"], "Support: 30+ customers reporting failed checkouts so far")
    ch.say(t0 + 480, p["hannah"], "status page updated: investigating checkout errors")
    ch.say(t0 + 600, None, "[FIRING:1] InventoryLatencyHigh inventory (warning): inventory p99 "
           "latency above 500ms for 5m", bot="Grafana Alerting")
    ch.say(decision_at - 240, p["marcus"], "could we scale inventory up instead of rolling back?")
    ch.say(decision_at - 200, p["kenji"], "scaling won't help if it's lock contention")
    ch.say(decision_at, p["priya"], "Decision: we roll back inventory to v2.13.2. @elena please "
           "start the rollback now.")
    ch.say(decision_at + 40, p["elena"], "ack, rolling back inventory to v2.13.2")
    ch.say(rollback_at + 20, p["elena"], "rollback deployment started")
    ch.say(rollback_at + 200, p["marcus"], "checkout error rate dropping")
    ch.say(recovered_at + 30, p["marcus"], "checkout 5xx back to baseline")
    ch.say(recovered_at + 90, p["priya"], "Mitigated: errors back to normal after the inventory "
           "rollback. Keeping the incident open while we watch.")
    ch.say(recovered_at + 200, p["hannah"], "status page: monitoring")
    ch.say(recovered_at + 420, p["priya"], "Decision: keep the recommendations flag at 50%, it "
           "was not involved.")
    ch.say(recovered_at + 600, p["elena"], "I'll own the postmortem. Also reopening OPS-311, "
           "this is the lock issue we parked.")
    ch.say(resolved_at, p["priya"], "Resolved. Thanks all. Postmortem owner: Elena.")
    ch.say(resolved_at + 120, p["hannah"], "status page: resolved")
    people = list(PEOPLE)
    threads = [ask, inv, flag_thread]
    ch.filler(t0 + 30, decision_at, 78, people, threads)
    ch.filler(decision_at, recovered_at + 900, 44, people, threads)
    ch.filler(recovered_at + 900, resolved_at + 300, 14, people)
    return ch.finish()


def _bridge_story(tr: TranscriptBuilder, rng: random.Random, start: float, decision_at: float,
                  rollback_at: float, recovered_at: float) -> list[Event]:
    p = {x.handle: x for x in PEOPLE}
    rel = lambda epoch: epoch - start
    tr.say(3, p["priya"], "Okay, this is Priya, I'm incident commander. Marcus, what are you "
           "seeing on checkout?")
    tr.say(12, p["marcus"], "Checkout is throwing 5xx, about twelve percent. They're all "
           "timeouts calling inventory.")
    tr.say(28, p["priya"], "Elena, anything on inventory?")
    tr.say(36, p["elena"], "We rolled out two fourteen about twenty minutes ago. Latency on "
           "inventory went up right after.")
    tr.say(60, p["tomas"], "Pricing deployed too, but our graphs are flat.")
    tr.say(95, p["aisha"], "What about the recommendations flag? It went to fifty percent.")
    tr.say(110, p["marcus"], "It doesn't touch inventory. I'd leave it.")
    tr.say(200, p["kenji"], "Inventory CPU is at eighty plus and the connection pool is "
           "exhausted.")
    tr.say(260, p["elena"], "Lock waits on reservations are up ten x since the deploy.")
    tr.say(rel(decision_at) - 90, p["marcus"], "Should we just scale inventory out?")
    tr.say(rel(decision_at) - 70, p["kenji"], "Scaling won't fix lock contention.")
    tr.say(rel(decision_at) - 15, p["priya"], "Okay. Let's roll back inventory to two thirteen. "
           "Elena, go ahead.")
    tr.say(rel(decision_at) + 5, p["elena"], "Rolling back now.")
    tr.say(rel(rollback_at) + 120, p["marcus"], "Errors are coming down.")
    tr.say(rel(recovered_at), p["marcus"], "Checkout is back to baseline.")
    tr.say(rel(recovered_at) + 30, p["priya"], "Great. We're mitigated. I'll keep the incident "
           "open for an hour. Thanks everyone.")
    tr.filler(0, rel(recovered_at) + 25, [p[h] for h in ("priya", "marcus", "elena", "tomas",
                                                         "kenji", "aisha")], every=14.0)
    return tr.finish()
