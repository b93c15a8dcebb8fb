"""Client invoices: drafted from the month's rated usage, reviewed by a billing manager,
issued by a second person with the provider's next number; never changed after issue.
A correction is a credit note (negative lines, its own number from the same sequence,
naming the invoice it corrects), reviewed and issued the same way.

Every write here is one transaction with its audit event; issuing also publishes
`billing.invoice.issued` on the outbox (ids, totals and currency; no names).
"""

import calendar
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from tercero.delivery.work import services as work
from tercero.governance.billing import credits, numbering, rating, tax, ubl
from tercero.governance.billing.invoice_events import ISSUED
from tercero.governance.billing.models import (
    Invoice,
    InvoiceLine,
    RateCardVersion,
    UsageRecord,
)
from tercero.governance.billing.parties import BillingParty
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from tercero.platform.tenancy.models import Client

PAYMENT_TERMS_DAYS = 30
LOCKED = "An issued invoice never changes: correct it with a credit note."


def month_of(period: date) -> tuple[date, date]:
    """The first and last day of the month holding `period`."""
    first = period.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


# --- drafting ----------------------------------------------------------------------------


def draft_invoices(*, actor, client_id: int, period: date) -> list[Invoice]:
    """The client's invoices for the month of `period`, one per currency of its rate
    cards, drafted from `rating.rate_period` with every usage row linked to its line.
    A draft or reviewed invoice of the month is replaced; an issued one is never touched
    (late usage for an issued month goes on the next month's invoice as adjustments)."""
    start, end = month_of(period)
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client_id)
        issued = Invoice.objects.filter(
            client_id=client_id,
            kind=Invoice.Kind.INVOICE,
            period_start=start,
            status=Invoice.Status.ISSUED,
        ).first()
        if issued is not None:
            raise Conflict(
                f"{start:%B %Y} is already invoiced ({issued.number}); usage that arrives late "
                "goes on the next month's invoice as an adjustment.",
                code="period_invoiced",
            )
        replaced = _discard_drafts(client_id=client_id, start=start)
        rated = rating.rate_period(client_id=client_id, period=start)
        rated += credits.credit_lines(client_id=client_id, period=start, rated=rated, actor=actor)
        currencies = _currencies(rated)
        by_currency: dict[str, list[rating.RatedLine]] = defaultdict(list)
        for line in rated:
            by_currency[currencies[line.rate_card_version_id]].append(line)
        invoices = [
            _draft_one(client=client, start=start, end=end, currency=currency, lines=lines)
            for currency, lines in sorted(by_currency.items())
        ]
        for invoice in invoices:
            _audit(actor, invoice, "billing.invoice.drafted", replaced=replaced)
    return invoices


def _discard_drafts(*, client_id: int, start: date) -> list[int]:
    """Delete the month's unissued invoices (their usage rows become uninvoiced again)."""
    drafts = Invoice.objects.filter(
        client_id=client_id,
        kind=Invoice.Kind.INVOICE,
        period_start=start,
        status__in=(Invoice.Status.DRAFT, Invoice.Status.REVIEWED),
    )
    ids = sorted(drafts.values_list("pk", flat=True))
    UsageRecord.objects.filter(client_id=client_id, invoice_line__invoice_id__in=ids).update(
        invoice_line=None
    )
    InvoiceLine.objects.filter(client_id=client_id, invoice_id__in=ids).delete()
    drafts.delete()
    return ids


def _currencies(rated: list["rating.RatedLine"]) -> dict[int, str]:
    ids = {line.rate_card_version_id for line in rated}
    return dict(RateCardVersion.objects.filter(pk__in=ids).values_list("pk", "rate_card__currency"))


def _draft_one(*, client: Client, start: date, end: date, currency: str, lines) -> Invoice:
    invoice = Invoice.objects.create(
        client=client,
        provider_id=client.provider_id,
        kind=Invoice.Kind.INVOICE,
        period_start=start,
        period_end=end,
        currency=currency,
    )
    for rated in lines:
        line = InvoiceLine.objects.create(
            client=client,
            invoice=invoice,
            kind=rated.kind,
            rate_line_id=rated.rate_line_id,
            rate_card_version_id=rated.rate_card_version_id,
            description=rated.description,
            unit=rated.unit,
            quantity=rated.quantity,
            unit_price_minor=rated.unit_price_minor,
            amount_minor=rated.amount_minor,
            period=rated.period,
        )
        if rated.usage_ids:
            UsageRecord.objects.filter(client=client, pk__in=rated.usage_ids).update(
                invoice_line=line
            )
    _price(invoice, client=client, on=timezone.localdate())
    return invoice


# --- totals and tax ----------------------------------------------------------------------


def parties_of(client: Client) -> tuple[ubl.Party, ubl.Party]:
    """(seller, buyer) as the invoice names them now."""
    details = BillingParty.objects.filter(client=client).first() or BillingParty(client=client)
    provider = client.provider
    seller = ubl.Party(name=provider.name, country=provider.country, tax_id=details.seller_tax_id)
    buyer = ubl.Party(
        name=client.legal_name,
        country=client.country,
        tax_id=details.tax_id,
        street=details.street,
        city=details.city,
        postal_code=details.postal_code,
    )
    return seller, buyer


def _price(invoice: Invoice, *, client: Client, on: date) -> tax.Treatment:
    """Set the invoice's net, tax and total from its lines and the tax rules on `on`."""
    seller, buyer = parties_of(client)
    treatment = tax.treatment(
        seller_country=seller.country,
        buyer_country=buyer.country,
        buyer_tax_id=buyer.tax_id,
        on=on,
    )
    net = invoice.lines.aggregate(total=Sum("amount_minor"))["total"] or 0
    invoice.subtotal_minor = net
    invoice.tax_rate = treatment.percent
    invoice.tax_minor = tax.tax_on(net, treatment.percent)
    invoice.total_minor = net + invoice.tax_minor
    invoice.tax_note = treatment.note
    invoice.buyer = _snapshot(seller, buyer, treatment)
    invoice.save()
    return treatment


def _snapshot(seller: ubl.Party, buyer: ubl.Party, treatment: tax.Treatment) -> dict:
    return {
        "name": buyer.name,
        "country": buyer.country,
        "tax_id": buyer.tax_id,
        "street": buyer.street,
        "city": buyer.city,
        "postal_code": buyer.postal_code,
        "seller": {"name": seller.name, "country": seller.country, "tax_id": seller.tax_id},
        "tax_category": treatment.category,
        "tax_name": treatment.tax_name,
        "tax_source": treatment.source,
    }


# --- review and issue --------------------------------------------------------------------


def _locked(invoice_id: int, version: int | None) -> Invoice:
    invoice = Invoice.objects.select_for_update().filter(pk=invoice_id).first()
    if invoice is None:
        raise NotFound("No such invoice.")
    if version is not None and invoice.version != version:
        raise Conflict(
            "The invoice changed since you loaded it; reload and retry.", code="stale_version"
        )
    return invoice


def _require(invoice: Invoice, status: str, action: str) -> None:
    if invoice.status == Invoice.Status.ISSUED:
        raise Conflict(LOCKED, code="invoice_issued")
    if invoice.status != status:
        allowed = {"draft": ["review"], "reviewed": ["issue", "reopen"]}[invoice.status]
        raise IllegalTransition(
            f"A {invoice.get_status_display().lower()} invoice cannot be {action}.",
            allowed=allowed,
        )


def review_invoice(*, actor, invoice_id: int, version: int | None) -> Invoice:
    """A billing manager has checked the draft's lines: draft -> reviewed."""
    with transaction.atomic():
        invoice = _locked(invoice_id, version)
        _require(invoice, Invoice.Status.DRAFT, "reviewed")
        if not invoice.lines.exists():
            raise Conflict("An invoice with no lines cannot be reviewed.", code="no_lines")
        invoice.status = Invoice.Status.REVIEWED
        invoice.reviewed_by = actor
        invoice.reviewed_at = timezone.now()
        invoice.version += 1
        invoice.save()
        _audit(actor, invoice, "billing.invoice.reviewed")
    return invoice


def reopen_invoice(*, actor, invoice_id: int, version: int | None) -> Invoice:
    """Send a reviewed invoice back to draft (the review is withdrawn)."""
    with transaction.atomic():
        invoice = _locked(invoice_id, version)
        _require(invoice, Invoice.Status.REVIEWED, "reopened")
        invoice.status = Invoice.Status.DRAFT
        invoice.reviewed_by = None
        invoice.reviewed_at = None
        invoice.version += 1
        invoice.save()
        _audit(actor, invoice, "billing.invoice.reopened")
    return invoice


def issue_invoice(*, actor, invoice_id: int, version: int | None) -> Invoice:
    """Issue a reviewed invoice: a second person (never its reviewer) takes the provider's
    next number, the buyer's details and the tax are frozen, the UBL document must pass
    the OASIS UBL 2.1 schema and the Peppol BIS checks, and nothing changes it after."""
    with transaction.atomic():
        invoice = _locked(invoice_id, version)
        _require(invoice, Invoice.Status.REVIEWED, "issued")
        if invoice.reviewed_by_id == getattr(actor, "pk", None):
            raise Conflict(
                "A second person must issue this invoice: you reviewed it.",
                code="same_person",
            )
        client = Client.objects.select_related("provider").get(pk=invoice.client_id)
        if invoice.kind == Invoice.Kind.INVOICE:  # a credit note keeps its invoice's tax
            _price(invoice, client=client, on=timezone.localdate())
        invoice.number = numbering.take_next(provider=client.provider)
        invoice.issued_at = timezone.now()
        xml = ubl.build(document_of(invoice))
        found = ubl.problems(xml, kind=invoice.kind)
        if found:
            raise Conflict("The invoice cannot be issued: " + " ".join(found), code="ubl_invalid")
        invoice.status = Invoice.Status.ISSUED
        invoice.issued_by = actor
        invoice.version += 1
        invoice.save()
        _audit(actor, invoice, "billing.invoice.issued")
        work.publish(
            kind=ISSUED,
            client_id=invoice.client_id,
            data={
                "invoice_id": invoice.pk,
                "kind": invoice.kind,
                "number": invoice.number,
                **(
                    {"credited_invoice_id": invoice.credited_invoice_id}
                    if invoice.credited_invoice_id
                    else {}
                ),
                "period_start": invoice.period_start.isoformat(),
                "currency": invoice.currency,
                "subtotal_minor": invoice.subtotal_minor,
                "tax_minor": invoice.tax_minor,
                "total_minor": invoice.total_minor,
            },
            actor=actor,
        )
    return invoice


# --- credit notes ------------------------------------------------------------------------


def credit_invoice(
    *, actor, invoice_id: int, reason: str, line_ids: list[int] | None = None
) -> Invoice:
    """A draft credit note for an issued invoice: each chosen line (all by default)
    negated, what earlier credit notes already credited refused. It is reviewed and
    issued like an invoice, with its own number from the same sequence."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the invoice is credited.", fields={"reason": "required"})
    with transaction.atomic():
        invoice = _locked(invoice_id, None)
        if invoice.kind != Invoice.Kind.INVOICE or invoice.status != Invoice.Status.ISSUED:
            raise Conflict("Only an issued invoice can be credited.", code="not_creditable")
        lines = _creditable_lines(invoice, line_ids)
        note = Invoice.objects.create(
            client_id=invoice.client_id,
            provider_id=invoice.provider_id,
            engagement_id=invoice.engagement_id,
            kind=Invoice.Kind.CREDIT_NOTE,
            credited_invoice=invoice,
            period_start=invoice.period_start,
            period_end=invoice.period_end,
            currency=invoice.currency,
            tax_note=invoice.tax_note,
        )
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                client_id=invoice.client_id,
                invoice=note,
                kind=InvoiceLine.Kind.CREDIT,
                rate_line_id=line.rate_line_id,
                rate_card_version_id=line.rate_card_version_id,
                description=f"Credit: {line.description}"[:300],
                unit=line.unit,
                quantity=-line.quantity,
                unit_price_minor=line.unit_price_minor,
                amount_minor=-line.amount_minor,
                period=line.period,
            )
            for line in lines
        )
        _credit_tax(note, invoice, reason=reason)
        _audit(actor, note, "billing.credit_note.drafted", reason=reason)
    return note


def _creditable_lines(invoice: Invoice, line_ids: list[int] | None) -> list[InvoiceLine]:
    lines = list(invoice.lines.all())
    if line_ids:
        chosen = set(line_ids)
        unknown = chosen - {line.pk for line in lines}
        if unknown:
            raise InvalidInput(
                "Those lines are not on this invoice.", fields={"line_ids": sorted(unknown)}
            )
        lines = [line for line in lines if line.pk in chosen]
    credited = set(
        InvoiceLine.objects.filter(
            invoice__credited_invoice=invoice, kind=InvoiceLine.Kind.CREDIT
        ).values_list("description", "period", "amount_minor")
    )
    lines = [
        line
        for line in lines
        if (f"Credit: {line.description}"[:300], line.period, -line.amount_minor) not in credited
    ]
    if not lines:
        raise Conflict("Those lines are already credited.", code="already_credited")
    return lines


def _credit_tax(note: Invoice, invoice: Invoice, *, reason: str) -> None:
    """A credit note carries the tax treatment of the invoice it corrects."""
    net = note.lines.aggregate(total=Sum("amount_minor"))["total"] or 0
    note.subtotal_minor = net
    note.tax_rate = invoice.tax_rate
    note.tax_minor = tax.tax_on(net, Decimal(invoice.tax_rate))
    note.total_minor = net + note.tax_minor
    note.buyer = {**invoice.buyer, "credit_reason": reason[:300]}
    note.save()


# --- documents ---------------------------------------------------------------------------


def document_of(invoice: Invoice) -> ubl.Document:
    """The invoice as a plain UBL document, from its frozen snapshot."""
    buyer = invoice.buyer or {}
    seller = buyer.get("seller", {})
    credited = invoice.credited_invoice
    issued_on = timezone.localdate(invoice.issued_at) if invoice.issued_at else timezone.localdate()
    reason = buyer.get("credit_reason", "")
    return ubl.Document(
        kind=invoice.kind,
        number=invoice.number or f"DRAFT-{invoice.pk}",
        issue_date=issued_on,
        due_date=issued_on + timedelta(days=PAYMENT_TERMS_DAYS),
        currency=invoice.currency,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        seller=ubl.Party(
            name=seller.get("name", ""),
            country=seller.get("country", ""),
            tax_id=seller.get("tax_id", ""),
        ),
        buyer=ubl.Party(
            name=buyer.get("name", ""),
            country=buyer.get("country", ""),
            tax_id=buyer.get("tax_id", ""),
            street=buyer.get("street", ""),
            city=buyer.get("city", ""),
            postal_code=buyer.get("postal_code", ""),
        ),
        lines=tuple(_document_lines(invoice)),
        net_minor=invoice.subtotal_minor,
        tax_minor=invoice.tax_minor,
        total_minor=invoice.total_minor,
        tax_category=buyer.get("tax_category", "S"),
        tax_percent=Decimal(invoice.tax_rate),
        tax_note=invoice.tax_note,
        credited_number=credited.number if credited is not None else "",
        credited_issue_date=timezone.localdate(credited.issued_at)
        if credited is not None and credited.issued_at
        else None,
        notes=(reason,) if reason else (),
    )


def _document_lines(invoice: Invoice):
    for index, line in enumerate(invoice.lines.order_by("id"), start=1):
        start, end = month_of(line.period)
        yield ubl.Line(
            number=str(index),
            description=line.description,
            unit=line.unit,
            quantity=Decimal(line.quantity),
            unit_price_minor=line.unit_price_minor,
            amount_minor=line.amount_minor,
            period_start=start,
            period_end=end,
        )


def ubl_xml(invoice: Invoice) -> bytes:
    return ubl.build(document_of(invoice))


# --- the parties' details ----------------------------------------------------------------


PARTY_FIELDS = {"tax_id": 40, "street": 200, "city": 100, "postal_code": 20, "seller_tax_id": 40}


def set_billing_party(*, actor, client_id: int, version: int | None, changes: dict) -> BillingParty:
    """Set the client's tax number and address for its invoices (and the provider's VAT
    number it is billed under). Issued invoices keep the details they were issued with."""
    unknown = set(changes) - set(PARTY_FIELDS)
    if unknown:
        raise InvalidInput("Unknown fields.", fields=dict.fromkeys(sorted(unknown), "unknown"))
    long = {
        name: f"at most {PARTY_FIELDS[name]} characters"
        for name, value in changes.items()
        if len(value or "") > PARTY_FIELDS[name]
    }
    if long:
        raise InvalidInput("Some details are too long.", fields=long)
    with transaction.atomic():
        party, _created = BillingParty.objects.select_for_update().get_or_create(
            client_id=client_id, defaults={"version": 0}
        )
        if version is not None and party.version != version:
            raise Conflict(
                "The billing details changed since you loaded them; reload and retry.",
                code="stale_version",
            )
        for name, value in changes.items():
            text = (value or "").strip()
            # a VAT number is compared and printed without spaces, in capitals (BT-31, BT-48)
            setattr(party, name, text.upper().replace(" ", "") if "tax_id" in name else text)
        party.version += 1
        party.updated_at = timezone.now()
        party.save()
        record(
            action="billing.party.updated",
            actor=actor,
            client=client_id,
            object_type="billing_party",
            object_id=party.pk,
            payload={"fields": sorted(changes)},
        )
    return party


def _audit(actor, invoice: Invoice, action: str, **extra) -> None:
    record(
        action=action,
        actor=actor,
        client=invoice.client_id,
        object_type="invoice",
        object_id=invoice.pk,
        payload={
            "number": invoice.number,
            "kind": invoice.kind,
            "currency": invoice.currency,
            "total_minor": invoice.total_minor,
            **extra,
        },
    )
