"""An invoice's printable and tabular forms: the PDF (WeasyPrint, from an HTML template,
as payslips are made) and the CSV of its lines. Both read only; opening either is an
audit event (the reader's download, not a change)."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone

from tercero.governance.billing.invoices import PAYMENT_TERMS_DAYS, month_of
from tercero.governance.billing.models import Invoice, Unit
from tercero.platform.audit.services import record
from tercero.web.money import format_money, places

CSV_HEADER = (
    "invoice",
    "line",
    "kind",
    "description",
    "unit",
    "period",
    "quantity",
    "unit_price",
    "amount",
    "currency",
    "usage_rows",
)


def quantity_words(quantity: Decimal) -> str:
    text = format(Decimal(quantity).normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")


def invoice_html(invoice: Invoice) -> str:
    buyer = invoice.buyer or {}
    currency = invoice.currency
    lines = [
        {
            "description": line.description,
            "period": line.period,
            "quantity": quantity_words(line.quantity),
            "unit": Unit(line.unit).label if line.unit in Unit.values else "",
            "unit_price": format_money(line.unit_price_minor, currency),
            "amount": format_money(line.amount_minor, currency),
        }
        for line in invoice.lines.order_by("id")
    ]
    issued = timezone.localdate(invoice.issued_at) if invoice.issued_at else None
    return render_to_string(
        "billing/invoice_pdf.html",
        {
            "invoice": invoice,
            "title": "Credit note" if invoice.kind == Invoice.Kind.CREDIT_NOTE else "Invoice",
            "number": invoice.number or "Draft (not issued)",
            "issued": issued,
            "due": issued + timedelta(days=PAYMENT_TERMS_DAYS) if issued else None,
            "buyer": buyer,
            "seller": buyer.get("seller", {}),
            "lines": lines,
            "subtotal": format_money(invoice.subtotal_minor, currency),
            "tax": format_money(invoice.tax_minor, currency),
            "total": format_money(invoice.total_minor, currency),
            "rate": quantity_words(invoice.tax_rate),
            "tax_name": buyer.get("tax_name", "VAT"),
            "credited": invoice.credited_invoice,
            "reason": buyer.get("credit_reason", ""),
            "period_end": month_of(invoice.period_start)[1],
        },
    )


def invoice_pdf(*, invoice: Invoice, actor) -> bytes:
    """The invoice as a PDF; the download is an audit event."""
    from weasyprint import HTML  # type: ignore[import-untyped]  # loading Pango costs ~0.3 s

    pdf = HTML(string=invoice_html(invoice)).write_pdf()
    opened(invoice, actor, "pdf")
    return pdf


def invoice_csv(*, invoice: Invoice, actor) -> str:
    """The invoice's lines as CSV (amounts in major units), each with the number of
    usage rows it was rated from; the download is an audit event."""
    sink = io.StringIO()
    writer = csv.writer(sink)
    writer.writerow(CSV_HEADER)
    digits = places(invoice.currency)
    for index, line in enumerate(invoice.lines.order_by("id").prefetch_related("usage"), start=1):
        writer.writerow(
            (
                invoice.number or f"draft {invoice.pk}",
                index,
                line.kind,
                line.description,
                line.unit,
                line.period.strftime("%Y-%m"),
                quantity_words(line.quantity),
                f"{Decimal(line.unit_price_minor).scaleb(-digits):.{digits}f}",
                f"{Decimal(line.amount_minor).scaleb(-digits):.{digits}f}",
                invoice.currency,
                len(line.usage.all()),
            )
        )
    opened(invoice, actor, "csv")
    return sink.getvalue()


def opened(invoice: Invoice, actor, form: str) -> None:
    if actor is None:
        return
    record(
        action="billing.invoice.downloaded",
        actor=actor,
        client=invoice.client_id,
        object_type="invoice",
        object_id=invoice.pk,
        payload={"form": form},
    )
