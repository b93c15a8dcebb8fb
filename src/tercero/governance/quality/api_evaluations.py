"""Quality API: evaluations (list, get, submit), disputes (raise, decide) and coaching."""

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Query, Router, Schema, Status

from tercero.governance.quality import coaching, disputes, evaluations, selectors
from tercero.platform.api.caller import caller_of
from tercero.platform.api.pagination import paginate_by_cursor

READ, EVALUATE, DECIDE = "quality:read", "quality:evaluate", "quality:decide"
OPTIONAL_ID = Field(default=None, ge=1, le=2**62)

router = Router(tags=["quality"])


class EvaluationIn(Schema):
    scores: dict[str, int | float | None]
    comments: dict[str, str] = Field(default_factory=dict)
    overall_comment: str = Field(default="", max_length=2000)


class EvaluationOut(Schema):
    id: int
    engagement_id: int
    sample_id: int | None
    reason: str
    source_item_id: int
    agent_id: int | None
    evaluator_id: int
    scorecard_version_id: int
    scores: dict[str, Any]
    comments: dict[str, Any]
    overall_comment: str
    score: Decimal
    critical_failed: bool
    fields_total: int
    fields_right: int
    status: str
    submitted_at: datetime
    version: int

    @staticmethod
    def resolve_reason(obj) -> str:
        return obj.sample.reason if obj.sample_id else ""


class EvaluationFilters(Schema):
    engagement_id: int | None = OPTIONAL_ID
    agent_id: int | None = OPTIONAL_ID
    status: Literal["submitted", "disputed", "final", ""] = ""
    critical_failed: bool | None = None


@router.get("/quality/evaluations", response=list[EvaluationOut])
@paginate_by_cursor
def list_evaluations(request, filters: Query[EvaluationFilters]):
    """Evaluations the caller may see (managers and analysts: all of their clients'; a
    team lead: their team's; an agent: their own), a page at a time."""
    caller = caller_of(request)
    caller.require(READ)
    found = selectors.visible_evaluations(user=caller.user, client_ids=caller.client_ids)
    narrowing = {
        "engagement_id": filters.engagement_id,
        "agent_id": filters.agent_id,
        "status": filters.status or None,
        "critical_failed": filters.critical_failed,
    }
    found = found.filter(**{k: v for k, v in narrowing.items() if v is not None})
    return found


@router.get("/quality/evaluations/{evaluation_id}", response=EvaluationOut)
def get_evaluation(request, evaluation_id: int):
    caller = caller_of(request)
    found = selectors.access_evaluation(
        user=caller.user, client_ids=caller.client_ids, evaluation_id=evaluation_id
    )
    caller.require(READ)
    return found


@router.post("/quality/items/{evaluation_item_id}/evaluation", response={201: EvaluationOut})
def submit_evaluation(request, evaluation_item_id: int, body: EvaluationIn):
    """Score the evaluation item the caller holds: per criterion a number on its scale
    (yes/no: 1 or 0; 1-5; points) or null for N/A where allowed. The item is resolved;
    the agent's own work is 403, an item already evaluated 409."""
    caller = caller_of(request)
    evaluations.evaluation_task(client_ids=caller.client_ids, item_id=evaluation_item_id)
    caller.require(EVALUATE)
    made = evaluations.submit(
        actor=caller.user, client_ids=caller.client_ids, item_id=evaluation_item_id, **body.dict()
    )
    return Status(201, made)


# --- disputes --------------------------------------------------------------------------


class DisputeIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)


class DecisionIn(Schema):
    decision: Literal["accepted", "partly_accepted", "rejected"]
    comment: str = Field(min_length=1, max_length=2000)
    scores: dict[str, int | float | None] = Field(default_factory=dict)
    version: int = Field(ge=1)


class DisputeOut(Schema):
    id: int
    evaluation_id: int
    raised_by_id: int
    reason: str
    status: str
    decided_by_id: int | None
    decision_comment: str
    score_before: Decimal
    score_after: Decimal | None
    scores_after: dict[str, Any] | None
    decided_at: datetime | None
    created_at: datetime
    version: int


class DisputeFilters(Schema):
    status: Literal["open", "accepted", "partly_accepted", "rejected", ""] = ""


@router.post("/quality/evaluations/{evaluation_id}/dispute", response={201: DisputeOut})
def raise_dispute(request, evaluation_id: int, body: DisputeIn):
    """The agent disputes their own evaluation, once, while it is not final."""
    caller = caller_of(request)
    found = selectors.access_evaluation(
        user=caller.user, client_ids=caller.client_ids, evaluation_id=evaluation_id
    )
    caller.require(READ)
    return Status(
        201, disputes.raise_dispute(actor=caller.user, evaluation=found, reason=body.reason)
    )


@router.get("/quality/disputes", response=list[DisputeOut])
@paginate_by_cursor
def list_disputes(request, filters: Query[DisputeFilters]):
    """Disputes of the evaluations the caller may see, a page at a time."""
    caller = caller_of(request)
    caller.require(READ)
    return selectors.disputes(user=caller.user, client_ids=caller.client_ids, status=filters.status)


@router.get("/quality/disputes/{dispute_id}", response=DisputeOut)
def get_dispute(request, dispute_id: int):
    caller = caller_of(request)
    found = selectors.access_dispute(
        user=caller.user, client_ids=caller.client_ids, dispute_id=dispute_id
    )
    caller.require(READ)
    return found


@router.post("/quality/disputes/{dispute_id}/decision", response=DisputeOut)
def decide_dispute(request, dispute_id: int, body: DecisionIn):
    """Accept (give the corrected scores), partly accept (some) or reject, with a
    comment; the evaluation is final afterwards (any later change: 409)."""
    caller = caller_of(request)
    found = selectors.access_dispute(
        user=caller.user, client_ids=caller.client_ids, dispute_id=dispute_id
    )
    caller.require(DECIDE)
    return disputes.decide(
        actor=caller.user,
        dispute=found,
        decision=body.decision,
        comment=body.comment,
        corrected=body.scores,
        version=body.version,
    )


# --- coaching ----------------------------------------------------------------------------


class CoachingOut(Schema):
    id: int
    evaluation_id: int
    agent_id: int | None
    team_lead_id: int | None
    status: str
    note: str
    rework_item_id: int | None
    done_at: datetime | None
    created_at: datetime
    version: int


class CoachingFilters(Schema):
    status: Literal["open", "done", ""] = ""


class CoachingDone(Schema):
    version: int = Field(ge=1)
    note: str = Field(min_length=1, max_length=2000)


@router.get("/quality/coaching-tasks", response=list[CoachingOut])
@paginate_by_cursor
def list_coaching_tasks(request, filters: Query[CoachingFilters]):
    """Coaching tasks opened by critical failures, a page at a time."""
    caller = caller_of(request)
    caller.require(DECIDE)
    return selectors.coaching_tasks(
        user=caller.user, client_ids=caller.client_ids, status=filters.status
    )


@router.post("/quality/coaching-tasks/{coaching_task_id}/done", response=CoachingOut)
def finish_coaching(request, coaching_task_id: int, body: CoachingDone):
    """The team lead coached the agent: done, with a note."""
    caller = caller_of(request)
    found = selectors.access_coaching_task(
        user=caller.user, client_ids=caller.client_ids, task_id=coaching_task_id
    )
    caller.require(DECIDE)
    return coaching.mark_done(actor=caller.user, task=found, **body.dict())
