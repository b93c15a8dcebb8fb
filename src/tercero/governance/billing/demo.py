"""Commercials' share of the demo: a rate card for each of three demo engagements, one
of each kind of contract (idempotent: a card already there is left alone)."""

from datetime import date

from tercero.delivery.engagements import selectors as engagements
from tercero.governance.billing import rates, selectors
from tercero.platform.catalogue import DemoContext

FROM = date(2026, 1, 1)

CARDS = (
    (
        "Order data entry",
        "Keying per transaction",
        "USD",
        0,
        [
            {
                "unit": "transaction",
                "banding": "tiered",
                "bands": [
                    {"up_to": 1000, "price_minor": 40},
                    {"up_to": 5000, "price_minor": 35},
                    {"up_to": None, "price_minor": 30},
                ],
                "description": "Documents keyed (tiered)",
            }
        ],
    ),
    (
        "Customer care 24/7",
        "Care per productive hour",
        "USD",
        0,
        [
            {"unit": "productive_hour", "shore": shore, "price_minor": price,
             "description": f"Productive hour, {shore}"}
            for shore, price in (("onshore", 3200), ("nearshore", 2600), ("offshore", 1800))
        ],
    ),
    (
        "Claims data processing",
        "Claims team per FTE",
        "GBP",
        2_000_000,
        [{"unit": "fte_month", "price_minor": 520_000, "description": "Dedicated FTE per month"}],
    ),
)  # fmt: skip


def load(context: DemoContext) -> None:
    client_ids = [client.pk for client in context.clients.values()]
    for engagement_name, card_name, currency, minimum, lines in CARDS:
        engagement = (
            engagements.engagements(client_ids=client_ids).filter(name=engagement_name).first()
        )
        if engagement is None:
            continue
        cards = selectors.rate_cards(client_ids=client_ids, engagement_id=engagement.pk)
        if cards.filter(name=card_name).exists():
            continue
        card = rates.create_card(
            actor=context.admin, engagement=engagement, name=card_name, currency=currency
        )
        version = rates.add_version(
            actor=context.admin,
            card=card,
            effective_from=FROM,
            monthly_minimum_minor=minimum,
            note="Signed contract",
        )
        for fields in lines:
            rates.add_line(actor=context.admin, rate_version=version, fields=fields)
