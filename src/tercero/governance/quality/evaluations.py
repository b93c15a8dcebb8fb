"""Submitting an evaluation: the analyst's scores on the item's scorecard version become
an Evaluation, an audit event and a `quality.evaluation.submitted` event, and the
evaluation item is resolved through the engine, all in one transaction. Nobody
evaluates their own work (routing keeps the item from them; this refuses too)."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from tercero.delivery.work import lifecycle, locks
from tercero.delivery.work import selectors as work_selectors
from tercero.delivery.work import services as work
from tercero.delivery.workforce import selectors as workforce
from tercero.governance.quality import events, scorecards, selectors
from tercero.governance.quality.models import Evaluation, Sample, ScorecardVersion
from tercero.governance.quality.worktypes import EVALUATION_TYPE
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tercero.platform.security.redact import redact_cards

MAX_COMMENT = 2000


class OwnWork(PermissionDenied):
    code = "own_work"


def evaluation_task(*, client_ids: list[int], item_id: int) -> tuple[Any, Sample, ScorecardVersion]:
    """The evaluation item, its sample and its scorecard version (NotFound for another
    client's item or an item that is not an evaluation)."""
    item = work_selectors.access_item(client_ids=client_ids, item_id=item_id)
    sample = selectors.sample_of_item(evaluation_item_id=item.pk)
    if item.work_type != EVALUATION_TYPE or sample is None:
        raise NotFound("Evaluation item not found.")
    version_id = item.payload.get("scorecard_version_id")
    version = selectors.access_version(client_ids=[item.client_id], version_id=version_id)
    return item, sample, version


def refuse_own_work(*, actor: Any, sample: Sample) -> None:
    """403 when the person is the agent whose work the sample is."""
    own = selectors.own_agent_id(actor)
    if own is not None and sample.agent_id == own:
        raise OwnWork("You cannot evaluate your own work; another analyst will.")


def check_comments(definition: dict[str, Any], comments: object) -> dict[str, str]:
    if comments is None:
        return {}
    if not isinstance(comments, dict):
        raise InvalidInput("Comments are per criterion.", fields={"comments": "not a mapping"})
    keys = {c["key"] for c in scorecards.criteria_of(definition)}
    problems = {
        f"comments.{k}": "not a criterion of this scorecard" for k in comments if k not in keys
    }
    problems.update(
        {
            f"comments.{k}": f"text of at most {MAX_COMMENT} characters"
            for k, v in comments.items()
            if not isinstance(v, str) or len(v) > MAX_COMMENT
        }
    )
    if problems:
        raise InvalidInput("Some comments do not fit the scorecard.", fields=problems)
    return {k: redact_cards(v.strip()) for k, v in comments.items() if v.strip()}


def submit(
    *,
    actor: Any,
    client_ids: list[int],
    item_id: int,
    scores: object,
    comments: object = None,
    overall_comment: str = "",
) -> Evaluation:
    """Score the evaluation item the person holds; refuses another's item (409), their
    own work (403) and a second evaluation of the same sample (409)."""
    item, sample, version = evaluation_task(client_ids=client_ids, item_id=item_id)
    refuse_own_work(actor=actor, sample=sample)
    checked = scorecards.check_scores(version.definition, scores)
    notes = check_comments(version.definition, comments)
    result = scorecards.score(version.definition, checked)
    overall = redact_cards((overall_comment or "").strip())[:MAX_COMMENT]
    try:
        with transaction.atomic():
            locked = locks.lock_item(item_id=item.pk)
            _require_holder(actor, locked)
            evaluation = _create(actor, locked, sample, version, checked, notes, overall, result)
            _announce(actor, locked, sample, evaluation)
            _resolve(actor, locked, evaluation)
    except IntegrityError as error:
        raise Conflict(
            "This item was already evaluated.", fields={"item_id": "evaluated"}
        ) from error
    return evaluation


def _require_holder(actor: Any, item: Any) -> None:
    own = selectors.own_agent_id(actor)
    if item.status not in lifecycle.WITH_AGENT or own is None or item.assignee_id != own:
        raise Conflict(
            "Take this evaluation from the queue first (Get next evaluation); it is not yours now.",
            fields={"item_id": "not held by you"},
        )


def _create(
    actor: Any,
    item: Any,
    sample: Sample,
    version: ScorecardVersion,
    scores: dict[str, Any],
    comments: dict[str, str],
    overall: str,
    result: scorecards.Result,
) -> Evaluation:
    agent = (
        work_selectors.agents(client_ids=[item.client_id]).filter(pk=sample.agent_id).first()
        if sample.agent_id is not None
        else None
    )
    team = workforce.team_of(agent=agent) if agent is not None else None
    return Evaluation.objects.create(
        client_id=item.client_id,
        engagement_id=item.engagement_id,
        sample=sample,
        source_item_id=sample.source_item_id,
        agent_id=sample.agent_id,
        evaluator=actor,
        scorecard_version=version,
        scores=scores,
        comments=comments,
        overall_comment=overall,
        score=result.percent,
        critical_failed=result.critical_failed,
        fields_total=result.fields_total,
        fields_right=result.fields_right,
        submitted_at=timezone.now(),
        site_id=agent.site_id if agent is not None else None,
        team_lead_id=team.lead_id if team is not None else None,
    )


def _announce(actor: Any, item: Any, sample: Sample, evaluation: Evaluation) -> None:
    data = {
        "evaluation_id": evaluation.pk,
        "source_item_id": evaluation.source_item_id,
        "agent_id": evaluation.agent_id,
        "scorecard_version_id": evaluation.scorecard_version_id,
        "score": evaluation.score,
        "critical_failed": evaluation.critical_failed,
        "reason": sample.reason,
    }
    record(
        action="quality.evaluation.submitted",
        actor=actor,
        client=evaluation.client_id,
        object_type="quality_evaluation",
        object_id=evaluation.pk,
        payload={**data, "score": str(evaluation.score)},
    )
    work.publish(
        kind=events.EVALUATION_SUBMITTED,
        client_id=item.client_id,
        data=data,
        item=item,
        actor=actor,
    )


def _resolve(actor: Any, item: Any, evaluation: Evaluation) -> None:
    if item.status == lifecycle.ASSIGNED:
        item = work.transition(actor=actor, item=item, action="start")
    verdict = " (a critical criterion failed)" if evaluation.critical_failed else ""
    work.transition(
        actor=actor,
        item=item,
        action="resolve",
        resolution=f"Evaluated: {evaluation.score} out of 100{verdict}.",
    )
