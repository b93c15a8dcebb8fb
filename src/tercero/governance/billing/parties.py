"""What an invoice needs to name both parties for tax: the client's VAT (or GST)
number and postal address, and the VAT number the provider bills this client under (a
provider registered in several countries bills each client from one registration).
Copied into the invoice's buyer snapshot at issue; editing it never changes an issued
invoice."""

from django.db import models
from django.utils import timezone

from tercero.platform.tenancy.models import ClientOwned


class BillingParty(ClientOwned):
    """The client's tax and address details for its invoices (one per client)."""

    tax_id = models.CharField(max_length=40, blank=True)
    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    seller_tax_id = models.CharField(max_length=40, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "billing"
        constraints = [
            models.UniqueConstraint(fields=["client"], name="billing_party_one_per_client"),
        ]

    def __str__(self) -> str:
        return self.tax_id or f"Client {self.client_id}"
