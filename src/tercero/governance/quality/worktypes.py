"""The `quality.evaluation` work type: one sampled item to score against a scorecard.

The item lives in a QA queue of the same engagement as the work it reviews, so the
engagement's clearances, residency and skills apply to it as to any item; it names the
agent whose work it reviews (`not_for_agent_id`), so routing never gives it to them.
"""

from pydantic import BaseModel, Field

from tercero.delivery.work import registry

EVALUATION_TYPE = "quality.evaluation"
QA_SKILL = "quality_analysis"

REASON_WORDS = {
    "random": "random sample",
    "minimum": "weekly minimum",
    "target": "precision target",
    "new_agent": "new agent",
    "low_csat": "low satisfaction score",
    "long_handle": "long handling time",
    "escalated": "escalated",
    "reopened": "reopened",
    "gold": "gold item",
}


class EvaluationPayload(BaseModel):
    source_item_id: int = Field(ge=1, title="Item to evaluate")
    sample_id: int | None = Field(default=None, ge=1)
    reason: str = Field(max_length=20, title="Why it was sampled")
    scorecard_version_id: int = Field(ge=1)
    source_work_type: str = Field(max_length=40, title="Kind of work")


def _summary(payload: BaseModel) -> str:
    assert isinstance(payload, EvaluationPayload)
    why = REASON_WORDS.get(payload.reason, payload.reason.replace("_", " "))
    return f"Evaluate item #{payload.source_item_id} ({why})"


def _evaluated(item_id: int) -> list[str]:
    """An evaluation item is done once its evaluation is submitted."""
    from tercero.governance.quality import selectors

    if selectors.evaluation_of_item(evaluation_item_id=item_id) is None:
        return ["Score the item on its scorecard first (Quality workspace)."]
    return []


EVALUATION = registry.WorkType(
    key=EVALUATION_TYPE,
    title="Quality evaluation",
    payload_schema=EvaluationPayload,
    office="back",
    channel="back_office",
    default_skills={QA_SKILL: 1},
    sla_metrics=("resolution",),
    summary=_summary,
    # the reason and kind of work are codes: the title says the reason in words
    display_fields=(("source_item_id", "Item to evaluate"),),
    item_check=_evaluated,
    panel_url="quality:panel",
)
