"""Gapless numbering under concurrent issue (PostgreSQL): many people issuing at once,
some issues refused and rolled back, and the numbers issued are exactly 1..N, each
once."""

import threading

import pytest
from django.db import connections

from tercero.governance.billing import invoices
from tercero.governance.billing.models import Invoice, InvoiceSequence
from tercero.governance.billing.tests.invoice_setup import (
    NOVEMBER,
    card,
    new_client,
    party,
    usage,
)
from tercero.platform.errors import Conflict
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.models import Provider
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

CLIENTS = 14
REFUSED = 2  # no VAT number for the provider: their issue is refused and rolled back


def _reviewed(provider, reviewer, n: int) -> Invoice:
    client = new_client(provider, f"Concurrent {n} Ltd", "GB", "Europe/London")
    with all_clients_scope():
        party(client, seller_tax_id="" if n < REFUSED else "GB123456789")
        version = card(
            client,
            currency="GBP",
            lines=[dict(unit="transaction", price_minor=100 + n, description="Items")],
        )
        usage(version, unit="transaction", quantity=n + 1, key=f"items:{n}")
        (invoice,) = invoices.draft_invoices(actor=None, client_id=client.pk, period=NOVEMBER)
        return invoices.review_invoice(actor=reviewer, invoice_id=invoice.pk, version=1)


@pytest.mark.postgres
def test_numbers_have_no_gap_or_repeat_when_many_issue_at_once(transactional_db):
    # given
    provider = Provider.objects.create(name="Concurrent BPO", country="GB")
    reviewer = UserFactory(email="reviewer@provider.example", role=Role.PROVIDER_ADMIN)
    issuers = [
        UserFactory(email=f"issuer{n}@provider.example", role=Role.DELIVERY_MANAGER)
        for n in range(CLIENTS)
    ]
    reviewed = [_reviewed(provider, reviewer, n) for n in range(CLIENTS)]
    start = threading.Barrier(CLIENTS)
    numbers: list[str] = []
    refusals: list[int] = []
    errors: list[Exception] = []

    def issue(invoice: Invoice, issuer) -> None:
        try:
            start.wait()
            with client_scope(clients=[invoice.client_id]):
                issued = invoices.issue_invoice(
                    actor=issuer, invoice_id=invoice.pk, version=invoice.version
                )
            numbers.append(issued.number)
        except Conflict:
            refusals.append(invoice.pk)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=issue, args=pair) for pair in zip(reviewed, issuers, strict=True)
    ]
    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert not errors, errors
    assert len(refusals) == REFUSED
    expected = [f"INV-{n:06d}" for n in range(1, CLIENTS - REFUSED + 1)]
    assert sorted(numbers) == expected
    with all_clients_scope():
        stored = sorted(
            Invoice.objects.filter(provider=provider, status="issued").values_list(
                "number", flat=True
            )
        )
        assert stored == expected
        assert Invoice.objects.filter(provider=provider, status="reviewed").count() == REFUSED
    assert InvoiceSequence.objects.get(provider=provider).next_number == CLIENTS - REFUSED + 1
