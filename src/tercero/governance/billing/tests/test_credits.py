"""SLA credits: the worked example of the contract terms (docs/billing.md), computed by
hand, on the invoice as credit lines naming their measurements; the cap at the at-risk
amount; earn-back; excused measurements shown."""

from datetime import date

import pytest

from tercero.governance.billing import credits, invoices
from tercero.governance.billing.models import InvoiceLine, SlaCredit
from tercero.governance.billing.tests.commercial_setup import (
    billed_client,
    month_of_items,
    quality_line,
    terms,
)
from tercero.governance.billing.tests.world import billed_type  # noqa: F401
from tercero.platform import catalogue
from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.scoping import all_clients_scope

NOVEMBER = date(2026, 11, 1)
# at risk 10 %, pool 150 % spread as 50 + 40 + 30 + 30 over four measures
MEASURES = [
    ("first_response", "50", "95"),
    ("turnaround", "40", "90"),
    ("quality:Quality score", "30", None),  # the figure's own target, 85 %
    ("quality:Accuracy", "30", None),  # 98 %
]


@pytest.fixture
def billed(provider, billed_type):  # noqa: F811
    with all_clients_scope():
        found = billed_client(provider)
    line = quality_line(
        found.engagement.name, {"Quality score": (80.0, 85.0), "Accuracy": (99.2, 98.0)}
    )
    catalogue.add(line)
    yield found
    catalogue.remove(line.key)


def _credit_lines(invoice):
    return list(invoice.lines.filter(kind=InvoiceLine.Kind.CREDIT).order_by("id"))


def test_two_missed_slas_give_the_hand_computed_credits(billed):
    # given: fees £12,000.00 (2.5 FTE x £4,000.00 = £10,000.00, topped up to the
    # £12,000.00 minimum); at risk 10 % = £1,200.00; 20 items: 18 answered in time
    # (90.0 % < 95 %: missed), 19 resolved in time (95.0 % >= 90 %: met); quality score
    # 80.0 % < 85 % (missed); accuracy 99.2 % >= 98 % (met)
    with all_clients_scope():
        terms(billed.engagement, measures=MEASURES)
        month_of_items(billed.engagement, responses_met=18, turnaround_met=19)
        # when
        (invoice,) = invoices.draft_invoices(
            actor=None, client_id=billed.client.pk, period=NOVEMBER
        )
        lines = _credit_lines(invoice)
        recorded = list(SlaCredit.objects.order_by("id").values_list("measure", "amount_minor"))
    # then: first response 50 % x £1,200.00 = £600.00; quality 30 % x £1,200.00 = £360.00
    assert [line.amount_minor for line in lines] == [-60_000, -36_000]
    assert lines[0].description == (
        "First response within target: 90 % against 95 % target, missed: 50 % of the "
        "10 % at-risk pool of £12,000.00 = £600.00"
    )
    assert lines[1].description.startswith(
        "Quality score: 80 % against 85 % target, missed: 30 % of the 10 % at-risk pool"
    )
    assert recorded == [("first_response", 60_000), ("quality:Quality score", 36_000)]
    # £12,000.00 - £600.00 - £360.00 = £11,040.00 net
    assert invoice.subtotal_minor == 1_104_000
    with all_clients_scope():
        assert AuditEvent.objects.filter(action="billing.sla_credits.computed").count() == 1


def test_credits_never_pass_the_at_risk_amount(billed):
    # given: turnaround's target raised to 99 % so three measures miss:
    # 50 % + 40 % + 30 % = 120 % of £1,200.00 = £1,440.00 > £1,200.00
    measures = [MEASURES[0], ("turnaround", "40", "99"), MEASURES[2], MEASURES[3]]
    with all_clients_scope():
        terms(billed.engagement, measures=measures)
        month_of_items(billed.engagement, responses_met=18, turnaround_met=19)
        (invoice,) = invoices.draft_invoices(
            actor=None, client_id=billed.client.pk, period=NOVEMBER
        )
        lines = _credit_lines(invoice)
    # then: £600.00 + £480.00, and the quality credit cut from £360.00 to the £120.00 left
    assert [line.amount_minor for line in lines] == [-60_000, -48_000, -12_000]
    assert "cut to the at-risk amount of £1,200.00" in lines[2].description
    assert sum(line.amount_minor for line in lines) == -120_000


def test_redrafting_records_the_same_credits_once(billed):
    with all_clients_scope():
        terms(billed.engagement, measures=MEASURES)
        month_of_items(billed.engagement, responses_met=18, turnaround_met=19)
        invoices.draft_invoices(actor=None, client_id=billed.client.pk, period=NOVEMBER)
        (again,) = invoices.draft_invoices(actor=None, client_id=billed.client.pk, period=NOVEMBER)
        assert SlaCredit.objects.count() == 2
        assert again.subtotal_minor == 1_104_000


def test_a_credit_is_earned_back_when_its_measure_is_met_the_following_month(billed):
    # given: one month of earn-back; November's first response missed (90 %), December's met
    with all_clients_scope():
        terms(billed.engagement, earn_back=1, measures=[("first_response", "50", "95")])
        month_of_items(billed.engagement, responses_met=18, turnaround_met=20)
        (november,) = invoices.draft_invoices(
            actor=None, client_id=billed.client.pk, period=NOVEMBER
        )
        from tercero.governance.billing.tests.commercial_setup import items
        from tercero.governance.billing.tests.invoice_setup import usage

        usage(billed.version, unit="fte_month", quantity="2.5", key="fte:2026-12",
              period=date(2026, 12, 1))  # fmt: skip
        items(billed.engagement, [("2026-12-03 12:00", "2026-12-03 15:00", True,
                                   "2026-12-03 10:00", "2026-12-03 09:00")])  # fmt: skip
        # when
        (december,) = invoices.draft_invoices(
            actor=None, client_id=billed.client.pk, period=date(2026, 12, 1)
        )
        earned = list(december.lines.filter(description__startswith="Earn-back"))
        credit = SlaCredit.objects.get(period=NOVEMBER)
        credited = [line.amount_minor for line in _credit_lines(november)]
    # then: November's £600.00 comes back on December's invoice
    assert credited == [-60_000]
    assert [line.amount_minor for line in earned] == [60_000]
    assert credit.earned_back_period == date(2026, 12, 1)
    assert december.subtotal_minor == 1_200_000 + 60_000


def test_an_unmeasured_month_gives_no_credit(billed):
    with all_clients_scope():
        terms(billed.engagement, measures=[("first_response", "50", "95")])
        assessment = credits.credit_lines(client_id=billed.client.pk, period=NOVEMBER)
    assert assessment == []
