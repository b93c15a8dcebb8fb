"""The provider's gapless invoice numbers. Issuing takes the provider's sequence row with
SELECT ... FOR UPDATE inside the issuing transaction and advances it there, so two
issues at once wait for each other, and a refused issue (its transaction rolled back)
gives its number back: invoices and credit notes share one run of numbers, 1, 2, 3 ...
with no gap and no repeat."""

from django.db import transaction

from tercero.governance.billing.models import InvoiceSequence
from tercero.platform.tenancy.models import Provider

WIDTH = 6  # INV-000042: sorts as text in any spreadsheet


def take_next(*, provider: Provider) -> str:
    """The next number of `provider`, taken; call inside the issuing transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise ValueError("Take an invoice number inside the transaction that issues it.")
    InvoiceSequence.objects.get_or_create(provider=provider)
    sequence = InvoiceSequence.objects.select_for_update().get(provider=provider)
    number = sequence.next_number
    sequence.next_number = number + 1
    sequence.save(update_fields=["next_number"])
    return f"{sequence.prefix}{number:0{WIDTH}d}"
