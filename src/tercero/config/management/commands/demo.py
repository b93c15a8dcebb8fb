"""`tercero demo`: load the demo provider. Idempotent: a second run changes nothing."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from tercero.delivery.engagements.models import Engagement
from tercero.delivery.engagements.services import create_engagement
from tercero.delivery.work.models import Queue, WorkItem
from tercero.delivery.work.services import comment, create_items, create_queue
from tercero.delivery.workforce.models import Agent, Site
from tercero.delivery.workforce.services import (
    clear_agent,
    create_agent,
    create_site,
    set_presence,
)
from tercero.platform.identity.models import Grant, User
from tercero.platform.identity.roles import Role
from tercero.platform.identity.services import create_user
from tercero.platform.tenancy.models import Client, Provider
from tercero.platform.tenancy.scoping import all_clients_scope
from tercero.platform.tenancy.services import create_client
from tercero.services.care import demo as care_demo
from tercero.services.payroll import demo as payroll_demo

PASSWORD = "harbour-lights-2026"
CUSTOMERS = ["Maria Santos", "John Whitfield", "Priya Raman", "Lena Vogel", "Tomás Ortega"]
# Personal data the demo keys in: sealed at rest, so none of it may appear in clear in a
# database dump (tests/test_plaintext_scan.py looks for exactly these).
NATIONAL_IDS = ["QQ123456C", "JT481526B", "NP907312A", "KL246813D", "WX135790C"]
IBANS = [
    "DE89370400440532013000",
    "GB33BUKB20201555555555",
    "FR1420041010050500013M02606",
    "NL91ABNA0417164300",
    "ES9121000418450200051332",
]
BIRTH_DATES = ["1984-03-17", "1979-11-02", "1991-07-25", "1968-01-30", "1995-05-09"]
CARD_IN_NOTE = "4111 1111 1111 1111"
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
ENGAGEMENTS = {
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
    ],
    "northwind-keying": [
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
            name="Claims research",
            service_line="kpo_research",
            category="KPO",
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

    def handle(self, *args, **options):
        with all_clients_scope(), transaction.atomic():
            logins = self._load()
        self.stdout.write("Demo provider ready. Sign in at http://127.0.0.1:8000/login/ with:")
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
        logins = []
        staff = [self._user(admin, email, name, role, None) for email, name, role in PROVIDER_STAFF]
        logins += [(user.email, user.get_role_display()) for user in staff]
        for legal_name, country, zone, vertical, slug in CLIENTS:
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
            for fields in ENGAGEMENTS[slug] + ENGAGEMENTS.get(f"{slug}-keying", []):
                if not Engagement.objects.filter(client=client, name=fields["name"]).exists():
                    create_engagement(
                        actor=admin,
                        client=client,
                        time_zone=zone,
                        working_hours=WEEKDAYS_9_TO_5,
                        status="live",
                        **fields,
                    )
            for role, label in ((Role.CLIENT_ADMIN, "admin"), (Role.CLIENT_USER, "user")):
                user = self._user(
                    admin,
                    f"{label}@{slug}.example",
                    f"{slug.title()} {label.title()}",
                    role,
                    client,
                )
                logins.append((user.email, f"{user.get_role_display()} ({slug})"))
        self._work(admin, staff)
        care_demo.load(admin=admin, agent_user=next(u for u in staff if u.role == Role.AGENT))
        payroll_demo.load(
            admin=admin,
            lead=next(u for u in staff if u.role == Role.TEAM_LEAD),
            client_admin=User.objects.get(email="admin@albion.example"),
            hr_agent=User.objects.get(email="bruno@tercero.example"),
        )
        return logins

    @staticmethod
    def _work(admin, staff) -> None:
        """An agent profile, two queues and a morning's documents for the keying desk."""
        engagement = Engagement.objects.get(name="Order data entry")
        if Queue.objects.filter(engagement=engagement).exists():
            return
        agent_user = next(user for user in staff if user.role == Role.AGENT)
        agent = Agent.objects.filter(user=agent_user).first() or create_agent(
            actor=admin,
            user=agent_user,
            site=Site.objects.get(name="Manila"),
            skills={"data_entry": 3},
            languages=["en", "tl"],
        )
        clear_agent(
            actor=admin,
            agent=agent,
            engagement=engagement,
            reachable_client_ids=[engagement.client_id],
        )
        set_presence(agent=agent, presence="available", reason="demo shift")
        forms = create_queue(
            actor=admin, engagement=engagement, name="Order forms", work_types=["capture.document"]
        )
        urgent = create_queue(
            actor=admin,
            engagement=engagement,
            name="Urgent forms",
            work_types=["capture.document"],
            priority=1,
            routing="push",
            escalation="notify_lead",
        )
        rows = [
            {
                "work_type": "capture.document",
                "payload": {
                    "document_ref": f"PO-{4100 + n}",
                    "document_kind": "purchase order",
                    "pages": 1 + n % 3,
                    "fields_total": 18 + n % 7,
                    "customer_name": CUSTOMERS[n % len(CUSTOMERS)],
                    "customer_national_id": NATIONAL_IDS[n % len(NATIONAL_IDS)],
                    "customer_date_of_birth": BIRTH_DATES[n % len(BIRTH_DATES)],
                    "customer_iban": IBANS[n % len(IBANS)],
                },
                "external_ref": f"PO-{4100 + n}",
                "personal_data": n % 4 == 0,
                "priority": 2 + n % 3,
            }
            for n in range(24)
        ]
        created, _ = create_items(actor=admin, queue=forms, rows=rows)
        comment(
            actor=admin,
            item=created[0],
            body=f"Customer read card {CARD_IN_NOTE} out on the phone; it is not needed here.",
            internal=True,
        )
        create_items(actor=admin, queue=urgent, rows=[{**rows[0], "external_ref": "PO-9000"}])
        second = Agent.objects.filter(user__email="bruno@tercero.example").first() or create_agent(
            actor=admin,
            user=User.objects.get(email="bruno@tercero.example"),
            site=Site.objects.get(name="Bogotá"),
            skills={"data_entry": 2},
            languages=["es", "en"],
        )
        clear_agent(
            actor=admin,
            agent=second,
            engagement=engagement,
            reachable_client_ids=[engagement.client_id],
        )
        _history(admin, forms)

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


def _history(admin, queue) -> None:
    """Thirty days of finished documents, so SLA reports have something to show. The
    rows go in through the engine; their dates are then set back in time, which only a
    demo may do (every real change goes through services)."""
    now = timezone.now()
    rows = []
    for day in range(1, 31):
        for n in range(4 + day % 3):
            rows.append(
                {
                    "work_type": "capture.document",
                    "payload": {
                        "document_ref": f"PO-{2000 + day * 10 + n}",
                        "document_kind": "purchase order",
                        "fields_total": 12,
                        "fields_keyed": 12,
                    },
                    "external_ref": f"PO-{2000 + day * 10 + n}",
                    "priority": 3,
                }
            )
    created, _ = create_items(actor=admin, queue=queue, rows=rows)
    for index, item in enumerate(created):
        day = 1 + index % 30
        received = now - timedelta(days=day, hours=6)
        WorkItem.objects.filter(pk=item.pk).update(
            status="closed",
            created_at=received,
            queued_at=received,
            resolved_at=received + timedelta(hours=3),
            closed_at=received + timedelta(hours=4),
            handle_seconds=600 + (index * 37) % 900,
            sla_met=(index * 7) % 13 != 0,  # about 92 % on time
            resolution="Keyed into the order system.",
        )
