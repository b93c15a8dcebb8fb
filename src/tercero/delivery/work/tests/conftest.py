"""Builders for work engine tests: two registered work types, live engagements,
queues and agents with exactly the skills, languages and sites a test needs."""

from datetime import date, time

import pytest
from pydantic import BaseModel, Field
from tests.factories import engagement_for, site

from tercero.delivery.engagements.models import Engagement
from tercero.delivery.work import outbox, registry, services
from tercero.delivery.work.registry import Deadline, WorkType
from tercero.delivery.work.tests.outbox_consumers import Recorder
from tercero.delivery.workforce.models import Agent, Clearance
from tercero.delivery.workforce.services import create_agent, set_presence
from tercero.platform.identity.models import Grant
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import client_scope


class TicketPayload(BaseModel):
    subject: str = Field(min_length=1, max_length=200)
    customer_language: str = ""


class FormPayload(BaseModel):
    document: str = Field(min_length=1)
    fields_total: int = Field(ge=1)
    fields_keyed: int = Field(default=0, ge=0)
    pay_date: date | None = None


def _ticket_summary(payload: BaseModel) -> str:
    assert isinstance(payload, TicketPayload)  # the registry hands each type its own schema
    return payload.subject


def _form_deadline(payload: BaseModel) -> Deadline | None:
    assert isinstance(payload, FormPayload)
    return Deadline(payload.pay_date, 2, time(14, 0)) if payload.pay_date else None


def _form_done(payload: BaseModel, resolution: str) -> list[str]:
    assert isinstance(payload, FormPayload)
    if payload.fields_keyed < payload.fields_total:
        return [f"{payload.fields_total - payload.fields_keyed} fields are not keyed yet."]
    return []


TICKET = WorkType(
    key="test.ticket",
    title="Ticket",
    payload_schema=TicketPayload,
    office="front",
    channel="email",
    language_field="customer_language",
    sla_metrics=("first_response", "resolution"),
    summary=_ticket_summary,
    display_fields=(("subject", "Subject"),),
)
FORM = WorkType(
    key="test.form",
    title="Form to key",
    payload_schema=FormPayload,
    office="back",
    channel="back_office",
    default_skills={"keying": 1},
    sla_metrics=("turnaround",),
    deadline=_form_deadline,
    completion_check=_form_done,
)


@pytest.fixture(autouse=True)
def work_types():
    registry.register(TICKET)
    registry.register(FORM)
    yield
    registry.unregister(TICKET.key)
    registry.unregister(FORM.key)


ALWAYS = {str(d): [["00:00", "24:00"]] for d in range(7)}


def live_engagement(client, *, name="Care", **overrides) -> Engagement:
    fields = dict(status="live", hours_of_cover="24_7", working_hours=ALWAYS)
    fields.update(overrides)
    return engagement_for(client, name=name, **fields)


def make_queue(engagement, *, name="Inbox", **fields):
    fields.setdefault("work_types", [TICKET.key, FORM.key])
    with client_scope(clients=[engagement.client_id]):
        return services.create_queue(actor=None, engagement=engagement, name=name, **fields)


def make_agent(
    *clients_or_engagements,
    site_=None,
    skills=None,
    languages=("en",),
    capacity=None,
    available=True,
    email=None,
) -> Agent:
    """An agent granted and cleared for each engagement given."""
    user = UserFactory.create(role=Role.AGENT, **({"email": email} if email else {}))
    agent = create_agent(
        actor=None,
        user=user,
        site=site_ or _default_site(),
        skills=skills or {},
        languages=list(languages),
        capacity=capacity,
    )
    for engagement in clients_or_engagements:
        with client_scope(clients=[engagement.client_id]):
            Grant.objects.get_or_create(user=user, client_id=engagement.client_id)
            Clearance.objects.create(
                client_id=engagement.client_id, agent=agent, engagement=engagement
            )
    if available:
        agent = set_presence(agent=agent, presence="available")
    agent.user = user  # read outside any scope, the row would be hidden (row-level security)
    return agent


def _default_site():
    from tercero.delivery.workforce.models import Site

    return Site.objects.filter(name="Manila").first() or site()


def add_item(queue, **fields):
    fields.setdefault("work_type", TICKET.key)
    if fields["work_type"] == TICKET.key:
        fields.setdefault("payload", {"subject": "Where is my order?"})
    else:
        fields.setdefault("payload", {"document": "scan-1.pdf", "fields_total": 3})
    with client_scope(clients=[queue.client_id]):
        return services.create_item(actor=None, queue=queue, **fields)


@pytest.fixture
def recorder():
    """Registers recording consumers for the test, and removes them after it."""
    made: list[Recorder] = []

    def make(name: str, **options) -> Recorder:
        made.append(Recorder(name, **options))
        outbox.register_consumer(made[-1].consumer)
        return made[-1]

    yield make
    for each in made:
        outbox.unregister_consumer(each.consumer.name)
