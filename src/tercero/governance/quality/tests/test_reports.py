"""The quality report: score and accuracy per agent, team, site, shore, client, engagement
and criterion, with sample sizes and 95 % intervals; calibration and other clients never
count."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from tests.factories import engagement_for, site

from tercero.delivery.workforce.services import create_agent
from tercero.governance.quality import reports
from tercero.governance.quality.models import (
    Evaluation,
    SamplingRule,
    Scorecard,
    ScorecardVersion,
)
from tercero.governance.quality.sampling import wilson_interval
from tercero.platform.identity.roles import Role
from tercero.platform.identity.tests.factories import UserFactory
from tercero.platform.tenancy.scoping import client_scope

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))
DEFINITION = {
    "sections": [
        {
            "title": "Call",
            "criteria": [
                {"key": "greeting", "label": "Greets the caller", "weight": 1, "scale": "yes_no"},
                {
                    "key": "verify",
                    "label": "Verifies identity",
                    "weight": 2,
                    "scale": "yes_no",
                    "critical": True,
                    "allows_na": True,
                },
                {"key": "tone", "label": "Tone", "weight": 1, "scale": "one_to_five"},
                {
                    "key": "extra",
                    "label": "Delights",
                    "weight": 1,
                    "scale": "yes_no",
                    "bonus": True,
                },
            ],
        }
    ]
}
FIELDS_DEFINITION = {
    "sections": [
        {
            "title": "Fields",
            "criteria": [
                {"key": "name", "label": "Name", "weight": 1, "scale": "yes_no", "field": "name"},
                {"key": "iban", "label": "IBAN", "weight": 1, "scale": "yes_no", "field": "iban"},
            ],
        }
    ]
}


def scorecard_for(engagement, *, kind="conversation", work_type="test.ticket", definition=None):
    with client_scope(clients=[engagement.client_id]):
        card = Scorecard.objects.create(
            client_id=engagement.client_id,
            engagement=engagement,
            work_type=work_type,
            name=f"{kind} card",
            kind=kind,
            is_active=True,
        )
        return ScorecardVersion.objects.create(
            client_id=engagement.client_id,
            scorecard=card,
            number=1,
            definition=definition or (FIELDS_DEFINITION if kind == "fields" else DEFINITION),
        )


def rule_for(version, *, quality_target="90", accuracy_target="95"):
    card = version.scorecard
    with client_scope(clients=[card.client_id]):
        return SamplingRule.objects.create(
            client_id=card.client_id,
            engagement=card.engagement,
            work_type=card.work_type,
            scorecard=card,
            quality_target=Decimal(quality_target),
            accuracy_target=Decimal(accuracy_target),
        )


_counter = [0]


def evaluate(version, evaluator, *, score, at=datetime(2026, 11, 10, 12, tzinfo=UTC), **fields):
    """An evaluation row as the evaluation service leaves it."""
    _counter[0] += 1
    card = version.scorecard
    with client_scope(clients=[card.client_id]):
        return Evaluation.objects.create(
            client_id=card.client_id,
            engagement=card.engagement,
            source_item_id=fields.pop("source_item_id", 100_000 + _counter[0]),
            evaluator=evaluator,
            scorecard_version=version,
            score=Decimal(str(score)),
            submitted_at=at,
            **fields,
        )


def filters_for(*clients, **more):
    return reports.Filters(
        client_ids=[c.pk for c in clients], first=NOVEMBER[0], last=NOVEMBER[1], **more
    )


@pytest.fixture
def analyst():
    return UserFactory(email="analyst@provider.example", role=Role.AGENT)


@pytest.fixture
def card_a(tenant_a):
    return scorecard_for(engagement_for(tenant_a.client, name="Acme care"))


def test_an_agents_score_is_the_mean_with_its_t_interval_and_sample_size(tenant_a, card_a, analyst):
    # given three evaluations of one agent: 80, 90, 100 (mean 90, s = 10)
    for score in (80, 90, 100):
        evaluate(card_a, analyst, score=score, agent_id=7)
    # when
    with client_scope(clients=[tenant_a.client]):
        (agent,) = reports.by_dimension(filters_for(tenant_a.client), "agent")
    # then t(0.975, 2) * 10 / sqrt(3) = 24.841
    assert agent.evaluations == 3
    assert agent.score == pytest.approx(90.0)
    assert agent.score_low == pytest.approx(90 - 24.8414, abs=1e-3)
    assert agent.score_high == 100.0  # clipped
    assert agent.label == "Agent 7"


def test_accuracy_is_the_share_without_critical_failure_with_its_wilson_interval(
    tenant_a, card_a, analyst
):
    # given 9 evaluations, 2 with a critical criterion failed
    for index in range(9):
        evaluate(card_a, analyst, score=0 if index < 2 else 95, critical_failed=index < 2)
    # when
    with client_scope(clients=[tenant_a.client]):
        (row,) = reports.by_dimension(filters_for(tenant_a.client), "engagement")
    # then
    low, high = wilson_interval(7, 9)
    assert (row.label, row.accurate, row.checked) == ("Acme care", 7, 9)
    assert row.accuracy == pytest.approx(100 * 7 / 9)
    assert (row.accuracy_low, row.accuracy_high) == pytest.approx((100 * low, 100 * high))


def test_a_fields_scorecards_accuracy_counts_fields_not_documents(tenant_a, analyst):
    # given keyed documents: 48 of 50 fields right, over two evaluations
    engagement = engagement_for(tenant_a.client, name="Keying", office="back")
    version = scorecard_for(engagement, kind="fields", work_type="test.form")
    evaluate(version, analyst, score=100, fields_total=30, fields_right=30)
    evaluate(version, analyst, score=90, fields_total=20, fields_right=18)
    # when
    with client_scope(clients=[tenant_a.client]):
        report = reports.report(filters_for(tenant_a.client))
    # then
    assert (report.overall.accurate, report.overall.checked) == (48, 50)
    assert report.overall.accuracy == pytest.approx(96.0)
    assert report.overall.evaluations == 2


def test_calibration_other_months_and_other_clients_never_count(
    tenant_a, tenant_b, card_a, analyst
):
    # given one counted evaluation, a calibration one, one in October, one of tenant B
    evaluate(card_a, analyst, score=70)
    evaluate(card_a, analyst, score=10, is_calibration=True)
    evaluate(card_a, analyst, score=10, at=datetime(2026, 10, 31, 23, 59, tzinfo=UTC))
    card_b = scorecard_for(engagement_for(tenant_b.client, name="Bergmann care"))
    evaluate(card_b, analyst, score=10)
    # when
    with client_scope(clients=[tenant_a.client]):
        report = reports.report(filters_for(tenant_a.client))
    # then
    assert report.overall.evaluations == 1
    assert report.overall.score == pytest.approx(70.0)
    assert [f.label for f in report.dimensions["client"]] == ["Acme Retail Inc"]


def test_criteria_pass_rates_leave_out_na_and_bonus_and_list_the_most_failed_first(
    tenant_a, card_a, analyst
):
    # given verification failed twice, N/A once, passed once; tone 1 of 5 once
    rows = [
        {"greeting": 1, "verify": 0, "tone": 4, "extra": 1},
        {"greeting": 1, "verify": 0, "tone": 1},
        {"greeting": 0, "verify": None, "tone": 5},
        {"greeting": 1, "verify": 1, "tone": 3},
    ]
    for scores in rows:
        evaluate(card_a, analyst, score=50, scores=scores)
    # when
    with client_scope(clients=[tenant_a.client]):
        found = reports.criteria(filters_for(tenant_a.client))
    # then
    by_key = {c.key: c for c in found}
    assert set(by_key) == {"greeting", "verify", "tone"}
    assert (by_key["verify"].scored, by_key["verify"].failed) == (3, 2)
    assert by_key["verify"].pass_rate == pytest.approx(100 / 3)
    assert (by_key["greeting"].scored, by_key["greeting"].failed) == (4, 1)
    assert (by_key["tone"].scored, by_key["tone"].failed) == (4, 1)
    assert found[0].label == "Verifies identity"
    assert next(c.key for c in reports.top_failed(found)) == "verify"


def test_sites_merge_into_shores_relative_to_the_client(tenant_a, card_a, analyst):
    # given a US client served from New York (onshore) and Manila (offshore)
    manila = site()
    new_york = site(name="New York", country="US", time_zone="America/New_York", city="NYC")
    evaluate(card_a, analyst, score=80, site_id=manila.pk)
    evaluate(card_a, analyst, score=100, site_id=manila.pk)
    evaluate(card_a, analyst, score=60, site_id=new_york.pk)
    # when
    with client_scope(clients=[tenant_a.client]):
        shores = reports.by_dimension(filters_for(tenant_a.client), "shore")
        sites = reports.by_dimension(filters_for(tenant_a.client, site_id=manila.pk), "site")
    # then
    assert [(s.label, s.evaluations, s.score) for s in shores] == [
        ("Offshore", 2, pytest.approx(90.0)),
        ("Onshore", 1, pytest.approx(60.0)),
    ]
    assert [(s.label, s.evaluations) for s in sites] == [("Manila", 2)]


def test_agents_and_teams_are_named(tenant_a, card_a, analyst):
    # given an agent with a team lead
    user = UserFactory.create(email="ana@provider.example", full_name="Ana Reyes", role=Role.AGENT)
    agent = create_agent(actor=None, user=user, site=site(), skills={}, languages=["en"])
    evaluate(card_a, analyst, score=88, agent_id=agent.pk, team_lead_id=tenant_a.team_lead.pk)
    # when
    with client_scope(clients=[tenant_a.client]):
        agents = reports.by_dimension(filters_for(tenant_a.client), "agent")
        teams = reports.by_dimension(filters_for(tenant_a.client), "team")
    # then
    assert [a.label for a in agents] == ["Ana Reyes"]
    assert [t.label for t in teams] == [tenant_a.team_lead.full_name]


def test_the_trend_has_one_row_per_week(tenant_a, card_a, analyst):
    # given evaluations in the weeks of 2 and 16 November
    evaluate(card_a, analyst, score=70, at=datetime(2026, 11, 3, 9, tzinfo=UTC))
    evaluate(card_a, analyst, score=90, at=datetime(2026, 11, 4, 9, tzinfo=UTC))
    evaluate(card_a, analyst, score=100, at=datetime(2026, 11, 18, 9, tzinfo=UTC))
    # when
    with client_scope(clients=[tenant_a.client]):
        weeks = reports.trend(filters_for(tenant_a.client))
    # then
    assert [(w.key, w.evaluations, w.score) for w in weeks] == [
        (date(2026, 11, 2), 2, pytest.approx(80.0)),
        (date(2026, 11, 16), 1, pytest.approx(100.0)),
    ]


def test_the_sla_figures_compare_the_month_with_the_rules_targets(tenant_a, card_a, analyst):
    # given a rule: quality 90 %, accuracy 95 %; 19 of 20 evaluations accurate, mean 92
    rule_for(card_a, quality_target="90", accuracy_target="95")
    for index in range(20):
        evaluate(card_a, analyst, score=92, critical_failed=index == 0)
    # when
    with client_scope(clients=[tenant_a.client]):
        quality, accuracy = reports.sla_figures([tenant_a.client.pk], *NOVEMBER)
        billing = reports.billing_rows([tenant_a.client.pk], date(2026, 11, 1))
    # then
    assert (quality.engagement, quality.label, quality.value, quality.target) == (
        "Acme care",
        "Quality score",
        92.0,
        90.0,
    )
    assert quality.is_met is True
    assert quality.sample == 20
    assert (accuracy.value, accuracy.target, accuracy.is_met) == (95.0, 95.0, True)
    assert billing[1] == {
        "engagement": "Acme care",
        "month": "2026-11",
        "measure": "Accuracy",
        "target_percent": "95.00",
        "result_percent": "95.00",
        "met": "yes",
        "sample": 20,
        "interval_low_percent": f"{100 * wilson_interval(19, 20)[0]:.2f}",
        "interval_high_percent": f"{100 * wilson_interval(19, 20)[1]:.2f}",
    }


def test_a_rule_without_evaluations_is_reported_as_not_measured(tenant_a, card_a):
    # given a rule and nothing evaluated
    rule_for(card_a)
    # when
    with client_scope(clients=[tenant_a.client]):
        figures = reports.sla_figures([tenant_a.client.pk], *NOVEMBER)
    # then
    assert [(f.label, f.value, f.sample, f.is_met) for f in figures] == [
        ("Quality score", None, 0, None),
        ("Accuracy", None, 0, None),
    ]


def test_the_report_page_shows_the_month_with_intervals_and_exports_csv(
    tenant_a, tenant_b, card_a, analyst, provider_admin
):
    from django.test import Client as Browser

    # given November's evaluations of A, and a manager granted both clients
    for score in (80, 90, 100):
        evaluate(card_a, analyst, score=score, agent_id=7, scores={"greeting": 1, "tone": 4})
    browser = Browser()
    browser.force_login(provider_admin)
    # when
    page = browser.get("/quality/report/", {"month": "2026-11"})
    export = browser.get("/quality/report/", {"month": "2026-11", "download": "csv"})
    # then
    text = page.content.decode()
    assert page.status_code == 200
    assert "Quality report, November 2026" in text
    assert "quality score from 3 evaluations; 95 % interval 65.2 to 100.0" in text
    assert "Greets the caller" in text
    rows = export.content.decode().splitlines()
    assert rows[0].startswith("dimension,group,evaluations,score")
    assert "agent,Agent 7,3,90.00,65.16,100.00" in rows[2]
