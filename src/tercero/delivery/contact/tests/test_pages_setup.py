"""No code without a page to check it on: the desk and the API refuse a client with no
live verification page, in words; the provider's staff and the client's admin set the
page up and edit it, validated and audited (issue 20, item 9)."""

import json

from tercero.delivery.contact.models import ContactVerification, VerificationPage
from tercero.delivery.contact.tests.factories import verification_page
from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

NO_PAGE = "Acme Retail Inc has no verification page, so the customer could not check a code."


def _codes(client) -> int:
    with client_scope(clients=[client]):
        return ContactVerification.objects.count()


def _page_events() -> list[tuple[str, int | None]]:
    with all_clients_scope():
        return list(
            AuditEvent.objects.filter(action__startswith="contact.page_")
            .order_by("sequence")
            .values_list("action", "actor_id")
        )


def _outbound(prefix: str, client) -> dict:
    return {
        "action": "outbound",
        f"{prefix}-client": client.pk,
        f"{prefix}-channel": "call",
        f"{prefix}-contact": "+1 555 010 1234",
    }


def test_the_desk_refuses_a_code_for_a_client_without_a_page(client, tenant_a, maria):
    # given a client with no verification page
    client.force_login(maria)
    # when the agent asks for a code before calling
    response = client.post("/work/contact/", _outbound("out", tenant_a.client))
    # then the desk says why, beside the client, and no code exists
    assert response.status_code == 422
    html = response.content.decode()
    assert NO_PAGE in html
    assert 'id="issued-code"' not in html
    assert _codes(tenant_a.client) == 0


def test_the_api_refuses_a_code_for_a_client_without_a_live_page(client, tenant_a, maria):
    # given a page switched off
    verification_page(tenant_a.client, slug="acme", is_active=False)
    client.force_login(maria)
    body = {"client_id": tenant_a.client.pk, "channel": "sms", "contact": "+1 555 010 1234"}
    # when
    response = client.post("/api/v1/contacts/outbound", json.dumps(body), "application/json")
    # then a 409 in words and nothing issued or audited
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "no_verification_page"
    assert error["message"].startswith(NO_PAGE)
    assert _codes(tenant_a.client) == 0
    with all_clients_scope():
        assert not AuditEvent.objects.filter(action="contact.outbound_issued").exists()


def test_staff_set_up_a_clients_page_and_then_codes_are_issued(client, tenant_a, maria):
    # given the delivery manager's list shows the client has no page
    client.force_login(tenant_a.team_lead)
    listing = client.get("/work/contact/pages/")
    assert listing.status_code == 403  # a team lead does not set up clients' pages
    from tercero.platform.identity.roles import Role

    tenant_a.team_lead.role = Role.DELIVERY_MANAGER
    with all_clients_scope():
        tenant_a.team_lead.save(update_fields=["role"])
    html = client.get("/work/contact/pages/").content.decode()
    assert "Acme Retail Inc" in html
    assert "No page: no codes" in html
    # when they set one up
    url = f"/work/contact/pages/{tenant_a.client.pk}/"
    response = client.post(
        url,
        {"display_name": "Acme", "slug": "acme", "accent_colour": "#0b5cad", "is_active": "on"},
        follow=True,
    )
    # then it is live, said, and audited as theirs
    assert "Saved. Customers check contacts at /verify/acme/." in response.content.decode()
    with client_scope(clients=[tenant_a.client]):
        page = VerificationPage.objects.get()
    assert (page.slug, page.display_name, page.accent_colour, page.is_active) == (
        "acme",
        "Acme",
        "#0b5cad",
        True,
    )
    assert _page_events() == [("contact.page_created", tenant_a.team_lead.pk)]
    # and the agent now gets a code
    client.force_login(maria)
    issued = client.post("/work/contact/", _outbound("out", tenant_a.client))
    assert 'id="issued-code"' in issued.content.decode()


def test_a_bad_page_is_refused_beside_each_field(client, tenant_a, tenant_b, provider_admin):
    # given another client's page already at /verify/taken/
    verification_page(tenant_b.client, slug="taken", display_name="Bergmann")
    client.force_login(provider_admin)
    url = f"/work/contact/pages/{tenant_a.client.pk}/"
    # when a name is missing, or the address and colour are malformed, or the address taken
    nameless = client.post(url, {"display_name": "", "slug": "acme"})
    malformed = client.post(
        url, {"display_name": "Acme", "slug": "Not A Slug!", "accent_colour": "blue"}
    )
    taken = client.post(url, {"display_name": "Acme", "slug": "taken"})
    # then each is refused with its reason and nothing is stored or audited for Acme
    assert (nameless.status_code, malformed.status_code, taken.status_code) == (422, 422, 422)
    assert "This field is required." in nameless.content.decode()
    assert "Lower-case letters, digits, -." in malformed.content.decode()
    assert "A colour such as #0b5cad." in malformed.content.decode()
    assert "That address is taken." in taken.content.decode()
    with client_scope(clients=[tenant_a.client]):
        assert not VerificationPage.objects.exists()
    assert [action for action, _ in _page_events()] == ["contact.page_created"]  # Bergmann's


def test_the_clients_admin_edits_their_own_page_in_the_portal(client, tenant_a):
    # given Acme's page, set up by the provider
    verification_page(tenant_a.client, slug="acme", display_name="Acme")
    client.force_login(tenant_a.client_admin)
    page = client.get("/portal/verification-page/").content.decode()
    assert 'Live at <a href="http://testserver/verify/acme/">' in page
    # when their admin renames it and adds the support number
    response = client.post(
        "/portal/verification-page/",
        {"display_name": "Acme Retail", "slug": "acme", "support_phone": "+1 555 010 0000",
         "is_active": "on"},
        follow=True,
    )  # fmt: skip
    # then it is saved and audited with the fields that changed
    assert "Saved." in response.content.decode()
    with client_scope(clients=[tenant_a.client]):
        saved = VerificationPage.objects.get()
    assert (saved.display_name, saved.support_phone) == ("Acme Retail", "+1 555 010 0000")
    with all_clients_scope():
        event = AuditEvent.objects.filter(action="contact.page_updated").get()
    assert event.actor_id == tenant_a.client_admin.pk
    assert event.payload["fields"] == ["display_name", "support_phone"]


def test_only_the_clients_admin_opens_the_portal_page(client, tenant_a):
    client.force_login(tenant_a.client_user)
    assert client.get("/portal/verification-page/").status_code == 403
    assert client.post("/portal/verification-page/", {"slug": "x"}).status_code == 403
    client.force_login(tenant_a.agent)
    assert client.get("/portal/verification-page/").status_code == 404
    assert _page_events() == []
