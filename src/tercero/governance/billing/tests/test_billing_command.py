"""`tercero billing close --month YYYY-MM [--client ID]`: drafts every active client's
invoices for the month and says what it did; a refused client is named with the reason
and the command exits non-zero."""

import io

import pytest
from django.core.management import CommandError, call_command

from tercero.governance.billing import invoices
from tercero.governance.billing.models import Invoice
from tercero.governance.billing.tests.invoice_setup import NOVEMBER, november
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope


@pytest.fixture
def month(provider):
    with all_clients_scope():
        return november(provider)


def test_close_drafts_each_clients_month_and_prints_what_it_did(month):
    out = io.StringIO()
    call_command("billing", "close", "--month", "2026-11", stdout=out)
    text = out.getvalue()
    assert "Tiered Transactions Ltd" in text
    assert "total £420.00" in text
    assert "Hourly Shores GmbH" in text
    assert "total €818.13" in text
    assert "Minimum FTE Inc" in text
    assert "total $12,000.00" in text
    with all_clients_scope():
        assert Invoice.objects.filter(status="draft").count() == 3


def test_close_for_one_client_only(month):
    out = io.StringIO()
    call_command("billing", "close", "--month", "2026-11", "--client", month.fte.pk, stdout=out)
    with all_clients_scope():
        assert list(Invoice.objects.values_list("client_id", flat=True)) == [month.fte.pk]


def test_a_refused_client_is_named_and_the_command_fails(month):
    # given: the FTE client's November is already issued
    reviewer = UserFactory(email="reviewer@provider.example", role=Role.PROVIDER_ADMIN)
    issuer = UserFactory(email="issuer@provider.example", role=Role.DELIVERY_MANAGER)
    with all_clients_scope():
        (draft,) = invoices.draft_invoices(actor=None, client_id=month.fte.pk, period=NOVEMBER)
        invoices.review_invoice(actor=reviewer, invoice_id=draft.pk, version=1)
        invoices.issue_invoice(actor=issuer, invoice_id=draft.pk, version=2)
    out = io.StringIO()
    # when / then
    with pytest.raises(CommandError, match="1 client"):
        call_command("billing", "close", "--month", "2026-11", stdout=out)
    assert "Minimum FTE Inc (#" in out.getvalue()
    assert "November 2026 is already invoiced (INV-000001)" in out.getvalue()
    with all_clients_scope():
        assert Invoice.objects.filter(status="draft").count() == 2


def test_a_bad_month_is_refused():
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("billing", "close", "--month", "November")
