"""Rate cards through the API and the services: versions that never overlap, prices
checked field by field (422 naming the field), a version fixed once invoiced, and an
audit event for every change."""

import json
from datetime import date

import pytest

from tercero.governance.billing import rates
from tercero.governance.billing.models import Invoice, InvoiceLine, RateCard, RateLine
from tercero.governance.billing.tests.world import card_with, live_engagement
from tercero.platform.audit.models import AuditEvent
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

BANDS = [{"up_to": 1000, "price_minor": 40}, {"up_to": None, "price_minor": 30}]


def post(browser, path, body, method="post"):
    response = getattr(browser, method)(
        f"/api/v1/billing/{path}", data=json.dumps(body), content_type="application/json"
    )
    return response.status_code, response.json() if response.content else None


def test_a_manager_builds_a_card_with_a_version_and_tiered_prices(client, tenant_a, provider_admin):
    # given a provider admin
    engagement = live_engagement(tenant_a.client)
    client.force_login(provider_admin)
    # when they create a card, a version and a tiered price
    status, card = post(
        client, "rate-cards", {"engagement_id": engagement.pk, "name": "Keying", "currency": "gbp"}
    )
    assert status == 201, card
    status, version = post(
        client,
        f"rate-cards/{card['id']}/versions",
        {"effective_from": "2026-11-01", "monthly_minimum_minor": 50000},
    )
    assert status == 201, version
    status, line = post(
        client,
        f"rate-card-versions/{version['id']}/lines",
        {"unit": "transaction", "banding": "tiered", "bands": BANDS},
    )
    assert status == 201, line
    # then the card reads back with them, in upper-case currency
    response = client.get(f"/api/v1/billing/rate-cards/{card['id']}")
    detail = response.json()
    assert detail["currency"] == "GBP"
    assert [(v["number"], v["monthly_minimum_minor"]) for v in detail["versions"]] == [(1, 50000)]
    assert detail["versions"][0]["lines"][0]["bands"] == BANDS
    # and each change is in the audit trail
    with all_clients_scope():
        actions = list(
            AuditEvent.objects.filter(action__startswith="billing.").values_list(
                "action", flat=True
            )
        )
    assert actions == [
        "billing.rate_card.created",
        "billing.rate_card_version.created",
        "billing.rate_line.created",
    ]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"unit": "parsec", "price_minor": 1}, "unit"),
        ({"unit": "transaction", "work_type": "no.such", "price_minor": 1}, "work_type"),
        ({"unit": "outcome", "price_minor": 1}, "outcome_kind"),
        ({"unit": "outcome", "outcome_kind": "made.up", "price_minor": 1}, "outcome_kind"),
        (
            {"unit": "transaction", "banding": "tiered", "bands": [BANDS[1], BANDS[0]]},
            "bands[1].up_to",
        ),
        ({"unit": "transaction", "banding": "volume", "bands": BANDS[:1]}, "bands[1].up_to"),
        ({"unit": "transaction", "banding": "tiered", "bands": []}, "bands"),
        ({"unit": "transaction", "price_minor": -5}, "price_minor"),
        ({"unit": "transaction", "price_minor": 1, "site_id": 10**9}, "site_id"),
    ],
)
def test_a_bad_price_is_refused_naming_the_field_and_nothing_is_written(tenant_a, fields, field):
    engagement = live_engagement(tenant_a.client)
    version = card_with(engagement, [])
    with client_scope(clients=[tenant_a.client]):
        with pytest.raises(InvalidInput) as refused:
            rates.add_line(actor=None, rate_version=version, fields=fields)
        assert field in refused.value.fields
        assert not RateLine.objects.exists()


def test_the_api_answers_a_bad_band_with_422_naming_it(client, tenant_a, provider_admin):
    engagement = live_engagement(tenant_a.client)
    version = card_with(engagement, [])
    client.force_login(provider_admin)
    status, body = post(
        client,
        f"rate-card-versions/{version.pk}/lines",
        {"unit": "transaction", "banding": "tiered", "bands": [{"up_to": 5, "price_minor": 1}]},
    )
    assert status == 422
    assert "bands[1].up_to" in body["error"]["fields"]


def test_versions_of_a_card_never_overlap(tenant_a):
    engagement = live_engagement(tenant_a.client)
    first = card_with(engagement, [{"unit": "transaction", "price_minor": 10}])
    with client_scope(clients=[tenant_a.client]):
        card = first.rate_card
        # a new open version from March closes the open one on the last day of February
        second = rates.add_version(actor=None, card=card, effective_from=date(2026, 3, 1))
        first.refresh_from_db()
        assert first.effective_to == date(2026, 2, 28)
        # and its prices were copied
        assert list(second.lines.values_list("unit", "price_minor")) == [("transaction", 10)]
        # a version inside an existing one is refused
        with pytest.raises(InvalidInput) as refused:
            rates.add_version(
                actor=None,
                card=card,
                effective_from=date(2026, 2, 1),
                effective_to=date(2026, 2, 10),
            )
        assert "effective_from" in refused.value.fields
        # so is moving a version onto another's days
        with pytest.raises(InvalidInput):
            rates.update_version(
                actor=None,
                rate_version=second,
                version=second.version,
                changes={"effective_from": date(2026, 2, 1)},
            )
        assert card.versions.count() == 2


def test_a_version_an_issued_invoice_names_is_never_edited(tenant_a):
    engagement = live_engagement(tenant_a.client)
    version = card_with(engagement, [{"unit": "transaction", "price_minor": 10}])
    with client_scope(clients=[tenant_a.client]):
        invoice = Invoice.objects.create(
            client=tenant_a.client,
            provider_id=tenant_a.client.provider_id,
            status=Invoice.Status.ISSUED,
            number="T-1",
            period_start=date(2026, 10, 1),
            period_end=date(2026, 10, 31),
            currency="GBP",
        )
        InvoiceLine.objects.create(
            client=tenant_a.client,
            invoice=invoice,
            rate_card_version=version,
            description="x",
            quantity=1,
            period=date(2026, 10, 1),
        )
        line = version.lines.get()
        for attempt in (
            lambda: rates.update_line(actor=None, line=line, version=1, changes={"price_minor": 5}),
            lambda: rates.remove_line(actor=None, line=line),
            lambda: rates.add_line(
                actor=None, rate_version=version, fields={"unit": "minute", "price_minor": 1}
            ),
            lambda: rates.update_version(
                actor=None, rate_version=version, version=1, changes={"note": "x"}
            ),
            # a new version from a day October's invoice already charged
            lambda: rates.add_version(
                actor=None, card=version.rate_card, effective_from=date(2026, 10, 15)
            ),
        ):
            with pytest.raises(Conflict):
                attempt()
        # a change of price from November is a new version
        november = rates.add_version(
            actor=None, card=version.rate_card, effective_from=date(2026, 11, 1)
        )
        assert november.number == 2
        assert version.lines.get().price_minor == 10


def test_a_stale_edit_is_refused(tenant_a):
    engagement = live_engagement(tenant_a.client)
    version = card_with(engagement, [{"unit": "transaction", "price_minor": 10}])
    with client_scope(clients=[tenant_a.client]):
        line = version.lines.get()
        rates.update_line(actor=None, line=line, version=1, changes={"price_minor": 11})
        with pytest.raises(Conflict):
            rates.update_line(actor=None, line=line, version=1, changes={"price_minor": 12})
        assert RateLine.objects.get(pk=line.pk).price_minor == 11


def test_client_people_cannot_edit_rate_cards(client, tenant_a):
    engagement = live_engagement(tenant_a.client)
    client.force_login(tenant_a.client_admin)
    status, _ = post(
        client, "rate-cards", {"engagement_id": engagement.pk, "name": "Mine", "currency": "USD"}
    )
    assert status == 403
    with client_scope(clients=[tenant_a.client]):
        assert not RateCard.objects.exists()
