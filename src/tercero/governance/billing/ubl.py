"""An invoice as UBL 2.1 XML in the Peppol BIS Billing 3.0 profile, built with lxml from
a plain `Document`, and checked against the official OASIS UBL 2.1 schema
(`schemas/ubl-2.1/`, the OASIS os-UBL-2.1 XSD files, unmodified) and the BIS rules the
schema cannot see.

Sources: OASIS UBL 2.1 (http://docs.oasis-open.org/ubl/os-UBL-2.1/); Peppol BIS Billing
3.0 (docs.peppol.eu/poacc/billing/3.0/); EN 16931-1:2017 (business terms BT-n, rules
BR-n); code lists UNCL 1001 (380 invoice, 381 credit note), UNCL 5305 (tax categories),
UN/ECE Recommendation 20 (units), VATEX (exemption reasons).

A credit note is a UBL CreditNote whose amounts are positive (the document type says it
credits); our credit notes store negative lines, so their amounts are negated here.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from lxml import etree

from tercero.web.money import places

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
ROOTS = {
    "invoice": ("Invoice", "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"),
    "credit_note": ("CreditNote", "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"),
}
SCHEMA_DIR = Path(__file__).parent / "schemas" / "ubl-2.1" / "maindoc"

# UN/ECE Recommendation 20 unit codes: HUR hour, MIN minute, C62 one (a unit).
UNIT_CODES = {"productive_hour": "HUR", "minute": "MIN"}
EXEMPTION_CODES = {"AE": "VATEX-EU-AE", "O": "VATEX-EU-O"}


@dataclass(frozen=True)
class Party:
    name: str
    country: str
    tax_id: str = ""
    street: str = ""
    city: str = ""
    postal_code: str = ""


@dataclass(frozen=True)
class Line:
    number: str
    description: str
    unit: str
    quantity: Decimal
    unit_price_minor: int
    amount_minor: int
    period_start: date
    period_end: date


@dataclass(frozen=True)
class Document:
    kind: str  # "invoice" | "credit_note"
    number: str
    issue_date: date
    due_date: date
    currency: str
    period_start: date
    period_end: date
    seller: Party
    buyer: Party
    lines: tuple[Line, ...]
    net_minor: int
    tax_minor: int
    total_minor: int
    tax_category: str  # UNCL 5305: S, AE, O
    tax_percent: Decimal
    tax_note: str = ""
    buyer_reference: str = ""
    credited_number: str = ""
    credited_issue_date: date | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def _sub(parent, namespace: str, tag: str, text: str | None = None, **attributes: str):
    element = etree.SubElement(parent, f"{{{namespace}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def amount(minor: int, currency: str) -> str:
    """Minor units as the schema's decimal: 123456 GBP -> "1234.56"."""
    digits = places(currency)
    return f"{Decimal(minor).scaleb(-digits):.{digits}f}"


def quantity_text(quantity: Decimal) -> str:
    text = format(quantity.normalize(), "f")
    return text if text not in ("-0", "") else "0"


def build(document: Document) -> bytes:
    """The document as UBL 2.1 XML (UTF-8, with its declaration)."""
    root_tag, root_ns = ROOTS[document.kind]
    sign = -1 if document.kind == "credit_note" else 1
    root = etree.Element(f"{{{root_ns}}}{root_tag}", nsmap={None: root_ns, "cac": CAC, "cbc": CBC})
    _header(root, document)
    _party(_sub(root, CAC, "AccountingSupplierParty"), document.seller)
    _party(_sub(root, CAC, "AccountingCustomerParty"), document.buyer)
    if document.kind == "invoice":
        means = _sub(root, CAC, "PaymentMeans")
        _sub(means, CBC, "PaymentMeansCode", "30")  # UNCL 4461: credit transfer
        _sub(means, CBC, "PaymentID", document.number)
    _tax_total(root, document, sign)
    _totals(root, document, sign)
    for line in document.lines:
        _line(root, document, line, sign)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _header(root, document: Document) -> None:
    _sub(root, CBC, "CustomizationID", CUSTOMIZATION_ID)
    _sub(root, CBC, "ProfileID", PROFILE_ID)
    _sub(root, CBC, "ID", document.number)
    _sub(root, CBC, "IssueDate", document.issue_date.isoformat())
    if document.kind == "invoice":
        _sub(root, CBC, "DueDate", document.due_date.isoformat())
        _sub(root, CBC, "InvoiceTypeCode", "380")
    else:
        _sub(root, CBC, "CreditNoteTypeCode", "381")
    for note in (*document.notes, document.tax_note):
        if note:
            _sub(root, CBC, "Note", note)
    _sub(root, CBC, "DocumentCurrencyCode", document.currency)
    _sub(root, CBC, "BuyerReference", document.buyer_reference or document.number)
    period = _sub(root, CAC, "InvoicePeriod")
    _sub(period, CBC, "StartDate", document.period_start.isoformat())
    _sub(period, CBC, "EndDate", document.period_end.isoformat())
    if document.credited_number:
        reference = _sub(_sub(root, CAC, "BillingReference"), CAC, "InvoiceDocumentReference")
        _sub(reference, CBC, "ID", document.credited_number)
        if document.credited_issue_date:
            _sub(reference, CBC, "IssueDate", document.credited_issue_date.isoformat())


def _party(holder, party: Party) -> None:
    element = _sub(holder, CAC, "Party")
    _sub(_sub(element, CAC, "PartyName"), CBC, "Name", party.name)
    address = _sub(element, CAC, "PostalAddress")
    if party.street:
        _sub(address, CBC, "StreetName", party.street)
    if party.city:
        _sub(address, CBC, "CityName", party.city)
    if party.postal_code:
        _sub(address, CBC, "PostalZone", party.postal_code)
    _sub(_sub(address, CAC, "Country"), CBC, "IdentificationCode", party.country)
    if party.tax_id:
        scheme = _sub(element, CAC, "PartyTaxScheme")
        _sub(scheme, CBC, "CompanyID", party.tax_id)
        _sub(_sub(scheme, CAC, "TaxScheme"), CBC, "ID", "VAT")
    _sub(_sub(element, CAC, "PartyLegalEntity"), CBC, "RegistrationName", party.name)


def _tax_category(parent, tag: str, document: Document, *, with_reason: bool) -> None:
    category = _sub(parent, CAC, tag)
    _sub(category, CBC, "ID", document.tax_category)
    if document.tax_category != "O":  # BR-O-05: "not subject to VAT" carries no rate
        _sub(category, CBC, "Percent", quantity_text(document.tax_percent))
    if with_reason and document.tax_category in EXEMPTION_CODES:
        _sub(category, CBC, "TaxExemptionReasonCode", EXEMPTION_CODES[document.tax_category])
        _sub(category, CBC, "TaxExemptionReason", document.tax_note)
    _sub(_sub(category, CAC, "TaxScheme"), CBC, "ID", "VAT")


def _tax_total(root, document: Document, sign: int) -> None:
    currency = document.currency
    total = _sub(root, CAC, "TaxTotal")
    _sub(total, CBC, "TaxAmount", amount(sign * document.tax_minor, currency), currencyID=currency)
    subtotal = _sub(total, CAC, "TaxSubtotal")
    _sub(
        subtotal,
        CBC,
        "TaxableAmount",
        amount(sign * document.net_minor, currency),
        currencyID=currency,
    )
    _sub(
        subtotal, CBC, "TaxAmount", amount(sign * document.tax_minor, currency), currencyID=currency
    )
    _tax_category(subtotal, "TaxCategory", document, with_reason=True)


def _totals(root, document: Document, sign: int) -> None:
    currency = document.currency
    totals = _sub(root, CAC, "LegalMonetaryTotal")
    for tag, minor in (
        ("LineExtensionAmount", document.net_minor),
        ("TaxExclusiveAmount", document.net_minor),
        ("TaxInclusiveAmount", document.total_minor),
        ("PayableAmount", document.total_minor),
    ):
        _sub(totals, CBC, tag, amount(sign * minor, currency), currencyID=currency)


def _line(root, document: Document, line: Line, sign: int) -> None:
    currency = document.currency
    is_invoice = document.kind == "invoice"
    element = _sub(root, CAC, "InvoiceLine" if is_invoice else "CreditNoteLine")
    _sub(element, CBC, "ID", line.number)
    _sub(
        element,
        CBC,
        "InvoicedQuantity" if is_invoice else "CreditedQuantity",
        # the quantity's sign follows the amount's, so quantity x price (never negative,
        # BR-27) gives the line's amount
        quantity_text(abs(line.quantity) if sign * line.amount_minor >= 0 else -abs(line.quantity)),
        unitCode=UNIT_CODES.get(line.unit, "C62"),
    )
    _sub(
        element,
        CBC,
        "LineExtensionAmount",
        amount(sign * line.amount_minor, currency),
        currencyID=currency,
    )
    period = _sub(element, CAC, "InvoicePeriod")
    _sub(period, CBC, "StartDate", line.period_start.isoformat())
    _sub(period, CBC, "EndDate", line.period_end.isoformat())
    item = _sub(element, CAC, "Item")
    _sub(item, CBC, "Name", line.description[:200])
    _tax_category(item, "ClassifiedTaxCategory", document, with_reason=False)
    price = _sub(element, CAC, "Price")
    _sub(
        price, CBC, "PriceAmount", amount(abs(line.unit_price_minor), currency), currencyID=currency
    )


# --- checks ------------------------------------------------------------------------------


@cache
def schema(kind: str) -> etree.XMLSchema:
    """The OASIS UBL 2.1 schema of the document type, compiled once (no network: every
    import is a file beside it)."""
    root_tag, _ns = ROOTS[kind]
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / f"UBL-{root_tag}-2.1.xsd")))


def problems(xml: bytes, *, kind: str) -> list[str]:
    """What is wrong with the XML: the UBL 2.1 schema's errors, then the Peppol BIS rules
    checked here (identifiers, parties, VAT numbers, totals that add up). Empty = valid."""
    try:
        tree = etree.fromstring(xml)
    except etree.XMLSyntaxError as error:
        return [f"The XML is not well formed: {error}."]
    checker = schema(kind)
    if not checker.validate(tree):
        return [f"UBL 2.1 schema, line {e.line}: {e.message}" for e in checker.error_log]
    return _bis_problems(tree, kind)


def _text(tree, path: str) -> str:
    found = tree.find(path, {"cac": CAC, "cbc": CBC})
    return (found.text or "").strip() if found is not None else ""


def _bis_problems(tree, kind: str) -> list[str]:
    found = []
    seller = "cac:AccountingSupplierParty/cac:Party/"
    buyer = "cac:AccountingCustomerParty/cac:Party/"
    country = "cac:PostalAddress/cac:Country/cbc:IdentificationCode"
    required = {
        "cbc:CustomizationID": "the specification identifier (BT-24)",
        "cbc:ProfileID": "the business process (BT-23)",
        "cbc:ID": "the invoice number (BT-1)",
        "cbc:IssueDate": "the issue date (BT-2)",
        "cbc:DocumentCurrencyCode": "the currency (BT-5)",
        seller + "cac:PartyLegalEntity/cbc:RegistrationName": "the seller's name (BT-27)",
        seller + country: "the seller's country (BT-40)",
        buyer + "cac:PartyLegalEntity/cbc:RegistrationName": "the buyer's name (BT-44)",
        buyer + country: "the buyer's country (BT-55)",
    }
    for path, what in required.items():
        if not _text(tree, path):
            found.append(f"Peppol BIS: {what} is missing.")
    if _text(tree, "cbc:CustomizationID") != CUSTOMIZATION_ID:
        found.append("Peppol BIS: the specification identifier is not BIS Billing 3.0.")
    found += _vat_id_problems(tree)
    found += _total_problems(tree, kind)
    return found


def _vat_id_problems(tree) -> list[str]:
    category = _text(tree, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID")
    seller = _text(tree, "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID")
    buyer = _text(tree, "cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID")
    found = []
    if category in ("S", "AE") and not seller:
        found.append(
            "Peppol BIS (BR-S-02, BR-AE-02): the seller's VAT identifier is missing; "
            "set the provider's VAT number for this client's invoices."
        )
    if category == "AE" and not buyer:
        found.append(
            "Peppol BIS (BR-AE-02): a reverse-charge invoice needs the buyer's VAT number."
        )
    return found


def _total_problems(tree, kind: str) -> list[str]:
    line_tag = "cac:InvoiceLine" if kind == "invoice" else "cac:CreditNoteLine"
    namespaces = {"cac": CAC, "cbc": CBC}
    lines = tree.findall(line_tag, namespaces)
    if not lines:
        return ["Peppol BIS (BR-16): the document has no lines."]
    line_sum = sum(Decimal(_text(line, "cbc:LineExtensionAmount")) for line in lines)
    net = Decimal(_text(tree, "cac:LegalMonetaryTotal/cbc:LineExtensionAmount"))
    tax = Decimal(_text(tree, "cac:TaxTotal/cbc:TaxAmount"))
    inclusive = Decimal(_text(tree, "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount"))
    found = []
    if line_sum != net:
        found.append(f"Peppol BIS (BR-CO-10): the lines add up to {line_sum}, not {net}.")
    if net + tax != inclusive:
        found.append(f"Peppol BIS (BR-CO-15): {net} plus tax {tax} is not {inclusive}.")
    return found
