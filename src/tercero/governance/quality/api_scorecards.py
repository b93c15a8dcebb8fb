"""Quality API: scorecards (versioned), sampling rules and gold items."""

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Query, Router, Schema, Status

from tercero.delivery.engagements.selectors import access_engagement
from tercero.governance.quality import rules as quality_rules
from tercero.governance.quality import scorecards, selectors
from tercero.governance.quality.models import STRATA
from tercero.platform.api.caller import caller_of
from tercero.platform.api.pagination import paginate_by_cursor

READ, MANAGE = "quality:read", "quality:manage"
ID = Field(ge=1, le=2**62)

router = Router(tags=["quality"])


class ScorecardIn(Schema):
    engagement_id: int = ID
    work_type: str = Field(max_length=40)
    name: str = Field(min_length=1, max_length=120)
    kind: Literal["conversation", "fields"] = "conversation"
    definition: dict[str, Any]


class ScorecardRevision(Schema):
    version: int = Field(ge=1)
    definition: dict[str, Any]
    name: str = Field(default="", max_length=120)


class Activation(Schema):
    version: int = Field(ge=1)
    is_active: bool


class ScorecardOut(Schema):
    id: int
    engagement_id: int
    work_type: str
    name: str
    kind: str
    is_active: bool
    current_version: int
    version: int
    created_at: datetime


class VersionOut(Schema):
    id: int
    number: int
    definition: dict[str, Any]
    created_at: datetime


class ScorecardDetail(ScorecardOut):
    definition: dict[str, Any]
    versions: list[VersionOut]


class ScorecardFilters(Schema):
    engagement_id: int | None = Field(default=None, ge=1, le=2**62)
    work_type: str = Field(default="", max_length=40)


def _detail(scorecard) -> dict[str, Any]:
    versions = list(selectors.versions_of(scorecard=scorecard))
    out = {name: getattr(scorecard, name) for name in ScorecardOut.model_fields}
    current = next(v for v in versions if v.number == scorecard.current_version)
    return {**out, "definition": current.definition, "versions": versions}


@router.get("/quality/scorecards", response=list[ScorecardOut])
@paginate_by_cursor
def list_scorecards(request, filters: Query[ScorecardFilters]):
    """The scorecards of the caller's clients, a page at a time."""
    caller = caller_of(request)
    caller.require(READ)
    return selectors.scorecards(
        client_ids=caller.client_ids,
        engagement_id=filters.engagement_id,
        work_type=filters.work_type,
    )


@router.post("/quality/scorecards", response={201: ScorecardDetail})
def create_scorecard(request, body: ScorecardIn):
    """A new scorecard (inactive until activated) with its first version. A bad
    definition is a 422 naming each wrong field (`definition.sections[0].criteria[1].weight`)."""
    caller = caller_of(request)
    engagement = access_engagement(client_ids=caller.client_ids, engagement_id=body.engagement_id)
    caller.require(MANAGE)
    made = scorecards.create_scorecard(
        actor=caller.user, engagement=engagement, **body.dict(exclude={"engagement_id"})
    )
    return Status(201, _detail(made))


@router.get("/quality/scorecards/{scorecard_id}", response=ScorecardDetail)
def get_scorecard(request, scorecard_id: int):
    """The scorecard with its current definition and every version."""
    caller = caller_of(request)
    found = selectors.access_scorecard(client_ids=caller.client_ids, scorecard_id=scorecard_id)
    caller.require(READ)
    return _detail(found)


@router.post("/quality/scorecards/{scorecard_id}/versions", response={201: ScorecardDetail})
def revise_scorecard(request, scorecard_id: int, body: ScorecardRevision):
    """Edit the scorecard: always a new version (evaluations keep the one they used)."""
    caller = caller_of(request)
    found = selectors.access_scorecard(client_ids=caller.client_ids, scorecard_id=scorecard_id)
    caller.require(MANAGE)
    scorecards.revise_scorecard(actor=caller.user, scorecard=found, **body.dict())
    return Status(201, _detail(found))


@router.post("/quality/scorecards/{scorecard_id}/activation", response=ScorecardOut)
def activate_scorecard(request, scorecard_id: int, body: Activation):
    """Switch the scorecard on or off."""
    caller = caller_of(request)
    found = selectors.access_scorecard(client_ids=caller.client_ids, scorecard_id=scorecard_id)
    caller.require(MANAGE)
    return scorecards.set_active(actor=caller.user, scorecard=found, **body.dict())


# --- sampling rules ----------------------------------------------------------------------

Share = Field(default=None, ge=0, le=1)


class RuleSettings(Schema):
    random_share: Decimal | None = Share
    gold_share: Decimal | None = Share
    minimum_per_agent_week: int | None = Field(default=None, ge=0, le=500)
    strata: list[Literal[STRATA]] | None = None  # type: ignore[valid-type]
    target_confidence: Decimal | None = Field(default=None, gt=0, lt=1)
    target_margin: Decimal | None = Field(default=None, gt=0, lt=1)
    expected_accuracy: Decimal | None = Field(default=None, gt=0, lt=1)
    rework_on_critical: bool | None = None
    long_handle_seconds: int | None = Field(default=None, ge=1)
    quality_target: Decimal | None = Field(default=None, ge=0, le=100)
    accuracy_target: Decimal | None = Field(default=None, ge=0, le=100)


class RuleIn(RuleSettings):
    engagement_id: int = ID
    work_type: str = Field(max_length=40)
    scorecard_id: int = ID
    queue_id: int | None = Field(default=None, ge=1, le=2**62)


class RuleChange(RuleSettings):
    version: int = Field(ge=1)
    scorecard_id: int = Field(default=None, ge=1, le=2**62)  # type: ignore[assignment]
    is_active: bool = Field(default=None)  # type: ignore[assignment]


class RuleOut(Schema):
    id: int
    engagement_id: int
    work_type: str
    scorecard_id: int
    queue_id: int | None
    random_share: Decimal
    gold_share: Decimal
    minimum_per_agent_week: int
    strata: list[str]
    target_confidence: Decimal
    target_margin: Decimal
    expected_accuracy: Decimal
    rework_on_critical: bool
    long_handle_seconds: int | None
    quality_target: Decimal
    accuracy_target: Decimal
    is_active: bool
    version: int


class RuleFilters(Schema):
    engagement_id: int | None = Field(default=None, ge=1, le=2**62)


def _settings(body: RuleSettings) -> dict[str, Any]:
    given = body.dict(exclude_unset=True)
    return {k: v for k, v in given.items() if k in RuleSettings.model_fields}


@router.get("/quality/rules", response=list[RuleOut])
@paginate_by_cursor
def list_rules(request, filters: Query[RuleFilters]):
    """The sampling rules of the caller's clients, a page at a time."""
    caller = caller_of(request)
    caller.require(READ)
    return selectors.rules(client_ids=caller.client_ids, engagement_id=filters.engagement_id)


@router.post("/quality/rules", response={201: RuleOut})
def create_rule(request, body: RuleIn):
    """A sampling rule for an engagement's work type; its evaluations go to the queue
    named, or the engagement's queue taking quality evaluations (made when none does)."""
    caller = caller_of(request)
    engagement = access_engagement(client_ids=caller.client_ids, engagement_id=body.engagement_id)
    scorecard = selectors.access_scorecard(
        client_ids=caller.client_ids, scorecard_id=body.scorecard_id
    )
    caller.require(MANAGE)
    made = quality_rules.create_rule(
        actor=caller.user,
        engagement=engagement,
        work_type=body.work_type,
        scorecard=scorecard,
        queue_id=body.queue_id,
        **{k: v for k, v in _settings(body).items() if v is not None},
    )
    return Status(201, made)


@router.get("/quality/rules/{rule_id}", response=RuleOut)
def get_rule(request, rule_id: int):
    caller = caller_of(request)
    rule = selectors.access_rule(client_ids=caller.client_ids, rule_id=rule_id)
    caller.require(READ)
    return rule


@router.patch("/quality/rules/{rule_id}", response=RuleOut)
def change_rule(request, rule_id: int, body: RuleChange):
    """Change the settings given, at the rule's `version` (stale: 409)."""
    caller = caller_of(request)
    rule = selectors.access_rule(client_ids=caller.client_ids, rule_id=rule_id)
    caller.require(MANAGE)
    changes = _settings(body)
    if body.is_active is not None:
        changes["is_active"] = body.is_active
    if body.scorecard_id is not None:
        changes["scorecard"] = selectors.access_scorecard(
            client_ids=caller.client_ids, scorecard_id=body.scorecard_id
        )
    return quality_rules.update_rule(
        actor=caller.user, rule=rule, version=body.version, changes=changes
    )


class GoldIn(Schema):
    engagement_id: int = ID
    source_item_id: int = ID
    answers: dict[str, float | None]


class GoldOut(Schema):
    id: int
    engagement_id: int
    work_type: str
    source_item_id: int
    answers: dict[str, Any]


@router.post("/quality/gold-items", response={201: GoldOut})
def add_gold_item(request, body: GoldIn):
    """Mark an item of the engagement as gold, with the known right score per criterion."""
    caller = caller_of(request)
    engagement = access_engagement(client_ids=caller.client_ids, engagement_id=body.engagement_id)
    caller.require(MANAGE)
    made = quality_rules.add_gold_item(
        actor=caller.user,
        engagement=engagement,
        source_item_id=body.source_item_id,
        answers=body.answers,
    )
    return Status(201, made)
