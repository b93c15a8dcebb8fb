"""Items coming in: one, many at once (bulk and CSV import, a service line's mail,
chat or documents), a portal submission with its file, and files added to an open item.

Every way in is one batch path (`take_in`; a single create is a batch of one): all rows
are checked, personal fields sealed, lookup hashes and SLA clocks computed in memory,
with the client's keys taken once for the batch; then the items, their skill
requirements, their outbox events and the batch's receipt are written with one
multi-row statement each, in one transaction. Nothing is read back after the insert.
On PostgreSQL the keys this process holds are used without reading the key rows: the
batch's statement checks them and the batch is sealed again when they changed.
"""

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from tercero.delivery.work import event_types, files, lifecycle, registry
from tercero.delivery.work.models import Attachment, Queue, SkillRequirement, WorkEvent, WorkItem
from tercero.delivery.work.services import intake_build, intake_sql, intake_sqlite
from tercero.delivery.work.services._common import _log
from tercero.delivery.work.services.claims import offer
from tercero.platform.api import idempotency
from tercero.platform.errors import Conflict, InvalidInput
from tercero.platform.security import crypto

ACCEPTING_WORK = intake_build.ACCEPTING_WORK
RECEIPT_PREFIX = "intake:"

type Upload = UploadedFile[Any]
Prepared = tuple[int, WorkItem, dict[str, int]]  # row index, item, required skills


@dataclass(frozen=True)
class Intake:
    """What a batch did: the items created (in row order), each refused row's errors by
    its index, and whether this was a repeat of a batch already taken in under the same
    idempotency key (then `created` are the items the first call made)."""

    created: list[WorkItem]
    errors: dict[int, dict[str, str]] = field(default_factory=dict)
    replayed: bool = False


def take_in(
    *,
    actor: Any,
    queue: Queue,
    rows: Sequence[Mapping[str, Any]],
    all_or_nothing: bool = True,
    dry_run: bool = False,
    idempotency_key: str | None = None,
) -> Intake:
    """Take `rows` (each the fields of one item, as `create_item` takes them) into
    `queue` as one batch: with `all_or_nothing` any refused row creates nothing; without
    it the good rows are created and the bad ones reported. `dry_run` checks and creates
    nothing. An `idempotency_key` (the actor must be a person) makes the batch happen
    once: a repeat with the same rows returns the first call's items, with other rows it
    is a Conflict; the receipt is written in the batch's transaction, so a batch cut
    short by a crash left nothing and runs again in full. Items pushed to agents at once
    when the queue routes by push."""
    if idempotency_key is not None:
        replay = _replay(actor=actor, key=idempotency_key, rows=rows)
        if replay is not None:
            return replay
    return _with_current_keys(
        lambda: _take_in_once(
            actor=actor,
            queue=queue,
            rows=rows,
            all_or_nothing=all_or_nothing,
            dry_run=dry_run,
            idempotency_key=idempotency_key,
        )
    )


def _take_in_once(
    *,
    actor: Any,
    queue: Queue,
    rows: Sequence[Mapping[str, Any]],
    all_or_nothing: bool,
    dry_run: bool,
    idempotency_key: str | None,
) -> Intake:
    prepared, failures, keys = _prepare_all(queue=queue, rows=rows)
    errors = {index: {"message": error.message, **error.fields} for index, error in failures}
    good = _refuse_duplicate_refs(queue=queue, prepared=prepared, errors=errors)
    if (errors and all_or_nothing) or dry_run:
        return Intake(created=[], errors=errors)  # nothing stored
    items = [item for _, item, _ in good]
    receipt = None
    if idempotency_key is not None:
        receipt = (idempotency_key, _digest(rows))
    try:
        _write(good, actor=actor, keys=keys, receipt=receipt)
    except _AlreadyTaken:  # a concurrent call with the same key committed first
        replay = _replay(actor=actor, key=idempotency_key or "", rows=rows)
        if replay is None:
            raise Conflict("The batch could not be taken in; retry.") from None
        return replay
    _push(queue, items)
    return Intake(created=items, errors=errors)


def create_item(*, actor: Any, queue: Queue, **fields: Any) -> WorkItem:
    """Create one item (a batch of one); pushes it to an agent at once when the queue
    routes by push. Refuses with the row's own error."""

    def once() -> WorkItem:
        prepared, failures, keys = _prepare_all(queue=queue, rows=[fields])
        if failures:
            raise failures[0][1]
        _write(prepared, actor=actor, keys=keys)
        return prepared[0][1]

    item = _with_current_keys(once)
    _push(queue, [item], refresh=True)
    return item


def _with_current_keys[T](attempt: Callable[[], T]) -> T:
    """`attempt()`, redone with the client's keys read afresh when its write found they
    had changed since it sealed (a rotation or shredding elsewhere; nothing was written)."""
    for _ in range(KEY_ATTEMPTS - 1):
        try:
            return attempt()
        except intake_sql.KeysChanged as changed:
            crypto.forget_keys(changed.client_id)
    try:
        return attempt()
    except intake_sql.KeysChanged:
        raise Conflict("The client's keys were changing; retry.", code="keys_changed") from None


KEY_ATTEMPTS = 3


def create_items(
    *,
    actor: Any,
    queue: Queue,
    rows: Sequence[Mapping[str, Any]],
    all_or_nothing: bool = True,
    dry_run: bool = False,
) -> tuple[list[WorkItem], dict[int, dict[str, str]]]:
    """Create many items in one transaction. Returns (created, errors) where errors maps
    a row index to its field errors. With `all_or_nothing`, any error creates nothing."""
    done = take_in(
        actor=actor, queue=queue, rows=rows, all_or_nothing=all_or_nothing, dry_run=dry_run
    )
    return done.created, done.errors


def submit_item(
    *, actor: Any, queue: Queue, upload: Upload | None = None, **fields: Any
) -> WorkItem:
    """Create an item with the file that comes with it (a portal submission): both are
    stored or neither is."""
    work_type = registry.get(fields.get("work_type") or "")
    if upload is None and work_type.attachment == "required":
        raise InvalidInput("This kind of work needs a file.", fields={"file": "required"})
    if upload is not None and work_type.attachment == "none":
        raise InvalidInput("This kind of work takes no file.", fields={"file": "not accepted"})
    content_type = files.sniff(upload) if upload is not None else None

    def once() -> WorkItem:
        prepared, failures, keys = _prepare_all(queue=queue, rows=[fields])
        if failures:
            raise failures[0][1]
        item = prepared[0][1]
        stored: list[Attachment] = []

        def store() -> None:
            if upload is not None and content_type is not None:
                stored.append(_store_attachment(item, upload, content_type, actor))

        try:
            _write(prepared, actor=actor, keys=keys, also=store)
        except Exception:
            for attachment in stored:
                attachment.file.delete(save=False)
            raise
        return item

    item = _with_current_keys(once)
    _push(queue, [item], refresh=True)
    return item


def attach(*, actor: Any, item: WorkItem, upload: Upload) -> Attachment:
    """Add a file to an open item."""
    content_type = files.sniff(upload)
    if item.status not in lifecycle.OPEN:
        raise InvalidInput("Files can only be added to open items.", fields={"file": "closed"})
    with transaction.atomic():
        return _store_attachment(item, upload, content_type, actor)


def _store_attachment(item: WorkItem, upload: Upload, content_type: str, actor: Any) -> Attachment:
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks():
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    attachment = Attachment(
        client_id=item.client_id,
        item=item,
        name=files.safe_name(upload.name or ""),
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
        uploaded_by=actor if getattr(actor, "pk", None) else None,
        created_at=timezone.now(),
    )
    attachment.file.save("upload", upload, save=False)
    attachment.save()
    _log(item, "item.attached", actor, {"name": attachment.name, "size": attachment.size})
    return attachment


def _prepare_all(
    *, queue: Queue, rows: Sequence[Mapping[str, Any]]
) -> tuple[list[Prepared], list[tuple[int, InvalidInput]], crypto.ClientKeys | None]:
    """Every row checked and made into an unsaved item (payload sealed, lookup hashes
    and SLA clocks set), with the client's keys taken at most once for all of them, and
    those keys (None when no row held a personal value). On PostgreSQL the keys this
    process holds are used unread: the batch's statement checks them (`intake_sql`). The
    batch arrives at one moment: every item's `created_at`."""
    batch = intake_build.Batch(
        queue, now=timezone.now(), keys_checked_on_write=connection.vendor == "postgresql"
    )
    prepared: list[Prepared] = []
    failures: list[tuple[int, InvalidInput]] = []
    for index, fields in enumerate(rows):
        try:
            item, required = batch.item(fields)
        except InvalidInput as error:
            failures.append((index, error))
        else:
            prepared.append((index, item, required))
    return prepared, failures, batch.keys_used


def _refuse_duplicate_refs(
    *, queue: Queue, prepared: list[Prepared], errors: dict[int, dict[str, str]]
) -> list[Prepared]:
    """The rows left once an external reference used twice in the batch, or already
    used by one of the client's items (one query, only when the batch has references),
    is refused on its row."""
    first_row: dict[str, int] = {}
    for index, item, _ in prepared:
        if not item.external_ref:
            continue
        if item.external_ref in first_row:
            errors[index] = {
                "message": "Duplicate external reference in this batch.",
                "external_ref": f"also on row {first_row[item.external_ref] + 1}",
            }
        else:
            first_row[item.external_ref] = index
    taken: set[str] = set()
    if first_row:
        taken = set(
            WorkItem.objects.filter(
                client_id=queue.client_id, external_ref__in=list(first_row)
            ).values_list("external_ref", flat=True)
        )
    for ref in taken:
        errors[first_row[ref]] = {
            "message": "An item with this external reference exists.",
            "external_ref": "already used",
        }
    return [row for row in prepared if row[0] not in errors]


class _AlreadyTaken(Exception):
    """The batch's idempotency key was recorded by a call that committed first."""


def _write(
    prepared: list[Prepared],
    *,
    actor: Any,
    keys: crypto.ClientKeys | None,
    receipt: tuple[str, str] | None = None,
    also: Callable[[], None] | None = None,
) -> None:
    """Items, their skill requirements, their outbox events and the receipt: one
    multi-row statement each, in one transaction (a savepoint inside the caller's). On
    PostgreSQL, with nothing to write beside the batch's one statement and no caller's
    transaction, that statement is its own transaction: no BEGIN and COMMIT round trips."""
    if not prepared:
        return
    alone = (
        receipt is None
        and also is None
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
    )
    try:
        if alone:
            _insert(prepared, actor=actor, keys=keys)
            return
        with transaction.atomic():
            _insert(prepared, actor=actor, keys=keys)
            if also is not None:
                also()
            if receipt is not None:
                ids = [item.pk for _, item, _ in prepared]
                idempotency.record_receipt(
                    user=actor,
                    key=RECEIPT_PREFIX + receipt[0],
                    digest=receipt[1],
                    body=json.dumps(ids).encode(),
                )
    except IntegrityError as error:
        if receipt is not None and idempotency.is_repeat(error):
            raise _AlreadyTaken from error
        if "external_ref" not in str(error):
            raise
        raise Conflict(
            "An item with this external reference exists.", fields={"external_ref": "already used"}
        ) from error


def _insert(prepared: list[Prepared], *, actor: Any, keys: crypto.ClientKeys | None) -> None:
    """On PostgreSQL one statement for the whole batch (`intake_sql`, which checks the
    batch's `keys` against the key rows), on SQLite one multi-row insert per table
    (`intake_sqlite`)."""
    creator = actor if getattr(actor, "pk", None) else None
    creator_id = creator.pk if creator is not None else None
    items: list[WorkItem] = []
    requirements: list[tuple[int, SkillRequirement]] = []
    events: list[intake_sql.Event] = []
    checked: dict[tuple[str, str, Any], dict[str, Any]] = {}

    def event(at: int, kind: str, name: str, value: Any) -> None:
        # an event's data depends on one value; checked against its schema once a batch
        data = checked.get((kind, name, value))
        if data is None:
            data = checked[kind, name, value] = event_types.checked(kind, {name: value})
        events.append(intake_sql.Event(at, kind, data))

    for at, (_, item, required) in enumerate(prepared):
        item.__dict__["created_by_id"] = creator_id
        item._state.fields_cache["created_by"] = creator
        items.append(item)
        mine = []
        for skill, level in sorted(required.items()):
            requirement = intake_build.new(
                SkillRequirement,
                {"client_id": item.client_id, "item_id": None, "skill": skill, "min_level": level},
            )
            requirement._state.fields_cache["item"] = item
            mine.append(requirement)
            requirements.append((at, requirement))
        # what the item's required skills are: the API answers from it without a query
        item._prefetched_objects_cache = {"required_skills": mine}  # type: ignore[attr-defined]  # Django's prefetch cache, unknown to the stubs
        event(at, "item.created", "work_type", item.work_type)
        if item.status == lifecycle.QUEUED:
            event(at, "item.queued", "queue_id", item.queue_id)
    now = timezone.now()
    if connection.vendor == "postgresql":
        intake_sql.insert(items, requirements, events, actor_id=creator_id, at=now, keys=keys)
    elif connection.vendor == "sqlite" and intake_sqlite.usable():
        intake_sqlite.insert(items, requirements, events, actor_id=creator_id, at=now)
    else:
        _insert_by_orm(items, requirements, events, creator=creator, at=now)


def _insert_by_orm(
    items: list[WorkItem],
    requirements: list[tuple[int, SkillRequirement]],
    events: list[intake_sql.Event],
    *,
    creator: Any,
    at: Any,
) -> None:
    """Any other database: one `bulk_create` per table."""
    WorkItem.objects.bulk_create(items)
    for at_item, requirement in requirements:
        requirement.__dict__["item_id"] = items[at_item].pk
    SkillRequirement.objects.bulk_create([requirement for _, requirement in requirements])
    WorkEvent.objects.bulk_create(
        [
            WorkEvent(
                client_id=items[e.at].client_id,
                item=items[e.at],
                engagement_id=items[e.at].engagement_id,
                kind=e.kind,
                actor=creator,
                data=e.data,
                at=at,
            )
            for e in events
        ]
    )


def _push(queue: Queue, items: list[WorkItem], *, refresh: bool = False) -> None:
    """Offer newly queued items to agents when the queue routes by push (`refresh`: read
    each back, as its assignment may have changed it)."""
    if queue.routing != Queue.Routing.PUSH:
        return
    for item in items:
        if item.status == lifecycle.QUEUED:
            offer(item=item)
            if refresh:
                item.refresh_from_db()


def _digest(rows: Sequence[Mapping[str, Any]]) -> str:
    text = json.dumps(list(rows), sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _replay(*, actor: Any, key: str, rows: Sequence[Mapping[str, Any]]) -> Intake | None:
    """The first call's items when `key` was taken in already, or None."""
    if not getattr(actor, "pk", None):
        raise ValueError("An idempotency key needs a person as the actor.")
    found = idempotency.receipt(user=actor, key=RECEIPT_PREFIX + key)
    if found is None:
        return None
    digest, body = found
    if digest != _digest(rows):
        raise Conflict(
            "This idempotency key was used for a different batch.",
            code="idempotency_key_reused",
        )
    ids = json.loads(body)
    by_id = WorkItem.objects.filter(pk__in=ids).select_related("engagement", "queue").in_bulk()
    return Intake(created=[by_id[pk] for pk in ids if pk in by_id], replayed=True)
