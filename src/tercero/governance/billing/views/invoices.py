"""Invoice pages. Provider staff: the list (filters, search, CSV, a form to draft a
month) and an invoice's page with review, reopen, issue and credit-note actions (each
with the version the page was loaded at) and the buyer's tax details. A client's people:
their issued invoices and credit notes, each with its PDF, CSV and UBL downloads."""

from datetime import datetime

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tercero.governance.billing import invoice_pdf, invoice_selectors, invoices
from tercero.governance.billing.models import Invoice
from tercero.platform.errors import DomainError, InvalidInput, NotFound
from tercero.platform.pages import page, refused, version_of
from tercero.platform.tenancy.models import Client
from tercero.web.lists import Column, Filter, Listing
from tercero.web.money import format_money

READ, MANAGE = "billing:read", "billing:manage"
ACTIONS = {
    "review": (invoices.review_invoice, "Invoice reviewed."),
    "reopen": (invoices.reopen_invoice, "Invoice sent back to draft."),
    "issue": (invoices.issue_invoice, "Invoice issued."),
}


def _month(text: str):
    try:
        return datetime.strptime(text, "%Y-%m").date()  # noqa: DTZ007 (a calendar month)
    except ValueError:
        return None


def _clients(caller) -> list[Client]:
    return list(Client.objects.filter(pk__in=caller.client_ids).order_by("legal_name"))


def _amount(field: str):
    return lambda row: format_money(getattr(row, field), row.currency)


@page(READ)
def invoice_list(request, caller):
    staff = request.user.is_provider_staff
    found = invoice_selectors.invoices(client_ids=caller.client_ids, staff=staff)
    clients = _clients(caller)
    months = sorted(set(found.values_list("period_start", flat=True)), reverse=True)
    filters = [
        Filter(
            "month",
            "Month",
            tuple((m.strftime("%Y-%m"), f"{m:%B %Y}") for m in months),
            apply=lambda qs, value: qs.filter(period_start=_month(value)) if _month(value) else qs,
        ),
        Filter("kind", "Kind", tuple(Invoice.Kind.choices)),
    ]
    if staff:
        filters[:0] = [
            Filter(
                "client",
                "Client",
                tuple((str(c.pk), c.legal_name) for c in clients),
                apply=lambda qs, value: qs.filter(client_id=value) if value.isdigit() else qs,
            ),
            Filter("status", "Status", tuple(Invoice.Status.choices)),
        ]
    listing = Listing(
        request,
        found,
        columns=[
            Column("number", "Number", value=lambda row: row.number or "Draft"),
            Column("client__legal_name", "Client"),
            Column("kind", "Kind", value=lambda row: row.get_kind_display()),
            Column("period_start", "Month"),
            Column("status", "Status", value=lambda row: row.get_status_display()),
            Column("currency", "Currency"),
            Column("subtotal_minor", "Net", value=_amount("subtotal_minor")),
            Column("tax_minor", "Tax", value=_amount("tax_minor")),
            Column("total_minor", "Total", value=_amount("total_minor")),
        ],
        filters=filters,
        search=lambda qs, text: (
            qs.filter(number__icontains=text) | qs.filter(client__legal_name__icontains=text)
        ),
        search_label="Search invoices",
        default_sort="-period_start",
    )
    if listing.wants_csv:
        return listing.csv_response("invoices.csv")
    may_manage = staff and MANAGE in caller.permissions
    return render(
        request,
        "billing/invoices.html",
        {"listing": listing, "staff": staff, "may_manage": may_manage, "clients": clients},
    )


@require_POST
@page(MANAGE, staff=True)
def invoice_draft(request, caller):
    """Draft (or draft again) a client's invoices for a month."""
    client = request.POST.get("client", "")
    month = _month(request.POST.get("month", ""))
    try:
        if not client.isdigit() or int(client) not in caller.client_ids:
            raise InvalidInput("Choose a client.", fields={"client": "required"})
        if month is None:
            raise InvalidInput("Choose a month.", fields={"month": "YYYY-MM"})
        drafted = invoices.draft_invoices(actor=caller.user, client_id=int(client), period=month)
    except DomainError as error:
        refused(request, error)
        return redirect("billing:invoices")
    if not drafted:
        messages.info(request, f"Nothing to invoice for {month:%B %Y}: no rated usage.")
        return redirect("billing:invoices")
    messages.success(request, f"{len(drafted)} draft invoice(s) for {month:%B %Y}.")
    return redirect("billing:invoice", invoice_id=drafted[0].pk)


def _invoice(caller, request, invoice_id: int) -> Invoice:
    return invoice_selectors.access_invoice(
        client_ids=caller.client_ids, invoice_id=invoice_id, staff=request.user.is_provider_staff
    )


@page(READ)
def invoice_page(request, caller, invoice_id: int):
    invoice = _invoice(caller, request, invoice_id)
    staff = request.user.is_provider_staff
    may_manage = staff and MANAGE in caller.permissions
    context = {
        "invoice": invoice,
        "lines": list(invoice.lines.order_by("id")),
        "staff": staff,
        "may_manage": may_manage,
        "credit_notes": list(
            invoice_selectors.invoices(client_ids=caller.client_ids, staff=staff).filter(
                credited_invoice=invoice
            )
        ),
        "party": invoice_selectors.billing_party(client_id=invoice.client_id)
        if may_manage
        else None,
        "reviewed_by_me": invoice.reviewed_by_id == request.user.pk,
    }
    return render(request, "billing/invoice.html", context)


@require_POST
@page(MANAGE, staff=True)
def invoice_action(request, caller, invoice_id: int, action: str):
    invoice = _invoice(caller, request, invoice_id)
    if action not in ACTIONS:
        raise NotFound("No such action.")
    step, done = ACTIONS[action]
    try:
        step(actor=caller.user, invoice_id=invoice.pk, version=version_of(request))
        messages.success(request, done)
    except DomainError as error:
        refused(request, error)
    return redirect("billing:invoice", invoice_id=invoice.pk)


@require_POST
@page(MANAGE, staff=True)
def invoice_credit(request, caller, invoice_id: int):
    invoice = _invoice(caller, request, invoice_id)
    line_ids = [int(v) for v in request.POST.getlist("line") if v.isdigit()]
    try:
        note = invoices.credit_invoice(
            actor=caller.user,
            invoice_id=invoice.pk,
            reason=request.POST.get("reason", "")[:300],
            line_ids=line_ids,
        )
    except DomainError as error:
        refused(request, error)
        return redirect("billing:invoice", invoice_id=invoice.pk)
    messages.success(
        request, "Draft credit note made: review it, then have a second person issue it."
    )
    return redirect("billing:invoice", invoice_id=note.pk)


FORMS = {
    "pdf": ("application/pdf", "pdf"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "ubl": ("application/xml", "xml"),
}


@page(READ)
def invoice_download(request, caller, invoice_id: int, form: str):
    invoice = _invoice(caller, request, invoice_id)
    if form not in FORMS:
        raise NotFound("No such download.")
    if form == "pdf":
        content: bytes | str = invoice_pdf.invoice_pdf(invoice=invoice, actor=caller.user)
    elif form == "csv":
        content = invoice_pdf.invoice_csv(invoice=invoice, actor=caller.user)
    else:
        content = invoices.ubl_xml(invoice)
        invoice_pdf.opened(invoice, caller.user, "ubl")
    content_type, extension = FORMS[form]
    response = HttpResponse(content, content_type=content_type)
    name = invoice.number or f"draft-{invoice.pk}"
    response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    return response


@require_POST
@page(MANAGE, staff=True)
def party_update(request, caller, client_id: int):
    """The buyer's tax details for invoices (and the provider's VAT number it bills under)."""
    if client_id not in caller.client_ids:
        raise NotFound("Client not found.")
    changes = {name: request.POST.get(name, "")[:200] for name in invoices.PARTY_FIELDS}
    try:
        invoices.set_billing_party(
            actor=caller.user, client_id=client_id, version=version_of(request), changes=changes
        )
        messages.success(request, "Tax details saved; they apply to invoices issued from now on.")
    except DomainError as error:
        refused(request, error)
    target = request.POST.get("invoice", "")
    if target.isdigit():
        return redirect("billing:invoice", invoice_id=int(target))
    return redirect("billing:invoices")
