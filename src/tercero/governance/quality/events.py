"""Quality assurance's outbox events, for coaching, billing's quality credits and clients'
webhooks: an evaluation submitted, a dispute decided. Ids, scores and codes only, never
a person's name (events reach clients' endpoints and the audit chain)."""

from decimal import Decimal

from tercero.delivery.work.event_types import EventData, EventType

EVALUATION_SUBMITTED = "quality.evaluation.submitted"
DISPUTE_DECIDED = "quality.dispute.decided"
LOT_DECIDED = "quality.lot.decided"


class EvaluationSubmitted(EventData):
    evaluation_id: int
    source_item_id: int
    agent_id: int | None
    scorecard_version_id: int
    score: Decimal
    critical_failed: bool
    reason: str


class DisputeDecided(EventData):
    dispute_id: int
    evaluation_id: int
    agent_id: int | None
    decision: str
    score_before: Decimal
    score_after: Decimal


class LotDecided(EventData):
    lot_id: int
    size: int
    aql: str
    level: str
    code: str
    sample_size: int
    accept_number: int
    reject_number: int
    inspected: int
    defects: int
    decision: str
    reworked_item_ids: list[int]


EVENTS = (
    EventType(
        EVALUATION_SUBMITTED,
        EvaluationSubmitted,
        "An analyst submitted an evaluation of an agent's item (score out of 100).",
    ),
    EventType(
        DISPUTE_DECIDED,
        DisputeDecided,
        "A team lead decided an agent's dispute of an evaluation; the evaluation is final.",
    ),
    EventType(
        LOT_DECIDED,
        LotDecided,
        "A batch was decided by ISO 2859-1 sampling: accepted, or held and its defective "
        "items sent back for rework.",
    ),
)
