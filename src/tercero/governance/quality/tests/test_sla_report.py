"""The client's monthly SLA report shows the engagements' quality figures (score and
accuracy against the sampling rule's targets); so do the staff SLA page, the API and the
billing CSV. A client user sees their own company's figures, never another's."""

import csv
import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client as Browser
from tests.factories import engagement_for

from tercero.governance.quality.tests.test_reports import evaluate, rule_for, scorecard_for
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory

NOVEMBER_DAY = datetime(2026, 11, 12, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _december():
    with time_machine.travel(datetime(2026, 12, 5, 9, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def figures(tenant_a, tenant_b):
    """November: A's "Acme keying" scored 93 on 10 evaluations, one critical failure
    (targets 90 % and 95 %); B's "Bergmann keying" 40 on 2 evaluations."""
    analyst = UserFactory(email="qa@provider.example", role=Role.QA_ANALYST)
    card_a = scorecard_for(engagement_for(tenant_a.client, name="Acme keying"))
    rule_for(card_a, quality_target="90", accuracy_target="95")
    for index in range(10):
        evaluate(card_a, analyst, score=93, critical_failed=index == 0, at=NOVEMBER_DAY)
    card_b = scorecard_for(engagement_for(tenant_b.client, name="Bergmann keying"))
    rule_for(card_b)
    for _ in range(2):
        evaluate(card_b, analyst, score=40, at=NOVEMBER_DAY)


def _signed_in(user) -> Browser:
    browser = Browser()
    browser.force_login(user)
    return browser


def test_the_clients_monthly_sla_report_shows_its_quality_figures_only(tenant_a, figures):
    # when A's client user opens November's SLA report
    page = _signed_in(tenant_a.client_user).get("/portal/sla/", {"month": "2026-11"})
    text = page.content.decode()
    # then the quality table: score met, accuracy 90 % not met, with sample and interval
    assert page.status_code == 200
    assert "Acme keying" in text
    assert "Bergmann keying" not in text
    assert "93.0 %" in text  # the quality score
    assert "90.0 %" in text  # the accuracy (9 of 10) and the score's target
    assert "Not met" in text  # accuracy 90 % under its 95 % target
    assert "10 evaluated; 95 % interval" in text


def test_the_staff_sla_page_shows_every_granted_clients_quality(tenant_a, tenant_b, figures):
    # given a provider admin granted both clients
    admin = UserFactory.create(email="boss@provider.example", role=Role.PROVIDER_ADMIN)
    from tercero.platform.tenancy.scoping import all_clients_scope

    with all_clients_scope():
        admin.grants.create(client=tenant_a.client, reason="test")
    # when, on 5 December, the last 90 days
    text = _signed_in(admin).get("/ops/sla/", {"days": "90"}).content.decode()
    # then A's figures only (the admin holds no grant for B)
    assert "Acme keying" in text
    assert "Bergmann keying" not in text


def test_the_sla_api_gives_the_month_per_engagement_to_the_client(tenant_a, tenant_b, figures):
    # when
    answer = _signed_in(tenant_a.client_user).get("/api/v1/quality/sla", {"month": "2026-11"})
    # then
    assert answer.status_code == 200
    body = answer.json()
    assert body["month"] == "2026-11"
    assert [(f["engagement"], f["measure"], f["result"], f["target"], f["met"], f["sample"])
            for f in body["figures"]] == [
        ("Acme keying", "Quality score", 93.0, 90.0, True, 10),
        ("Acme keying", "Accuracy", 90.0, 95.0, False, 10),
    ]  # fmt: skip


def test_a_bad_month_is_refused_with_the_field_named(tenant_a):
    answer = _signed_in(tenant_a.client_user).get("/api/v1/quality/sla", {"month": "2026-13"})
    assert answer.status_code == 422
    assert "month" in str(answer.json()["error"]["fields"])


def test_the_billing_csv_gives_measure_target_result_met_and_sample(tenant_a, figures):
    # when
    answer = _signed_in(tenant_a.client_user).get("/api/v1/quality/sla.csv", {"month": "2026-11"})
    rows = list(csv.DictReader(io.StringIO(answer.content.decode())))
    # then one row per engagement and measure, A's only
    assert answer["Content-Disposition"] == 'attachment; filename="quality-sla-2026-11.csv"'
    assert [(r["engagement"], r["measure"], r["target_percent"], r["result_percent"], r["met"],
             r["sample"]) for r in rows] == [
        ("Acme keying", "Quality score", "90.00", "93.00", "yes", "10"),
        ("Acme keying", "Accuracy", "95.00", "90.00", "no", "10"),
    ]  # fmt: skip
