"""Ticket fields an engagement adds (custom fields) and the troubleshooting checklists
of a client's products, set up without Django admin. Switched off rather than deleted:
the values tickets hold and the steps ticked on them stay readable."""

import re
from typing import Any

from django.db import IntegrityError, transaction

from tercero.platform.errors import Conflict, InvalidInput
from tercero.services.care.models import Checklist, CustomField
from tercero.services.care.services.setup_base import (
    audit,
    changed_names,
    lines_of,
    refuse_unknown,
)

FIELD_FIELDS = ("key", "label", "kind", "choices", "is_required", "position", "is_active")
CHECKLIST_FIELDS = ("product", "title", "steps", "is_active")
KINDS = dict(CustomField.Kind.choices)
MAX_CHOICES = 50
MAX_STEPS = 30
_FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _field_cleaned(fields: dict[str, Any]) -> dict[str, Any]:
    problems: dict[str, str] = {}
    key = str(fields.get("key") or "").strip().lower()
    if not _FIELD_KEY.match(key):
        problems["key"] = "1 to 40 lower-case letters, digits or _, starting with a letter"
    label = " ".join(str(fields.get("label") or "").split())
    if not 0 < len(label) <= 80:
        problems["label"] = "a label of at most 80 characters"
    kind = fields.get("kind") or "text"
    if kind not in KINDS:
        problems["kind"] = "text, number, date, choice or yes/no"
    choices = list(dict.fromkeys(lines_of(fields.get("choices"), commas=True)))
    if kind == CustomField.Kind.CHOICE:
        if not 1 <= len(choices) <= MAX_CHOICES or any(len(c) > 100 for c in choices):
            problems["choices"] = f"1 to {MAX_CHOICES} options of at most 100 characters"
    elif choices:
        problems["choices"] = "options only for a choice field"
    position = fields.get("position", 0)
    if not isinstance(position, int) or not 0 <= position <= 999:
        problems["position"] = "a whole number from 0 to 999"
    if problems:
        raise InvalidInput("Please check the field.", fields=problems)
    return {
        "key": key,
        "label": label,
        "kind": kind,
        "choices": choices,
        "is_required": bool(fields.get("is_required", False)),
        "position": position,
        "is_active": bool(fields.get("is_active", True)),
    }


def create_custom_field(*, actor, engagement, **fields) -> CustomField:
    """A new field on the engagement's tickets; a required one must be filled before a
    ticket is resolved."""
    refuse_unknown(fields, FIELD_FIELDS)
    cleaned = _field_cleaned(fields)
    try:
        with transaction.atomic():
            made = CustomField.objects.create(
                client_id=engagement.client_id, engagement=engagement, **cleaned
            )
            audit("care.custom_field.created", actor, made, fields=sorted(cleaned))
    except IntegrityError:
        raise _key_taken() from None
    return made


def update_custom_field(*, actor, field: CustomField, **changes) -> CustomField:
    """Change the fields given; `is_active=False` takes it off tickets (values stay)."""
    refuse_unknown(changes, FIELD_FIELDS)
    current = {name: getattr(field, name) for name in FIELD_FIELDS}
    cleaned = _field_cleaned({**current, **changes})
    try:
        with transaction.atomic():
            CustomField.objects.filter(pk=field.pk).update(**cleaned)
            audit("care.custom_field.changed", actor, field, fields=changed_names(current, cleaned))
    except IntegrityError:
        raise _key_taken() from None
    field.refresh_from_db()
    return field


def _key_taken() -> Conflict:
    return Conflict("Another field of this engagement has this key.", fields={"key": "taken"})


def _checklist_cleaned(fields: dict[str, Any]) -> dict[str, Any]:
    problems: dict[str, str] = {}
    product = " ".join(str(fields.get("product") or "").split())
    if not 0 < len(product) <= 100:
        problems["product"] = "the product's name, at most 100 characters"
    title = " ".join(str(fields.get("title") or "").split())
    if not 0 < len(title) <= 150:
        problems["title"] = "a title of at most 150 characters"
    steps = lines_of(fields.get("steps"))
    if not 1 <= len(steps) <= MAX_STEPS or any(len(step) > 200 for step in steps):
        problems["steps"] = f"1 to {MAX_STEPS} steps, one a line, at most 200 characters each"
    if problems:
        raise InvalidInput("Please check the checklist.", fields=problems)
    return {
        "product": product,
        "title": title,
        "steps": steps,
        "is_active": bool(fields.get("is_active", True)),
    }


def _refuse_same_title(client_id: int, cleaned: dict[str, Any], but: int | None = None) -> None:
    same = Checklist.objects.filter(
        client_id=client_id, product__iexact=cleaned["product"], title__iexact=cleaned["title"]
    ).exclude(pk=but or 0)
    if same.exists():
        raise Conflict(
            "This product already has a checklist with this title.", fields={"title": "taken"}
        )


def create_checklist(*, actor, client_id: int, **fields) -> Checklist:
    """Steps an agent works through on support tickets for the product, recorded on
    escalation."""
    refuse_unknown(fields, CHECKLIST_FIELDS)
    cleaned = _checklist_cleaned(fields)
    with transaction.atomic():
        _refuse_same_title(client_id, cleaned)
        made = Checklist.objects.create(client_id=client_id, **cleaned)
        audit("care.checklist.created", actor, made, fields=sorted(cleaned))
    return made


def update_checklist(*, actor, checklist: Checklist, **changes) -> Checklist:
    """Change the fields given. Steps ticked on tickets are kept by position, so a
    changed step list is told in the audit event."""
    refuse_unknown(changes, CHECKLIST_FIELDS)
    current = {name: getattr(checklist, name) for name in CHECKLIST_FIELDS}
    cleaned = _checklist_cleaned({**current, **changes})
    with transaction.atomic():
        _refuse_same_title(checklist.client_id, cleaned, but=checklist.pk)
        Checklist.objects.filter(pk=checklist.pk).update(**cleaned)
        audit("care.checklist.changed", actor, checklist, fields=changed_names(current, cleaned))
    checklist.refresh_from_db()
    return checklist
