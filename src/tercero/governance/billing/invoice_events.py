"""Invoicing's outbox event: an invoice or credit note was issued. Ids, the number,
totals and currency only; never the buyer's name or tax number (events reach clients'
webhooks and the audit chain)."""

from datetime import date

from tercero.delivery.work.event_types import EventData, EventType

ISSUED = "billing.invoice.issued"


class InvoiceIssued(EventData):
    invoice_id: int
    kind: str  # "invoice" | "credit_note"
    number: str
    credited_invoice_id: int | None = None  # a credit note's invoice
    period_start: date
    currency: str
    subtotal_minor: int
    tax_minor: int
    total_minor: int


EVENTS = (
    EventType(
        ISSUED,
        InvoiceIssued,
        "An invoice or credit note was issued with its number (totals in minor units).",
    ),
)
