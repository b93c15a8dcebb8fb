"""Client B's crm rows for the isolation matrix (tests/isolation/worlds.py): an account
with a contact, an opportunity and a conversion."""

from datetime import UTC, datetime

from tercero.platform.tenancy.scoping import client_scope
from tercero.services.crm import services


def crm_rows(tenant) -> dict[str, int]:
    with client_scope(clients=[tenant.client]):
        account = services.create_account(
            actor=None, client_id=tenant.client.pk, name="Bergmann Kunden", number="B-1"
        )
        services.add_contact(actor=None, account=account, name="Berta Bergmann")
        opportunity = services.create_opportunity(
            actor=None, account=account, title="Bergmann renewal", value_minor=9_900, currency="EUR"
        )
        conversion = services.record_conversion(
            actor=None,
            client_id=tenant.client.pk,
            kind="sale",
            value_minor=9_900,
            currency="EUR",
            occurred_at=datetime(2026, 12, 1, tzinfo=UTC),
            opportunity=opportunity,
        )
    return {
        "account_id": account.pk,
        "opportunity_id": opportunity.pk,
        "conversion_id": conversion.pk,
    }
