"""`tercero demo`: load the demo provider. Idempotent: a second run changes nothing."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from tercero.config.management.commands.serve import login_url
from tercero.delivery.engagements.models import Engagement
from tercero.delivery.engagements.services import create_engagement
from tercero.delivery.workforce.models import Site
from tercero.delivery.workforce.services import (
    create_site,
)
from tercero.platform import catalogue
from tercero.platform.catalogue import DemoContext
from tercero.platform.identity.models import Grant, User
from tercero.platform.identity.roles import Role
from tercero.platform.identity.services import create_user
from tercero.platform.tenancy.models import Client, Provider
from tercero.platform.tenancy.scoping import all_clients_scope
from tercero.platform.tenancy.services import create_client

PASSWORD = "harbour-lights-2026"
SITES = [
    ("Manila", "PH", "Manila", "Asia/Manila", ["en", "tl"], 850),
    ("Bogotá", "CO", "Bogotá", "America/Bogota", ["es", "en"], 1100),
    ("Kraków", "PL", "Kraków", "Europe/Warsaw", ["pl", "en", "de"], 1900),
    ("Austin", "US", "Austin", "America/Chicago", ["en", "es"], 3800),
]
CLIENTS = [
    ("Northwind Commerce Inc", "US", "America/New_York", "retail", "northwind"),
    ("Rheinwerk Maschinenbau GmbH", "DE", "Europe/Berlin", "manufacturing", "rheinwerk"),
    ("Albion Mutual Insurance plc", "GB", "Europe/London", "insurance", "albion"),
]
WEEKDAYS_9_TO_5 = {day: [["09:00", "17:00"]] for day in range(5)}
ENGAGEMENTS: dict[str, list[dict[str, Any]]] = {
    "northwind": [
        dict(
            name="Customer care 24/7",
            service_line="customer_care",
            category="BPO",
            office="front",
            orientation="vertical",
            pricing_model="per_hour",
            monthly_volume=60_000,
            process_steps=6,
            exception_rate_percent=4,
            systems_count=3,
            languages=["en", "es"],
            hours_of_cover="24_7",
            channels=["email", "chat", "phone", "web_form"],
            sla_targets=[
                {"metric": "first_response", "priority": "P1", "target_seconds": 3600},
                {"metric": "resolution", "priority": "P1", "target_seconds": 28800},
            ],
            rates=[{"unit": "hour", "amount_minor": 2400, "currency": "USD"}],
            residency_allowed_shores=["onshore", "nearshore"],
        ),
        dict(
            name="Order data entry",
            service_line="data_entry",
            category="BPO",
            office="back",
            orientation="horizontal",
            pricing_model="per_transaction",
            monthly_volume=30_000,
            process_steps=3,
            exception_rate_percent=2,
            systems_count=1,
            languages=["en"],
            sla_targets=[{"metric": "turnaround", "target_business_days": 2}],
            rates=[{"unit": "transaction", "amount_minor": 35, "currency": "USD"}],
            channels=["portal"],
        ),
    ],
    "rheinwerk": [
        dict(
            name="Payroll Germany",
            service_line="payroll",
            category="HRO",
            office="back",
            orientation="horizontal",
            pricing_model="per_transaction",
            monthly_volume=2_400,
            process_steps=12,
            exception_rate_percent=2,
            systems_count=2,
            languages=["de"],
            regulation="strict",
            holiday_country="DE",
            holiday_subdivision="BY",
            sla_targets=[
                {"metric": "turnaround", "target_business_days": 2},
                {"metric": "accuracy", "target_percent": 99.9},
            ],
            rates=[{"unit": "transaction", "amount_minor": 900, "currency": "EUR"}],
            channels=["portal", "api"],
            residency_allowed_countries=["DE", "PL"],
        ),
    ],
    "albion": [
        dict(
            name="Claims data processing",
            service_line="data_processing",
            category="BPO",
            office="back",
            orientation="vertical",
            pricing_model="per_fte",
            monthly_volume=800,
            process_steps=20,
            exception_rate_percent=12,
            systems_count=5,
            languages=["en"],
            regulation="moderate",
            holiday_country="GB",
            holiday_subdivision="ENG",
            sla_targets=[{"metric": "turnaround", "target_business_days": 5}],
            rates=[{"unit": "fte_month", "amount_minor": 520000, "currency": "GBP"}],
            channels=["portal", "email"],
        ),
        dict(
            name="Payroll UK",
            service_line="payroll",
            category="HRO",
            office="back",
            orientation="horizontal",
            pricing_model="per_transaction",
            monthly_volume=40,
            process_steps=10,
            exception_rate_percent=2,
            systems_count=2,
            languages=["en"],
            regulation="strict",
            holiday_country="GB",
            holiday_subdivision="ENG",
            sla_targets=[
                {"metric": "turnaround", "target_business_days": 2},
                {"metric": "accuracy", "target_percent": 99.9},
            ],
            rates=[{"unit": "transaction", "amount_minor": 650, "currency": "GBP"}],
            channels=["portal"],
        ),
    ],
}
PROVIDER_STAFF = [
    ("admin@tercero.example", "Ada Admin", Role.PROVIDER_ADMIN),
    ("manager@tercero.example", "Dario Delivery", Role.DELIVERY_MANAGER),
    ("lead@tercero.example", "Tala Lead", Role.TEAM_LEAD),
    ("agent@tercero.example", "Ana Agent", Role.AGENT),
    ("bruno@tercero.example", "Bruno Agent", Role.AGENT),
    ("qa@tercero.example", "Quinn Quality", Role.QA_ANALYST),
    ("auditor@tercero.example", "Aud Itor", Role.AUDITOR),
]


class Command(BaseCommand):
    help = "Load the demo provider, sites, clients, engagements and users (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--bind",
            default="127.0.0.1:8000",
            help="host:port `tercero serve` will use (PUBLIC_BASE_URL wins when set)",
        )

    def handle(self, *args, **options):
        with all_clients_scope(), transaction.atomic():
            logins = self._load()
        where = login_url(options["bind"])
        self.stdout.write(f"Demo provider ready. Sign in at {where} with:")
        for email, role in logins:
            self.stdout.write(f"  {email:<32} {role:<18} password: {PASSWORD}")
        self.stdout.write(
            "Provider staff and client admins set up an authenticator app at first sign-in "
            "(MFA_ENFORCED=false skips it for a local trial)."
        )

    def _load(self) -> list[tuple[str, str]]:
        provider, _ = Provider.objects.get_or_create(
            name="Tercero Demo BPO", defaults={"country": "PH"}
        )
        admin = self._user(None, "admin@tercero.example", "Ada Admin", Role.PROVIDER_ADMIN, None)
        _sites(admin, provider)
        staff = [self._user(admin, email, name, role, None) for email, name, role in PROVIDER_STAFF]
        logins = [(user.email, user.get_role_display()) for user in staff]
        clients = {}
        for legal_name, country, zone, vertical, slug in CLIENTS:
            client = self._client(admin, provider, legal_name, country, zone, vertical, staff)
            clients[slug] = client
            for role, label in ((Role.CLIENT_ADMIN, "admin"), (Role.CLIENT_USER, "user")):
                user = self._user(
                    admin,
                    f"{label}@{slug}.example",
                    f"{slug.title()} {label.title()}",
                    role,
                    client,
                )
                logins.append((user.email, f"{user.get_role_display()} ({slug})"))
        # each installed service line adds its own share (its manifest's demo loader)
        people = {user.email: user for user in User.objects.filter(email__in=dict(logins))}
        context = DemoContext(admin=admin, people=people, clients=clients)
        for line in catalogue.lines():
            if line.demo is not None:
                line.demo(context)
        return logins

    @staticmethod
    def _client(admin, provider, legal_name, country, zone, vertical, staff) -> Client:
        """The client, its staff grants, and the engagements of lines that are installed."""
        client = Client.objects.filter(provider=provider, legal_name=legal_name).first()
        if client is None:
            client = create_client(
                actor=admin,
                provider=provider,
                legal_name=legal_name,
                country=country,
                time_zone=zone,
                industry_vertical=vertical,
                status=Client.Status.ACTIVE,
            )
        for user in staff:
            Grant.objects.get_or_create(
                user=user, client=client, defaults={"granted_by": admin, "reason": "demo"}
            )
        offered = catalogue.offerings()
        for fields in ENGAGEMENTS[_slug_of(legal_name)]:
            if fields["service_line"] not in offered:
                continue
            if not Engagement.objects.filter(client=client, name=fields["name"]).exists():
                create_engagement(
                    actor=admin,
                    client=client,
                    time_zone=zone,
                    working_hours=WEEKDAYS_9_TO_5,
                    status="live",
                    **fields,
                )
        return client

    @staticmethod
    def _user(actor, email, full_name, role, client) -> User:
        existing = User.objects.filter(email=email).first()
        if existing:
            return existing
        if actor is None:
            return User.objects.create_user(email, PASSWORD, full_name=full_name, role=role)
        return create_user(
            actor=actor,
            email=email,
            full_name=full_name,
            role=role,
            client=client,
            password=PASSWORD,
        )


def _sites(admin, provider) -> None:
    for name, country, city, zone, languages, cost in SITES:
        if not Site.objects.filter(provider=provider, name=name).exists():
            create_site(
                actor=admin,
                provider=provider,
                name=name,
                country=country,
                city=city,
                time_zone=zone,
                languages=languages,
                hourly_cost_minor=cost,
                currency="USD",
            )


def _slug_of(legal_name: str) -> str:
    return next(slug for name, *_, slug in CLIENTS if name == legal_name)
