"""Data capture's share of the demo provider: Northwind's keying desk (an agent profile,
two queues, a morning's purchase orders with personal data, and thirty days of finished
documents for the SLA reports). Idempotent: nothing happens once the desk's queues exist."""

from datetime import timedelta

from django.utils import timezone

from tercero.delivery.engagements.models import Engagement
from tercero.delivery.work import demo as work_demo
from tercero.delivery.work import selectors as work_selectors
from tercero.delivery.work.services import comment, create_items, create_queue
from tercero.delivery.workforce.models import Agent, Site
from tercero.delivery.workforce.services import clear_agent, create_agent, set_presence
from tercero.platform.catalogue import DemoContext

CUSTOMERS = ["Maria Santos", "John Whitfield", "Priya Raman", "Lena Vogel", "Tomás Ortega"]
# Personal data the demo keys in: sealed at rest, so none of it may appear in clear in a
# database dump (tools/plaintext_scan.py looks for exactly these).
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


def load(context: DemoContext) -> None:
    _keying_desk(
        context.admin,
        context.person("agent@tercero.example"),
        context.person("bruno@tercero.example"),
    )


def _keying_desk(admin, agent_user, second_user) -> None:
    """An agent profile, two queues and a morning's documents for the keying desk."""
    engagement = Engagement.objects.get(name="Order data entry")
    if work_selectors.queues(
        client_ids=[engagement.client_id], engagement_id=engagement.pk
    ).exists():
        return
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
    second = Agent.objects.filter(user=second_user).first() or create_agent(
        actor=admin,
        user=second_user,
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
        work_demo.set_history(
            item_id=item.pk,
            status="closed",
            created_at=received,
            queued_at=received,
            resolved_at=received + timedelta(hours=3),
            closed_at=received + timedelta(hours=4),
            handle_seconds=600 + (index * 37) % 900,
            sla_met=(index * 7) % 13 != 0,  # about 92 % on time
            resolution="Keyed into the order system.",
        )
