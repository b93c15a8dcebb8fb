"""What an invoice produces: a PDF whose text reads back the number, each line and the
total; a CSV of the lines with the usage rows behind each; UBL 2.1 XML in the Peppol BIS
3.0 profile that the OASIS schema accepts, and that names what is wrong when it does
not."""

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from lxml import etree
from pypdf import PdfReader

from tercero.governance.billing import invoice_pdf, invoices, ubl
from tercero.governance.billing.tests.invoice_setup import NOVEMBER, november
from tercero.platform.audit.models import AuditEvent
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope

NS = {"cac": ubl.CAC, "cbc": ubl.CBC}


@pytest.fixture
def issued(provider):
    manager = UserFactory(email="billing@provider.example", role=Role.PROVIDER_ADMIN)
    second = UserFactory(email="second@provider.example", role=Role.DELIVERY_MANAGER)
    with all_clients_scope():
        month = november(provider)
        (invoice,) = invoices.draft_invoices(
            actor=None, client_id=month.transactions.pk, period=NOVEMBER
        )
        invoices.review_invoice(actor=manager, invoice_id=invoice.pk, version=1)
        yield invoices.issue_invoice(actor=second, invoice_id=invoice.pk, version=2), manager


def test_the_pdf_reads_back_the_number_each_line_and_the_total(issued):
    invoice, manager = issued
    # when
    pdf = invoice_pdf.invoice_pdf(invoice=invoice, actor=manager)
    # then
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Invoice INV-000001" in text
    assert "Tiered Transactions Ltd" in text
    assert "Tickets resolved, band 1: 1 to 100" in text
    assert "£250.00" in text  # 100 x 2.50
    assert "£100.00" in text  # 50 x 2.00
    assert "£350.00" in text  # net
    assert "VAT at 20%" in text
    assert "£70.00" in text
    assert "£420.00" in text  # total
    assert AuditEvent.objects.filter(
        action="billing.invoice.downloaded", object_id=str(invoice.pk)
    ).exists()


def test_the_csv_has_a_row_per_line_with_its_usage_count(issued):
    invoice, manager = issued
    rows = list(csv.reader(io.StringIO(invoice_pdf.invoice_csv(invoice=invoice, actor=manager))))
    assert rows[0] == list(invoice_pdf.CSV_HEADER)
    assert [row[6:] for row in rows[1:]] == [
        ["100", "2.50", "250.00", "GBP", "100"],
        ["50", "2.00", "100.00", "GBP", "50"],
    ]
    assert {row[0] for row in rows[1:]} == {"INV-000001"}


def test_the_ubl_invoice_carries_the_peppol_profile_and_the_totals(issued):
    invoice, _manager = issued
    tree = etree.fromstring(invoices.ubl_xml(invoice))
    assert tree.findtext("cbc:CustomizationID", namespaces=NS) == (
        "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
    )
    assert tree.findtext("cbc:ProfileID", namespaces=NS) == (
        "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
    )
    assert tree.findtext("cbc:ID", namespaces=NS) == "INV-000001"
    assert tree.findtext("cbc:InvoiceTypeCode", namespaces=NS) == "380"
    assert tree.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS) == "420.00"
    assert tree.findtext("cac:TaxTotal/cbc:TaxAmount", namespaces=NS) == "70.00"
    assert [
        (line.findtext("cbc:InvoicedQuantity", namespaces=NS), line.findtext(
            "cbc:LineExtensionAmount", namespaces=NS
        ))
        for line in tree.findall("cac:InvoiceLine", NS)
    ] == [("100", "250.00"), ("50", "100.00")]  # fmt: skip
    assert ubl.schema("invoice").validate(tree)


def _document(**changes) -> ubl.Document:
    fields: dict[str, Any] = dict(
        kind="invoice",
        number="INV-9",
        issue_date=date(2026, 12, 1),
        due_date=date(2026, 12, 31),
        currency="EUR",
        period_start=NOVEMBER,
        period_end=date(2026, 11, 30),
        seller=ubl.Party("Provider BV", "NL", "NL001234567B01"),
        buyer=ubl.Party("Kunde GmbH", "DE", "DE811111111"),
        lines=(
            ubl.Line(
                "1",
                "Hours",
                "productive_hour",
                Decimal("2.5"),
                4000,
                10000,
                NOVEMBER,
                date(2026, 11, 30),
            ),
        ),
        net_minor=10000,
        tax_minor=0,
        total_minor=10000,
        tax_category="AE",
        tax_percent=Decimal(0),
        tax_note="Reverse charge",
    )
    fields.update(changes)
    return ubl.Document(**fields)


def test_a_reverse_charged_invoice_names_both_vat_numbers_and_the_exemption():
    xml = ubl.build(_document())
    tree = etree.fromstring(xml)
    category = tree.find("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory", NS)
    assert category.findtext("cbc:ID", namespaces=NS) == "AE"
    assert category.findtext("cbc:TaxExemptionReasonCode", namespaces=NS) == "VATEX-EU-AE"
    assert ubl.problems(xml, kind="invoice") == []


def test_the_schema_refuses_a_document_out_of_order_and_says_where():
    xml = ubl.build(_document())
    tree = etree.fromstring(xml)
    tree.remove(tree.find("cbc:ID", NS))  # the invoice number (BT-1) is required
    tree.append(etree.Element(f"{{{ubl.CBC}}}ID"))  # ... and in its place, not at the end
    found = ubl.problems(etree.tostring(tree), kind="invoice")
    assert found
    assert found[0].startswith("UBL 2.1 schema, line")


def test_totals_that_do_not_add_up_are_named():
    xml = ubl.build(_document(net_minor=9999, total_minor=9999))
    assert ubl.problems(xml, kind="invoice") == [
        "Peppol BIS (BR-CO-10): the lines add up to 100.00, not 99.99."
    ]


def test_a_reverse_charge_without_the_buyers_vat_number_is_refused():
    xml = ubl.build(_document(buyer=ubl.Party("Kunde GmbH", "DE")))
    assert ubl.problems(xml, kind="invoice") == [
        "Peppol BIS (BR-AE-02): a reverse-charge invoice needs the buyer's VAT number."
    ]


def test_a_credit_note_is_a_ubl_credit_note_with_positive_amounts():
    document = _document(
        kind="credit_note",
        lines=(
            ubl.Line(
                "1",
                "Hours",
                "productive_hour",
                Decimal("-2.5"),
                4000,
                -10000,
                NOVEMBER,
                date(2026, 11, 30),
            ),
        ),
        net_minor=-10000,
        total_minor=-10000,
        credited_number="INV-8",
        credited_issue_date=date(2026, 12, 1),
    )
    xml = ubl.build(document)
    tree = etree.fromstring(xml)
    assert etree.QName(tree).localname == "CreditNote"
    assert tree.findtext("cbc:CreditNoteTypeCode", namespaces=NS) == "381"
    assert tree.findtext("cac:CreditNoteLine/cbc:CreditedQuantity", namespaces=NS) == "2.5"
    assert tree.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS) == "100.00"
    assert (
        tree.findtext("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", namespaces=NS)
        == "INV-8"
    )
    assert ubl.problems(xml, kind="credit_note") == []
