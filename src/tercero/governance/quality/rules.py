"""Sampling rules: which resolved items of an engagement's work type are evaluated, where
their evaluations queue, and how precisely each agent's accuracy must be known; and gold
items, whose known answers grade the graders."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction

from tercero.delivery.work import selectors as work_selectors
from tercero.delivery.work import services as work
from tercero.governance.quality import sampling
from tercero.governance.quality.models import STRATA, GoldItem, SamplingRule, Scorecard
from tercero.governance.quality.worktypes import EVALUATION_TYPE
from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.versioning import update_versioned

QA_QUEUE_NAME = "Quality evaluations"
SHARES = ("random_share", "gold_share")
TARGETS = ("target_confidence", "target_margin", "expected_accuracy")
PERCENTS = ("quality_target", "accuracy_target")
EDITABLE = (
    *SHARES,
    *TARGETS,
    *PERCENTS,
    "minimum_per_agent_week",
    "strata",
    "rework_on_critical",
    "long_handle_seconds",
    "is_active",
    "scorecard",
)


def check_settings(values: dict[str, Any]) -> dict[str, Any]:
    """The rule's settings as stored, or InvalidInput naming every wrong one."""
    problems: dict[str, str] = {}
    checked: dict[str, Any] = {}
    for name in (*SHARES, *TARGETS, *PERCENTS):
        if name in values:
            checked[name], problem = _decimal(name, values[name])
            if problem:
                problems[name] = problem
    for check in (_minimum, _strata, _long_handle):
        check(values, checked, problems)
    for name in ("rework_on_critical", "is_active"):
        if name in values:
            checked[name] = bool(values[name])
    if not problems and set(TARGETS) <= set(checked):
        problems.update(_target_problems(checked))
    if problems:
        raise InvalidInput("The sampling rule cannot be saved as it is.", fields=problems)
    return checked


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _minimum(values: dict[str, Any], checked: dict[str, Any], problems: dict[str, str]) -> None:
    if "minimum_per_agent_week" in values:
        minimum = values["minimum_per_agent_week"]
        if not _whole(minimum) or not 0 <= minimum <= 500:
            problems["minimum_per_agent_week"] = "a whole number from 0 to 500"
        checked["minimum_per_agent_week"] = minimum


def _strata(values: dict[str, Any], checked: dict[str, Any], problems: dict[str, str]) -> None:
    if "strata" in values:
        strata = values["strata"]
        if not isinstance(strata, list) or any(s not in STRATA for s in strata):
            problems["strata"] = f"a list among {', '.join(STRATA)}"
        else:
            checked["strata"] = sorted(set(strata), key=STRATA.index)


def _long_handle(values: dict[str, Any], checked: dict[str, Any], problems: dict[str, str]) -> None:
    if "long_handle_seconds" not in values:
        return
    seconds = values["long_handle_seconds"]
    if seconds is not None and (not _whole(seconds) or seconds < 1):
        problems["long_handle_seconds"] = "a whole number of seconds above 0, or empty"
    checked["long_handle_seconds"] = seconds


def _decimal(name: str, value: object) -> tuple[Decimal, str]:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return Decimal(0), "a number"
    if name in PERCENTS:
        return number, "" if 0 <= number <= 100 else "a percentage from 0 to 100"
    if name in SHARES:
        return number, "" if 0 <= number <= 1 else "a share from 0 to 1 (0.05 is 5 %)"
    return number, "" if 0 < number < 1 else "a share between 0 and 1, such as 0.95"


def _target_problems(checked: dict[str, Any]) -> dict[str, str]:
    try:
        target_of_values(checked).needed()
    except ValueError as error:
        return {"target_margin": str(error)}
    return {}


def target_of_values(values: Any) -> sampling.Target:
    def get(name: str) -> float:
        found = values[name] if isinstance(values, dict) else getattr(values, name)
        return float(found)

    return sampling.Target(
        confidence=get("target_confidence"),
        margin=get("target_margin"),
        expected=get("expected_accuracy"),
    )


def _check_scorecard(scorecard: Scorecard, engagement_id: int, work_type: str) -> None:
    if scorecard.engagement_id != engagement_id or scorecard.work_type != work_type:
        raise InvalidInput(
            "The scorecard is for another engagement or kind of work.",
            fields={"scorecard_id": "not for this engagement and work type"},
        )
    if not scorecard.is_active:
        raise InvalidInput(
            "Activate the scorecard before a rule uses it.",
            fields={"scorecard_id": "switched off"},
        )


def qa_queue_for(*, actor: Any, engagement: Any, queue_id: int | None) -> int:
    """The QA queue the rule fills: the one named (of the same engagement, taking
    evaluations), else the engagement's queue that takes them, else a new one."""
    if queue_id is not None:
        queue = work_selectors.access_queue(client_ids=[engagement.client_id], queue_id=queue_id)
        if queue.engagement_id != engagement.pk or EVALUATION_TYPE not in queue.work_types:
            raise InvalidInput(
                "Choose a queue of this engagement that takes quality evaluations.",
                fields={"queue_id": "not a quality queue of this engagement"},
            )
        return queue.pk
    found = work_selectors.queue_taking(engagement_id=engagement.pk, work_type=EVALUATION_TYPE)
    if found is not None:
        return found.pk
    created = work.create_queue(
        actor=actor if getattr(actor, "pk", None) else None,
        engagement=engagement,
        name=QA_QUEUE_NAME,
        work_types=[EVALUATION_TYPE],
    )
    return created.pk


def create_rule(
    *,
    actor: Any,
    engagement: Any,
    work_type: str,
    scorecard: Scorecard,
    queue_id: int | None = None,
    **settings: Any,
) -> SamplingRule:
    """A new active rule for the engagement's work type (one active at a time)."""
    _check_scorecard(scorecard, engagement.pk, work_type)
    defaults = {
        "target_confidence": "0.95",
        "target_margin": "0.05",
        "expected_accuracy": "0.90",
    }
    checked = check_settings({**defaults, **settings})
    try:
        with transaction.atomic():
            queue = qa_queue_for(actor=actor, engagement=engagement, queue_id=queue_id)
            rule = SamplingRule.objects.create(
                client_id=engagement.client_id,
                engagement=engagement,
                work_type=work_type,
                scorecard=scorecard,
                queue_id=queue,
                **checked,
            )
            _audit("quality.rule.created", actor, rule, sorted(checked))
    except IntegrityError as error:
        raise Conflict(
            "This engagement already has an active rule for that kind of work.",
            fields={"work_type": "already has an active rule"},
        ) from error
    return rule


def update_rule(
    *, actor: Any, rule: SamplingRule, version: int, changes: dict[str, Any]
) -> SamplingRule:
    """Change the rule at `version` (stale: 409)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(
            "These settings cannot be changed.", fields=dict.fromkeys(sorted(unknown), "unknown")
        )
    values = {name: getattr(rule, name) for name in (*SHARES, *TARGETS, *PERCENTS)}
    checked = check_settings({**values, **{k: v for k, v in changes.items() if k != "scorecard"}})
    checked = {name: value for name, value in checked.items() if name in changes}
    if "scorecard" in changes:
        _check_scorecard(changes["scorecard"], rule.engagement_id, rule.work_type)
        checked["scorecard"] = changes["scorecard"]
    with transaction.atomic():
        update_versioned(
            SamplingRule,
            pk=rule.pk,
            version=version,
            changes=checked,
            what="sampling rule",
            taken=("is_active", "Another rule for this kind of work is active."),
        )
        _audit("quality.rule.changed", actor, rule, sorted(checked))
    rule.refresh_from_db()
    return rule


def add_gold_item(
    *, actor: Any, engagement: Any, source_item_id: int, answers: dict[str, Any]
) -> GoldItem:
    """Mark one of the engagement's items as gold: its right scores are known."""
    item = work_selectors.access_item(client_ids=[engagement.client_id], item_id=source_item_id)
    if item.engagement_id != engagement.pk:
        raise InvalidInput("The item is of another engagement.", fields={"source_item_id": "other"})
    if not isinstance(answers, dict) or not answers:
        raise InvalidInput("Give the known right scores.", fields={"answers": "required"})
    try:
        with transaction.atomic():
            gold = GoldItem.objects.create(
                client_id=engagement.client_id,
                engagement=engagement,
                work_type=item.work_type,
                source_item_id=item.pk,
                answers=answers,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
            record(
                action="quality.gold_item.created",
                actor=actor if getattr(actor, "pk", None) else None,
                client=engagement.client_id,
                object_type="quality_gold_item",
                object_id=gold.pk,
                payload={"source_item_id": item.pk},
            )
    except IntegrityError as error:
        raise Conflict("The item is already gold.", fields={"source_item_id": "gold"}) from error
    return gold


def _audit(action: str, actor: Any, rule: SamplingRule, fields: list[str]) -> None:
    record(
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        client=rule.client_id,
        object_type="quality_rule",
        object_id=rule.pk,
        payload={
            "engagement_id": rule.engagement_id,
            "work_type": rule.work_type,
            "fields": fields,
        },
    )
