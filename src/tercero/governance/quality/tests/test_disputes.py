"""Disputes: the agent disputes their own evaluation once; the lead accepts (scores
corrected), partly accepts or rejects with a comment; the score changes only so; the
evaluation is final and locked afterwards; every step audited, the decision an event."""

from decimal import Decimal

import pytest

from tercero.delivery.work.models import WorkEvent
from tercero.governance.quality import disputes, evaluations, events
from tercero.governance.quality.models import Dispute, Evaluation, Sample
from tercero.governance.quality.tests.world import (
    build,
    drain,
    held_by_analyst,
    resolved_document,
)
from tercero.platform.audit.models import AuditEvent
from tercero.platform.errors import Conflict, InvalidInput, PermissionDenied
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

# name wrong, care 3 of 5: (1 + 0 + 2 + 0.5) / 5 = 70
SCORES = {"ref": 1, "name": 0, "iban": 1, "care": 3}


@pytest.fixture
def evaluated(tenant_a):
    world = build(tenant_a)
    item = resolved_document(world)
    drain()
    with client_scope(clients=[tenant_a.client]):
        sample = Sample.objects.get(source_item_id=item.pk)
    held_by_analyst(world, sample)
    with client_scope(clients=[tenant_a.client]):
        evaluation = evaluations.submit(
            actor=world.analyst.user,
            client_ids=[tenant_a.client.pk],
            item_id=sample.evaluation_item_id or 0,
            scores=SCORES,
        )
    with client_scope(clients=[tenant_a.client]):
        yield world, evaluation


def _raised(world, evaluation):
    return disputes.raise_dispute(
        actor=world.keyer.user, evaluation=evaluation, reason="The name was keyed as scanned."
    )


def test_an_accepted_dispute_recomputes_the_score_and_makes_it_final(evaluated):
    world, evaluation = evaluated
    assert evaluation.score == Decimal("70.00")
    dispute = _raised(world, evaluation)
    evaluation.refresh_from_db()
    assert evaluation.status == "disputed"
    # when the lead accepts, correcting the name and care
    decided = disputes.decide(
        actor=world.tenant.team_lead,
        dispute=dispute,
        decision="accepted",
        comment="The scan is unreadable there.",
        corrected={"name": 1, "care": 5},
    )
    # then the score is recomputed on the evaluation's version and the evaluation is final
    evaluation.refresh_from_db()
    assert (decided.status, decided.score_before, decided.score_after) == (
        "accepted",
        Decimal("70.00"),
        Decimal("100.00"),
    )
    assert (evaluation.status, evaluation.score, evaluation.scores["name"]) == (
        "final",
        Decimal("100.00"),
        1,
    )
    [event] = WorkEvent.objects.filter(kind="quality.dispute.decided")
    assert event.data == {
        "dispute_id": dispute.pk,
        "evaluation_id": evaluation.pk,
        "agent_id": world.keyer.pk,
        "decision": "accepted",
        "score_before": "70.00",
        "score_after": "100.00",
    }
    events.DisputeDecided.model_validate(event.data)
    with all_clients_scope():
        actions = set(
            AuditEvent.objects.filter(object_type="quality_dispute").values_list(
                "action", flat=True
            )
        )
    assert actions == {"quality.dispute.raised", "quality.dispute.decided"}


def test_a_rejected_dispute_keeps_the_score_and_locks_the_evaluation(evaluated):
    world, evaluation = evaluated
    dispute = _raised(world, evaluation)
    disputes.decide(
        actor=world.tenant.team_lead,
        dispute=dispute,
        decision="rejected",
        comment="The name is clear on page 1.",
    )
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.score) == ("final", Decimal("70.00"))
    # then nothing may change it: a second decision, a second dispute
    dispute.refresh_from_db()
    with pytest.raises(Conflict):
        disputes.decide(
            actor=world.tenant.team_lead,
            dispute=dispute,
            decision="accepted",
            comment="changed my mind",
            corrected={"name": 1},
        )
    with pytest.raises(Conflict):
        _raised(world, evaluation)
    evaluation.refresh_from_db()
    assert evaluation.score == Decimal("70.00")


def test_a_partly_accepted_dispute_corrects_some_criteria(evaluated):
    world, evaluation = evaluated
    dispute = _raised(world, evaluation)
    decided = disputes.decide(
        actor=world.tenant.team_lead,
        dispute=dispute,
        decision="partly_accepted",
        comment="Care was fine; the name stays wrong.",
        corrected={"care": 5},
    )
    # (1 + 0 + 2 + 1) / 5 = 80
    assert (decided.status, decided.score_after) == ("partly_accepted", Decimal("80.00"))


def test_a_decision_needs_a_comment_and_a_correction_when_accepted(evaluated):
    world, evaluation = evaluated
    dispute = _raised(world, evaluation)
    with pytest.raises(InvalidInput, match="reason for the decision"):
        disputes.decide(
            actor=world.tenant.team_lead, dispute=dispute, decision="rejected", comment=" "
        )
    with pytest.raises(InvalidInput, match="corrected score"):
        disputes.decide(
            actor=world.tenant.team_lead, dispute=dispute, decision="accepted", comment="ok"
        )
    with pytest.raises(InvalidInput, match="changes no score"):
        disputes.decide(
            actor=world.tenant.team_lead,
            dispute=dispute,
            decision="rejected",
            comment="no",
            corrected={"name": 1},
        )
    dispute.refresh_from_db()
    assert dispute.status == "open"


def test_only_the_agent_disputes_and_only_a_lead_decides(evaluated):
    world, evaluation = evaluated
    with pytest.raises(PermissionDenied):
        disputes.raise_dispute(actor=world.analyst.user, evaluation=evaluation, reason="x")
    dispute = _raised(world, evaluation)
    with pytest.raises(PermissionDenied):
        disputes.decide(actor=world.keyer.user, dispute=dispute, decision="rejected", comment="no")
    with pytest.raises(PermissionDenied):
        disputes.decide(
            actor=world.analyst.user, dispute=dispute, decision="rejected", comment="no"
        )
    assert Dispute.objects.get().status == "open"
    assert Evaluation.objects.get().status == "disputed"


def test_a_dispute_is_raised_once(evaluated):
    world, evaluation = evaluated
    _raised(world, evaluation)
    evaluation.refresh_from_db()
    with pytest.raises(Conflict):
        _raised(world, evaluation)
    assert Dispute.objects.count() == 1
