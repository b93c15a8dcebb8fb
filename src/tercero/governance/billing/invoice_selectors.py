"""Reads of invoices, within the caller's clients; pages and API share them. Provider
staff see every status; a client's people see only issued invoices and credit notes (a
draft is the provider's working paper). Another client's invoice is NotFound."""

from datetime import date

from django.db.models import Q, QuerySet

from tercero.governance.billing.models import Invoice
from tercero.governance.billing.parties import BillingParty
from tercero.platform.errors import NotFound


def invoices(
    *,
    client_ids: list[int],
    staff: bool,
    client_id: int | None = None,
    month: date | None = None,
    status: str = "",
    search: str = "",
) -> QuerySet[Invoice]:
    found = Invoice.objects.filter(client_id__in=client_ids).select_related(
        "client", "credited_invoice"
    )
    if not staff:
        found = found.filter(status=Invoice.Status.ISSUED)
    if client_id is not None:
        found = found.filter(client_id=client_id)
    if month is not None:
        found = found.filter(period_start=month.replace(day=1))
    if status:
        found = found.filter(status=status)
    if search:
        found = found.filter(Q(number__icontains=search) | Q(client__legal_name__icontains=search))
    return found.order_by("-period_start", "-id")


def access_invoice(*, client_ids: list[int], invoice_id: int, staff: bool) -> Invoice:
    if not 0 < invoice_id < 2**62:
        raise NotFound("Invoice not found.")
    found = invoices(client_ids=client_ids, staff=staff).filter(pk=invoice_id).first()
    if found is None:
        raise NotFound("Invoice not found.")
    return found


def billing_party(*, client_id: int) -> BillingParty:
    """The client's tax details, or an unsaved empty one (version 0) before any is set."""
    found = BillingParty.objects.filter(client_id=client_id).first()
    return found or BillingParty(client_id=client_id, version=0)
