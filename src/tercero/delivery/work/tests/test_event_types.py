"""Every outbox event has a registered kind and fits its schema: the engine's own events
through a day of work, `publish` for everything else, and the start-up checks on a
service line's event kinds."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from tercero.delivery.work import event_types, privacy, registry, services
from tercero.delivery.work.event_types import EventData, EventType
from tercero.delivery.work.models import WorkEvent, WorkItem
from tercero.delivery.work.tests.conftest import (
    TICKET,
    add_item,
    live_engagement,
    make_agent,
    make_queue,
)
from tercero.platform import catalogue
from tercero.platform.catalogue import ServiceLine
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

TARGETS = [{"metric": "first_response", "target_seconds": 3600}]


class ParcelSent(EventData):
    parcel_id: int
    weight_grams: int


PARCEL_SENT = EventType("toy.parcel.sent", ParcelSent, "A parcel left the warehouse.")


@pytest.fixture
def parcel_kind():
    event_types.register(PARCEL_SENT)
    yield PARCEL_SENT.kind
    event_types.unregister(PARCEL_SENT.kind)


def _stored(client):
    with client_scope(clients=[client]):
        return list(WorkEvent.objects.order_by("id"))


def _day_of_work(tenant):
    """One item through every move the engine has, a second left to breach its SLA."""
    engagement = live_engagement(tenant.client, sla_targets=TARGETS)
    queue, second_line = make_queue(engagement), make_queue(engagement, name="Second line")
    agent = make_agent(engagement, skills={"keying": 3})
    lead = tenant.team_lead
    add_item(queue)
    item = services.get_next(agent=agent, client_ids=[tenant.client.pk])
    assert item is not None
    late = add_item(queue, payload={"subject": "Still waiting"})
    with client_scope(clients=[tenant.client]):
        item = services.transition(actor=agent.user, item=item, action="start")
        services.comment(actor=lead, item=item, body="Checked the order.")
        services.comment(actor=lead, item=item, body="On its way.", internal=False)
        item = services.transition(actor=agent.user, item=item, action="wait", waiting_on="client")
        item = services.transition(actor=agent.user, item=item, action="resume")
        item = services.update_item(
            actor=lead, item=item, version=item.version, changes={"priority": 2}
        )
        item = services.update_payload(actor=lead, item=item, changes={"subject": "Order 4411"})
        upload = SimpleUploadedFile("label.pdf", b"%PDF-1.4 label", "application/pdf")
        services.attach(actor=lead, item=item, upload=upload)
        item = services.escalate(actor=lead, item=item, reason="Customer called twice")
        item = services.transition(actor=agent.user, item=item, action="resolve", resolution="Ok")
        item = services.transition(actor=lead, item=item, action="close")
        item = services.transition(actor=lead, item=item, action="reopen")
        item = services.transfer(actor=lead, item=item, queue=second_line)
        item = services.assign(actor=lead, item=item, agent=agent)
        item = services.transition(actor=lead, item=item, action="unassign")
        item = services.transition(actor=lead, item=item, action="cancel", reason="Duplicate")
        privacy.purge(item=WorkItem.objects.get(pk=item.pk), actor=lead, why="retention")
    services.sweep(now=timezone.now() + timedelta(days=30))
    return late


def test_a_day_of_work_writes_only_registered_kinds_whose_data_fits_their_schema(tenant_a):
    # given a day of work touching every move of the engine
    _day_of_work(tenant_a)
    # when its outbox is read
    stored = _stored(tenant_a.client)
    # then every event has a registered kind and its data fits that kind's schema
    assert {event.kind for event in stored} == {
        "item.created",
        "item.queued",
        "item.assigned",
        "item.started",
        "item.commented",
        "item.responded",
        "item.waiting",
        "item.resumed",
        "item.updated",
        "item.payload_changed",
        "item.attached",
        "item.escalated",
        "item.resolved",
        "item.closed",
        "item.reopened",
        "item.transferred",
        "item.unassigned",
        "item.cancelled",
        "item.purged",
        "sla.at_risk",
        "sla.breached",
    }
    for event in stored:
        found = event_types.find(event.kind)
        assert found is not None, event.kind
        found.schema.model_validate(event.data)


def test_an_engine_event_keeps_exactly_the_fields_it_was_given(tenant_a):
    # given a day of work
    late = _day_of_work(tenant_a)
    # when its SLA alerts are read back
    with client_scope(clients=[tenant_a.client]):
        alerts = WorkEvent.objects.filter(item=late, kind__startswith="sla.").order_by("id")
        data = [(event.kind, sorted(event.data)) for event in alerts]
    # then the stored data is the fields given, no schema defaults added
    assert data == [("sla.at_risk", ["due_at", "metric"]), ("sla.breached", ["due_at", "metric"])]


def test_publish_writes_a_registered_kind_in_the_callers_transaction(tenant_a, parcel_kind):
    # given an item and a kind some service line registered
    item = add_item(make_queue(live_engagement(tenant_a.client)))
    with client_scope(clients=[tenant_a.client]):
        # when a service publishes it
        with transaction.atomic():
            event = services.publish(
                kind=parcel_kind,
                client_id=tenant_a.client.pk,
                item=item,
                actor=tenant_a.team_lead,
                data={"parcel_id": 7, "weight_grams": "1200"},
            )
        stored = WorkEvent.objects.get(pk=event.pk)
    # then it is stored with the item's engagement and its data as the schema reads it
    assert (stored.kind, stored.item_id, stored.engagement_id, stored.actor_id) == (
        "toy.parcel.sent",
        item.pk,
        item.engagement_id,
        tenant_a.team_lead.pk,
    )
    assert stored.data == {"parcel_id": 7, "weight_grams": 1200}


def test_publish_refuses_a_kind_nobody_registered(tenant_a):
    # given a client
    with (
        client_scope(clients=[tenant_a.client]),
        transaction.atomic(),
        pytest.raises(ValueError, match=r"^Unknown event kind 'toy\.parcel\.lost': register"),
    ):
        # when a service publishes a kind without a schema
        services.publish(kind="toy.parcel.lost", client_id=tenant_a.client.pk, data={})
    # then nothing is written
    assert _stored(tenant_a.client) == []


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"parcel_id": 7}, "weight_grams: Field required"),
        ({"parcel_id": 7, "weight_grams": "heavy"}, "weight_grams: Input should be a valid"),
        (
            {"parcel_id": 7, "weight_grams": 1, "recipient_email": "maria@example.org"},
            "recipient_email: Extra inputs are not permitted",
        ),
    ],
)
def test_publish_refuses_data_that_does_not_fit_the_schema(tenant_a, parcel_kind, data, problem):
    # given a registered kind
    with (
        client_scope(clients=[tenant_a.client]),
        transaction.atomic(),
        pytest.raises(ValueError, match=r"^Event 'toy\.parcel\.sent' does not fit") as refused,
    ):
        # when a service publishes data that does not fit it
        services.publish(kind=parcel_kind, client_id=tenant_a.client.pk, data=data)
    # then the error names the field, and nothing is written
    assert problem in str(refused.value)
    assert _stored(tenant_a.client) == []


def test_publish_refuses_an_item_of_another_client(tenant_a, tenant_b, parcel_kind):
    # given client B's item
    item = add_item(make_queue(live_engagement(tenant_b.client)))
    # when an event for client A names it
    with all_clients_scope(), transaction.atomic():
        with pytest.raises(ValueError, match="belongs to another client"):
            services.publish(
                kind=parcel_kind,
                client_id=tenant_a.client.pk,
                item=item,
                data={"parcel_id": 7, "weight_grams": 1},
            )
        # then nothing is written for client A
        assert WorkEvent.objects.filter(client_id=tenant_a.client.pk).count() == 0


def test_publish_outside_a_transaction_is_refused(tenant_a, parcel_kind, transactional_db):
    # given no transaction open
    with client_scope(clients=[tenant_a.client]):
        # when a service publishes
        with pytest.raises(ValueError, match="inside the transaction of the change"):
            services.publish(
                kind=parcel_kind,
                client_id=tenant_a.client.pk,
                data={"parcel_id": 7, "weight_grams": 1},
            )
        # then nothing is written
        assert WorkEvent.objects.count() == 0


def test_a_move_and_the_work_types_event_about_it_are_written_together_or_not_at_all(
    tenant_a, parcel_kind
):
    # given a work type whose reaction to a resolve publishes, then fails
    def react(item, event):
        if event.kind == "item.resolved":
            services.publish(
                kind=parcel_kind,
                client_id=item.client_id,
                item=item,
                data={"parcel_id": item.pk, "weight_grams": 1},
            )
            raise RuntimeError("the reaction failed")

    registry.unregister(TICKET.key)
    registry.register(replace(TICKET, on_transition=react))
    engagement = live_engagement(tenant_a.client)
    agent = make_agent(engagement)
    item = add_item(make_queue(engagement))
    with client_scope(clients=[tenant_a.client]):
        item = services.assign(actor=tenant_a.team_lead, item=item, agent=agent)
        item = services.transition(actor=agent.user, item=item, action="start")
        # when the item is resolved
        with pytest.raises(RuntimeError):
            services.transition(actor=agent.user, item=item, action="resolve", resolution="Ok")
        # then neither the move, its event nor the reaction's event is stored
        assert WorkItem.objects.get(pk=item.pk).status == "in_progress"
        kinds = list(WorkEvent.objects.filter(item=item).values_list("kind", flat=True))
    assert kinds == ["item.created", "item.queued", "item.assigned", "item.started"]


@pytest.mark.parametrize(
    ("kind", "problem"),
    [
        ("toy.Parcel.sent", "must be dotted lower-case words"),
        ("toy", "must be dotted lower-case words"),
        ("toy.parcel.send", "must end in a past tense"),
        ("post.parcel.sent", "must start with 'toy.'"),
        ("toy.parcel_to_a_distant_country.sent", "is longer than 32 characters"),
        ("item.created", "is already registered"),
    ],
)
def test_a_service_line_with_an_unfit_event_kind_stops_start_up(kind, problem):
    # given a manifest naming an unfit event kind
    line = ServiceLine(key="toy", title="Toy", events=(EventType(kind, ParcelSent, "Toy."),))
    before = event_types.find(kind)
    # when it is installed
    with pytest.raises(ImproperlyConfigured) as refused:
        registry.register_line(line)
    # then start-up stops naming the line and the problem, and nothing is installed
    assert str(refused.value).startswith("Service line 'toy': ")
    assert problem in str(refused.value)
    assert catalogue.find("toy") is None
    assert event_types.find(kind) == before


def test_an_event_schema_that_takes_undeclared_fields_stops_start_up():
    # given a schema that would let any field (personal data too) into an event
    class Loose(ParcelSent):
        model_config = {"extra": "allow"}

    line = ServiceLine(key="toy", title="Toy", events=(EventType("toy.parcel.sent", Loose, "T"),))
    # when the line is installed
    with pytest.raises(ImproperlyConfigured, match="must forbid extra fields"):
        registry.register_line(line)
    # then the kind is not registered
    assert event_types.find("toy.parcel.sent") is None


def test_a_service_lines_event_kinds_are_installed_with_it():
    # given a sound manifest with one event kind
    line = ServiceLine(key="toy", title="Toy", events=(PARCEL_SENT,))
    try:
        # when it is installed
        registry.register_line(line)
        # then the kind is registered, and installing the same manifest again is harmless
        assert event_types.find("toy.parcel.sent") == PARCEL_SENT
        registry.register_line(line)
        # and another schema under the same kind is refused
        other = EventType("toy.parcel.sent", ParcelSent, "Another meaning.")
        with pytest.raises(ImproperlyConfigured) as refused:
            registry.register_line(ServiceLine(key="toy", title="Toy", events=(other,)))
        assert str(refused.value) == (
            "Service line 'toy': event kind 'toy.parcel.sent' is already registered"
        )
    finally:
        catalogue.remove("toy")
        event_types.unregister("toy.parcel.sent")
