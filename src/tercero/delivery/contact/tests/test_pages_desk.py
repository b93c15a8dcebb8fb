"""The contact desk as an agent uses it during a call, and the list team leads read."""

import re

from django.core import mail

from tercero.delivery.contact.models import ContactVerification
from tercero.delivery.contact.tests.factories import verification_page
from tercero.platform.tenancy.scoping import client_scope


def test_an_agent_gets_a_code_and_the_words_to_say(client, tenant_a, maria):
    # Threat: the agent cannot give the customer a way to check the call is genuine.
    # given
    verification_page(tenant_a.client, slug="acme", display_name="Acme")
    client.force_login(maria)

    # when
    response = client.post(
        "/work/contact/",
        {
            "action": "outbound",
            "out-client": tenant_a.client.pk,
            "out-channel": "call",
            "out-contact": "+1 555 010 1234",
        },
    )
    html = response.content.decode()

    # then
    found = re.search(r'<p class="stat" id="issued-code">(\d{6})</p>', html)
    assert found is not None
    code = found[1]
    assert "I'm calling from Acme" in html
    assert "open http://testserver/verify/acme/, type your phone number" in html
    assert f"and the code {code}" in html
    assert "no-store" in response["Cache-Control"]
    with client_scope(clients=[tenant_a.client]):
        assert ContactVerification.objects.get().agent == maria
    assert code not in client.get("/work/contact/").content.decode()


def test_a_bad_number_is_refused_beside_the_field(client, tenant_a, maria):
    # Threat: a mistyped number silently binds the code to the wrong person.
    # given
    client.force_login(maria)

    # when
    response = client.post(
        "/work/contact/",
        {
            "action": "outbound",
            "out-client": tenant_a.client.pk,
            "out-channel": "call",
            "out-contact": "call me",
        },
    )

    # then
    assert response.status_code == 422
    assert "That is not a phone number." in response.content.decode()
    with client_scope(clients=[tenant_a.client]):
        assert ContactVerification.objects.count() == 0


def test_an_agent_verifies_a_caller_with_the_emailed_code(client, tenant_a, maria):
    # Threat: a crook calls in as the customer and is believed without proof.
    # given
    client.force_login(maria)
    sent = client.post(
        "/work/contact/",
        {"action": "inbound", "in-client": tenant_a.client.pk, "in-email": "jane@example.org"},
    )
    found = re.search(r"\b(\d{6})\b", str(mail.outbox[0].body))
    assert found is not None
    code = found[1]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    # when
    missed = client.post(sent["Location"], {"action": "confirm", "code": wrong})
    confirmed = client.post(sent["Location"], {"action": "confirm", "code": code}, follow=True)

    # then
    assert sent.status_code == 302
    assert missed.status_code == 422
    assert "That code is wrong; 4 tries left." in missed.content.decode()
    assert "The caller is verified: the code matches." in confirmed.content.decode()
    with client_scope(clients=[tenant_a.client]):
        assert ContactVerification.objects.get().status == "confirmed"


def test_the_recent_list_is_for_team_leads(client, tenant_a, maria):
    # Threat: every agent browses every contact the provider made.
    # given
    client.force_login(maria)
    refused = client.get("/work/contact/recent/")
    client.force_login(tenant_a.team_lead)

    # when
    listed = client.get("/work/contact/recent/")

    # then
    assert refused.status_code == 403
    assert listed.status_code == 200
    assert "Recent verifications" in listed.content.decode()
