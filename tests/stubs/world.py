"""The small fixed world every stub serves: incident INC-42, checkout down after a deploy.

checkout (depends on payments) deploys at 13:50, errors climb from 13:55, the channel #inc-42 is
opened at 14:05, checkout is rolled back at 14:40 and recovers by 14:50; the ticket is resolved at
15:20. payments deploys at 13:45 (a decoy). Times are UTC on 2026-03-10.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["DAY", "INCIDENT", "WORLD", "at", "iso", "ms"]

DAY = datetime(2026, 3, 10, tzinfo=UTC)
INCIDENT = "INC-42"


def at(hhmm: str, day: int = 0) -> datetime:
    hours, minutes = hhmm.split(":")
    return DAY + timedelta(days=day, hours=int(hours), minutes=int(minutes))


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def jira_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


DEPLOYMENTS: dict[str, list[dict[str, Any]]] = {
    # newest first, as GitHub lists them
    "acme/checkout": [
        {"id": 105, "sha": "e5f6a7b", "ref": "main", "environment": "production",
         "task": "deploy", "created_at": at("14:40"), "description": "rollback to v1.8.2",
         "creator": "carol", "statuses": [("success", at("14:44")), ("in_progress", at("14:41"))]},
        {"id": 104, "sha": "c3d4e5f", "ref": "main", "environment": "production",
         "task": "deploy", "created_at": at("13:50"), "description": "v1.9.0",
         "creator": "alice", "statuses": [("success", at("13:53")), ("in_progress", at("13:51"))]},
        {"id": 103, "sha": "b2c3d4e", "ref": "main", "environment": "staging",
         "task": "deploy", "created_at": at("13:00"), "description": "v1.9.0 to staging",
         "creator": "alice", "statuses": [("success", at("13:04"))]},
        {"id": 102, "sha": "a1b2c3d", "ref": "main", "environment": "production",
         "task": "deploy", "created_at": at("10:00"), "description": "v1.8.2",
         "creator": "bob", "statuses": [("success", at("10:03"))]},
        {"id": 101, "sha": "9f8e7d6", "ref": "main", "environment": "production",
         "task": "deploy", "created_at": at("16:00", day=-1), "description": "v1.8.1",
         "creator": "bob", "statuses": [("success", at("16:03", day=-1))]},
    ],
    "acme/payments": [
        {"id": 205, "sha": "77aa88b", "ref": "main", "environment": "production",
         "task": "deploy", "created_at": at("13:45"), "description": "v3.2.0",
         "creator": "dave", "statuses": [("success", at("13:48"))]},
        {"id": 204, "sha": "66aa77b", "ref": "main", "environment": "production",
         "task": "deploy", "created_at": at("09:00", day=-2), "description": "v3.1.9",
         "creator": "dave", "statuses": [("success", at("09:03", day=-2))]},
    ],
}

PULLS: dict[str, list[dict[str, Any]]] = {
    "acme/checkout": [
        {"number": 311, "title": "Cache cart totals in Redis", "user": "alice",
         "merged_at": at("13:40"), "additions": 420, "deletions": 35, "changed_files": 12,
         "merge_commit_sha": "c3d4e5f", "labels": ["performance"]},
        {"number": 309, "title": "Bump checkout client timeout", "user": "bob",
         "merged_at": at("12:30"), "additions": 4, "deletions": 2, "changed_files": 1,
         "merge_commit_sha": "b2c3d4e", "labels": []},
        {"number": 314, "title": "Revert \"Cache cart totals in Redis\"", "user": "carol",
         "merged_at": at("14:35"), "additions": 35, "deletions": 420, "changed_files": 12,
         "merge_commit_sha": "e5f6a7b", "labels": ["revert"]},
        {"number": 290, "title": "Old change", "user": "bob",
         "merged_at": at("08:00", day=-3), "additions": 10, "deletions": 1, "changed_files": 1,
         "merge_commit_sha": "0a0b0c0", "labels": []},
    ],
    "acme/payments": [
        {"number": 77, "title": "Retry card authorisation once", "user": "dave",
         "merged_at": at("13:20"), "additions": 60, "deletions": 8, "changed_files": 3,
         "merge_commit_sha": "77aa88b", "labels": []},
    ],
}

RUNS: dict[str, list[dict[str, Any]]] = {
    "acme/checkout": [
        {"id": 9001, "name": "deploy", "head_sha": "c3d4e5f", "event": "push",
         "conclusion": "success", "created_at": at("13:41")},
        {"id": 9002, "name": "deploy", "head_sha": "e5f6a7b", "event": "push",
         "conclusion": "success", "created_at": at("14:36")},
    ],
    "acme/payments": [],
}

RELEASES: dict[str, list[dict[str, Any]]] = {
    "acme/checkout": [
        {"id": 501, "tag_name": "v1.9.0", "name": "v1.9.0", "created_at": at("13:42"),
         "published_at": at("13:43"), "author": "alice"},
        {"id": 500, "tag_name": "v1.8.2", "name": "v1.8.2", "created_at": at("09:50", day=-1),
         "published_at": at("09:51", day=-1), "author": "bob"},
    ],
    "acme/payments": [],
}

USERS = [
    {"id": "U0ALICE", "name": "alice", "real_name": "Alice Ng"},
    {"id": "U0BOB", "name": "bob", "real_name": "Bob Ortiz"},
    {"id": "U0CAROL", "name": "carol", "real_name": "Carol Diaz"},
    {"id": "U0DAVE", "name": "dave", "real_name": "Dave Kim"},
    {"id": "U0PAGER", "name": "pagerbot", "real_name": "Pager Bot", "is_bot": True},
]

CHANNELS = [
    {"id": "C0GENERAL", "name": "general", "created": 1600000000},
    {"id": "C0CHECKOUT", "name": "checkout-alerts", "created": 1600000100},
    {"id": "C0INC30", "name": "inc-30", "created": 1700000000, "is_archived": True},
    {"id": "C0INC42", "name": "inc-42", "created": int(at("14:05").timestamp())},
]

# (minute, user, text, thread replies [(minute, user, text)])
MESSAGES: list[tuple[str, str, str, list[tuple[str, str, str]]]] = [
    ("14:05", "U0PAGER", "Incident INC-42 declared: checkout 5xx above 5%", []),
    ("14:07", "U0CAROL", "I'm IC. Looking at checkout dashboards", [
        ("14:09", "U0ALICE", "checkout v1.9.0 went out at 13:50"),
        ("14:10", "U0BOB", "payments deployed 13:45 too"),
        ("14:12", "U0CAROL", "payments error rate is flat, it's checkout"),
    ]),
    ("14:20", "U0ALICE", "Redis latency spiking from the new cart cache", []),
    ("14:32", "U0CAROL", "Decision: roll back checkout to v1.8.2", [
        ("14:33", "U0ALICE", "rolling back now"),
    ]),
    ("14:41", "U0ALICE", "rollback deploying", []),
    ("14:52", "U0CAROL", "error rate back to baseline, monitoring", []),
    ("15:20", "U0CAROL", "Resolved. Postmortem to follow.", []),
]

ISSUES: list[dict[str, Any]] = [
    {"key": "INC-42", "summary": "Checkout 5xx after deploy", "type": "Incident",
     "status": "Resolved", "category": "done", "priority": "P1", "components": ["checkout"],
     "labels": ["incident"], "created": at("14:05"), "updated": at("15:20"),
     "resolved": at("15:20"),
     "description": "Checkout returns 5xx. War room in #inc-42.",
     "links": [("relates to", "CHK-7")],
     "history": [("14:06", "carol", "status", "Open", "Investigating"),
                 ("14:45", "carol", "status", "Investigating", "Mitigated"),
                 ("15:20", "carol", "status", "Mitigated", "Resolved")]},
    {"key": "CHK-7", "summary": "Cart cache has no eviction limit", "type": "Bug",
     "status": "Open", "category": "new", "priority": "P3", "components": ["checkout"],
     "labels": ["tech-debt"], "created": at("10:00", day=-20), "updated": at("14:50"),
     "resolved": None, "description": "", "links": [], "history": []},
    {"key": "CHK-3", "summary": "Checkout retries are unbounded", "type": "Task",
     "status": "Open", "category": "new", "priority": "P3", "components": ["checkout"],
     "labels": ["tech-debt"], "created": at("10:00", day=-60), "updated": at("10:00", day=-30),
     "resolved": None, "description": "", "links": [], "history": []},
    {"key": "CHK-9", "summary": "Add canary for checkout", "type": "Task",
     "status": "Open", "category": "new", "priority": "P2", "components": ["checkout"],
     "labels": [], "created": at("11:00", day=-5), "updated": at("11:00", day=-5),
     "resolved": None, "description": "", "links": [], "history": []},
    {"key": "INC-30", "summary": "Checkout timeouts", "type": "Incident", "status": "Resolved",
     "category": "done", "priority": "P2", "components": ["checkout"], "labels": ["incident"],
     "created": at("09:00", day=-90), "updated": at("12:00", day=-89),
     "resolved": at("11:00", day=-90), "description": "", "links": [], "history": []},
    {"key": "INC-35", "summary": "Payments degraded", "type": "Incident", "status": "Resolved",
     "category": "done", "priority": "P2", "components": ["payments"], "labels": ["incident"],
     "created": at("09:00", day=-40), "updated": at("12:00", day=-39),
     "resolved": at("10:00", day=-40), "description": "", "links": [], "history": []},
]

MEETINGS: list[dict[str, Any]] = [
    {"uuid": "aB3dE5fG7hI9jK1lM3nO5p==", "id": 81234567890, "topic": "INC-42 war room",
     "start_time": at("14:08"), "duration": 50, "transcript": True},
    {"uuid": "zZ9yX7wV5uT3sR1qP9oN7m==", "id": 81234567000, "topic": "Weekly planning",
     "start_time": at("09:00"), "duration": 30, "transcript": True},
]

TRANSCRIPT = """WEBVTT

1
00:00:05.000 --> 00:00:09.500
Carol Diaz: Okay, I'm running this. Checkout is throwing five hundreds.

2
00:00:12.000 --> 00:00:17.000
Alice Ng: We shipped one nine zero at thirteen fifty, the cart cache change.

3
00:00:20.000 --> 00:00:22.000
Hmm.

4
00:24:00.000 --> 00:24:06.000
Carol Diaz: Let's roll back checkout to one eight two.

5
00:33:00.000 --> 00:33:04.000
Alice Ng: Rollback is out, errors are dropping.

"""

FLAG_CHANGES: list[dict[str, Any]] = [
    {"id": f"6{n:03d}ab", "date": moment, "flag": flag, "action": action, "who": who,
     "verb": verb}
    for n, (moment, flag, action, who, verb) in enumerate([
        (at("15:10"), "checkout.new-pricing", "updateOn", "carol", "turned off the flag"),
        (at("14:38"), "checkout.cart-cache", "updateOn", "alice", "turned off the flag"),
        (at("13:30"), "payments.retry-auth", "updateRules", "dave", "changed the rules"),
        (at("13:52"), "checkout.cart-cache", "updateOn", "alice", "turned on the flag"),
        (at("12:10"), "search.fuzzy", "updateOn", "erin", "turned on the flag"),
        (at("11:00"), "checkout.new-pricing", "updateFallthrough", "bob",
         "changed the default rule"),
        (at("09:40"), "checkout.dark-mode", "updateOn", "bob", "turned on the flag"),
        (at("09:00", day=-2), "checkout.old", "updateOn", "bob", "turned on the flag"),
    ])
]

ANNOTATIONS: list[dict[str, Any]] = [
    {"id": 1201, "time": at("13:50"), "end": at("13:53"), "text": "deploy checkout v1.9.0",
     "tags": ["deploy", "checkout"], "alert": None},
    {"id": 1202, "time": at("13:45"), "end": at("13:48"), "text": "deploy payments v3.2.0",
     "tags": ["deploy", "payments"], "alert": None},
    {"id": 1203, "time": at("14:01"), "end": at("14:01"), "text": "CheckoutHighErrorRate",
     "tags": ["alert"], "alert": ("CheckoutHighErrorRate", "Alerting", "Normal")},
    {"id": 1204, "time": at("14:49"), "end": at("14:49"), "text": "CheckoutHighErrorRate",
     "tags": ["alert"], "alert": ("CheckoutHighErrorRate", "Normal", "Alerting")},
]

WORLD = {"deployments": DEPLOYMENTS, "pulls": PULLS, "runs": RUNS, "releases": RELEASES,
         "users": USERS, "channels": CHANNELS, "messages": MESSAGES, "issues": ISSUES,
         "meetings": MEETINGS, "flags": FLAG_CHANGES, "annotations": ANNOTATIONS}


def error_ratio(service: str, moment: datetime) -> float:
    """The world's checkout error ratio: 0.2% baseline, 8% from 13:55 to 14:45."""
    if service == "checkout" and at("13:55") <= moment < at("14:46"):
        return 0.08
    return 0.002
