"""The generated organisation: services with their dependencies, repositories, people."""

from __future__ import annotations

from dataclasses import dataclass

from afteraction.model.incident import Catalog, Service

__all__ = ["ORG", "PEOPLE", "SERVICE_PROFILES", "Person", "ServiceProfile", "demo_catalog"]

ORG = "acme"


@dataclass(frozen=True)
class ServiceProfile:
    """Baseline behaviour of a service's SLO signals."""

    name: str
    depends_on: tuple[str, ...]
    rps: float            # requests per second at the daily peak
    error_ratio: float    # normal 5xx ratio
    latency_p99: float    # seconds, normal
    saturation: float     # normal CPU saturation 0..1
    tier: int = 2


SERVICE_PROFILES: tuple[ServiceProfile, ...] = (
    ServiceProfile("web", ("api-gateway",), 900, 0.002, 0.35, 0.41, 1),
    ServiceProfile("api-gateway", ("checkout", "search", "accounts", "cart"), 1400, 0.003, 0.28,
                   0.47, 1),
    ServiceProfile("checkout", ("payments", "inventory", "pricing", "cart"), 160, 0.004, 0.42,
                   0.38, 1),
    ServiceProfile("cart", ("pricing", "inventory"), 320, 0.003, 0.12, 0.33, 1),
    ServiceProfile("payments", ("fraud", "ledger"), 95, 0.002, 0.31, 0.29, 1),
    ServiceProfile("fraud", (), 95, 0.001, 0.09, 0.44, 2),
    ServiceProfile("ledger", (), 110, 0.001, 0.06, 0.25, 2),
    ServiceProfile("inventory", ("catalog",), 410, 0.002, 0.08, 0.36, 1),
    ServiceProfile("pricing", ("catalog",), 520, 0.002, 0.05, 0.31, 2),
    ServiceProfile("search", ("catalog",), 700, 0.003, 0.19, 0.52, 2),
    ServiceProfile("catalog", (), 950, 0.001, 0.04, 0.34, 2),
    ServiceProfile("accounts", ("notifications",), 260, 0.002, 0.11, 0.27, 2),
    ServiceProfile("notifications", (), 60, 0.004, 0.21, 0.18, 3),
)


@dataclass(frozen=True)
class Person:
    name: str
    handle: str
    user_id: str
    email: str
    team: str


PEOPLE: tuple[Person, ...] = (
    Person("Priya Raman", "priya", "U04PRIYA01", "priya.raman@acme.example", "sre"),
    Person("Marcus Oyelaran", "marcus", "U04MARCU02", "marcus.oyelaran@acme.example", "checkout"),
    Person("Elena Sokolova", "elena", "U04ELENA03", "elena.sokolova@acme.example", "inventory"),
    Person("Tomás Herrera", "tomas", "U04TOMAS04", "tomas.herrera@acme.example", "pricing"),
    Person("Hannah Weiss", "hannah", "U04HANNA05", "hannah.weiss@acme.example", "support"),
    Person("Kenji Watanabe", "kenji", "U04KENJI06", "kenji.watanabe@acme.example", "platform"),
    Person("Aisha Bello", "aisha", "U04AISHA07", "aisha.bello@acme.example", "search"),
    Person("Liam O'Connor", "liam", "U04LIAMO08", "liam.oconnor@acme.example", "accounts"),
)

TEAM_OF_SERVICE = {
    "web": "platform", "api-gateway": "platform", "checkout": "checkout", "cart": "checkout",
    "payments": "checkout", "fraud": "checkout", "ledger": "checkout",
    "inventory": "inventory", "catalog": "inventory", "pricing": "pricing", "search": "search",
    "accounts": "accounts", "notifications": "accounts",
}


def owner_of(service: str) -> Person:
    team = TEAM_OF_SERVICE.get(service, "platform")
    return next((p for p in PEOPLE if p.team == team), PEOPLE[5])


def demo_catalog() -> Catalog:
    services = []
    for profile in SERVICE_PROFILES:
        services.append(Service(
            name=profile.name,
            repos=(f"{ORG}/{profile.name}",),
            slack_channels=(f"team-{TEAM_OF_SERVICE[profile.name]}",),
            labels={"service": profile.name},
            jira_components=(profile.name,),
            jira_project="OPS",
            flag_prefixes=(f"{profile.name}.",),
            depends_on=profile.depends_on,
            tier=profile.tier,
        ))
    return Catalog(services=tuple(services))
