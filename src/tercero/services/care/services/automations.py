"""Setting up an engagement's automations: rules written, changed, switched on or off
and put in order, each change audited. What a rule may say is `automation_rules`; how
rules run is `automations`."""

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from tercero.platform.audit.services import record
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.versioning import update_versioned
from tercero.services.care import automation_rules, selectors
from tercero.services.care.models import Automation

# the permission (and API scope) to set up a client's care desk; agents do not hold it
CARE_SETUP = "care:setup"
RULE_FIELDS = ("name", "trigger", "conditions", "actions", "waited_business_days")


def describe(automation: Automation) -> str:
    """The rule in one sentence, with the names of what it points at today."""
    options = selectors.automation_options(engagement=automation.engagement)
    return automation_rules.summary(_as_rule(automation), options)


def _as_rule(automation: Automation) -> automation_rules.Rule:
    return automation_rules.Rule(
        automation.trigger,
        list(automation.conditions),
        list(automation.actions),
        automation.waited_business_days,
    )


def _checked(engagement, fields: dict[str, Any]) -> dict[str, Any]:
    """The rule's stored fields, or InvalidInput naming every problem."""
    name = " ".join(str(fields.get("name") or "").split())
    problems = {} if 0 < len(name) <= 100 else {"name": "a name of at most 100 characters"}
    try:
        rule = automation_rules.clean(
            trigger=str(fields.get("trigger") or ""),
            conditions=fields.get("conditions", []),
            actions=fields.get("actions", []),
            waited_business_days=fields.get("waited_business_days"),
            options=selectors.automation_options(engagement=engagement),
        )
    except InvalidInput as error:
        raise InvalidInput(error.message, fields={**problems, **error.fields}) from None
    if problems:
        raise InvalidInput("Please check the rule.", fields=problems)
    return {
        "name": name,
        "trigger": rule.trigger,
        "conditions": rule.conditions,
        "actions": rule.actions,
        "waited_business_days": rule.waited_business_days,
    }


def create_automation(*, actor, engagement, is_active: bool = True, **fields) -> Automation:
    """A new rule, last in the engagement's order."""
    cleaned = _checked(engagement, fields)
    try:
        with transaction.atomic():
            last = Automation.objects.filter(engagement=engagement).aggregate(top=Max("position"))
            automation = Automation.objects.create(
                client_id=engagement.client_id,
                engagement=engagement,
                position=(last["top"] or 0) + 1,
                is_active=is_active,
                **cleaned,
            )
            _audit("care.automation.created", actor, automation)
    except IntegrityError:
        raise _name_taken() from None
    return automation


def update_automation(*, actor, automation: Automation, version: int, **fields) -> Automation:
    """Change the rule if nobody changed it since `version`."""
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise InvalidInput(
            "These fields cannot be set.", fields=dict.fromkeys(sorted(unknown), "unknown")
        )
    current = {name: getattr(automation, name) for name in RULE_FIELDS}
    cleaned = _checked(automation.engagement, {**current, **fields})
    with transaction.atomic():
        update_versioned(
            Automation,
            pk=automation.pk,
            version=version,
            changes={**cleaned, "updated_at": timezone.now()},
            what="rule",
            taken=("name", "Another rule of this engagement has this name."),
        )
        automation.refresh_from_db()
        _audit("care.automation.changed", actor, automation, fields=sorted(fields))
    return automation


def set_active(*, actor, automation: Automation, is_active: bool, version: int) -> Automation:
    """Switch the rule on or off; a rule switched off runs on nothing."""
    with transaction.atomic():
        update_versioned(
            Automation,
            pk=automation.pk,
            version=version,
            changes={"is_active": is_active, "updated_at": timezone.now()},
            what="rule",
        )
        automation.refresh_from_db()
        action = "care.automation.enabled" if is_active else "care.automation.disabled"
        _audit(action, actor, automation)
    return automation


def reorder(*, actor, engagement, order: list[int]) -> list[Automation]:
    """Put the engagement's rules in `order` (every rule's id, each once)."""
    with transaction.atomic():
        found = {
            a.pk: a for a in Automation.objects.select_for_update().filter(engagement=engagement)
        }
        if sorted(order) != sorted(found) or len(set(order)) != len(order):
            raise InvalidInput(
                "List every rule of the engagement once, in the new order.",
                fields={"order": "every rule's id, each once"},
            )
        for position, automation_id in enumerate(order, start=1):
            Automation.objects.filter(pk=automation_id).update(position=position)
        record(
            action="care.automation.reordered",
            actor=actor,
            client=engagement.client_id,
            object_type="engagement",
            object_id=engagement.pk,
            payload={"order": order},
        )
    return list(Automation.objects.filter(engagement=engagement).order_by("position", "id"))


def move(*, actor, automation: Automation, by: int) -> list[Automation]:
    """Move the rule `by` places (-1: one earlier, 1: one later) in its engagement's order."""
    order = list(
        Automation.objects.filter(engagement_id=automation.engagement_id)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    at = order.index(automation.pk)
    to = min(max(at + by, 0), len(order) - 1)
    order.insert(to, order.pop(at))
    return reorder(actor=actor, engagement=automation.engagement, order=order)


def _audit(action: str, actor, automation: Automation, **payload) -> None:
    record(
        action=action,
        actor=actor,
        client=automation.client_id,
        object_type="automation",
        object_id=automation.pk,
        payload=payload or None,
    )


def _name_taken() -> Conflict:
    return Conflict("Another rule of this engagement has this name.", fields={"name": "taken"})
