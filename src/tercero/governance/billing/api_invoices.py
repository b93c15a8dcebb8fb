"""Invoices API: list and read (a client sees only its issued invoices and credit
notes), draft a month, review, reopen, issue, credit; the PDF, CSV and UBL 2.1 XML of an
invoice; the client's tax details for invoices. Another client's invoice is 404."""

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse
from ninja import Field, Router, Schema, Status

from tercero.governance.billing import invoice_pdf, invoice_selectors, invoices
from tercero.platform.api.caller import Caller, caller_of
from tercero.platform.errors import InvalidInput, NotFound

router = Router(tags=["billing"])
MANAGE, READ = "billing:manage", "billing:read"


class LineOut(Schema):
    id: int
    kind: str
    description: str
    unit: str
    period: date
    quantity: Decimal
    unit_price_minor: int
    amount_minor: int
    rate_line_id: int | None
    rate_card_version_id: int | None


class InvoiceOut(Schema):
    id: int
    client_id: int
    kind: str
    status: str
    number: str
    credited_invoice_id: int | None
    period_start: date
    period_end: date
    currency: str
    subtotal_minor: int
    tax_minor: int
    total_minor: int
    tax_rate: Decimal
    tax_note: str
    issued_at: datetime | None
    version: int


class InvoiceDetailOut(InvoiceOut):
    lines: list[LineOut]


class DraftIn(Schema):
    client_id: int = Field(ge=1, le=2**62)
    month: str = Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")


class VersionIn(Schema):
    version: int = Field(ge=1, description="the invoice's version, as loaded")


class CreditIn(Schema):
    reason: str = Field(min_length=1, max_length=300)
    line_ids: list[int] = Field(default_factory=list, max_length=1000)


class PartyOut(Schema):
    client_id: int
    tax_id: str
    street: str
    city: str
    postal_code: str
    seller_tax_id: str
    version: int


class PartyPatch(Schema):
    """Only the fields sent change; null or "" clears one."""

    version: int = Field(ge=0, description="the details' version as loaded (0: none yet)")
    tax_id: str | None = Field(default=None, max_length=40)
    street: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    seller_tax_id: str | None = Field(default=None, max_length=40)


def month_of(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m").date()  # noqa: DTZ007 (a calendar month)
    except ValueError as error:
        raise InvalidInput("A month is YYYY-MM.", fields={"month": "invalid"}) from error


def _staff(caller: Caller) -> bool:
    return caller.user.is_provider_staff


def _may_read(caller: Caller) -> None:
    if not {READ, MANAGE} & caller.permissions:
        caller.require(READ)


def _invoice(caller: Caller, invoice_id: int):
    found = invoice_selectors.access_invoice(
        client_ids=caller.client_ids, invoice_id=invoice_id, staff=_staff(caller)
    )
    _may_read(caller)
    return found


def _detail(invoice) -> dict:
    out = {name: getattr(invoice, name) for name in InvoiceOut.model_fields}
    out["lines"] = list(invoice.lines.order_by("id"))
    return out


@router.get("/billing/invoices", response=list[InvoiceOut])
def list_invoices(
    request, client_id: int | None = None, month: str = "", status: str = "", search: str = ""
):
    """Invoices and credit notes, newest month first (a client: only issued ones)."""
    caller = caller_of(request)
    _may_read(caller)
    if status and status not in invoices.Invoice.Status.values:
        raise InvalidInput("Unknown status.", fields={"status": "invalid"})
    found = invoice_selectors.invoices(
        client_ids=caller.client_ids,
        staff=_staff(caller),
        client_id=client_id,
        month=month_of(month) if month else None,
        status=status,
        search=search[:100],
    )
    return list(found[:500])


@router.post("/billing/invoices/draft", response={201: list[InvoiceDetailOut]})
def draft_month(request, body: DraftIn):
    """Draft the client's invoices for a month from its rated usage (replacing drafts)."""
    caller = caller_of(request)
    if body.client_id not in caller.client_ids:
        raise NotFound("Client not found.")
    caller.require(MANAGE)
    drafted = invoices.draft_invoices(
        actor=caller.user, client_id=body.client_id, period=month_of(body.month)
    )
    return Status(201, [_detail(invoice) for invoice in drafted])


@router.get("/billing/invoices/{invoice_id}", response=InvoiceDetailOut)
def get_invoice(request, invoice_id: int):
    return _detail(_invoice(caller_of(request), invoice_id))


def _step(request, invoice_id: int, version: int, step) -> dict:
    caller = caller_of(request)
    invoice = _invoice(caller, invoice_id)
    caller.require(MANAGE)
    return _detail(step(actor=caller.user, invoice_id=invoice.pk, version=version))


@router.post("/billing/invoices/{invoice_id}/review", response=InvoiceDetailOut)
def review_invoice(request, invoice_id: int, body: VersionIn):
    """Draft -> reviewed (a billing manager has checked the lines)."""
    return _step(request, invoice_id, body.version, invoices.review_invoice)


@router.post("/billing/invoices/{invoice_id}/reopen", response=InvoiceDetailOut)
def reopen_invoice(request, invoice_id: int, body: VersionIn):
    """Reviewed -> draft (the review withdrawn)."""
    return _step(request, invoice_id, body.version, invoices.reopen_invoice)


@router.post("/billing/invoices/{invoice_id}/issue", response=InvoiceDetailOut)
def issue_invoice(request, invoice_id: int, body: VersionIn):
    """Reviewed -> issued, by someone other than the reviewer: numbered, frozen, and its
    UBL document valid against the OASIS UBL 2.1 schema (409 naming the problem if not)."""
    return _step(request, invoice_id, body.version, invoices.issue_invoice)


@router.post("/billing/invoices/{invoice_id}/credit-notes", response={201: InvoiceDetailOut})
def credit_invoice(request, invoice_id: int, body: CreditIn):
    """A draft credit note for an issued invoice (all lines, or the ones named)."""
    caller = caller_of(request)
    invoice = _invoice(caller, invoice_id)
    caller.require(MANAGE)
    note = invoices.credit_invoice(
        actor=caller.user, invoice_id=invoice.pk, reason=body.reason, line_ids=body.line_ids
    )
    return Status(201, _detail(note))


def _download(content, *, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _file_name(invoice, extension: str) -> str:
    return f"{invoice.number or f'draft-{invoice.pk}'}.{extension}"


@router.get("/billing/invoices/{invoice_id}/ubl")
def invoice_ubl(request, invoice_id: int):
    """The invoice as UBL 2.1 XML (Peppol BIS Billing 3.0)."""
    caller = caller_of(request)
    invoice = _invoice(caller, invoice_id)
    xml = invoices.ubl_xml(invoice)
    invoice_pdf.opened(invoice, caller.user, "ubl")
    return _download(xml, content_type="application/xml", name=_file_name(invoice, "xml"))


@router.get("/billing/invoices/{invoice_id}/pdf")
def invoice_as_pdf(request, invoice_id: int):
    caller = caller_of(request)
    invoice = _invoice(caller, invoice_id)
    pdf = invoice_pdf.invoice_pdf(invoice=invoice, actor=caller.user)
    return _download(pdf, content_type="application/pdf", name=_file_name(invoice, "pdf"))


@router.get("/billing/invoices/{invoice_id}/csv")
def invoice_as_csv(request, invoice_id: int):
    caller = caller_of(request)
    invoice = _invoice(caller, invoice_id)
    text = invoice_pdf.invoice_csv(invoice=invoice, actor=caller.user)
    return _download(text, content_type="text/csv; charset=utf-8", name=_file_name(invoice, "csv"))


def _party_client(caller: Caller, client_id: int) -> int:
    if client_id not in caller.client_ids:
        raise NotFound("Client not found.")
    caller.require(MANAGE)
    return client_id


@router.get("/billing/parties/{client_id}", response=PartyOut)
def get_billing_party(request, client_id: int):
    """The client's VAT number and address for invoices, and the provider's VAT number
    it is billed under."""
    caller = caller_of(request)
    return invoice_selectors.billing_party(client_id=_party_client(caller, client_id))


@router.patch("/billing/parties/{client_id}", response=PartyOut)
def change_billing_party(request, client_id: int, body: PartyPatch):
    caller = caller_of(request)
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    return invoices.set_billing_party(
        actor=caller.user,
        client_id=_party_client(caller, client_id),
        version=body.version,
        changes=changes,
    )
