"""Submitting an evaluation: the Evaluation row, its audit event and outbox event, the
evaluation item resolved through the engine, in one transaction; never one's own work;
routing never gives the evaluation to the agent whose work it is."""

import pytest

from tercero.delivery.work import selectors as work_selectors
from tercero.delivery.work import services as work
from tercero.delivery.work.models import WorkEvent
from tercero.governance.quality import evaluations, events
from tercero.governance.quality.models import Evaluation, Sample
from tercero.governance.quality.tests.world import (
    ALL_RIGHT,
    agent_for,
    build,
    drain,
    held_by_analyst,
    resolved_document,
)
from tercero.platform.audit.models import AuditEvent
from tercero.platform.errors import Conflict, InvalidInput, PermissionDenied
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope


@pytest.fixture
def sampled(tenant_a):
    world = build(tenant_a)
    item = resolved_document(world)
    drain()
    with client_scope(clients=[tenant_a.client]):
        sample = Sample.objects.get(source_item_id=item.pk)
    return world, sample


def _submit(world, sample, scores=ALL_RIGHT, actor=None, **more):
    with client_scope(clients=[world.tenant.client]):
        return evaluations.submit(
            actor=actor or world.analyst.user,
            client_ids=[world.tenant.client.pk],
            item_id=sample.evaluation_item_id,
            scores=scores,
            **more,
        )


def test_an_analyst_submits_an_evaluation_and_its_item_is_resolved(sampled):
    world, sample = sampled
    held_by_analyst(world, sample)
    # when the analyst scores the item (the name N/A, care 4 of 5)
    done = _submit(
        world,
        sample,
        {"ref": 1, "name": None, "iban": 1, "care": 4},
        comments={"care": "Card 4111 1111 1111 1111 noted"},
        overall_comment="Good",
    )
    # then the evaluation is stored with its score: (1 + 2 + 0.75) / 4 = 93.75
    assert str(done.score) == "93.75"
    assert (done.critical_failed, done.fields_total, done.fields_right) == (False, 2, 2)
    assert done.agent_id == world.keyer.pk
    assert done.team_lead_id == world.tenant.team_lead.pk
    assert "4111 1111 1111 1111" not in done.comments["care"]
    with client_scope(clients=[world.tenant.client]):
        item = work_selectors.items(client_ids=[world.tenant.client.pk]).get(
            pk=sample.evaluation_item_id
        )
        [event] = WorkEvent.objects.filter(kind="quality.evaluation.submitted")
    assert item.status == "resolved"
    assert event.item_id == item.pk
    assert event.data == {
        "evaluation_id": done.pk,
        "source_item_id": sample.source_item_id,
        "agent_id": world.keyer.pk,
        "scorecard_version_id": done.scorecard_version_id,
        "score": "93.75",
        "critical_failed": False,
        "reason": "random",
    }
    events.EvaluationSubmitted.model_validate(event.data)
    with all_clients_scope():
        assert AuditEvent.objects.filter(
            action="quality.evaluation.submitted", object_id=str(done.pk)
        ).exists()


def test_the_agent_cannot_evaluate_their_own_work(sampled):
    world, sample = sampled
    # given the keyer is also a QA analyst on this engagement
    agent_for(world.engagement, world.keyer.user, skills={"quality_analysis": 3})
    # when they pull work, the evaluation of their own item is never theirs
    with client_scope(clients=[world.tenant.client]):
        world.keyer.skills = {"data_entry": 2, "quality_analysis": 3}
        world.keyer.save(update_fields=["skills"])
        pulled = work.get_next(agent=world.keyer, client_ids=[world.tenant.client.pk])
    assert pulled is None
    # and submitting it is refused, nothing written
    with pytest.raises(PermissionDenied, match="your own work"):
        _submit(world, sample, actor=world.keyer.user)
    with client_scope(clients=[world.tenant.client]):
        assert not Evaluation.objects.exists()


def test_the_analyst_pulls_the_evaluation(sampled):
    world, sample = sampled
    with client_scope(clients=[world.tenant.client]):
        pulled = work.get_next(agent=world.analyst, client_ids=[world.tenant.client.pk])
    assert pulled is not None
    assert pulled.pk == sample.evaluation_item_id


def test_an_evaluation_not_held_is_refused_and_a_second_one_too(sampled):
    world, sample = sampled
    # not taken from the queue yet: 409
    with pytest.raises(Conflict, match="Take this evaluation"):
        _submit(world, sample)
    held_by_analyst(world, sample)
    _submit(world, sample)
    # once evaluated, again: 409 (the item is resolved)
    with pytest.raises(Conflict):
        _submit(world, sample)
    with client_scope(clients=[world.tenant.client]):
        assert Evaluation.objects.count() == 1


def test_scores_that_do_not_fit_the_scorecard_are_refused_naming_each(sampled):
    world, sample = sampled
    held_by_analyst(world, sample)
    with pytest.raises(InvalidInput) as refused:
        _submit(world, sample, {"ref": 2, "iban": None, "care": 6, "extra": 1})
    assert refused.value.fields == {
        "scores.extra": "not a criterion of this scorecard",
        "scores.ref": "1 for yes, 0 for no",
        "scores.name": "required (give null for N/A where the criterion allows it)",
        "scores.iban": "this criterion cannot be N/A",
        "scores.care": "a whole number from 1 to 5",
    }
    with client_scope(clients=[world.tenant.client]):
        assert not Evaluation.objects.exists()
