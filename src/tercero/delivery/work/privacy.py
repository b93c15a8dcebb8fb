"""The privacy life cycle of work: retention purge, data-subject export and erasure,
client off-boarding.

Purging an item removes what identifies a person (its sealed personal fields, the
text of its notes, its files, its lookup hashes) and keeps the skeleton (type, queue,
timings, SLA outcome) that reports and invoices are built from. The audit trail keeps
a pseudonym of the data subject (a prefix of their keyed hash), never the value.
"""

import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from tercero.delivery.work import event_types, lifecycle, personal, registry
from tercero.delivery.work.models import Attachment, Comment, WorkEvent, WorkItem
from tercero.platform.audit.services import record
from tercero.platform.errors import InvalidInput
from tercero.platform.security import crypto
from tercero.platform.security import services as security
from tercero.platform.security.models import PrivacyPolicy
from tercero.platform.tenancy.models import Client

if TYPE_CHECKING:
    from tercero.platform.identity.models import User

REMOVED = "[removed]"
FINISHED = (lifecycle.RESOLVED, lifecycle.CLOSED, lifecycle.CANCELLED)


@dataclass(frozen=True)
class SubjectRecords:
    """Records a service line keeps about people outside work items (crm's contacts):
    `erase(client_id, lookup_hash)` removes one person's from them, in the caller's
    transaction, and says how many records it changed."""

    name: str
    erase: Callable[[int, str], int]


_SUBJECT_RECORDS: dict[str, SubjectRecords] = {}


def register_subject_records(records: SubjectRecords) -> None:
    """Let `erase_subject` (and `tercero privacy erase`) reach a line's own records."""
    _SUBJECT_RECORDS[records.name] = records


def _pseudonym(client_id: int, value: str) -> str:
    return "subject-" + crypto.lookup_hash(client_id, value)[:16]


def subject_items(*, client_id: int, value: str) -> QuerySet[WorkItem]:
    """The client's items whose personal fields hold `value` (exact match, normalised)."""
    value = (value or "").strip()
    if len(value) < 3:
        raise InvalidInput(
            "Give the person's name, e-mail or id as recorded.", fields={"value": "too short"}
        )
    digest = crypto.lookup_hash(client_id, value)
    return WorkItem.objects.filter(client_id=client_id, subject_keys__icontains=digest)


def _item_record(item: WorkItem) -> dict[str, Any]:
    work_type = registry.find(item.work_type)
    names = work_type.personal_fields if work_type else ()
    payload = {**item.payload, **personal.opened(item.payload, names)}
    return {
        "id": item.pk,
        "reference": item.external_ref,
        "work_type": item.work_type,
        "title": item.title,
        "status": item.status,
        "created_at": item.created_at.isoformat(),
        "payload": payload,
        "comments": [
            {"at": c.created_at.isoformat(), "body": c.body, "internal": c.internal}
            for c in Comment.objects.filter(item=item).order_by("id")
        ],
        "files": [a.name for a in Attachment.objects.filter(item=item).order_by("id")],
    }


def export_subject(*, actor: "User | None", client_id: int, value: str) -> dict[str, Any]:
    """Everything the client's work holds about one person, as JSON (data-subject access)."""
    items = list(subject_items(client_id=client_id, value=value).order_by("id"))
    document = {
        "client_id": client_id,
        "exported_at": timezone.now().isoformat(),
        "items": [_item_record(item) for item in items],
    }
    with transaction.atomic():
        record(
            action="privacy.subject_exported",
            actor=actor,
            client=client_id,
            object_type="data_subject",
            object_id=_pseudonym(client_id, value),
            payload={"items": len(items)},
        )
    return document


def purge(*, item: WorkItem, actor: "User | None", why: str) -> bool:
    """Remove the item's personal content; False when nothing was left to remove."""
    work_type = registry.find(item.work_type)
    names = set(work_type.personal_fields) if work_type else set()
    payload = {
        key: (None if key in names or crypto.is_sealed(value) else value)
        for key, value in item.payload.items()
    }
    comments = Comment.objects.filter(item=item).exclude(body=REMOVED)
    files = list(Attachment.objects.filter(item=item))
    if payload == item.payload and not item.subject_keys and not comments.exists() and not files:
        return False
    with transaction.atomic():
        WorkItem.objects.filter(pk=item.pk).update(payload=payload, subject_keys=[])
        comments.update(body=REMOVED)
        for attachment in files:
            attachment.file.delete(save=False)
            attachment.delete()
        WorkEvent.objects.create(
            client_id=item.client_id,
            item=item,
            engagement_id=item.engagement_id,
            kind="item.purged",
            actor=actor if getattr(actor, "pk", None) else None,
            data=event_types.checked("item.purged", {"why": why}),
            at=timezone.now(),
        )
    return True


def erase_subject(*, actor: "User | None", client_id: int, value: str) -> int:
    """Erase one person's data from every item that holds it (right to erasure)."""
    items = list(subject_items(client_id=client_id, value=value))
    erased = sum(purge(item=item, actor=actor, why="erasure request") for item in items)
    digest = crypto.lookup_hash(client_id, value.strip())
    with transaction.atomic():
        records = {name: held.erase(client_id, digest) for name, held in _SUBJECT_RECORDS.items()}
        record(
            action="privacy.subject_erased",
            actor=actor,
            client=client_id,
            object_type="data_subject",
            object_id=_pseudonym(client_id, value),
            payload={"items": erased, **({"records": records} if any(records.values()) else {})},
        )
    return erased + sum(records.values())


def purge_expired(*, client_id: int, now: datetime) -> int:
    """Purge finished items older than the client's retention period."""
    policy = PrivacyPolicy.objects.filter(client_id=client_id).first()
    if policy is None or not policy.retention_days:
        return 0
    cutoff = now - timedelta(days=policy.retention_days)
    finished = Q(resolved_at__lt=cutoff) | Q(cancelled_at__lt=cutoff) | Q(closed_at__lt=cutoff)
    candidates = (
        WorkItem.objects.filter(client_id=client_id, status__in=FINISHED)
        .filter(finished)
        .filter(
            Q(payload__icontains="enc1:")
            | ~Q(subject_keys=[])
            | Exists(Comment.objects.filter(item=OuterRef("pk")).exclude(body=REMOVED))
            | Exists(Attachment.objects.filter(item=OuterRef("pk")))
        )
    )
    purged = sum(
        purge(item=item, actor=None, why=f"retention {policy.retention_days} days")
        for item in candidates.iterator(chunk_size=500)
    )
    if purged:
        with transaction.atomic():
            record(
                action="privacy.retention_purged",
                client=client_id,
                object_type="client",
                object_id=client_id,
                payload={"items": purged, "days": policy.retention_days},
            )
    return purged


def set_retention(*, actor: "User | None", client_id: int, days: int | None) -> PrivacyPolicy:
    if days is not None and not 30 <= days <= 36_500:
        raise InvalidInput("Keep data between 30 days and 100 years.", fields={"days": "30-36500"})
    with transaction.atomic():
        policy, _ = PrivacyPolicy.objects.update_or_create(
            client_id=client_id, defaults={"retention_days": days, "updated_at": timezone.now()}
        )
        record(
            action="privacy.retention_set",
            actor=actor,
            client=client_id,
            object_type="client",
            object_id=client_id,
            payload={"days": days},
        )
    return policy


def offboard(*, actor: "User | None", client: Client, archive: Path) -> int:
    """Export every item of the client into a zip archive (JSON, personal fields in
    clear, for handing back to the client), then crypto-shred its keys: what stays in
    the database and in backups can never be read again. Returns items archived."""
    if client.status == Client.Status.OFFBOARDED:
        raise InvalidInput("The client is off-boarded already.", code="offboarded")
    items = WorkItem.objects.filter(client_id=client.pk).order_by("id")
    archive.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with zipfile.ZipFile(archive, "x", compression=zipfile.ZIP_DEFLATED) as bundle:
        with bundle.open("items.jsonl", "w") as out:
            for item in items.iterator(chunk_size=500):
                out.write((json.dumps(_item_record(item), default=str) + "\n").encode())
                count += 1
        bundle.writestr(
            "manifest.json",
            json.dumps(
                {
                    "client": client.legal_name,
                    "items": count,
                    "exported_at": timezone.now().isoformat(),
                }
            ),
        )
    security.shred_client_keys(
        actor=actor, client_id=client.pk, reason=f"off-boarding; archive of {count} items"
    )
    with transaction.atomic():
        Client.objects.filter(pk=client.pk).update(status=Client.Status.OFFBOARDED)
        record(
            action="client.offboarded",
            actor=actor,
            client=client.pk,
            object_type="client",
            object_id=client.pk,
            payload={"items": count, "archive": archive.name},
        )
    return count
