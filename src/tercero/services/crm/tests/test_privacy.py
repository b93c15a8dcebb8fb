"""A data subject's crm contacts follow the privacy life cycle: `tercero privacy erase`
empties them (name, number, e-mail and their hashes) and leaves the sale for reports."""

import pytest
from django.core.management import call_command

from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope
from tercero.services.crm import selectors, services
from tercero.services.crm.models import Contact, Conversion
from tercero.services.crm.tests.world import build, call_item, drain, sell

pytestmark = pytest.mark.django_db


def test_privacy_erase_by_number_empties_the_contact_and_keeps_the_conversion(tenant_a):
    # given: a sale to Rosa, and another contact who must stay
    world = build(tenant_a)
    item = call_item(world, lead_id=21, name="Rosa Delgado", phone="+12125550121")
    sell(world, lead_id=21, value_minor=9_000, item=item)
    drain()
    with client_scope(clients=[tenant_a.client]):
        other = services.add_contact(
            actor=None,
            account=Contact.objects.get().account,
            name="Sam Other",
            phone="+12125550199",
        )
    # when
    call_command(
        "privacy", "erase", "--client", str(tenant_a.client.pk), "--subject", "+12125550121"
    )
    # then
    with client_scope(clients=[tenant_a.client]):
        rosa = Contact.objects.get(source_lead_id=21)
        assert (rosa.name, rosa.phone, rosa.phone_hash, rosa.name_hash) == ("", "", "", "")
        assert rosa.erased_at is not None
        assert Contact.objects.get(pk=other.pk).phone_hash != ""
        assert Conversion.objects.get().value_minor == 9_000
        assert not selectors.contacts(
            client_ids=[tenant_a.client.pk], search="+12125550121"
        ).exists()
    with all_clients_scope():
        erased = AuditEvent.objects.filter(action="crm.contact.erased", object_id=str(rosa.pk))
        assert erased.count() == 1


def test_erasure_in_one_client_leaves_the_same_number_in_another(tenant_a, tenant_b):
    # given: the same number is a contact of both clients
    for tenant in (tenant_a, tenant_b):
        with client_scope(clients=[tenant.client]):
            account = services.create_account(actor=None, client_id=tenant.client.pk, name="Shop")
            services.add_contact(
                actor=None, account=account, name="Pat Shared", phone="+12125550130"
            )
    # when
    call_command("privacy", "erase", "--client", str(tenant_a.client.pk), "--subject", "Pat Shared")
    # then
    with client_scope(clients=[tenant_a.client]):
        assert Contact.objects.get().erased_at is not None
    with client_scope(clients=[tenant_b.client]):
        assert Contact.objects.get().erased_at is None
