"""A small crm world for tests: a live engagement with a queue for outbound calls and
follow-ups, and a way to make a sale as the outbound line reports one (its events, by
kind: crm never imports outbound)."""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction

from tercero.delivery.work import outbox
from tercero.delivery.work import services as work
from tercero.delivery.work.tests.conftest import live_engagement, make_queue
from tercero.platform.tenancy.scoping import client_scope

SOLD_AT = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)


@dataclass
class World:
    tenant: object
    engagement: object
    queue: object


def build(tenant, *, name: str = "Sales") -> World:
    engagement = live_engagement(tenant.client, name=name)
    queue = make_queue(
        engagement, name=f"{name} floor", work_types=["outbound.call", "crm.follow_up"]
    )
    return World(tenant, engagement, queue)


def call_item(world: World, *, lead_id: int, name: str, phone: str):
    with client_scope(clients=[world.tenant.client]):
        return work.create_item(
            actor=None,
            queue=world.queue,
            work_type="outbound.call",
            channel="phone",
            payload={
                "campaign_id": 7,
                "lead_id": lead_id,
                "campaign": "Winter offer",
                "lead_name": name,
                "lead_phone": phone,
            },
        )


def sell(
    world: World, *, lead_id: int, value_minor: int, item=None, currency="USD", campaign_id=7
) -> list:
    """The two events the outbound line writes when a call ends in a sale."""
    client_id = world.tenant.client.pk
    common = {"campaign_id": campaign_id, "lead_id": lead_id, "attempt_id": 40 + lead_id}
    with client_scope(clients=[client_id]), transaction.atomic():
        sale = work.publish(
            kind="outbound.sale.made",
            client_id=client_id,
            engagement_id=world.engagement.pk,
            data={
                **common,
                "agent_id": None,
                "value_minor": value_minor,
                "currency": currency,
                "occurred_at": SOLD_AT,
            },
        )
        converted = work.publish(
            kind="outbound.lead.converted",
            client_id=client_id,
            engagement_id=world.engagement.pk,
            data={
                **common,
                "kind": "sale",
                "item_id": item.pk if item else None,
                "occurred_at": SOLD_AT,
            },
        )
    return [sale, converted]


def drain() -> None:
    outbox.consume("crm.intake")
