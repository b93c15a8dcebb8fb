"""`tercero demo` gives three demo engagements a rate card each, one of each kind of
contract, and a second run adds nothing."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.test import TestCase

from tercero.governance.billing.models import RateCard, RateLine
from tercero.platform.tenancy.scoping import all_clients_scope

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_rate_card_of_each_kind_once():
    # when the demo is loaded twice
    with time_machine.travel(datetime(2026, 12, 7, 10, tzinfo=UTC), tick=True):
        for _ in range(2):
            with TestCase.captureOnCommitCallbacks(execute=True):
                call_command("demo", verbosity=0)
    # then one card for each of the three engagements, with its kind of price
    with all_clients_scope():
        cards = {
            card.engagement.name: (card.currency, card.versions.get().monthly_minimum_minor)
            for card in RateCard.objects.select_related("engagement")
        }
        kinds = sorted(
            RateLine.objects.values_list("rate_card_version__rate_card__name", "unit", "banding")
        )
    assert cards == {
        "Order data entry": ("USD", 0),
        "Customer care 24/7": ("USD", 0),
        "Claims data processing": ("GBP", 2_000_000),
    }
    assert kinds == [
        ("Care per productive hour", "productive_hour", "flat"),
        ("Care per productive hour", "productive_hour", "flat"),
        ("Care per productive hour", "productive_hour", "flat"),
        ("Claims team per FTE", "fte_month", "flat"),
        ("Keying per transaction", "transaction", "tiered"),
    ]
