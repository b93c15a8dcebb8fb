"""Invoices: drafted from the month's rated usage (totals hand-checked to the minor
unit), reviewed, issued by a second person with the provider's next number, never
changed after issue, corrected by credit notes."""

from datetime import date
from decimal import Decimal

import pytest

from tercero.governance.billing import invoices, ubl
from tercero.governance.billing.models import Invoice, InvoiceLine, InvoiceSequence, UsageRecord
from tercero.governance.billing.tests.invoice_setup import NOVEMBER, november, party, usage
from tercero.platform.audit.models import AuditEvent
from tercero.platform.errors import Conflict, IllegalTransition, InvalidInput
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.models import Provider
from tercero.platform.tenancy.scoping import all_clients_scope


@pytest.fixture
def month(provider):
    with all_clients_scope():
        found = november(provider)
        yield found


@pytest.fixture
def manager(db):
    return UserFactory(email="billing@provider.example", role=Role.PROVIDER_ADMIN)


@pytest.fixture
def second(db):
    return UserFactory(email="second@provider.example", role=Role.DELIVERY_MANAGER)


def _draft(client) -> Invoice:
    (invoice,) = invoices.draft_invoices(actor=None, client_id=client.pk, period=NOVEMBER)
    return invoice


def _issued(client, manager, second) -> Invoice:
    invoice = _draft(client)
    invoices.review_invoice(actor=manager, invoice_id=invoice.pk, version=invoice.version)
    invoice.refresh_from_db()
    return invoices.issue_invoice(actor=second, invoice_id=invoice.pk, version=invoice.version)


def _lines(invoice) -> list[tuple]:
    return [
        (line.kind, line.quantity, line.unit_price_minor, line.amount_minor)
        for line in invoice.lines.order_by("id")
    ]


def test_tiered_transactions_invoice_to_the_minor_unit_with_domestic_vat(month):
    # when
    invoice = _draft(month.transactions)
    # then: 100 x 2.50 + 50 x 2.00 = 350.00; UK VAT 20 % = 70.00
    assert _lines(invoice) == [
        ("usage", Decimal(100), 250, 25000),
        ("usage", Decimal(50), 200, 10000),
    ]
    assert (invoice.subtotal_minor, invoice.tax_minor, invoice.total_minor) == (35000, 7000, 42000)
    assert (invoice.currency, invoice.tax_rate, invoice.status) == ("GBP", Decimal(20), "draft")
    assert (invoice.period_start, invoice.period_end) == (NOVEMBER, date(2026, 11, 30))


def test_hours_by_shore_round_each_line_half_up_and_carry_no_uk_vat_abroad(month):
    # when
    invoice = _draft(month.hours)
    # then: 10.5 x 30.00 = 315.00; 40.25 x 12.50 = 503.125 -> 503.13
    assert _lines(invoice) == [
        ("usage", Decimal("10.5"), 3000, 31500),
        ("usage", Decimal("40.25"), 1250, 50313),
    ]
    assert (invoice.subtotal_minor, invoice.tax_minor, invoice.total_minor) == (81813, 0, 81813)
    assert invoice.buyer["tax_category"] == "O"
    assert "Outside the scope of VAT in GB" in invoice.tax_note


def test_fte_below_the_minimum_is_topped_up_to_it(month):
    # when
    invoice = _draft(month.fte)
    # then: 2.5 x 4,000.00 = 10,000.00 and 2,000.00 to reach the 12,000.00 minimum
    assert _lines(invoice) == [
        ("usage", Decimal("2.5"), 400000, 1000000),
        ("minimum", Decimal(1), 200000, 200000),
    ]
    assert invoice.total_minor == 1200000


def test_every_total_equals_metered_units_times_rates(month):
    # when
    drafted = [_draft(c) for c in (month.transactions, month.hours, month.fte)]
    # then: each invoice's net is its lines, each line its quantity x price, half up
    for invoice in drafted:
        lines = list(invoice.lines.all())
        assert invoice.subtotal_minor == sum(line.amount_minor for line in lines)
        for line in lines:
            exact = line.quantity * line.unit_price_minor
            assert abs(line.amount_minor - exact) <= Decimal("0.5")
    assert [i.subtotal_minor for i in drafted] == [35000, 81813, 1200000]


def test_drafting_links_every_usage_row_to_its_line(month):
    # when
    invoice = _draft(month.transactions)
    # then
    first, second = invoice.lines.order_by("id")
    assert first.usage.count() == 100
    assert second.usage.count() == 50
    assert not UsageRecord.objects.filter(
        client=month.transactions, invoice_line__isnull=True
    ).exists()


def test_drafting_again_replaces_the_draft_and_picks_up_new_usage(month):
    # given
    old = _draft(month.transactions)
    version = (
        InvoiceLine.objects.select_related("rate_card_version__rate_card")
        .get(invoice=old, unit_price_minor=200)
        .rate_card_version
    )
    assert version is not None
    usage(version, unit="transaction", quantity=1, key="item:late", work_type="care.ticket")
    # when
    new = _draft(month.transactions)
    # then
    assert not Invoice.objects.filter(pk=old.pk).exists()
    assert new.subtotal_minor == 35200
    assert UsageRecord.objects.filter(invoice_line__invoice=new).count() == 151


def test_a_month_without_usage_or_rates_drafts_nothing(month, tenant_a):
    assert invoices.draft_invoices(actor=None, client_id=tenant_a.client.pk, period=NOVEMBER) == []


def test_review_then_issue_by_a_second_person_numbers_and_freezes_the_invoice(
    month, manager, second
):
    # when
    invoice = _issued(month.transactions, manager, second)
    # then
    assert invoice.status == "issued"
    assert invoice.number == "INV-000001"
    assert (invoice.reviewed_by, invoice.issued_by) == (manager, second)
    assert invoice.buyer["name"] == "Tiered Transactions Ltd"
    assert invoice.buyer["seller"]["tax_id"] == "GB123456789"
    assert InvoiceSequence.objects.get(provider=month.provider).next_number == 2
    actions = set(
        AuditEvent.objects.filter(object_type="invoice", object_id=str(invoice.pk)).values_list(
            "action", flat=True
        )
    )
    assert {"billing.invoice.drafted", "billing.invoice.reviewed", "billing.invoice.issued"} <= (
        actions
    )


def test_the_reviewer_cannot_also_issue(month, manager):
    # given
    invoice = _draft(month.transactions)
    invoices.review_invoice(actor=manager, invoice_id=invoice.pk, version=1)
    # when / then
    with pytest.raises(Conflict, match="second person"):
        invoices.issue_invoice(actor=manager, invoice_id=invoice.pk, version=2)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number) == ("reviewed", "")
    assert not InvoiceSequence.objects.filter(provider=month.provider, next_number__gt=1).exists()


def test_a_draft_cannot_be_issued_before_review(month, second):
    invoice = _draft(month.transactions)
    with pytest.raises(IllegalTransition) as refused:
        invoices.issue_invoice(actor=second, invoice_id=invoice.pk, version=1)
    assert refused.value.allowed == ["review"]


def test_a_stale_version_is_refused(month, manager):
    invoice = _draft(month.transactions)
    with pytest.raises(Conflict, match="changed since you loaded it"):
        invoices.review_invoice(actor=manager, invoice_id=invoice.pk, version=7)


def test_an_issued_invoice_never_changes(month, manager, second):
    # given
    invoice = _issued(month.transactions, manager, second)
    frozen = _lines(invoice), invoice.total_minor, invoice.number
    # when / then: neither review, issue, reopening nor drafting the month again
    for action in (invoices.review_invoice, invoices.issue_invoice, invoices.reopen_invoice):
        with pytest.raises(Conflict, match="An issued invoice never changes"):
            action(actor=manager, invoice_id=invoice.pk, version=invoice.version)
    with pytest.raises(Conflict, match="already invoiced"):
        invoices.draft_invoices(actor=None, client_id=month.transactions.pk, period=NOVEMBER)
    invoice.refresh_from_db()
    assert (_lines(invoice), invoice.total_minor, invoice.number) == frozen


def test_numbers_run_on_across_clients_and_credit_notes(month, manager, second):
    # given
    first = _issued(month.transactions, manager, second)
    other = _issued(month.fte, manager, second)
    # when
    note = invoices.credit_invoice(actor=manager, invoice_id=first.pk, reason="Wrong band")
    invoices.review_invoice(actor=manager, invoice_id=note.pk, version=note.version)
    note = invoices.issue_invoice(actor=second, invoice_id=note.pk, version=note.version + 1)
    # then
    assert [first.number, other.number, note.number] == ["INV-000001", "INV-000002", "INV-000003"]


def test_a_credit_note_negates_the_invoice_and_names_it(month, manager, second):
    # given
    invoice = _issued(month.transactions, manager, second)
    # when
    note = invoices.credit_invoice(actor=manager, invoice_id=invoice.pk, reason="Wrong band")
    # then
    assert (note.kind, note.status, note.credited_invoice) == ("credit_note", "draft", invoice)
    assert _lines(note) == [
        ("credit", Decimal(-100), 250, -25000),
        ("credit", Decimal(-50), 200, -10000),
    ]
    assert (note.subtotal_minor, note.tax_minor, note.total_minor) == (-35000, -7000, -42000)
    invoice.refresh_from_db()
    assert invoice.total_minor == 42000  # the invoice itself is untouched


def test_a_line_is_credited_only_once(month, manager, second):
    invoice = _issued(month.transactions, manager, second)
    first_line = invoice.lines.order_by("id")[0]
    note = invoices.credit_invoice(
        actor=manager, invoice_id=invoice.pk, reason="Overcharged", line_ids=[first_line.pk]
    )
    assert note.total_minor == -30000  # 250.00 + 20 % VAT
    with pytest.raises(Conflict, match="already credited"):
        invoices.credit_invoice(
            actor=manager, invoice_id=invoice.pk, reason="Again", line_ids=[first_line.pk]
        )


def test_only_an_issued_invoice_can_be_credited_and_a_reason_is_required(month, manager):
    invoice = _draft(month.transactions)
    with pytest.raises(Conflict, match="Only an issued invoice"):
        invoices.credit_invoice(actor=manager, invoice_id=invoice.pk, reason="x")
    with pytest.raises(InvalidInput, match="why"):
        invoices.credit_invoice(actor=manager, invoice_id=invoice.pk, reason=" ")


def test_eu_cross_border_b2b_is_reverse_charged(month, manager, second):
    # given: a Dutch provider billing a German business with a VAT number
    Provider.objects.filter(pk=month.provider.pk).update(country="NL")
    party(month.hours, tax_id="DE811111111", seller_tax_id="NL001234567B01")
    # when
    invoice = _issued(month.hours, manager, second)
    # then
    assert (invoice.tax_rate, invoice.tax_minor, invoice.total_minor) == (0, 0, 81813)
    assert invoice.tax_note == (
        "Reverse charge: VAT to be accounted for by the recipient, "
        "Article 196 Council Directive 2006/112/EC"
    )
    assert invoice.buyer["tax_category"] == "AE"


def test_issue_is_refused_with_the_problem_when_the_ubl_document_is_invalid(month, manager, second):
    # given: UK VAT is charged, but the provider's VAT number is not set (BR-S-02)
    party(month.transactions, seller_tax_id="")
    invoice = _draft(month.transactions)
    invoices.review_invoice(actor=manager, invoice_id=invoice.pk, version=1)
    # when / then
    with pytest.raises(Conflict, match="seller's VAT identifier is missing"):
        invoices.issue_invoice(actor=second, invoice_id=invoice.pk, version=2)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number) == ("reviewed", "")


def test_every_issued_document_passes_the_oasis_ubl_schema(month, manager, second):
    # given
    issued = [_issued(c, manager, second) for c in (month.transactions, month.hours, month.fte)]
    note = invoices.credit_invoice(actor=manager, invoice_id=issued[0].pk, reason="Wrong band")
    invoices.review_invoice(actor=manager, invoice_id=note.pk, version=1)
    issued.append(invoices.issue_invoice(actor=second, invoice_id=note.pk, version=2))
    # then
    for invoice in issued:
        xml = invoices.ubl_xml(invoice)
        assert ubl.schema(invoice.kind).validate(ubl.etree.fromstring(xml))
        assert ubl.problems(xml, kind=invoice.kind) == []
    assert b"<cbc:ID>INV-000001</cbc:ID>" in invoices.ubl_xml(issued[-1])  # the reference


def test_billing_party_details_are_set_with_a_version_check(month, manager):
    party_row = invoices.set_billing_party(
        actor=manager, client_id=month.fte.pk, version=None, changes={"tax_id": " us12 "}
    )
    assert party_row.tax_id == "US12"
    with pytest.raises(Conflict, match="changed since"):
        invoices.set_billing_party(
            actor=manager, client_id=month.fte.pk, version=1, changes={"city": "Boston"}
        )
    with pytest.raises(InvalidInput):
        invoices.set_billing_party(
            actor=manager, client_id=month.fte.pk, version=None, changes={"name": "x"}
        )
