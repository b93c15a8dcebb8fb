"""Quality's API: scorecards and rules for managers, evaluations submitted by analysts,
results for the agent, disputes raised and decided, coaching done; another client's
object is 404 and a missing permission 403, with nothing written."""

import json

import pytest

from tercero.delivery.work import selectors as work_selectors
from tercero.governance.quality.models import Evaluation, Sample, Scorecard
from tercero.governance.quality.tests.world import (
    CRITICAL_WRONG,
    build,
    definition,
    drain,
    held_by_analyst,
    person,
    resolved_document,
)
from tercero.governance.quality.worktypes import EVALUATION_TYPE
from tercero.platform.identity.models import Grant
from tercero.platform.identity.roles import Role
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

JSON = "application/json"


def _post(client, url, body, method="post"):
    return getattr(client, method)(url, json.dumps(body), content_type=JSON)


@pytest.fixture
def manager(tenant_a):
    found = person(Role.DELIVERY_MANAGER, email="dm@provider.example")
    with all_clients_scope():
        Grant.objects.create(user=found, client=tenant_a.client, reason="manages Acme")
    return found


def test_a_manager_writes_a_scorecard_and_a_rule(client, tenant_a, manager):
    world = build(tenant_a)
    client.force_login(manager)
    body = {
        "engagement_id": world.engagement.pk,
        "work_type": "capture.document",
        "name": "Second look",
        "kind": "fields",
        "definition": {"sections": [{"title": "A", "criteria": [
            {"key": "a", "label": "A", "weight": -1, "scale": "yes_no"}]}]},
    }  # fmt: skip
    refused = _post(client, "/api/v1/quality/scorecards", body)
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"]["definition.sections[0].criteria[0].weight"] == (
        "a number above 0"
    )
    made = _post(client, "/api/v1/quality/scorecards", {**body, "definition": definition()})
    assert made.status_code == 201, made.content
    card = made.json()
    assert (card["current_version"], card["is_active"], len(card["versions"])) == (1, False, 1)
    revised = _post(
        client,
        f"/api/v1/quality/scorecards/{card['id']}/versions",
        {"version": card["version"], "definition": definition()},
    )
    assert (revised.status_code, revised.json()["current_version"]) == (201, 2)
    switched = _post(
        client,
        f"/api/v1/quality/scorecards/{card['id']}/activation",
        {"version": revised.json()["version"], "is_active": True},
    )
    assert switched.json()["is_active"] is True
    # a second active rule for the same kind of work is a 409
    rule = _post(
        client,
        "/api/v1/quality/rules",
        {"engagement_id": world.engagement.pk, "work_type": "capture.document",
         "scorecard_id": card["id"], "random_share": "0.1"},
    )  # fmt: skip
    assert rule.status_code == 409
    changed = _post(
        client,
        f"/api/v1/quality/rules/{world.rule.pk}",
        {"version": world.rule.version, "random_share": "0.25", "strata": ["escalated"]},
        method="patch",
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["random_share"], changed.json()["strata"]) == ("0.2500", ["escalated"])


def test_a_rule_without_a_queue_gets_the_engagements_quality_queue(client, tenant_a, manager):
    world = build(tenant_a)
    client.force_login(manager)
    with client_scope(clients=[tenant_a.client]):
        Scorecard.objects.filter(pk=world.scorecard.pk).update(work_type="care.ticket")
    made = _post(
        client,
        "/api/v1/quality/rules",
        {"engagement_id": world.engagement.pk, "work_type": "care.ticket",
         "scorecard_id": world.scorecard.pk},
    )  # fmt: skip
    assert made.status_code == 201, made.content
    assert made.json()["queue_id"] == world.rule.queue_id
    with client_scope(clients=[tenant_a.client]):
        queue = work_selectors.queues(client_ids=[tenant_a.client.pk]).get(
            pk=world.rule.queue_id or 0
        )
    assert (queue.engagement_id, queue.work_types) == (world.engagement.pk, [EVALUATION_TYPE])


def test_an_agent_may_not_write_scorecards(client, tenant_a):
    world = build(tenant_a)
    client.force_login(tenant_a.agent)
    refused = _post(
        client,
        "/api/v1/quality/scorecards",
        {"engagement_id": world.engagement.pk, "work_type": "capture.document", "name": "x",
         "definition": definition()},
    )  # fmt: skip
    assert refused.status_code == 403
    with client_scope(clients=[tenant_a.client]):
        assert Scorecard.objects.count() == 1


def test_the_evaluation_journey_through_the_api(client, tenant_a, tenant_b):
    world = build(tenant_a)
    item = resolved_document(world)
    drain()
    with client_scope(clients=[tenant_a.client]):
        sample = Sample.objects.get(source_item_id=item.pk)
    held_by_analyst(world, sample)
    # the analyst submits: bad scores 422, then a critical failure
    client.force_login(world.analyst.user)
    url = f"/api/v1/quality/items/{sample.evaluation_item_id}/evaluation"
    assert _post(client, url, {"scores": {"ref": 7}}).status_code == 422
    made = _post(client, url, {"scores": CRITICAL_WRONG, "comments": {"iban": "digits swapped"}})
    assert made.status_code == 201, made.content
    evaluation = made.json()
    assert (evaluation["score"], evaluation["critical_failed"], evaluation["reason"]) == (
        "0.00", True, "random")  # fmt: skip
    drain()
    # the agent sees it among their own and disputes it
    client.force_login(tenant_a.agent)
    mine = client.get("/api/v1/quality/evaluations").json()["results"]
    assert [e["id"] for e in mine] == [evaluation["id"]]
    raised = _post(
        client,
        f"/api/v1/quality/evaluations/{evaluation['id']}/dispute",
        {"reason": "Scan blurred"},
    )
    assert raised.status_code == 201, raised.content
    # the lead accepts it with the bank account corrected
    client.force_login(tenant_a.team_lead)
    decided = _post(
        client,
        f"/api/v1/quality/disputes/{raised.json()['id']}/decision",
        {"decision": "accepted", "comment": "Unreadable scan", "scores": {"iban": 1},
         "version": raised.json()["version"]},
    )  # fmt: skip
    assert decided.status_code == 200, decided.content
    assert decided.json()["score_after"] == "100.00"
    again = _post(
        client,
        f"/api/v1/quality/disputes/{raised.json()['id']}/decision",
        {"decision": "rejected", "comment": "x", "version": decided.json()["version"]},
    )
    assert again.status_code == 409
    # and closes the coaching task opened by the critical failure
    [task] = client.get("/api/v1/quality/coaching-tasks?status=open").json()["results"]
    done = _post(
        client,
        f"/api/v1/quality/coaching-tasks/{task['id']}/done",
        {"version": task["version"], "note": "Talked it through"},
    )
    assert (done.status_code, done.json()["status"]) == (200, "done")
    # another client's people see none of it
    client.force_login(tenant_b.team_lead)
    assert client.get(f"/api/v1/quality/evaluations/{evaluation['id']}").status_code == 404
    assert client.get("/api/v1/quality/evaluations").json()["results"] == []


def test_an_analyst_submitting_for_their_own_work_is_refused(client, tenant_a):
    world = build(tenant_a)
    item = resolved_document(world)
    drain()
    with client_scope(clients=[tenant_a.client]):
        sample = Sample.objects.get(source_item_id=item.pk)
    # the keyer, made an analyst too, tries to score their own document
    tenant_a.agent.role = Role.QA_ANALYST
    with all_clients_scope():
        tenant_a.agent.save(update_fields=["role"])
    client.force_login(tenant_a.agent)
    refused = _post(
        client, f"/api/v1/quality/items/{sample.evaluation_item_id}/evaluation",
        {"scores": CRITICAL_WRONG})  # fmt: skip
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "own_work")
    with client_scope(clients=[tenant_a.client]):
        assert not Evaluation.objects.exists()
