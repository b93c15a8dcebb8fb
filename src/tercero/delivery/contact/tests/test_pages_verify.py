"""The public page at /verify/<slug>/ as a customer uses it: is the call I am getting
really from my provider, right now?"""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client as HttpClient
from django.utils import timezone

from tercero.delivery.contact.models import ContactVerification, LookupCounter
from tercero.delivery.contact.services import LOOKUPS_PER_ADDRESS, LOOKUPS_PER_CONTACT
from tercero.delivery.contact.tests.factories import outbound, verification_page
from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

PHONE = "+1 555 010 1234"
NOBODY = "No one from Acme is contacting you right now"


def check(client, slug="acme", *, contact=PHONE, code="", address="203.0.113.7"):
    return client.post(f"/verify/{slug}/", {"contact": contact, "code": code}, REMOTE_ADDR=address)


@pytest.fixture
def acme(tenant_a):
    return verification_page(tenant_a.client, slug="acme", display_name="Acme")


def test_a_code_is_confirmed_for_the_contacted_phone_only(client, tenant_a, maria, acme):
    # Threat: a crook claims to call from the provider; only the number we really call matches.
    # given
    _, code = outbound(maria, tenant_a.client, contact=PHONE)

    # when
    ours = check(client, contact="(555) 010-1234", code=code).content.decode()
    theirs = check(client, contact="+1 555 010 9999", code=code).content.decode()

    # then
    assert "Yes, this is really Acme." in ours
    assert f"Maria is contacting you right now (phone call) and the code {code} is correct" in ours
    assert NOBODY in theirs
    assert "Maria" not in theirs


def test_the_page_names_the_agent_but_never_shows_the_code(client, tenant_a, maria, acme):
    # Threat: anyone who knows a customer's number reads the live code off the public page.
    # given
    _, code = outbound(maria, tenant_a.client)

    # when
    page = check(client, contact="15550101234").content.decode()

    # then
    assert "Maria from Acme is contacting you right now" in page
    assert code not in page


def test_a_code_expires_after_ten_minutes(client, tenant_a, maria, acme):
    # Threat: a code overheard or leaked earlier is replayed by a crook later.
    # given
    start = timezone.now()
    _, code = outbound(maria, tenant_a.client, now=start)

    # when
    with time_machine.travel(start + timedelta(minutes=9, seconds=59), tick=False):
        before = check(client, code=code, address="203.0.113.1").content.decode()
    _, later_code = outbound(maria, tenant_a.client, contact="+44 7700 900123", now=start)
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        after = check(client, contact="07700 900123", code=later_code).content.decode()

    # then
    assert "Yes, this is really Acme." in before
    assert NOBODY in after


def test_a_code_works_once(client, tenant_a, maria, acme):
    # Threat: a crook replays a code the customer already confirmed on a genuine call.
    # given
    _, code = outbound(maria, tenant_a.client)
    assert "Yes, this is really Acme." in check(client, code=code).content.decode()

    # when
    again = check(client, code=code).content.decode()

    # then
    assert "That code was already checked at" in again
    assert "Yes, this is really Acme." not in again


def test_a_wrong_code_tells_the_customer_to_hang_up(client, tenant_a, maria, acme):
    # Threat: a crook calls while a genuine contact is live and invents a code.
    # given
    _, code = outbound(maria, tenant_a.client)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    # when
    page = check(client, code=wrong).content.decode()

    # then
    assert "That is not the code Acme gave for this contact — hang up." in page


def test_neither_the_code_nor_the_contact_is_stored_in_clear(client, tenant_a, maria, acme):
    # Threat: someone with a copy of the database reads live codes and customers' numbers.
    # given
    verification, code = outbound(maria, tenant_a.client, contact="+1 555 010 1234")
    check(client, code=code)

    # when
    with client_scope(clients=[tenant_a.client]):
        row = ContactVerification.objects.values().get(pk=verification.pk)
    stored = " ".join(str(value) for value in row.values())
    with all_clients_scope():
        payloads = list(AuditEvent.objects.values_list("payload", flat=True))
    audited = " ".join(str(payload) for payload in payloads)

    # then
    assert code not in stored
    assert code not in audited
    assert "5550101234" not in stored
    assert "5550101234" not in audited
    assert row["contact_shown"] == "•••• 234"
    assert row["status"] == "confirmed"


def test_checks_from_one_address_are_refused_after_the_limit(client, tenant_a, acme):
    # Threat: a crook probes many numbers from one address to learn who is being called.
    # given
    for n in range(LOOKUPS_PER_ADDRESS):
        assert check(client, contact=f"+1 555 020 {n:04d}").status_code == 200

    # when
    refused = check(client, contact="+1 555 020 9999")
    elsewhere = check(client, contact="+1 555 020 9999", address="198.51.100.4")

    # then
    assert refused.status_code == 429
    assert "Too many checks from here" in refused.content.decode()
    assert elsewhere.status_code == 200
    with client_scope(clients=[tenant_a.client]):
        counted = LookupCounter.objects.get(kind="ip", count__gt=1)
    assert counted.count == LOOKUPS_PER_ADDRESS + 1
    assert "203.0.113.7" not in counted.key
    with all_clients_scope():
        throttled = list(AuditEvent.objects.filter(action="contact.verification_throttled"))
    assert [event.payload["by"] for event in throttled] == ["ip"]


def test_checks_for_one_contact_are_refused_after_the_limit_from_any_address(
    client, tenant_a, maria, acme
):
    # Threat: a crook spreads guesses at a live code over many addresses.
    # given
    _, code = outbound(maria, tenant_a.client)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for n in range(LOOKUPS_PER_CONTACT):
        assert check(client, code=wrong, address=f"192.0.2.{n}").status_code == 200

    # when
    refused = check(client, code=code, address="192.0.2.200")

    # then
    assert refused.status_code == 429
    assert "Too many checks for this contact" in refused.content.decode()
    with client_scope(clients=[tenant_a.client]):
        assert ContactVerification.objects.get().status == "active"


def test_the_limit_is_kept_in_the_database_for_every_process(client, tenant_a, acme):
    # Threat: a crook spreads requests over web processes whose memory counters never meet.
    # given: one check from here, and the rest of the limit used up by other processes
    assert check(client, contact="+1 555 030 0001").status_code == 200
    with client_scope(clients=[tenant_a.client]):
        LookupCounter.objects.filter(kind="ip").update(count=LOOKUPS_PER_ADDRESS)

    # when
    refused = check(HttpClient(), contact="+1 555 030 0002")

    # then
    assert refused.status_code == 429


def test_another_clients_page_never_shows_this_clients_contacts(
    client, tenant_a, tenant_b, maria, acme
):
    # Threat: one client's page reveals who another client's agents are calling.
    # given
    verification_page(tenant_b.client, slug="bergmann", display_name="Bergmann")
    _, code = outbound(maria, tenant_a.client)

    # when
    page = check(client, "bergmann", code=code).content.decode()

    # then
    assert "No one from Bergmann is contacting you right now" in page
    assert "Maria" not in page
    with all_clients_scope():
        assert AuditEvent.objects.filter(
            action="contact.verification_checked", client_id=tenant_b.client.pk
        ).get().payload == {"page": "bergmann", "outcome": "none", "with_code": True}


def test_an_unknown_or_inactive_page_is_404(client, tenant_a, acme):
    # Threat: guessing page addresses reveals which clients exist.
    # given
    with client_scope(clients=[tenant_a.client]):
        from tercero.delivery.contact.services import update_page

        update_page(actor=None, page=acme, changes={"is_active": False})

    # then
    assert client.get("/verify/nobody/").status_code == 404
    assert client.get("/verify/acme/").status_code == 404


def test_each_check_is_audited_without_the_contact(client, tenant_a, maria, acme):
    # Threat: checks leave no trace, or the trace itself leaks the customer's number.
    # given
    verification, _ = outbound(maria, tenant_a.client)

    # when
    check(client)

    # then
    with all_clients_scope():
        event = AuditEvent.objects.get(action="contact.verification_checked")
    assert event.client_id == tenant_a.client.pk
    assert event.object_id == str(verification.pk)
    assert event.payload == {"page": "acme", "outcome": "active", "with_code": False}
    assert event.ip == "203.0.113.7"


def test_the_check_form_needs_its_csrf_token(tenant_a, acme):
    # Threat: another site makes visitors' browsers run checks (and spend their limits).
    # given
    browser = HttpClient(enforce_csrf_checks=True)

    # when
    forged = browser.post("/verify/acme/", {"contact": PHONE})
    form = browser.get("/verify/acme/")
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.content.decode())
    assert found is not None
    token = found[1]
    genuine = browser.post("/verify/acme/", {"contact": PHONE, "csrfmiddlewaretoken": token})

    # then
    assert forged.status_code == 403
    assert genuine.status_code == 200
    assert NOBODY in genuine.content.decode()


def test_the_page_is_csp_clean_with_the_clients_colour(client, tenant_a):
    # Threat: an injected style or script runs on the page customers trust.
    # given
    verification_page(tenant_a.client, slug="acme", display_name="Acme", accent_colour="#ffcc00")

    # when
    response = client.get("/verify/acme/")
    html = response.content.decode()

    # then
    found = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    assert found is not None
    nonce = found[1]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert f'<style nonce="{nonce}">:root {{ --brand: #ffcc00; --brand-ink: #1b1f24; }}' in html
    assert " style=" not in html
    assert all(f'nonce="{nonce}"' in tag for tag in re.findall(r"<script[^>]*>", html))
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_colour_that_is_not_a_hex_code_is_refused(tenant_a):
    # Threat: a page setting smuggles CSS into the customers' page.
    from tercero.platform.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        verification_page(tenant_a.client, accent_colour="red;}body{display:none")
    assert "accent_colour" in refused.value.fields
