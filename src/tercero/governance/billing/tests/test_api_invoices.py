"""The invoices API: staff draft, review, issue and credit with version checks; a
client's people see only their issued invoices and download them (PDF, CSV, UBL); an
issued invoice refuses change with 409; another client's invoice is 404. Issuing writes
`billing.invoice.issued` with ids and totals only."""

import json
from typing import cast

import pytest

from tercero.delivery.work.models import WorkEvent
from tercero.governance.billing import ubl
from tercero.governance.billing.invoice_events import InvoiceIssued
from tercero.governance.billing.models import Invoice
from tercero.governance.billing.tests.invoice_setup import november
from tercero.platform.identity.models import Grant, User
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope

JSON = "application/json"


@pytest.fixture
def world(provider, tenant_a):
    with all_clients_scope():
        month = november(provider)
        manager = cast(
            User, UserFactory(email="billing@provider.example", role=Role.PROVIDER_ADMIN)
        )
        second = cast(
            User, UserFactory(email="second@provider.example", role=Role.DELIVERY_MANAGER)
        )
        for person in (manager, second):
            for client in (month.transactions, month.hours, month.fte, tenant_a.client):
                Grant.objects.create(user=person, client=client, reason="billing")
        buyer = UserFactory(
            email="finance@tiered.example", role=Role.CLIENT_ADMIN, client=month.transactions
        )
    return month, manager, second, buyer


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type=JSON)


def _draft_and_review(client, month, manager):
    client.force_login(manager)
    drafted = _post(
        client, "/api/v1/billing/invoices/draft", {"client_id": month.transactions.pk,
                                                   "month": "2026-11"}
    )  # fmt: skip
    assert drafted.status_code == 201, drafted.content
    (invoice,) = drafted.json()
    reviewed = _post(client, f"/api/v1/billing/invoices/{invoice['id']}/review", {"version": 1})
    assert reviewed.status_code == 200, reviewed.content
    return reviewed.json()


def test_staff_draft_review_and_a_second_person_issues(client, world):
    month, manager, second, _buyer = world
    invoice = _draft_and_review(client, month, manager)
    assert [line["amount_minor"] for line in invoice["lines"]] == [25000, 10000]
    # the reviewer may not issue
    refused = _post(client, f"/api/v1/billing/invoices/{invoice['id']}/issue", {"version": 2})
    assert refused.status_code == 409
    assert "second person" in refused.json()["error"]["message"]
    # a second person does
    client.force_login(second)
    issued = _post(client, f"/api/v1/billing/invoices/{invoice['id']}/issue", {"version": 2})
    assert issued.status_code == 200, issued.content
    body = issued.json()
    assert (body["status"], body["number"], body["total_minor"]) == ("issued", "INV-000001", 42000)


def test_an_issued_invoice_refuses_change_with_409_and_a_sentence(client, world):
    month, manager, second, _buyer = world
    invoice = _draft_and_review(client, month, manager)
    client.force_login(second)
    _post(client, f"/api/v1/billing/invoices/{invoice['id']}/issue", {"version": 2})
    for step in ("review", "reopen", "issue"):
        answer = _post(client, f"/api/v1/billing/invoices/{invoice['id']}/{step}", {"version": 3})
        assert answer.status_code == 409
        assert answer.json()["error"]["message"] == (
            "An issued invoice never changes: correct it with a credit note."
        )
    again = _post(
        client, "/api/v1/billing/invoices/draft", {"client_id": month.transactions.pk,
                                                   "month": "2026-11"}
    )  # fmt: skip
    assert again.status_code == 409


def test_a_credit_note_through_the_api(client, world):
    month, manager, second, _buyer = world
    invoice = _draft_and_review(client, month, manager)
    client.force_login(second)
    _post(client, f"/api/v1/billing/invoices/{invoice['id']}/issue", {"version": 2})
    answer = _post(
        client, f"/api/v1/billing/invoices/{invoice['id']}/credit-notes", {"reason": "Wrong band"}
    )
    assert answer.status_code == 201, answer.content
    note = answer.json()
    assert (note["kind"], note["credited_invoice_id"], note["total_minor"]) == (
        "credit_note",
        invoice["id"],
        -42000,
    )


def test_issuing_publishes_the_event_with_ids_and_totals_only(client, world):
    month, manager, second, _buyer = world
    invoice = _draft_and_review(client, month, manager)
    client.force_login(second)
    _post(client, f"/api/v1/billing/invoices/{invoice['id']}/issue", {"version": 2})
    with all_clients_scope():
        (event,) = WorkEvent.objects.filter(kind="billing.invoice.issued")
    assert event.client_id == month.transactions.pk
    assert event.data == {
        "invoice_id": invoice["id"],
        "kind": "invoice",
        "number": "INV-000001",
        "period_start": "2026-11-01",
        "currency": "GBP",
        "subtotal_minor": 35000,
        "tax_minor": 7000,
        "total_minor": 42000,
    }
    InvoiceIssued.model_validate(event.data)


def test_the_client_sees_only_its_issued_invoices_and_downloads_them(client, world):
    month, manager, second, buyer = world
    invoice = _draft_and_review(client, month, manager)
    client.force_login(buyer)
    # a reviewed draft is the provider's working paper
    assert client.get("/api/v1/billing/invoices").json() == []
    assert client.get(f"/api/v1/billing/invoices/{invoice['id']}").status_code == 404
    client.force_login(second)
    _post(client, f"/api/v1/billing/invoices/{invoice['id']}/issue", {"version": 2})
    client.force_login(buyer)
    listed = client.get("/api/v1/billing/invoices").json()
    assert [row["number"] for row in listed] == ["INV-000001"]
    xml = client.get(f"/api/v1/billing/invoices/{invoice['id']}/ubl")
    assert xml.status_code == 200
    assert xml["Content-Disposition"] == 'attachment; filename="INV-000001.xml"'
    assert ubl.problems(xml.content, kind="invoice") == []
    pdf = client.get(f"/api/v1/billing/invoices/{invoice['id']}/pdf")
    assert pdf.content.startswith(b"%PDF")
    csv_text = client.get(f"/api/v1/billing/invoices/{invoice['id']}/csv").content.decode()
    assert csv_text.count("\n") == 3
    # and cannot act on it
    assert (
        _post(
            client, f"/api/v1/billing/invoices/{invoice['id']}/credit-notes", {"reason": "x"}
        ).status_code
        == 403
    )


def test_another_clients_invoice_is_404_and_nothing_changes(client, world, tenant_a):
    month, manager, _second, _buyer = world
    invoice = _draft_and_review(client, month, manager)
    client.force_login(tenant_a.client_admin)
    for answer in (
        client.get(f"/api/v1/billing/invoices/{invoice['id']}"),
        client.get(f"/api/v1/billing/invoices/{invoice['id']}/ubl"),
        _post(client, f"/api/v1/billing/invoices/{invoice['id']}/issue", {"version": 2}),
    ):
        assert answer.status_code == 404
    with all_clients_scope():
        assert Invoice.objects.get(pk=invoice["id"]).status == "reviewed"


def test_bad_input_is_a_4xx_naming_the_field(client, world):
    month, manager, _second, _buyer = world
    client.force_login(manager)
    answer = _post(
        client, "/api/v1/billing/invoices/draft", {"client_id": month.hours.pk, "month": "Nov"}
    )
    assert answer.status_code == 422
    assert client.get("/api/v1/billing/invoices?status=paid").status_code == 422
    with all_clients_scope():
        assert not Invoice.objects.exists()


def test_the_buyers_tax_details_are_read_and_changed_with_a_version(client, world):
    month, manager, _second, _buyer = world
    client.force_login(manager)
    url = f"/api/v1/billing/parties/{month.fte.pk}"
    before = client.get(url).json()
    changed = client.patch(
        url,
        data=json.dumps({"version": before["version"], "tax_id": "us 98-7654321"}),
        content_type=JSON,
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["tax_id"] == "US98-7654321"
    stale = client.patch(
        url, data=json.dumps({"version": before["version"], "city": "Boston"}), content_type=JSON
    )
    assert stale.status_code == 409
