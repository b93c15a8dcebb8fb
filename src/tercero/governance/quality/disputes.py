"""Disputes: the agent challenges their own evaluation once, while it is not final; a team
lead or delivery manager accepts (scores corrected), partly accepts (some corrected) or
rejects it, always with a comment. The evaluation's score changes only here; after the
decision it is final and locked (409 on any further change). Every step is audited; a
decision is also a `quality.dispute.decided` event."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from tercero.delivery.work import services as work
from tercero.governance.quality import events, scorecards, selectors
from tercero.governance.quality.models import Dispute, Evaluation
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput, PermissionDenied
from tercero.platform.identity.roles import Role
from tercero.platform.security.redact import redact_cards
from tercero.platform.versioning import update_versioned

DECISIONS = ("accepted", "partly_accepted", "rejected")
DECIDERS = frozenset({Role.TEAM_LEAD, Role.DELIVERY_MANAGER, Role.PROVIDER_ADMIN})


def raise_dispute(*, actor: Any, evaluation: Evaluation, reason: str) -> Dispute:
    """The agent disputes their own evaluation (once, while it is not final)."""
    own = selectors.own_agent_id(actor)
    if own is None or evaluation.agent_id != own:
        raise PermissionDenied("Only the agent whose work was evaluated may dispute it.")
    reason = redact_cards((reason or "").strip())
    if not reason:
        raise InvalidInput("Say why you dispute the evaluation.", fields={"reason": "required"})
    if evaluation.status != Evaluation.Status.SUBMITTED:
        raise Conflict(
            "This evaluation is already disputed or final.", fields={"status": evaluation.status}
        )
    try:
        with transaction.atomic():
            update_versioned(
                Evaluation,
                pk=evaluation.pk,
                version=evaluation.version,
                changes={"status": Evaluation.Status.DISPUTED},
                what="evaluation",
            )
            evaluation.status, evaluation.version = (
                Evaluation.Status.DISPUTED,
                evaluation.version + 1,
            )
            dispute = Dispute.objects.create(
                client_id=evaluation.client_id,
                evaluation=evaluation,
                raised_by=actor,
                reason=reason[:2000],
                score_before=evaluation.score,
            )
            _audit("quality.dispute.raised", actor, dispute, {})
    except IntegrityError as error:
        raise Conflict(
            "This evaluation was already disputed.", fields={"status": "disputed"}
        ) from error
    return dispute


def decide(
    *,
    actor: Any,
    dispute: Dispute,
    decision: str,
    comment: str,
    corrected: object = None,
    version: int | None = None,
) -> Dispute:
    """Decide the dispute: `corrected` gives the criterion scores that change (accepted:
    at least one; partly accepted: some; rejected: none). The score is recomputed on the
    evaluation's own scorecard version."""
    if actor.role not in DECIDERS:
        raise PermissionDenied("A team lead or delivery manager decides disputes.")
    if selectors.own_agent_id(actor) == dispute.evaluation.agent_id:
        raise PermissionDenied("You cannot decide a dispute of your own evaluation.")
    if dispute.status != Dispute.Status.OPEN:
        raise Conflict(
            "This dispute is decided; the evaluation is final.", fields={"status": "decided"}
        )
    comment = redact_cards((comment or "").strip())
    if decision not in DECISIONS:
        raise InvalidInput(
            "Decide: accepted, partly_accepted or rejected.", fields={"decision": "unknown"}
        )
    if not comment:
        raise InvalidInput("Give the reason for the decision.", fields={"comment": "required"})
    with transaction.atomic():
        evaluation = (
            Evaluation.objects.select_for_update()
            .select_related("scorecard_version")
            .get(pk=dispute.evaluation_id)
        )
        definition = evaluation.scorecard_version.definition
        scores = _corrected_scores(definition, evaluation.scores, corrected, decision)
        result = scorecards.score(definition, scores)
        _lock_evaluation(evaluation, scores, result)
        update_versioned(
            Dispute,
            pk=dispute.pk,
            version=dispute.version if version is None else version,
            changes={
                "status": decision,
                "decided_by": actor,
                "decision_comment": comment[:2000],
                "score_after": result.percent,
                "scores_after": scores,
                "decided_at": timezone.now(),
            },
            what="dispute",
        )
        dispute.refresh_from_db()
        _audit("quality.dispute.decided", actor, dispute, {"decision": decision})
        work.publish(
            kind=events.DISPUTE_DECIDED,
            client_id=dispute.client_id,
            engagement_id=evaluation.engagement_id,
            actor=actor,
            data={
                "dispute_id": dispute.pk,
                "evaluation_id": evaluation.pk,
                "agent_id": evaluation.agent_id,
                "decision": decision,
                "score_before": dispute.score_before,
                "score_after": result.percent,
            },
        )
    return dispute


def _corrected_scores(
    definition: dict[str, Any], scores: dict[str, Any], corrected: object, decision: str
) -> dict[str, Any]:
    corrected = corrected or {}
    if not isinstance(corrected, dict):
        raise InvalidInput("Corrections are per criterion.", fields={"scores": "not a mapping"})
    changed = {k: v for k, v in corrected.items() if scores.get(k, ...) != v}
    if decision == "rejected" and changed:
        raise InvalidInput(
            "A rejected dispute changes no score.", fields={"scores": "leave as they were"}
        )
    if decision != "rejected" and not changed:
        raise InvalidInput(
            "Give the corrected score of at least one criterion.", fields={"scores": "no change"}
        )
    keys = {c["key"] for c in scorecards.criteria_of(definition)}
    if decision == "partly_accepted" and len(changed) >= len(keys):
        raise InvalidInput(
            "Every criterion changed: that is accepting the dispute.",
            fields={"decision": "accepted"},
        )
    return scorecards.check_scores(definition, {**scores, **changed})


def _lock_evaluation(evaluation: Evaluation, scores: dict[str, Any], result: Any) -> None:
    update_versioned(
        Evaluation,
        pk=evaluation.pk,
        version=evaluation.version,
        changes={
            "status": Evaluation.Status.FINAL,
            "scores": scores,
            "score": result.percent,
            "critical_failed": result.critical_failed,
            "fields_total": result.fields_total,
            "fields_right": result.fields_right,
        },
        what="evaluation",
    )


def _audit(action: str, actor: Any, dispute: Dispute, payload: dict[str, Any]) -> None:
    record(
        action=action,
        actor=actor,
        client=dispute.client_id,
        object_type="quality_dispute",
        object_id=dispute.pk,
        payload={
            "evaluation_id": dispute.evaluation_id,
            "score_before": str(dispute.score_before),
            "score_after": None if dispute.score_after is None else str(dispute.score_after),
            **payload,
        },
    )
