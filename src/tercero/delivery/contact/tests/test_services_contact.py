"""The contact services' own refusals, whichever page or API calls them."""

import pytest
from django.core import mail
from django.utils import timezone

from tercero.delivery.contact import services
from tercero.delivery.contact.details import parse_phone
from tercero.delivery.contact.models import ContactVerification
from tercero.platform.errors import PermissionDenied
from tercero.platform.tenancy.scoping import client_scope


def test_only_provider_staff_get_codes_from_the_services(tenant_a):
    # Threat: a client's user reaches the service by another door and vouches as the provider.
    with client_scope(clients=[tenant_a.client]):
        for person in (tenant_a.client_user, tenant_a.client_admin, None):
            # when / then
            with pytest.raises(PermissionDenied):
                services.issue_outbound(
                    actor=person,  # type: ignore[arg-type]  # None: refused at run time
                    client_id=tenant_a.client.pk,
                    channel="call",
                    contact="+15550101234",
                    now=timezone.now(),
                )
            with pytest.raises(PermissionDenied):
                services.send_caller_code(
                    actor=person,  # type: ignore[arg-type]  # None: refused at run time
                    client_id=tenant_a.client.pk,
                    email="jane@example.org",
                    now=timezone.now(),
                )
        assert ContactVerification.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("+44 7700 900123", "00900123"),
        ("07700 900123", "00900123"),
        ("0044 (0)7700-900123", "00900123"),
        ("(555) 010-1234", "50101234"),
        ("+1.555.010.1234", "50101234"),
    ],
)
def test_a_line_typed_in_national_or_international_form_has_one_key(typed, key):
    # Threat: a genuine call is reported as "no one is contacting you" because the
    # customer typed their number differently from the agent.
    assert parse_phone(typed).key == key


def test_phone_numbers_keep_their_leading_plus_and_only_digits():
    # Threat: two spellings of one number are stored as two different contacts.
    assert parse_phone("+44 (20) 7946-0000").normalised == "+442079460000"
    assert parse_phone("0044 20 7946 0000").normalised == "+442079460000"
    assert parse_phone("020 7946 0000").normalised == "02079460000"
