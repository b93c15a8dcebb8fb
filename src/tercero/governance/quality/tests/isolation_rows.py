"""Client B's quality rows for the isolation matrix (tests/isolation/worlds.py): a
scorecard and rule, a sampled document with its evaluation item, an evaluation that
failed a critical criterion, its coaching task and the agent's dispute."""

from tercero.governance.quality import disputes, evaluations
from tercero.governance.quality.models import CalibrationSession, CoachingTask, Lot, Sample
from tercero.governance.quality.tests.world import (
    CRITICAL_WRONG,
    build,
    drain,
    held_by_analyst,
    person,
    resolved_document,
)
from tercero.platform.identity.roles import Role
from tercero.platform.tenancy.scoping import client_scope


def quality_rows(tenant) -> dict[str, int]:
    keyer = person(Role.AGENT, email="keyer@bergmann.example")
    world = build(tenant, name="Bergmann keying", keyer_user=keyer)
    item = resolved_document(world, ref="BERGMANN-1")
    drain()
    with client_scope(clients=[tenant.client]):
        sample = Sample.objects.get(source_item_id=item.pk)
    held_by_analyst(world, sample)
    with client_scope(clients=[tenant.client]):
        evaluation = evaluations.submit(
            actor=world.analyst.user,
            client_ids=[tenant.client.pk],
            item_id=sample.evaluation_item_id or 0,
            scores=CRITICAL_WRONG,
        )
    drain()
    with client_scope(clients=[tenant.client]):
        dispute = disputes.raise_dispute(
            actor=world.keyer.user, evaluation=evaluation, reason="Bergmann scan was unclear"
        )
        task = CoachingTask.objects.get(evaluation=evaluation)
        session, lot = calibration_and_lot(world, item.pk)
    return {
        "scorecard_id": world.scorecard.pk,
        "rule_id": world.rule.pk,
        "evaluation_item_id": sample.evaluation_item_id or 0,
        "evaluation_id": evaluation.pk,
        "dispute_id": dispute.pk,
        "coaching_task_id": task.pk,
        "session_id": session.pk,
        "lot_id": lot.pk,
    }


def calibration_and_lot(world, item_id: int) -> tuple[CalibrationSession, Lot]:
    """An open calibration session and a lot being inspected, of the world's engagement."""
    client_id = world.tenant.client.pk
    session = CalibrationSession.objects.create(
        client_id=client_id, engagement=world.engagement, name="Bergmann calibration",
        scorecard_version=world.scorecard.versions.get(number=1), source_item_ids=[item_id],
        analyst_ids=[world.analyst.user.pk], reference_analyst=world.analyst.user)  # fmt: skip
    lot = Lot.objects.create(
        client_id=client_id, engagement=world.engagement, work_type="capture.document",
        reference="BERGMANN-B", item_ids=[item_id], size=1, aql="1.0", code="A",
        sample_size=1, accept_number=0, reject_number=1, sampled_item_ids=[item_id])  # fmt: skip
    return session, lot
