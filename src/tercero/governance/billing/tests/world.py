"""Builders for commercials' tests: a live engagement with a queue, agents who resolve
items of a small test work type, and rate cards made through `rates`."""

from collections.abc import Sequence
from typing import Any

import pytest
from pydantic import BaseModel, Field
from tests.factories import engagement_for, site

from tercero.delivery.work import outbox, registry
from tercero.delivery.work import services as work
from tercero.delivery.work.registry import WorkType
from tercero.delivery.workforce.models import Agent, Clearance, Site
from tercero.delivery.workforce.services import create_agent, set_presence
from tercero.governance.billing import rates
from tercero.platform.identity.models import Grant
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

ALWAYS = {str(day): [["00:00", "24:00"]] for day in range(7)}
CONSUMER = "billing.metering"


class Document(BaseModel):
    document: str = Field(min_length=1)


BILLED = WorkType(
    key="test.billed",
    title="Billed document",
    payload_schema=Document,
    office="back",
    channel="back_office",
    sla_metrics=("turnaround",),
)


@pytest.fixture
def billed_type():
    registry.register(BILLED)
    yield BILLED
    registry.unregister(BILLED.key)


def live_engagement(client, *, name="Keying"):
    return engagement_for(
        client, name=name, status="live", hours_of_cover="24_7", working_hours=ALWAYS
    )


def queue_of(engagement):
    with client_scope(clients=[engagement.client_id]):
        return work.create_queue(
            actor=None, engagement=engagement, name="Documents", work_types=[BILLED.key]
        )


def site_named(name: str, country: str, time_zone: str) -> Site:
    return Site.objects.filter(name=name).first() or site(
        name=name, country=country, time_zone=time_zone, city=name
    )


def agent_for(*engagements, at: Site | None = None, available: bool = True) -> Agent:
    """An agent granted and cleared for each engagement given."""
    user = UserFactory.create(role=Role.AGENT)
    agent = create_agent(
        actor=None,
        user=user,
        site=at or site_named("Manila", "PH", "Asia/Manila"),
        skills={},
        languages=["en"],
        capacity=None,
    )
    for engagement in engagements:
        with client_scope(clients=[engagement.client_id]):
            Grant.objects.get_or_create(user=user, client_id=engagement.client_id)
            Clearance.objects.create(
                client_id=engagement.client_id, agent=agent, engagement=engagement
            )
    if available:
        agent = set_presence(agent=agent, presence="available")
    agent.user = user
    return agent


def resolve_items(queue, agent: Agent, count: int) -> list[int]:
    """`count` items created, assigned to `agent`, started and resolved by them."""
    done = []
    with client_scope(clients=[queue.client_id]):
        for number in range(count):
            item = work.create_item(
                actor=None, queue=queue, work_type=BILLED.key, payload={"document": f"d-{number}"}
            )
            item = work.assign(actor=None, item=item, agent=agent)
            item = work.transition(actor=agent.user, item=item, action="start")
            item = work.transition(actor=agent.user, item=item, action="resolve")
            done.append(item.pk)
    return done


def meter() -> int:
    """Run the metering consumer over everything waiting; returns events handled."""
    return outbox.consume(CONSUMER)


def card_with(
    engagement,
    lines: Sequence[dict[str, Any]],
    *,
    minimum: int = 0,
    currency: str = "GBP",
    actor=None,
):
    """A rate card with one version from 2026-01-01 holding `lines`; returns the version."""
    from datetime import date

    with client_scope(clients=[engagement.client_id]):
        card = rates.create_card(actor=actor, engagement=engagement, name="Card", currency=currency)
        version = rates.add_version(
            actor=actor, card=card, effective_from=date(2026, 1, 1), monthly_minimum_minor=minimum
        )
        for fields in lines:
            rates.add_line(actor=actor, rate_version=version, fields=fields)
    return version


def usage_rows(client_id: int) -> list[tuple]:
    """The client's usage ledger as comparable tuples (no ids, no creation times)."""
    from tercero.governance.billing.models import UsageRecord

    with all_clients_scope():
        return sorted(
            UsageRecord.objects.filter(client_id=client_id).values_list(
                "engagement_id",
                "unit",
                "quantity",
                "work_type",
                "outcome_kind",
                "shore",
                "site_id",
                "source_event_id",
                "source_key",
                "occurred_at",
                "period",
            ),
            key=str,
        )
