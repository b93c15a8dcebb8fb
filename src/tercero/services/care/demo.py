"""The care desk's share of the demo provider: Northwind's mailbox, chat and contact
form, macros, fields, a support checklist with an L2 queue, a morning's tickets and a
month of answered ones (with satisfaction scores) for the reports. Idempotent."""

from datetime import timedelta

from django.utils import timezone

from tercero.delivery.engagements.models import Engagement
from tercero.delivery.work import demo as work_demo
from tercero.delivery.work import services as work
from tercero.delivery.workforce.models import Agent
from tercero.delivery.workforce.services import clear_agent
from tercero.services.care import inbound
from tercero.services.care.models import (
    Checklist,
    CustomField,
    Macro,
    Mailbox,
    Message,
    Survey,
    TierQueue,
    WebChannel,
)

MAILS = [
    (
        "Maria Santos <maria.santos@example.org>",
        "Where is my order 4411?",
        "I ordered a kettle on Monday and it has not arrived yet.",
    ),
    (
        "Tom Becker <tom.becker@example.org>",
        "Refund for a broken kettle",
        "The kettle arrived with a cracked lid. I would like my money back.",
    ),
    (
        "Lina Okafor <lina.okafor@example.org>",
        "Change my delivery address",
        "Please send order 4420 to my office instead: 12 Harbour Road.",
    ),
    (
        "Priya Raman <priya.raman@example.org>",
        "App keeps logging me out",
        "Since the last update the Northwind app logs me out every few minutes.",
    ),
]


def load(*, admin, agent_user) -> None:
    engagement = Engagement.objects.get(name="Customer care 24/7")
    if Mailbox.objects.filter(engagement=engagement).exists():
        return
    tickets = work.create_queue(
        actor=admin,
        engagement=engagement,
        name="Customer tickets",
        work_types=["care.ticket", "support.ticket"],
    )
    second_line = work.create_queue(
        actor=admin, engagement=engagement, name="Technical L2", work_types=["support.ticket"]
    )
    client_id = engagement.client_id
    mailbox = Mailbox.objects.create(
        client_id=client_id, engagement=engagement, queue=tickets, address="help@northwind.example"
    )
    WebChannel.objects.create(
        client_id=client_id,
        engagement=engagement,
        queue=tickets,
        key="northwind",
        title="Northwind customer care",
        greeting="Hello! Ask us anything about your order.",
    )
    TierQueue.objects.create(
        client_id=client_id, engagement=engagement, tier="L2", queue=second_line
    )
    TierQueue.objects.create(client_id=client_id, engagement=engagement, tier="L1", queue=tickets)
    CustomField.objects.create(
        client_id=client_id,
        engagement=engagement,
        key="order",
        label="Order number",
        kind="text",
        position=1,
    )
    CustomField.objects.create(
        client_id=client_id,
        engagement=engagement,
        key="reason",
        label="Contact reason",
        kind="choice",
        choices=["Delivery", "Refund", "Product", "Account"],
        is_required=True,
        position=2,
    )
    Macro.objects.create(
        client_id=client_id,
        engagement=engagement,
        name="Order on its way",
        reply="Good news: your order has left our depot and arrives within two working days.",
        add_tags=["wismo"],
        then="resolve",
    )
    Macro.objects.create(
        client_id=client_id,
        engagement=engagement,
        name="Ask for a photo",
        reply="Sorry to hear that! Could you send us a photo of the damage?",
        add_tags=["damage"],
        then="wait",
    )
    Checklist.objects.create(
        client_id=client_id,
        product="Northwind app",
        title="Sign-in problems",
        steps=[
            "Check the app version (Settings > About)",
            "Sign out and in again",
            "Clear the app's cache",
            "Reinstall the app",
        ],
    )
    agent = Agent.objects.filter(user=agent_user).first()
    if agent is not None:
        skills = {**agent.skills, "customer_care": 3, "technical_support": 3}
        capacity = {**agent.capacity, "email": 5, "chat": 3, "web_form": 5}
        Agent.objects.filter(pk=agent.pk).update(skills=skills, capacity=capacity)
        clear_agent(
            actor=admin, agent=agent, engagement=engagement, reachable_client_ids=[client_id]
        )
    for n, (sender, subject, body) in enumerate(MAILS):
        raw = (
            f"From: {sender}\r\nTo: help@northwind.example\r\nSubject: {subject}\r\n"
            f"Message-ID: <demo-{n}@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            f"{body}"
        ).encode()
        inbound.ingest(mailbox=mailbox, raw=raw)
    work.create_item(
        actor=admin,
        queue=tickets,
        work_type="support.ticket",
        channel="phone",
        payload={
            "subject": "Northwind app crashes on start",
            "requester_name": "Jonas Weber",
            "requester_email": "jonas.weber@example.org",
            "product": "Northwind app",
            "version": "5.2.0",
            "device_os": "Android 15",
        },
    )
    _month(admin, tickets, client_id)


def _month(admin, queue, client_id) -> None:
    """Thirty days of answered tickets. They go in through the engine; their times are
    then set back, which only a demo may do."""
    now = timezone.now()
    channels = ("email", "chat", "web_form", "email", "phone")
    for n in range(90):
        ticket = work.create_item(
            actor=admin,
            queue=queue,
            work_type="care.ticket",
            channel=channels[n % len(channels)],
            payload={"subject": f"Order question {5000 + n}", "requester_name": "Demo Customer"},
        )
        received = now - timedelta(days=1 + n % 30, hours=n % 9)
        responded = received + timedelta(minutes=10 + (n * 17) % 240)
        resolved = responded + timedelta(hours=1 + (n * 5) % 30)
        Message.objects.create(
            client_id=client_id,
            item=ticket,
            direction="inbound",
            channel=ticket.channel,
            message_id=f"<demo-month-{n}-in@example.org>",
            body="Where is my order?",
            created_at=received,
        )
        Message.objects.create(
            client_id=client_id,
            item=ticket,
            direction="outbound",
            channel=ticket.channel,
            message_id=f"<demo-month-{n}-out@example.org>",
            body="It arrives tomorrow.",
            created_at=responded,
        )
        work_demo.set_history(
            item_id=ticket.pk,
            status="closed",
            created_at=received,
            queued_at=received,
            first_response_at=responded,
            resolved_at=resolved,
            closed_at=resolved + timedelta(days=1),
            reopen_count=1 if n % 11 == 0 else 0,
            sla_met=n % 8 != 0,
            resolution="Answered.",
        )
        if n % 3 == 0:
            Survey.objects.create(
                client_id=client_id,
                item=ticket,
                token_hash=f"demo-{ticket.pk:058d}",
                sent_at=resolved,
                expires_at=resolved + timedelta(days=7),
                answered_at=resolved + timedelta(hours=2),
                score=(5, 4, 5, 3, 2, 5, 4)[n % 7],
            )
