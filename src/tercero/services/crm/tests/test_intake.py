"""Sales from the outbound line become the client's conversions, opportunities won and
contacts (sealed), once per event however often the outbox replays them."""

import pytest

from tercero.delivery.work.models import WorkEvent
from tercero.platform.security import crypto
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.crm.models import Account, Contact, Conversion, Opportunity
from tercero.services.crm.tests.world import SOLD_AT, build, call_item, drain, sell

pytestmark = pytest.mark.django_db


def test_a_sale_becomes_a_conversion_an_opportunity_won_and_a_sealed_contact(tenant_a):
    # given
    world = build(tenant_a)
    item = call_item(world, lead_id=11, name="Rosa Delgado", phone="+12125550111")
    # when
    sell(world, lead_id=11, value_minor=24_900, item=item)
    drain()
    # then
    with client_scope(clients=[tenant_a.client]):
        conversion = Conversion.objects.get()
        opportunity = Opportunity.objects.get()
        contact = Contact.objects.get()
        assert (conversion.kind, conversion.value_minor, conversion.currency) == (
            "sale",
            24_900,
            "USD",
        )
        assert conversion.occurred_at == SOLD_AT
        assert conversion.opportunity_id == opportunity.pk
        assert (opportunity.stage, opportunity.value_minor) == ("won", 24_900)
        assert opportunity.contact_id == contact.pk
        assert contact.name.startswith("enc1:")
        assert "Rosa" not in contact.name
        assert crypto.open_sealed(contact.name) == "Rosa Delgado"
        assert contact.phone_hash == crypto.lookup_hash(tenant_a.client.pk, "+12125550111")
        published = WorkEvent.objects.get(kind="crm.conversion.recorded")
    assert published.data["value_minor"] == 24_900
    assert published.data["currency"] == "USD"
    assert published.data["conversion_id"] == conversion.pk
    assert "Rosa" not in str(published.data)
    assert "555" not in str(published.data)


def test_a_replayed_sale_changes_nothing(tenant_a):
    # given
    world = build(tenant_a)
    sale, converted = sell(world, lead_id=12, value_minor=5_000)
    drain()
    # when: the consumer sees the same events again (a redelivery after a crash)
    from tercero.services.crm import intake

    with client_scope(clients=[tenant_a.client]):
        intake.handle(sale)
        intake.handle(converted)
    # then
    with client_scope(clients=[tenant_a.client]):
        assert Conversion.objects.count() == 1
        assert Opportunity.objects.count() == 1
        assert Account.objects.count() == 1
        assert Contact.objects.count() == 1
        assert WorkEvent.objects.filter(kind="crm.conversion.recorded").count() == 1


def test_two_sales_to_two_leads_are_two_conversions_of_their_client_only(tenant_a, tenant_b):
    # given
    world = build(tenant_a)
    sell(world, lead_id=13, value_minor=1_000)
    sell(world, lead_id=14, value_minor=2_500)
    # when
    drain()
    # then
    with client_scope(clients=[tenant_a.client]):
        assert sorted(Conversion.objects.values_list("value_minor", flat=True)) == [1_000, 2_500]
    with client_scope(clients=[tenant_b.client]):
        assert Conversion.objects.count() == 0


def test_a_sale_without_a_call_item_keeps_a_contact_named_after_the_lead(tenant_a):
    world = build(tenant_a)
    sell(world, lead_id=15, value_minor=700)
    drain()
    with client_scope(clients=[tenant_a.client]):
        contact = Contact.objects.get()
        assert crypto.open_sealed(contact.name) == "Lead 15"
        assert contact.phone == ""
