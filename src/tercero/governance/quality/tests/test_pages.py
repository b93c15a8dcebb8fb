"""Quality pages as people use them: the analyst gets the next evaluation and scores it
on the keyboard-friendly form, the agent sees and disputes it, the lead decides and
coaches, the manager writes scorecards one criterion a line and sets a sampling rule."""

import pytest

from tercero.governance.quality.models import (
    CoachingTask,
    Dispute,
    Evaluation,
    Sample,
    SamplingRule,
    Scorecard,
)
from tercero.governance.quality.tests.world import (
    build,
    drain,
    person,
    resolved_document,
)
from tercero.platform.identity.models import Grant
from tercero.platform.identity.roles import Role
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope


@pytest.fixture
def sampled(tenant_a):
    world = build(tenant_a)
    item = resolved_document(world)
    drain()
    with client_scope(clients=[tenant_a.client]):
        sample = Sample.objects.get(source_item_id=item.pk)
    return world, sample


def _evaluation(tenant):
    with client_scope(clients=[tenant.client]):
        return Evaluation.objects.get()


def test_the_analyst_gets_the_next_evaluation_and_scores_it(client, sampled):
    world, sample = sampled
    client.force_login(world.analyst.user)
    page = client.get("/quality/workspace/")
    assert b"Get next evaluation" in page.content
    # when they get the next evaluation
    pulled = client.post("/quality/workspace/next/")
    assert pulled.url == f"/quality/items/{sample.evaluation_item_id}/"
    panel = client.get(pulled.url).content.decode()
    # then the panel shows the item masked and a radio group per criterion
    assert f"Evaluate item #{sample.source_item_id}" in panel
    assert "Maria Santos" not in panel  # personal: masked
    assert 'name="score-iban" value="0"' in panel
    assert 'name="score-name" value="na"' in panel  # N/A only where allowed
    assert 'name="score-ref" value="na"' not in panel
    # when they submit the form
    done = client.post(
        f"/quality/items/{sample.evaluation_item_id}/submit/",
        {"score-ref": "1", "score-name": "na", "score-iban": "1", "score-care": "3",
         "comment-care": "Slow but careful", "overall_comment": "Fine"},
    )  # fmt: skip
    assert done.url == "/quality/workspace/"
    evaluation = _evaluation(world.tenant)
    assert (str(evaluation.score), evaluation.comments) == ("87.50", {"care": "Slow but careful"})


def test_a_form_with_a_criterion_unanswered_says_which(client, sampled):
    world, sample = sampled
    client.force_login(world.analyst.user)
    client.post("/quality/workspace/next/")
    refused = client.post(
        f"/quality/items/{sample.evaluation_item_id}/submit/",
        {"score-ref": "1", "score-iban": "1", "score-care": "3"},
        follow=True,
    )
    assert "scores.name: required" in refused.content.decode()
    with client_scope(clients=[world.tenant.client]):
        assert not Evaluation.objects.exists()


def test_the_agent_disputes_and_the_lead_decides_and_coaches(client, sampled):
    world, sample = sampled
    client.force_login(world.analyst.user)
    client.post("/quality/workspace/next/")
    client.post(
        f"/quality/items/{sample.evaluation_item_id}/submit/",
        {"score-ref": "1", "score-name": "1", "score-iban": "0", "score-care": "2"},
    )
    drain()
    evaluation = _evaluation(world.tenant)
    # the agent sees it in "My quality results" and disputes it
    client.force_login(world.tenant.agent)
    results = client.get("/quality/results/").content.decode()
    assert "My quality results" in results
    assert f"/quality/evaluations/{evaluation.pk}/" in results
    shown = client.get(f"/quality/evaluations/{evaluation.pk}/").content.decode()
    assert "critical criterion failed" in shown
    assert 'id="dispute-form"' in shown
    client.post(f"/quality/evaluations/{evaluation.pk}/dispute/", {"reason": "The scan is blurred"})
    with client_scope(clients=[world.tenant.client]):
        dispute = Dispute.objects.get()
    # the lead finds it in the inbox and accepts it with the bank account corrected
    client.force_login(world.tenant.team_lead)
    inbox = client.get("/quality/disputes/?status=open").content.decode()
    assert f"#{sample.source_item_id}" in inbox
    client.post(
        f"/quality/disputes/{dispute.pk}/decide/",
        {"decision": "accepted", "comment": "Unreadable", "score-iban": "1",
         "version": str(dispute.version)},
    )  # fmt: skip
    with client_scope(clients=[world.tenant.client]):
        evaluation.refresh_from_db()
    assert (evaluation.status, str(evaluation.score)) == ("final", "85.00")
    # and marks the coaching task done
    coaching = client.get("/quality/coaching/").content.decode()
    with client_scope(clients=[world.tenant.client]):
        task = CoachingTask.objects.get()
    assert f"Yes, item #{sample.source_item_id}" in coaching
    client.post(
        f"/quality/coaching/{task.pk}/done/",
        {"note": "Went through it", "version": str(task.version)},
    )
    with client_scope(clients=[world.tenant.client]):
        task.refresh_from_db()
    assert task.status == "done"
    csv = client.get("/quality/coaching/?format=csv")
    assert csv["Content-Type"].startswith("text/csv")


def test_a_manager_writes_a_scorecard_one_criterion_a_line_and_a_rule(client, tenant_a):
    world = build(tenant_a)
    manager = person(Role.DELIVERY_MANAGER)
    with all_clients_scope():
        Grant.objects.create(user=manager, client=tenant_a.client, reason="manages")
    client.force_login(manager)
    lines = (
        "Keyed | ref | Reference right | 1 | yes_no | critical, field=document_ref\n"
        "Keyed | notes | Notes | 0 | points 4 | na\n"
    )
    form = {"name": "Second look", "engagement": str(world.engagement.pk),
            "work_type": "capture.document", "kind": "fields", "criteria": lines}  # fmt: skip
    refused = client.post("/quality/scorecards/new/", form, follow=True).content.decode()
    assert "line 2, weight: a number above 0" in refused
    made = client.post(
        "/quality/scorecards/new/", {**form, "criteria": lines.replace("| 0 |", "| 2 |")}
    )
    with client_scope(clients=[tenant_a.client]):
        card = Scorecard.objects.get(name="Second look")
    assert made.url == f"/quality/scorecards/{card.pk}/"
    edit = client.get(made.url).content.decode()
    assert "Keyed | notes | Notes | 2 | points 4 | na" in edit
    client.post(
        made.url, {"version": str(card.version), "criteria": lines.replace("| 0 |", "| 3 |")}
    )
    with client_scope(clients=[tenant_a.client]):
        card.refresh_from_db()
    assert card.current_version == 2
    # a rule for another engagement's documents, with shares given in percent
    other = build(tenant_a, name="Second desk")
    with client_scope(clients=[tenant_a.client]):
        SamplingRule.objects.filter(pk=other.rule.pk).update(is_active=False)
    saved = client.post(
        "/quality/rules/new/",
        {"engagement": str(other.engagement.pk), "scorecard": str(other.scorecard.pk),
         "random_share": "7.5", "gold_share": "0", "target_confidence": "95", "target_margin": "5",
         "expected_accuracy": "90", "quality_target": "90", "accuracy_target": "98",
         "minimum_per_agent_week": "3", "strata": ["new_agent", "escalated"]},
    )  # fmt: skip
    with client_scope(clients=[tenant_a.client]):
        rule = SamplingRule.objects.get(engagement=other.engagement, is_active=True)
    assert saved.url == f"/quality/rules/{rule.pk}/"
    assert (str(rule.random_share), rule.strata) == ("0.0750", ["new_agent", "escalated"])
    assert b"Random share of resolved items" in client.get(saved.url).content


def test_pages_refuse_people_without_the_permission(client, tenant_a):
    build(tenant_a)
    client.force_login(tenant_a.agent)
    assert client.get("/quality/scorecards/").status_code == 403
    assert client.get("/quality/workspace/").status_code == 403
    assert client.get("/quality/results/").status_code == 200
    client.force_login(tenant_a.client_admin)
    assert client.get("/quality/results/").status_code == 404


def test_an_agent_cannot_open_the_evaluation_of_their_own_work(client, sampled):
    world, sample = sampled
    client.force_login(world.tenant.agent)
    assert client.get(f"/quality/items/{sample.evaluation_item_id}/").status_code == 403
