"""Editing an item: its fields, and its payload (the door through which a service that
plugs into the engine changes what an item holds)."""

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from pydantic import BaseModel

from tercero.delivery.work import locks, personal, registry
from tercero.delivery.work.models import WorkItem
from tercero.delivery.work.services._common import _language, _log, _stale
from tercero.platform.errors import InvalidInput
from tercero.platform.versioning import update_versioned

if TYPE_CHECKING:
    from tercero.platform.identity.models import User


def update_item(
    *, actor: "User | None", item: WorkItem, version: int, changes: dict[str, Any]
) -> WorkItem:
    """Edit title, priority, language, personal-data flag, reference or payload (checked
    against the work type's schema) if nobody changed the item since `version`."""
    allowed = {"title", "priority", "language", "personal_data", "external_ref", "payload"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(
            "These fields cannot be edited.", fields=dict.fromkeys(unknown, "read-only")
        )
    if "priority" in changes and not 1 <= changes["priority"] <= 4:
        raise InvalidInput("Priority is 1 (P1, highest) to 4.", fields={"priority": "1-4"})
    if "personal_data" in changes and not changes["personal_data"]:
        work_type = registry.find(item.work_type)
        if work_type is not None and work_type.holds_personal_data:
            raise InvalidInput(
                "Items of this work type always hold personal data.",
                fields={"personal_data": "always true for this work type"},
            )
    for name in ("title", "external_ref"):
        if isinstance(changes.get(name), str):
            changes[name] = personal.clean_text(changes[name])
    if "payload" in changes:
        work_type = registry.get(item.work_type)
        incoming = (
            personal.unsealed_for_edit(
                stored=item.payload,
                incoming=changes["payload"] if isinstance(changes["payload"], dict) else {},
                names=work_type.personal_fields,
            )
            if isinstance(changes["payload"], dict)
            else changes["payload"]
        )
        plain = work_type.parse(incoming).model_dump(mode="json")
        changes["payload"] = personal.protect(
            client_id=item.client_id, work_type=work_type, payload=plain
        )
        changes["subject_keys"] = personal.lookup_keys(
            client_id=item.client_id, work_type=work_type, plain=plain
        )
    now = timezone.now()
    with transaction.atomic():
        update_versioned(
            WorkItem,
            pk=item.pk,
            version=version,
            changes={**changes, "updated_at": now},
            what="item",
            taken=("external_ref", "An item with this external reference exists."),
        )
        _log(item, "item.updated", actor, {"fields": sorted(changes)}, at=now)
    item.refresh_from_db()
    return item


def update_payload(
    *,
    actor: "User | None",
    item: WorkItem,
    changes: dict[str, Any],
    version: int | None = None,
    reason: str = "",
) -> WorkItem:
    """Change some of an item's payload fields: the one door through which a service
    that plugs into the engine changes what an item holds (a call's state from the
    phone system). The merged payload is checked against the work type's schema, its
    personal fields sealed and their lookup keys kept as on creation; a title or
    language that came from the payload follows it. One transaction with the item's
    row lock and an `item.payload_changed` event naming the fields, never their values
    (the audit chain takes it from the outbox). The SLA clocks started on arrival stay
    as they are. Nothing that changes nothing is written."""
    work_type = registry.get(item.work_type)
    _check_payload_fields(work_type, changes)
    with transaction.atomic():
        current = locks.lock_item(item_id=item.pk)
        if version is not None and current.version != version:
            raise _stale()
        before = _stored_payload(work_type, current.payload)
        merged = personal.unsealed_for_edit(
            stored=current.payload,
            incoming={**current.payload, **changes},
            names=work_type.personal_fields,
        )
        after = work_type.parse(merged)
        plain = after.model_dump(mode="json")
        old = before.model_dump(mode="json") if before is not None else {}
        fields = sorted(name for name in plain if plain[name] != old.get(name))
        if not fields:
            return current
        derived = _derived_changes(current, work_type, before, after)
        current.payload = personal.protect(
            client_id=current.client_id, work_type=work_type, payload=plain
        )
        current.subject_keys = personal.lookup_keys(
            client_id=current.client_id, work_type=work_type, plain=plain
        )
        for name, value in derived.items():
            setattr(current, name, value)
        current.updated_at = timezone.now()
        current.version += 1
        current.save(update_fields=["payload", "subject_keys", *derived, "updated_at", "version"])
        data: dict[str, Any] = {"fields": fields}
        if derived:
            data["item_fields"] = sorted(derived)
        if reason:
            data["reason"] = reason[:1000]
        _log(current, "item.payload_changed", actor, data, at=current.updated_at)
    return current


def _check_payload_fields(work_type: registry.WorkType, changes: dict[str, Any]) -> None:
    if not isinstance(changes, dict):
        raise InvalidInput("The changes map payload fields to values.", fields={"changes": "{}"})
    schema = work_type.payload_schema
    unknown = sorted(set(changes) - set(schema.model_fields))
    if unknown and schema.model_config.get("extra") != "allow":
        raise InvalidInput(
            f"Work type {work_type.key!r} has no such payload fields.",
            fields={f"payload.{name}": "unknown" for name in unknown},
        )


def _stored_payload(work_type: registry.WorkType, stored: dict[str, Any]) -> BaseModel | None:
    """The stored payload opened and parsed, or None when it no longer fits the schema."""
    opened = personal.unsealed_for_edit(
        stored=stored, incoming=stored, names=work_type.personal_fields
    )
    try:
        return work_type.parse(opened)
    except InvalidInput:
        return None


def _derived_changes(
    item: WorkItem, work_type: registry.WorkType, before: BaseModel | None, after: BaseModel
) -> dict[str, Any]:
    """The columns creation derives from the payload (title, language) that still hold
    what the old payload gave, with what the new one gives; a value someone set by
    hand stays."""
    if before is None:
        return {}
    changes = {}
    title = _title_of(work_type, before)
    if item.title == title and _title_of(work_type, after) != title:
        changes["title"] = _title_of(work_type, after)
    if work_type.language_field and item.language == _language(work_type, before, None):
        language = _language(work_type, after, None)
        if language != item.language:
            changes["language"] = language
    return changes


def _title_of(work_type: registry.WorkType, payload: BaseModel) -> str:
    return personal.clean_text(work_type.title_of(payload))[:200]
