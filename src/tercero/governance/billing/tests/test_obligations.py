"""Obligations of both sides: due moments in the client's calendar, met or recorded late
by the periodic job, and a late client obligation excusing exactly the SLA measurements
of its window, shown on the credit computation."""

from datetime import date, time

import pytest

from tercero.governance.billing import credits, obligations
from tercero.governance.billing.models import ObligationOccurrence
from tercero.governance.billing.tests.commercial_setup import at, billed_client, items, terms
from tercero.governance.billing.tests.world import billed_type  # noqa: F401
from tercero.platform.audit.models import AuditEvent
from tercero.platform.errors import InvalidInput
from tercero.platform.tenancy.scoping import all_clients_scope

NOVEMBER = date(2026, 11, 1)


@pytest.fixture
def billed(provider, billed_type):  # noqa: F811
    with all_clients_scope():
        yield billed_client(provider)


def _inputs(engagement, **overrides):
    fields = {
        "title": "Payroll inputs",
        "side": "client",
        "due_date": date(2026, 11, 20),
        "due_time": time(17),
        "measures": ["turnaround"],
        "work_type": "test.billed",
        "excuse_days": 2,
        **overrides,
    }
    return obligations.create_obligation(actor=None, engagement=engagement, fields=fields)


def test_inputs_one_day_late_excuse_exactly_the_items_due_in_their_window(billed):
    # given: payroll inputs due Friday 20 November 17:00 London (17:00 UTC), recorded late
    # by the job the next morning, supplied Saturday 21 November 17:00: one day late.
    # The window: 20 Nov 17:00 to 21 Nov 17:00 + 2 days = 23 Nov 17:00.
    with all_clients_scope():
        contract = terms(billed.engagement, measures=[("turnaround", "40", "90")])
        obligation = _inputs(billed.engagement)
        (occurrence,) = ObligationOccurrence.objects.filter(obligation=obligation)
        assert obligations.record_late(now=at("2026-11-21 09:00")) == 1
        occurrence.refresh_from_db()
        obligations.mark_met(
            actor=None, occurrence=occurrence, version=occurrence.version,
            met_at=at("2026-11-21 17:00"),
        )  # fmt: skip
        items(
            billed.engagement,
            [
                # resolved,          due (turnaround),   met,   response due, responded
                ("2026-11-19 10:00", "2026-11-19 12:00", True, None, None),  # before: counts
                ("2026-11-21 20:00", "2026-11-21 12:00", False, None, None),  # in window
                ("2026-11-23 18:00", "2026-11-23 16:59", False, None, None),  # in window
                ("2026-11-24 18:00", "2026-11-24 12:00", False, None, None),  # after: counts
            ],
        )
        # when
        counts = credits.clock_counts(
            client=billed.client, engagement_id=billed.engagement.pk, period=NOVEMBER
        )
        (measurement,) = credits.measure_month(
            client=billed.client, terms=contract, period=NOVEMBER
        )
    # then: two measured (one met), two excused by the late inputs
    measured, met, excused, why = counts["turnaround"]
    assert (measured, met, excused, why) == (2, 1, 2, {"Payroll inputs"})
    assert measurement.result == 50
    assert measurement.excused == 2
    assert measurement.excused_by == ("Payroll inputs",)

    assert occurrence.obligation.title == "Payroll inputs"


def _four_items(billed):
    items(
        billed.engagement,
        [
            ("2026-11-19 10:00", "2026-11-19 12:00", True, None, None),
            ("2026-11-21 20:00", "2026-11-21 12:00", False, None, None),
            ("2026-11-23 18:00", "2026-11-23 16:59", False, None, None),
            ("2026-11-24 18:00", "2026-11-24 12:00", False, None, None),
        ],
    )


def test_inputs_supplied_on_time_excuse_nothing(billed):
    with all_clients_scope():
        obligation = _inputs(billed.engagement)
        (occurrence,) = ObligationOccurrence.objects.filter(obligation=obligation)
        obligations.mark_met(
            actor=None, occurrence=occurrence, version=occurrence.version,
            met_at=at("2026-11-20 16:00"),
        )  # fmt: skip
        assert obligations.record_late(now=at("2026-11-21 09:00")) == 0
        _four_items(billed)
        counts = credits.clock_counts(
            client=billed.client, engagement_id=billed.engagement.pk, period=NOVEMBER
        )
        occurrence.refresh_from_db()
    assert counts["turnaround"][:3] == (4, 1, 0)
    assert occurrence.status == "met"
    assert not occurrence.was_late


def test_a_late_provider_obligation_excuses_nothing(billed):
    with all_clients_scope():
        _inputs(billed.engagement, side="provider", title="Monthly capacity plan")
        obligations.record_late(now=at("2026-11-21 09:00"))
        _four_items(billed)
        counts = credits.clock_counts(
            client=billed.client, engagement_id=billed.engagement.pk, period=NOVEMBER
        )
        late = ObligationOccurrence.objects.get()
        audited = AuditEvent.objects.filter(action="billing.obligation.late_recorded").count()
    assert counts["turnaround"][:3] == (4, 1, 0)
    assert late.status == "late"
    assert audited == 1


def test_a_missed_credit_names_the_excused_measurements(billed):
    # given: only the two excused misses and one counted miss (after the window)
    with all_clients_scope():
        terms(billed.engagement, measures=[("turnaround", "40", "90")])
        obligation = _inputs(billed.engagement)
        obligations.record_late(now=at("2026-11-21 09:00"))
        late = ObligationOccurrence.objects.get(obligation=obligation)
        obligations.mark_met(
            actor=None, occurrence=late, version=late.version, met_at=at("2026-11-21 17:00")
        )
        _four_items(billed)
        lines = credits.credit_lines(client_id=billed.client.pk, period=NOVEMBER)
        occurrence = ObligationOccurrence.objects.get(obligation=obligation)
    # then: 1 of 2 measured met = 50 % < 90 %: 40 % of 10 % of £12,000.00 = £480.00
    (line,) = lines
    assert line.amount_minor == -48_000
    assert line.description.endswith(
        "; 2 measurement(s) excused by late client obligations: Payroll inputs"
    )
    assert occurrence.status == "met"
    assert occurrence.was_late


def test_a_monthly_obligation_is_due_on_its_day_each_month(billed):
    with all_clients_scope():
        obligation = _inputs(billed.engagement, due_date=None, monthly_day=20)
        obligations.schedule(obligation=obligation, through=at("2027-02-01 00:00"))
        due = [
            occurrence.due_at
            for occurrence in ObligationOccurrence.objects.filter(obligation=obligation).order_by(
                "due_at"
            )
        ]
    # created in December 2026 (the suite's clock): due on the 20th at 17:00 London
    assert due == [at("2026-12-20 17:00"), at("2027-01-20 17:00")]


def test_an_obligation_needs_one_due_rule(billed):
    with all_clients_scope(), pytest.raises(InvalidInput) as refused:
        _inputs(billed.engagement, monthly_day=20)
    assert "due_date" in refused.value.fields
