"""Macros, custom field values and resolving with the fields a ticket must have."""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.db import transaction

from tercero.delivery.work import services as work
from tercero.platform.errors import InvalidInput, NotFound
from tercero.platform.security.redact import redact_cards
from tercero.services.care.models import (
    CustomField,
    CustomValue,
    Macro,
)

if TYPE_CHECKING:
    from tercero.delivery.work.models import WorkItem
from tercero.services.care.services.conversation import reply


def change_payload(*, actor, ticket: "WorkItem", version: int, **changes) -> "WorkItem":
    return work.update_item(
        actor=actor,
        item=ticket,
        version=version,
        changes={"payload": {**ticket.payload, **changes}},
    )


def apply_macro(*, actor, ticket: "WorkItem", macro: Macro, version: int) -> "WorkItem":
    """The macro's reply goes to the customer, its tags and priority are set, then its
    life-cycle action (wait on the customer, or resolve) is taken — all or nothing."""
    if macro.engagement_id != ticket.engagement_id or not macro.is_active:
        raise NotFound("Macro not found.")
    with transaction.atomic():
        current = ticket
        tags = sorted({*ticket.payload.get("tags", []), *macro.add_tags})
        if tags != sorted(ticket.payload.get("tags", [])):
            current = change_payload(actor=actor, ticket=current, version=version, tags=tags)
            version = current.version
        if macro.set_priority and macro.set_priority != current.priority:
            current = work.update_item(
                actor=actor, item=current, version=version, changes={"priority": macro.set_priority}
            )
            version = current.version
        if macro.reply.strip():
            reply(actor=actor, ticket=current, body=macro.reply)
            current.refresh_from_db()
            version = current.version
        if macro.then == "wait":
            current = work.transition(
                actor=actor, item=current, action="wait", waiting_on="customer", version=version
            )
        elif macro.then == "resolve":
            current = work.transition(
                actor=actor,
                item=current,
                action="resolve",
                version=version,
                resolution=f"Macro: {macro.name}",
            )
    return current


def clean_custom_value(field: CustomField, raw) -> str:
    """The value as stored, or InvalidInput saying what the field accepts."""
    text = "" if raw is None else str(raw).strip()
    if not text:
        if field.is_required:
            raise InvalidInput(f"{field.label} is required.", fields={field.key: "required"})
        return ""
    if field.kind == CustomField.Kind.NUMBER:
        try:
            Decimal(text)
        except InvalidOperation:
            raise InvalidInput(
                f"{field.label} must be a number.", fields={field.key: "number"}
            ) from None
    elif field.kind == CustomField.Kind.DATE:
        try:
            date.fromisoformat(text)
        except ValueError:
            raise InvalidInput(
                f"{field.label} must be a date (YYYY-MM-DD).", fields={field.key: "date"}
            ) from None
    elif field.kind == CustomField.Kind.CHOICE and text not in field.choices:
        raise InvalidInput(
            f"{field.label} must be one of: {', '.join(field.choices)}.",
            fields={field.key: "choice"},
        )
    elif field.kind == CustomField.Kind.CHECKBOX:
        if text.lower() not in ("yes", "no", "true", "false", "on", "off", "1", "0"):
            raise InvalidInput(f"{field.label} is yes or no.", fields={field.key: "yes/no"})
        text = "yes" if text.lower() in ("yes", "true", "on", "1") else "no"
    return redact_cards(text)[:500]


def set_custom_values(*, actor, ticket: "WorkItem", values: dict) -> dict[str, str]:
    """Store the engagement's custom fields for the ticket. Every field is checked first;
    one bad value stores none. Fields the form does not name are left as they were."""
    fields = {
        f.key: f
        for f in CustomField.objects.filter(engagement_id=ticket.engagement_id, is_active=True)
    }
    unknown = set(values) - set(fields)
    if unknown:
        raise InvalidInput(
            "These fields do not exist on this engagement.",
            fields=dict.fromkeys(sorted(unknown), "unknown"),
        )
    cleaned = {key: clean_custom_value(fields[key], raw) for key, raw in values.items()}
    with transaction.atomic():
        for key, value in cleaned.items():
            CustomValue.objects.update_or_create(
                client_id=ticket.client_id,
                item=ticket,
                field=fields[key],
                defaults={"value": value},
            )
        work.comment(
            actor=actor,
            item=ticket,
            body="Fields changed: " + ", ".join(fields[k].label for k in sorted(cleaned)),
            internal=True,
        )
    return cleaned


def missing_required(ticket: "WorkItem") -> list[str]:
    """Labels of required custom fields the ticket has no value for."""
    filled = set(
        CustomValue.objects.filter(item=ticket).exclude(value="").values_list("field_id", flat=True)
    )
    return [
        f.label
        for f in CustomField.objects.filter(
            engagement_id=ticket.engagement_id, is_required=True, is_active=True
        )
        if f.pk not in filled
    ]


def resolve(
    *,
    actor,
    ticket: "WorkItem",
    resolution: str,
    version: int,
    values: dict | None = None,
) -> "WorkItem":
    """Resolve from the desk, storing the fields asked in the resolve step first; the
    engagement's required fields must then be filled. All or nothing: a refusal stores
    none of the values."""
    with transaction.atomic():
        if values:
            set_custom_values(actor=actor, ticket=ticket, values=values)
        missing = missing_required(ticket)
        if missing:
            raise InvalidInput(
                "Fill in the required fields first: " + ", ".join(missing) + ".",
                code="incomplete",
                fields={"custom_fields": missing},
            )
        return work.transition(
            actor=actor, item=ticket, action="resolve", version=version, resolution=resolution
        )
