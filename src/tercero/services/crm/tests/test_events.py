"""crm's outbox event: a conversion recorded, written with the change, fitting its schema,
and nothing about the person in it."""

import pytest

from tercero.delivery.work import event_types
from tercero.delivery.work.models import WorkEvent
from tercero.platform.errors import InvalidInput
from tercero.platform.tenancy.scoping import client_scope
from tercero.services.crm import services
from tercero.services.crm.tests.world import SOLD_AT

pytestmark = pytest.mark.django_db


def test_a_conversion_recorded_by_hand_publishes_its_kind_and_value(tenant_a):
    with client_scope(clients=[tenant_a.client]):
        account = services.create_account(actor=None, client_id=tenant_a.client.pk, name="Kiosk")
        services.add_contact(
            actor=None, account=account, name="Ida Kiosk", email="ida@kiosk.example"
        )
        conversion = services.record_conversion(
            actor=None,
            client_id=tenant_a.client.pk,
            kind="appointment",
            value_minor=0,
            currency="gbp",
            occurred_at=SOLD_AT,
        )
        event = WorkEvent.objects.get(kind="crm.conversion.recorded")
    assert event.data == event_types.checked("crm.conversion.recorded", event.data)
    assert event.data["conversion_id"] == conversion.pk
    assert event.data["kind"] == "appointment"
    assert event.data["currency"] == "GBP"
    assert "ida" not in str(event.data).lower()


def test_an_unknown_kind_or_negative_value_is_refused_and_nothing_is_published(tenant_a):
    with client_scope(clients=[tenant_a.client]):
        for kind, value in (("bribe", 100), ("sale", -1)):
            with pytest.raises(InvalidInput):
                services.record_conversion(
                    actor=None,
                    client_id=tenant_a.client.pk,
                    kind=kind,
                    value_minor=value,
                    currency="USD",
                    occurred_at=SOLD_AT,
                )
        assert not WorkEvent.objects.filter(kind="crm.conversion.recorded").exists()
