"""Scorecards: their definition checked at the door, the scoring rule, and the services
that create, revise (a new version each time) and switch them on.

The score of an evaluation (`score`):
- each criterion is normalised to 0..1 on its scale: yes/no gives yes = 1, no = 0; one to
  five gives (v - 1) / 4; points give v / max_points;
- the score is the weighted mean of the scored (not N/A), non-bonus criteria, times 100;
- a bonus criterion adds `weight x normalised` percentage points on top, the total capped
  at 100 (a bonus is never in the denominator);
- a critical criterion that fails (no, 1 of 5, or 0 points) scores the whole evaluation 0.
For a "fields" scorecard each criterion naming a payload field is one field, right (yes)
or wrong (no): `fields_total` and `fields_right` give accuracy per field.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction

from tercero.delivery.work import registry
from tercero.governance.quality.models import Scorecard, ScorecardVersion
from tercero.governance.quality.worktypes import EVALUATION_TYPE
from tercero.platform.audit.services import record
from tercero.platform.errors import InvalidInput
from tercero.platform.versioning import update_versioned

SCALES = ("yes_no", "one_to_five", "points")
SCALE_WORDS = {"yes_no": "Yes or no", "one_to_five": "1 to 5", "points": "Points"}
MAX_CRITERIA = 200
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Result:
    percent: Decimal
    critical_failed: bool
    fields_total: int
    fields_right: int

    def __iter__(self):
        return iter((self.percent, self.critical_failed, self.fields_total, self.fields_right))


def criteria_of(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """Every criterion of a (checked) definition, in order."""
    return [c for section in definition.get("sections", []) for c in section.get("criteria", [])]


# --- the scoring rule ----------------------------------------------------------------


def normalised(criterion: dict[str, Any], value: float) -> Decimal:
    """The criterion's value on 0..1."""
    scale = criterion["scale"]
    number = Decimal(str(value))
    if scale == "yes_no":
        return Decimal(1) if number >= 1 else Decimal(0)
    if scale == "one_to_five":
        return (number - 1) / 4
    return number / Decimal(str(criterion["max_points"]))


def fails(criterion: dict[str, Any], value: float | None) -> bool:
    """A critical criterion fails on "no", on 1 of 5 or on 0 points (N/A never fails)."""
    if value is None:
        return False
    floor = 1 if criterion["scale"] == "one_to_five" else 0
    return Decimal(str(value)) <= floor


def score(definition: dict[str, Any], scores: dict[str, Any]) -> Result:
    """(percent 0-100 with 2 decimals, critical failed, fields total, fields right)."""
    weighted, weights, bonus = Decimal(0), Decimal(0), Decimal(0)
    critical_failed, fields_total, fields_right = False, 0, 0
    for criterion in criteria_of(definition):
        value = scores.get(criterion["key"])
        if value is None:
            continue
        part = normalised(criterion, value)
        weight = Decimal(str(criterion["weight"]))
        if criterion.get("critical") and fails(criterion, value):
            critical_failed = True
        if criterion.get("field"):
            fields_total += 1
            fields_right += 1 if part >= 1 else 0
        if criterion.get("bonus"):
            bonus += weight * part
        else:
            weighted, weights = weighted + weight * part, weights + weight
    base = weighted / weights * HUNDRED if weights else HUNDRED
    percent = Decimal(0) if critical_failed else min(HUNDRED, base + bonus)
    return Result(
        percent.quantize(CENT, ROUND_HALF_UP), critical_failed, fields_total, fields_right
    )


def check_scores(definition: dict[str, Any], scores: object) -> dict[str, Any]:
    """The scores as the definition allows them: every criterion given (None = N/A where
    allowed), each on its scale; InvalidInput naming `scores.<key>` otherwise."""
    if not isinstance(scores, dict):
        raise InvalidInput("Give a score for each criterion.", fields={"scores": "not a mapping"})
    criteria = {c["key"]: c for c in criteria_of(definition)}
    problems = {
        f"scores.{key}": "not a criterion of this scorecard"
        for key in scores
        if key not in criteria
    }
    for key, criterion in criteria.items():
        problem = _score_problem(criterion, scores.get(key, ...))
        if problem:
            problems[f"scores.{key}"] = problem
    if problems:
        raise InvalidInput("Some scores do not fit the scorecard.", fields=problems)
    if all(scores[c["key"]] is None for c in criteria.values() if not c.get("bonus")):
        raise InvalidInput(
            "Score at least one criterion that is not a bonus.", fields={"scores": "all N/A"}
        )
    return {key: scores[key] for key in criteria}


def _score_problem(criterion: dict[str, Any], value: object) -> str:
    if value is ...:
        return "required (give null for N/A where the criterion allows it)"
    if value is None:
        return "" if criterion.get("allows_na") else "this criterion cannot be N/A"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "must be a number"
    scale = criterion["scale"]
    if scale == "yes_no" and value not in (0, 1):
        return "1 for yes, 0 for no"
    if scale == "one_to_five" and value not in (1, 2, 3, 4, 5):
        return "a whole number from 1 to 5"
    if scale == "points" and not (0 <= value <= criterion["max_points"]):
        return f"from 0 to {criterion['max_points']}"
    return ""


# --- the definition at the door --------------------------------------------------------


def check_definition(definition: object, *, kind: str, work_type: str) -> dict[str, Any]:
    """The definition as stored, or InvalidInput naming every wrong field."""
    if not isinstance(definition, dict) or not isinstance(definition.get("sections"), list):
        raise InvalidInput(
            "A scorecard has sections of criteria.", fields={"definition.sections": "required"}
        )
    payload_fields = set(registry.get(work_type).payload_schema.model_fields)
    problems: dict[str, str] = {}
    sections: list[dict[str, Any]] = []
    seen: set[str] = set()
    for s, section in enumerate(definition["sections"]):
        where = f"definition.sections[{s}]"
        if not isinstance(section, dict) or not isinstance(section.get("criteria"), list):
            problems[f"{where}.criteria"] = "a list of criteria"
            continue
        criteria = []
        for c, raw in enumerate(section["criteria"]):
            criterion, found = _criterion(raw, kind, payload_fields, seen)
            problems.update({f"{where}.criteria[{c}].{name}": why for name, why in found.items()})
            criteria.append(criterion)
        sections.append({"title": str(section.get("title") or "")[:120], "criteria": criteria})
    problems.update(_whole_problems(sections, kind))
    if problems:
        raise InvalidInput("The scorecard cannot be saved as it is.", fields=problems)
    return {"sections": sections}


def _whole_problems(sections: list[dict[str, Any]], kind: str) -> dict[str, str]:
    criteria = [c for section in sections for c in section["criteria"]]
    problems = {}
    if not any(not c.get("bonus") for c in criteria):
        problems["definition.sections"] = "at least one criterion that is not a bonus"
    if len(criteria) > MAX_CRITERIA:
        problems["definition.sections"] = f"at most {MAX_CRITERIA} criteria"
    if kind == "fields" and not any(c.get("field") for c in criteria):
        problems["definition.sections"] = "a fields scorecard checks at least one payload field"
    return problems


def _criterion(
    raw: object, kind: str, payload_fields: set[str], seen: set[str]
) -> tuple[dict[str, Any], dict[str, str]]:
    if not isinstance(raw, dict):
        return {}, {"key": "each criterion is an object"}
    problems: dict[str, str] = {}
    key = _key(raw, seen, problems)
    label = str(raw.get("label") or "").strip()
    if not label:
        problems["label"] = "required"
    weight = raw.get("weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight > 0:
        problems["weight"] = "a number above 0"
    scale = raw.get("scale")
    if scale not in SCALES:
        problems["scale"] = "yes_no, one_to_five or points"
    max_points = raw.get("max_points")
    if scale == "points" and (
        isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 1
    ):
        problems["max_points"] = "a whole number of at least 1 for a points scale"
    critical, bonus = bool(raw.get("critical")), bool(raw.get("bonus"))
    if critical and bonus:
        problems["critical"] = "a bonus criterion cannot be critical"
    field = str(raw.get("field") or "").strip()
    problems.update(_field_problems(field, kind, scale, payload_fields))
    criterion = {
        "key": key,
        "label": label[:200],
        "weight": weight,
        "scale": scale,
        "critical": critical,
        "bonus": bonus,
        "allows_na": bool(raw.get("allows_na")),
    }
    if scale == "points":
        criterion["max_points"] = max_points
    if field:
        criterion["field"] = field
    return criterion, problems


def _key(raw: dict[str, Any], seen: set[str], problems: dict[str, str]) -> str:
    key = str(raw.get("key") or "").strip()
    if not key or not key.replace("_", "").isalnum() or len(key) > 40:
        problems["key"] = "letters, digits and underscores, at most 40"
    elif key in seen:
        problems["key"] = f"{key!r} is used twice; keys must be unique"
    seen.add(key)
    return key


def _field_problems(
    field: str, kind: str, scale: object, payload_fields: set[str]
) -> dict[str, str]:
    if not field:
        return {}
    if kind != "fields":
        return {"field": "only a fields scorecard checks payload fields"}
    if field not in payload_fields:
        return {"field": f"not a field of this work type ({', '.join(sorted(payload_fields))})"}
    if scale != "yes_no":
        return {"scale": "a field is scored right or wrong: yes_no"}
    return {}


def _check_work_type(work_type: str) -> None:
    if work_type == EVALUATION_TYPE:
        raise InvalidInput(
            "Evaluations are not scored themselves.", fields={"work_type": "not evaluable"}
        )
    registry.get(work_type)


# --- services --------------------------------------------------------------------------


def create_scorecard(
    *,
    actor: Any,
    engagement: Any,
    work_type: str,
    name: str,
    kind: str,
    definition: object,
) -> Scorecard:
    """A new scorecard (inactive) with its first version."""
    _check_work_type(work_type)
    if kind not in Scorecard.Kind.values:
        raise InvalidInput("Unknown kind of scorecard.", fields={"kind": "conversation or fields"})
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Name the scorecard.", fields={"name": "required"})
    checked = check_definition(definition, kind=kind, work_type=work_type)
    with transaction.atomic():
        scorecard = Scorecard.objects.create(
            client_id=engagement.client_id,
            engagement=engagement,
            work_type=work_type,
            name=name[:120],
            kind=kind,
        )
        ScorecardVersion.objects.create(
            client_id=engagement.client_id,
            scorecard=scorecard,
            number=1,
            definition=checked,
            created_by=_user(actor),
        )
        _audit("quality.scorecard.created", actor, scorecard, {"number": 1, "name": scorecard.name})
    return scorecard


def revise_scorecard(
    *, actor: Any, scorecard: Scorecard, version: int, definition: object, name: str = ""
) -> ScorecardVersion:
    """A new version of the scorecard; evaluations keep the version they used."""
    checked = check_definition(definition, kind=scorecard.kind, work_type=scorecard.work_type)
    with transaction.atomic():
        number = scorecard.current_version + 1
        changes: dict[str, Any] = {"current_version": number}
        if name.strip():
            changes["name"] = name.strip()[:120]
        update_versioned(
            Scorecard, pk=scorecard.pk, version=version, changes=changes, what="scorecard"
        )
        revised = ScorecardVersion.objects.create(
            client_id=scorecard.client_id,
            scorecard=scorecard,
            number=number,
            definition=checked,
            created_by=_user(actor),
        )
        _audit("quality.scorecard.revised", actor, scorecard, {"number": number})
    scorecard.refresh_from_db()
    return revised


def set_active(*, actor: Any, scorecard: Scorecard, version: int, is_active: bool) -> Scorecard:
    """Switch the scorecard on (rules may use it) or off."""
    with transaction.atomic():
        update_versioned(
            Scorecard,
            pk=scorecard.pk,
            version=version,
            changes={"is_active": is_active},
            what="scorecard",
        )
        action = "quality.scorecard.activated" if is_active else "quality.scorecard.deactivated"
        _audit(action, actor, scorecard, {})
    scorecard.refresh_from_db()
    return scorecard


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _audit(action: str, actor: Any, scorecard: Scorecard, payload: dict[str, Any]) -> None:
    record(
        action=action,
        actor=_user(actor),
        client=scorecard.client_id,
        object_type="quality_scorecard",
        object_id=scorecard.pk,
        payload={"engagement_id": scorecard.engagement_id, **payload},
    )
