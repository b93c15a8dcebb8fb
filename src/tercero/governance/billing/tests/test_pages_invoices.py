"""Invoice pages: staff list with filters and CSV, draft a month, review and issue
with the version the page was loaded at, credit an issued invoice; the client's portal
lists only its issued invoices with their downloads."""

from typing import cast

import pytest

from tercero.governance.billing.models import Invoice
from tercero.governance.billing.tests.invoice_setup import november
from tercero.platform.identity.models import Grant, User
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope


@pytest.fixture
def world(provider):
    with all_clients_scope():
        month = november(provider)
        manager = cast(
            User, UserFactory(email="billing@provider.example", role=Role.PROVIDER_ADMIN)
        )
        second = cast(
            User, UserFactory(email="second@provider.example", role=Role.DELIVERY_MANAGER)
        )
        for person in (manager, second):
            for client in (month.transactions, month.hours, month.fte):
                Grant.objects.create(user=person, client=client, reason="billing")
        buyer = UserFactory(
            email="finance@tiered.example", role=Role.CLIENT_ADMIN, client=month.transactions
        )
    return month, manager, second, buyer


def _invoice() -> Invoice:
    with all_clients_scope():
        return Invoice.objects.get()


def test_a_month_is_drafted_reviewed_and_issued_from_the_pages(client, world):
    month, manager, second, _buyer = world
    client.force_login(manager)
    # when: draft
    answer = client.post(
        "/billing/invoices/draft/", {"client": month.transactions.pk, "month": "2026-11"}
    )
    invoice = _invoice()
    assert answer.status_code == 302
    assert answer["Location"] == f"/billing/invoices/{invoice.pk}/"
    page = client.get(answer["Location"]).content.decode()
    assert "Tickets resolved, band 1: 1 to 100" in page
    assert "£420.00" in page
    assert "Mark as reviewed" in page
    # review, then the reviewer sees they cannot issue
    client.post(f"/billing/invoices/{invoice.pk}/review/", {"version": "1"})
    page = client.get(f"/billing/invoices/{invoice.pk}/").content.decode()
    assert "a second person must issue it" in page
    # a second person issues; a stale page's version is refused with a message
    client.force_login(second)
    stale = client.post(f"/billing/invoices/{invoice.pk}/issue/", {"version": "1"}, follow=True)
    assert "changed since you loaded it" in stale.content.decode()
    client.post(f"/billing/invoices/{invoice.pk}/issue/", {"version": "2"})
    invoice = _invoice()
    assert (invoice.status, invoice.number) == ("issued", "INV-000001")
    page = client.get(f"/billing/invoices/{invoice.pk}/").content.decode()
    assert "Correct with a credit note" in page
    assert "Mark as reviewed" not in page


def test_an_issued_invoice_is_credited_from_its_page(client, world):
    month, manager, second, _buyer = world
    client.force_login(manager)
    client.post("/billing/invoices/draft/", {"client": month.transactions.pk, "month": "2026-11"})
    invoice = _invoice()
    client.post(f"/billing/invoices/{invoice.pk}/review/", {"version": "1"})
    client.force_login(second)
    client.post(f"/billing/invoices/{invoice.pk}/issue/", {"version": "2"})
    with all_clients_scope():
        first_line = invoice.lines.order_by("id")[0]
    # when
    answer = client.post(
        f"/billing/invoices/{invoice.pk}/credit/", {"reason": "Band misapplied",
                                                   "line": [first_line.pk]}
    )  # fmt: skip
    # then
    with all_clients_scope():
        note = Invoice.objects.get(kind="credit_note")
    assert answer["Location"] == f"/billing/invoices/{note.pk}/"
    assert note.total_minor == -30000
    page = client.get(answer["Location"]).content.decode()
    assert "Band misapplied" in page
    assert "-£300.00" in page


def test_the_staff_list_filters_by_client_and_status_and_exports_csv(client, world):
    month, manager, _second, _buyer = world
    client.force_login(manager)
    for customer in (month.transactions, month.fte):
        client.post("/billing/invoices/draft/", {"client": customer.pk, "month": "2026-11"})
    page = client.get(f"/billing/invoices/?client={month.fte.pk}").content.decode()
    assert "Minimum FTE Inc" in page
    assert "Tiered Transactions Ltd</td>" not in page
    assert "Draft a month" in page
    exported = client.get("/billing/invoices/?format=csv&status=draft").content.decode()
    assert exported.count("\n") == 3
    assert "$12,000.00" in exported


def test_the_client_portal_lists_only_issued_invoices_with_downloads(client, world):
    month, manager, second, buyer = world
    client.force_login(manager)
    client.post("/billing/invoices/draft/", {"client": month.transactions.pk, "month": "2026-11"})
    invoice = _invoice()
    client.force_login(buyer)
    assert "No invoices match." in client.get("/billing/invoices/").content.decode()
    assert client.get(f"/billing/invoices/{invoice.pk}/").status_code == 404
    client.force_login(manager)
    client.post(f"/billing/invoices/{invoice.pk}/review/", {"version": "1"})
    client.force_login(second)
    client.post(f"/billing/invoices/{invoice.pk}/issue/", {"version": "2"})
    client.force_login(buyer)
    page = client.get(f"/billing/invoices/{invoice.pk}/").content.decode()
    assert "INV-000001" in page
    assert "Mark as reviewed" not in page
    assert "Tax details" not in page
    assert client.get(f"/billing/invoices/{invoice.pk}/pdf/").content.startswith(b"%PDF")
    assert client.post("/billing/invoices/draft/", {}).status_code == 404
