"""Client B's commercial rows for the isolation matrix (tests/isolation/worlds.py): a
rate card with a version and a price, and a usage row."""

from datetime import UTC, date, datetime
from decimal import Decimal

from tercero.governance.billing import rates
from tercero.governance.billing.models import UsageRecord
from tercero.platform.tenancy.scoping import client_scope


def billing_rows(client, engagement) -> dict[str, int]:
    with client_scope(clients=[client]):
        card = rates.create_card(actor=None, engagement=engagement, name="B card", currency="EUR")
        version = rates.add_version(actor=None, card=card, effective_from=date(2026, 1, 1))
        line = rates.add_line(
            actor=None, rate_version=version, fields={"unit": "transaction", "price_minor": 90}
        )
        UsageRecord.objects.create(
            client=client,
            engagement=engagement,
            unit="transaction",
            quantity=Decimal(1),
            source_key="isolation:1",
            occurred_at=datetime(2026, 11, 2, tzinfo=UTC),
            period=date(2026, 11, 1),
        )
    return {"rate_card_id": card.pk, "rate_version_id": version.pk, "rate_line_id": line.pk}
