"""The usage explorer and the rate card pages: provider staff see the clients they
serve, a client's people their own usage only (read-only), with totals and CSV."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from tercero.governance.billing.models import RateLine, UsageRecord
from tercero.governance.billing.tests.world import card_with, live_engagement
from tercero.platform.tenancy.scoping import client_scope


def usage_of(engagement, *, count: int, unit: str = "transaction", work_type: str = "x.keyed"):
    with client_scope(clients=[engagement.client_id]):
        UsageRecord.objects.bulk_create(
            UsageRecord(
                client_id=engagement.client_id,
                engagement=engagement,
                unit=unit,
                quantity=Decimal(1),
                work_type=work_type,
                occurred_at=datetime(2026, 11, 3, 12, tzinfo=UTC),
                period=date(2026, 11, 1),
                source_key=f"{engagement.pk}:{n}",
            )
            for n in range(count)
        )


def test_a_client_sees_only_its_own_usage_with_totals(client, tenant_a, tenant_b):
    # given usage for two clients
    usage_of(live_engagement(tenant_a.client, name="Acme keying"), count=3)
    usage_of(live_engagement(tenant_b.client, name="Bergmann keying"), count=5)
    # when A's client admin opens the usage page
    client.force_login(tenant_a.client_admin)
    response = client.get("/billing/usage/")
    # then A's three rows and their total, nothing of B's
    assert response.status_code == 200
    page = response.content.decode()
    assert "Acme keying" in page
    assert "Bergmann" not in page
    totals = response.context["totals"]
    assert [(total.quantity, total.rows) for total in totals] == [(Decimal(3), 3)]


def test_the_usage_api_lists_and_sums_the_callers_clients_only(client, tenant_a, tenant_b):
    usage_of(live_engagement(tenant_a.client), count=2, work_type="a.keyed")
    usage_of(live_engagement(tenant_b.client), count=4)
    client.force_login(tenant_a.client_admin)
    listed = client.get("/api/v1/billing/usage").json()["results"]
    totals = client.get("/api/v1/billing/usage/totals?unit=transaction").json()
    assert {row["client_id"] for row in listed} == {tenant_a.client.pk}
    assert len(listed) == 2
    assert [(t["work_type"], Decimal(t["quantity"]), t["rows"]) for t in totals] == [
        ("a.keyed", Decimal(2), 2)
    ]


def test_usage_exports_as_csv_with_the_filters_applied(client, tenant_a, provider_admin):
    engagement = live_engagement(tenant_a.client)
    usage_of(engagement, count=2)
    usage_of(engagement, count=1, unit="minute")
    client.force_login(provider_admin)
    response = client.get("/billing/usage/?unit=minute&format=csv")
    lines = response.content.decode().strip().splitlines()
    assert response["Content-Type"].startswith("text/csv")
    assert len(lines) == 2  # the header and the one minute row
    assert "Call minute" in lines[1]


def test_a_client_admin_cannot_open_the_rate_card_pages(client, tenant_a):
    client.force_login(tenant_a.client_admin)
    assert client.get("/billing/rates/").status_code == 404


def test_a_manager_adds_a_tiered_price_on_the_page_in_major_units(client, tenant_a, provider_admin):
    # given a card in GBP with a version
    engagement = live_engagement(tenant_a.client)
    version = card_with(engagement, [])
    client.force_login(provider_admin)
    page = client.get(f"/billing/rates/{version.rate_card_id}/")
    assert page.status_code == 200
    assert "Tiered: each unit at its own band" in page.content.decode()
    # when they add tiered bands typed in pounds
    response = client.post(
        f"/billing/versions/{version.pk}/lines/",
        {
            "unit": "transaction",
            "banding": "tiered",
            "band_up_to_1": "1000",
            "band_price_1": "0.40",
            "band_price_2": "0.35",
            "description": "Documents keyed",
        },
    )
    # then the price is stored in pence, the last band open
    assert response.status_code == 302
    with client_scope(clients=[tenant_a.client]):
        line = RateLine.objects.get()
    assert line.bands == [{"up_to": 1000, "price_minor": 40}, {"up_to": None, "price_minor": 35}]
    # and a bad band comes back as a message, nothing written
    client.post(
        f"/billing/versions/{version.pk}/lines/",
        {"unit": "transaction", "banding": "volume", "band_up_to_1": "10", "band_price_1": "1"},
        follow=True,
    )
    with client_scope(clients=[tenant_a.client]):
        assert RateLine.objects.count() == 1


def test_the_rating_preview_prices_the_month_for_staff(client, tenant_a, provider_admin):
    engagement = live_engagement(tenant_a.client)
    card_with(engagement, [{"unit": "transaction", "price_minor": 125}])
    usage_of(engagement, count=3)
    client.force_login(provider_admin)
    body = client.get(
        f"/api/v1/billing/clients/{tenant_a.client.pk}/rating?period=2026-11-15"
    ).json()
    assert body["total_minor"] == 375
    assert [(Decimal(line["quantity"]), line["usage_rows"]) for line in body["lines"]] == [
        (Decimal(3), 3)
    ]
    assert json.dumps(body)  # plain JSON
