"""Items coming in: one, many at once (bulk and CSV import), a portal submission with
its file, and files added to an open item."""

import hashlib

from django.db import IntegrityError, transaction
from django.utils import timezone

from tercero.delivery.work import files, lifecycle, personal, registry, routing, sla
from tercero.delivery.work.models import Attachment, Queue, SkillRequirement, WorkEvent, WorkItem
from tercero.delivery.work.services._common import _event, _language, _log
from tercero.delivery.work.services.claims import offer
from tercero.delivery.workforce.models import CHANNELS, SKILL_NAME
from tercero.platform.errors import Conflict, InvalidInput

ACCEPTING_WORK = ("transition", "live")


def create_item(*, actor, queue: Queue, **fields) -> WorkItem:
    """Create one item; pushes it to an agent at once when the queue routes by push."""
    item, required = _prepare(queue=queue, fields=fields)
    with transaction.atomic():
        _insert([(item, required)], actor=actor)
    if queue.routing == Queue.Routing.PUSH and item.status == lifecycle.QUEUED:
        offer(item=item)
        item.refresh_from_db()
    return item


def submit_item(*, actor, queue: Queue, upload=None, **fields) -> WorkItem:
    """Create an item with the file that comes with it (a portal submission): both are
    stored or neither is."""
    work_type = registry.get(fields.get("work_type") or "")
    if upload is None and work_type.attachment == "required":
        raise InvalidInput("This kind of work needs a file.", fields={"file": "required"})
    if upload is not None and work_type.attachment == "none":
        raise InvalidInput("This kind of work takes no file.", fields={"file": "not accepted"})
    content_type = files.sniff(upload) if upload is not None else None
    item, required = _prepare(queue=queue, fields=fields)
    stored = None
    try:
        with transaction.atomic():
            _insert([(item, required)], actor=actor)
            if upload is not None:
                stored = _store_attachment(item, upload, content_type, actor)
    except Exception:
        if stored is not None:
            stored.file.delete(save=False)
        raise
    if queue.routing == Queue.Routing.PUSH and item.status == lifecycle.QUEUED:
        offer(item=item)
        item.refresh_from_db()
    return item


def attach(*, actor, item: WorkItem, upload) -> Attachment:
    """Add a file to an open item."""
    content_type = files.sniff(upload)
    if item.status not in lifecycle.OPEN:
        raise InvalidInput("Files can only be added to open items.", fields={"file": "closed"})
    with transaction.atomic():
        return _store_attachment(item, upload, content_type, actor)


def _store_attachment(item: WorkItem, upload, content_type: str, actor) -> Attachment:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        client_id=item.client_id,
        item=item,
        name=files.safe_name(upload.name or ""),
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor if getattr(actor, "pk", None) else None,
        created_at=timezone.now(),
    )
    attachment.file.save("upload", upload, save=False)
    attachment.save()
    _log(item, "item.attached", actor, {"name": attachment.name, "size": attachment.size})
    return attachment


def create_items(
    *, actor, queue: Queue, rows: list[dict], all_or_nothing: bool = True, dry_run: bool = False
):
    """Create many items in one transaction. Returns (created, errors) where errors maps
    a row index to its field errors. With `all_or_nothing`, any error creates nothing."""
    prepared, errors = [], {}
    seen_refs: dict[str, int] = {}
    for index, fields in enumerate(rows):
        try:
            item, required = _prepare(queue=queue, fields=dict(fields))
        except InvalidInput as error:
            errors[index] = {"message": error.message, **error.fields}
            continue
        if item.external_ref:
            if item.external_ref in seen_refs:
                errors[index] = {
                    "message": "Duplicate external reference in this batch.",
                    "external_ref": f"also on row {seen_refs[item.external_ref] + 1}",
                }
                continue
            seen_refs[item.external_ref] = index
        prepared.append((item, required))
    taken = set(
        WorkItem.objects.filter(
            client_id=queue.client_id, external_ref__in=list(seen_refs)
        ).values_list("external_ref", flat=True)
    )
    if taken:
        for ref in taken:
            errors[seen_refs[ref]] = {
                "message": "An item with this external reference exists.",
                "external_ref": "already used",
            }
        prepared = [(i, r) for i, r in prepared if i.external_ref not in taken]
    if (errors and all_or_nothing) or dry_run:
        return [], errors  # nothing stored
    with transaction.atomic():
        _insert(prepared, actor=actor)
    if queue.routing == Queue.Routing.PUSH:
        for item, _ in prepared:
            offer(item=item)
    return [item for item, _ in prepared], errors


def _prepare(*, queue: Queue, fields: dict) -> tuple[WorkItem, dict[str, int]]:
    engagement = queue.engagement
    if engagement.status not in ACCEPTING_WORK:
        raise InvalidInput(
            f"The engagement is {engagement.status}; it takes work in transition or live.",
            code="engagement_not_live",
        )
    if not queue.is_active:
        raise InvalidInput("The queue is closed.", code="queue_inactive")
    key = fields.pop("work_type", None) or ""
    work_type = registry.get(key)
    if key not in queue.work_types:
        raise InvalidInput(
            f"Queue {queue.name!r} does not take {key!r} items.",
            fields={"work_type": f"this queue takes: {', '.join(queue.work_types) or 'nothing'}"},
        )
    payload = work_type.parse(fields.pop("payload", None) or {})
    required = _required_skills(work_type, fields.pop("required_skills", None) or {})
    language = _language(work_type, payload, fields.pop("language", None))
    channel = fields.pop("channel", None) or work_type.channel
    if channel not in CHANNELS:
        raise InvalidInput("Unknown channel.", fields={"channel": f"one of {', '.join(CHANNELS)}"})
    priority = fields.pop("priority", None) or queue.priority
    if not (isinstance(priority, int) and 1 <= priority <= 4):
        raise InvalidInput("Priority is 1 (P1, highest) to 4.", fields={"priority": str(priority)})
    hold = bool(fields.pop("hold", False))
    title = personal.clean_text(fields.pop("title", None) or work_type.title_of(payload))
    external_ref = personal.clean_text((fields.pop("external_ref", None) or "").strip())
    personal_data = bool(fields.pop("personal_data", False))
    if fields:
        raise InvalidInput("Unknown fields.", fields=dict.fromkeys(fields, "unknown"))
    now = timezone.now()
    plain_payload = payload.model_dump(mode="json")
    item = WorkItem(
        client_id=queue.client_id,
        engagement=engagement,
        queue=queue,
        work_type=key,
        title=title[:200],
        payload=personal.protect(
            client_id=queue.client_id, work_type=work_type, payload=plain_payload
        ),
        subject_keys=personal.lookup_keys(
            client_id=queue.client_id, work_type=work_type, plain=plain_payload
        ),
        priority=priority,
        language=language,
        personal_data=personal_data,
        external_ref=external_ref[:200],
        channel=channel,
        status=lifecycle.NEW if hold else lifecycle.QUEUED,
        created_at=now,
        queued_at=None if hold else now,
        updated_at=now,
    )
    sla.start_clocks(
        item,
        engagement=engagement,
        work_type=work_type,
        payload=payload,
        at_risk_percent=queue.at_risk_percent,
    )
    return item, required


def _required_skills(work_type, given: dict) -> dict[str, int]:
    required = dict(work_type.default_skills)
    for skill, level in given.items():
        if not (isinstance(skill, str) and SKILL_NAME.match(skill)) or not (
            isinstance(level, int) and 1 <= level <= 5
        ):
            raise InvalidInput(
                "Required skills map a skill name to a level from 1 to 5.",
                fields={"required_skills": f"{skill!r}: {level!r}"},
            )
        required[skill] = max(level, required.get(skill, 0))
    return required


def _insert(prepared: list[tuple[WorkItem, dict[str, int]]], *, actor) -> None:
    if not prepared:
        return
    items = [item for item, _ in prepared]
    creator = actor if getattr(actor, "pk", None) else None
    for item, required in prepared:
        item.created_by = creator
        item.skill_count = len(required)
        item.skill_keys = routing.skill_keys(required)
    try:
        with transaction.atomic():
            WorkItem.objects.bulk_create(items, batch_size=500)
    except IntegrityError as error:
        raise Conflict(
            "An item with this external reference exists.", fields={"external_ref": "already used"}
        ) from error
    SkillRequirement.objects.bulk_create(
        [
            SkillRequirement(client_id=item.client_id, item=item, skill=skill, min_level=level)
            for item, required in prepared
            for skill, level in sorted(required.items())
        ],
        batch_size=500,
    )
    events = []
    for item in items:
        events.append(_event(item, "item.created", actor, {"work_type": item.work_type}))
        if item.status == lifecycle.QUEUED:
            events.append(_event(item, "item.queued", actor, {"queue_id": item.queue_id}))
    WorkEvent.objects.bulk_create(events, batch_size=500)
