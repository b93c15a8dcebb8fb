"""The commercial terms' API and pages: staff enter credit terms, obligations and the
in-house baseline; a client's people see their credits, savings, obligations (marking
their own side met) and the service review with its PDF; the margin never reaches them."""

import json
from datetime import date
from typing import Any

import pytest

from tercero.governance.billing import invoices
from tercero.governance.billing.models import CreditTerms, ObligationOccurrence
from tercero.governance.billing.tests.commercial_setup import (
    billed_client,
    month_of_items,
    terms,
)
from tercero.governance.billing.tests.world import billed_type  # noqa: F401
from tercero.platform.audit.models import AuditEvent
from tercero.platform.identity.models import Grant
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import all_clients_scope

JSON = "application/json"
NOVEMBER = date(2026, 11, 1)


@pytest.fixture
def world(provider, billed_type):  # noqa: F811
    with all_clients_scope():
        billed = billed_client(provider)
        manager = UserFactory.create(email="billing@provider.example", role=Role.PROVIDER_ADMIN)
        Grant.objects.create(user=manager, client=billed.client, reason="billing")
        buyer = UserFactory(
            email="finance@albion.example", role=Role.CLIENT_ADMIN, client=billed.client
        )
    return billed, manager, buyer


def _send(client, method, url, body):
    return getattr(client, method)(url, data=json.dumps(body), content_type=JSON)


def test_staff_enter_terms_whose_allocations_add_up_to_the_pool(client, world):
    billed, manager, _buyer = world
    client.force_login(manager)
    url = f"/api/v1/billing/credit-terms/{billed.engagement.pk}"
    body: dict[str, Any] = {
        "version": 0,
        "at_risk_percent": "10",
        "pool_percent": "150",
        "earn_back_months": 3,
        "measures": [
            {"measure": "first_response", "allocation_percent": "100", "target_percent": "95"},
            {"measure": "quality:Quality score", "allocation_percent": "40"},
        ],
    }
    refused = _send(client, "put", url, body)
    assert refused.status_code == 422
    assert "140" in refused.json()["error"]["fields"]["measures"]
    body["measures"][1]["allocation_percent"] = "50"
    saved = _send(client, "put", url, body)
    assert saved.status_code == 200, saved.content
    assert saved.json()["version"] == 1
    assert [m["measure"] for m in saved.json()["measures"]] == [
        "first_response",
        "quality:Quality score",
    ]
    stale = _send(client, "put", url, body)
    assert stale.status_code == 409
    with all_clients_scope():
        assert CreditTerms.objects.get().earn_back_months == 3
        assert AuditEvent.objects.filter(action="billing.credit_terms.set").count() == 1


def test_a_client_sees_its_credits_savings_and_review_but_never_the_margin(client, world):
    billed, manager, buyer = world
    with all_clients_scope():
        terms(billed.engagement, measures=[("first_response", "50", "95")])
        month_of_items(billed.engagement, responses_met=18, turnaround_met=20)
        invoices.draft_invoices(actor=None, client_id=billed.client.pk, period=NOVEMBER)
    client.force_login(manager)
    baseline = _send(
        client,
        "put",
        f"/api/v1/billing/baselines/{billed.engagement.pk}",
        {"unit": "fte_month", "cost_minor": 600_000, "currency": "GBP"},
    )
    assert baseline.status_code == 200, baseline.content
    assert client.get("/api/v1/billing/margins?month=2026-11").status_code == 200
    assert client.get("/billing/margin/?month=2026-11").status_code == 200
    client.force_login(buyer)
    # then: 2.5 FTE x £6,000.00 in house = £15,000.00 against £12,000.00 - £600.00
    # = £11,400.00 through us: £3,600.00 saved (24 %)
    (saving,) = client.get("/api/v1/billing/savings?month=2026-11").json()
    assert (saving["in_house_minor"], saving["provider_minor"], saving["saving_minor"]) == (
        1_500_000,
        1_140_000,
        360_000,
    )
    assert saving["is_provisional"] is True
    (credit,) = client.get("/api/v1/billing/credits").json()
    assert credit["amount_minor"] == 60_000
    review = client.get(f"/api/v1/billing/clients/{billed.client.pk}/service-review?month=2026-11")
    assert review.status_code == 200
    assert "margin" not in json.dumps(review.json()).lower()
    page = client.get(f"/billing/review/{billed.client.pk}/?month=2026-11")
    assert page.status_code == 200
    text = page.content.decode()
    assert "saving: £3,600.00 (24 %), from the draft invoice" in text
    assert "margin" not in page.content.decode().lower()
    assert client.get("/api/v1/billing/margins?month=2026-11").status_code == 404
    assert client.get("/billing/margin/?month=2026-11").status_code == 404
    pdf = client.get(f"/billing/review/{billed.client.pk}/pdf/?month=2026-11")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")


def test_the_client_marks_its_own_obligation_met_but_not_the_providers(client, world):
    billed, manager, buyer = world
    client.force_login(manager)
    for side in ("client", "provider"):
        made = _send(
            client,
            "post",
            "/api/v1/billing/obligations",
            {"engagement_id": billed.engagement.pk, "title": f"{side} inputs", "side": side,
             "due_date": "2030-01-20", "measures": ["turnaround"], "excuse_days": 1},
        )  # fmt: skip
        assert made.status_code == 201, made.content
    with all_clients_scope():
        due = {o.obligation.side: o for o in ObligationOccurrence.objects.select_related(
            "obligation")}  # fmt: skip
    client.force_login(buyer)
    mine = _send(
        client, "post", f"/api/v1/billing/obligation-occurrences/{due['client'].pk}/met",
        {"version": 1},
    )  # fmt: skip
    assert mine.status_code == 200, mine.content
    assert mine.json()["status"] == "met"
    assert mine.json()["met_by"] == "finance@albion.example"
    theirs = _send(
        client, "post", f"/api/v1/billing/obligation-occurrences/{due['provider'].pk}/met",
        {"version": 1},
    )  # fmt: skip
    assert theirs.status_code == 403
    listed = client.get("/billing/obligations/?status=met&format=csv")
    assert listed.status_code == 200
    assert "client inputs" in listed.content.decode()
    assert "provider inputs" not in listed.content.decode()


def test_staff_pages_list_filter_and_export(client, world):
    billed, manager, _buyer = world
    with all_clients_scope():
        terms(billed.engagement, measures=[("first_response", "50", "95")])
        month_of_items(billed.engagement, responses_met=18, turnaround_met=20)
        invoices.draft_invoices(actor=None, client_id=billed.client.pk, period=NOVEMBER)
    client.force_login(manager)
    engagement = billed.engagement.pk
    for url in (
        "/billing/credits/",
        f"/billing/credits/terms/{engagement}/?month=2026-11",
        "/billing/obligations/",
        "/billing/savings/?month=2026-11",
        "/billing/margin/?month=2026-11",
        "/billing/review/",
    ):
        assert client.get(url, follow=True).status_code == 200, url
    exported = client.get(f"/billing/credits/?engagement={engagement}&format=csv")
    assert exported["Content-Type"].startswith("text/csv")
    assert "First response within target" in exported.content.decode()
    terms_page = client.get(f"/billing/credits/terms/{engagement}/?month=2026-11").content.decode()
    assert '<td data-label="Result">90 %</td>' in terms_page
    # a form post with allocations that do not add up is refused in words, nothing saved
    refused = client.post(
        f"/billing/credits/terms/{engagement}/",
        {"version": "1", "at_risk_percent": "10", "pool_percent": "150",
         "measure_0": "first_response", "allocation_0": "50", "target_0": "95"},
        follow=True,
    )  # fmt: skip
    assert "the allocations add up to 50" in refused.content.decode()
    with all_clients_scope():
        assert CreditTerms.objects.get().pool_percent == 150
