"""`record` and `record_block` are the only ways to write the audit trail;
`write_checkpoints` signs its head."""

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from django.db import connection, transaction
from django.utils import timezone

from tercero.platform.audit import chain, checkpoints, keys
from tercero.platform.audit.context import current_ip
from tercero.platform.audit.models import AuditCheckpoint, AuditEvent
from tercero.platform.tenancy.models import Client
from tercero.platform.tenancy.scoping import all_clients_scope

if TYPE_CHECKING:
    from tercero.platform.identity.models import User

# Serialises writers on PostgreSQL for the rest of their transaction, so two events
# can never take the same predecessor. SQLite's IMMEDIATE transactions already do.
_CHAIN_LOCK_KEY = 0x7E2C_E210
_ACTION = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")


@dataclass(frozen=True)
class Entry:
    """One event to append, as `record` takes it."""

    action: str
    actor: "User | int | None" = None  # a person, their id, or None for the system
    client: Client | int | None = None
    object_type: str = ""
    object_id: object = ""
    reason: str = ""
    payload: dict[str, Any] = field(default_factory=dict)


def record(
    *,
    action: str,
    actor: "User | int | None" = None,
    client: Client | int | None = None,
    object_type: str = "",
    object_id: object = "",
    reason: str = "",
    payload: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction."""
    entry = Entry(action, actor, client, object_type, object_id, reason, payload or {})
    return record_block([entry])[0]


def record_block(entries: Sequence[Entry]) -> list[AuditEvent]:
    """Append `entries` to the chain in order, as one block inside the caller's
    transaction: one lock, one read of the head, one multi-row insert. Each event is
    still keyed and linked to the one before it (a running keyed hash over the block),
    so `verify` names any single edited, removed or reordered event."""
    for entry in entries:
        if not _ACTION.match(entry.action):
            raise ValueError(f"audit action {entry.action!r} must be a dotted past tense")
    if not entries:
        return []
    key_id, key = keys.active_chain_key()
    ip = current_ip()
    # one chain across clients: its head and provider-wide events are in no client's scope.
    # No savepoint of its own (two round trips on PostgreSQL for every audited change):
    # an event that cannot be written fails the caller's whole transaction with it
    with all_clients_scope(), transaction.atomic(savepoint=False):
        _lock_chain()
        last = AuditEvent.objects.order_by("-sequence").values("sequence", "hash").first()
        sequence = last["sequence"] if last else 0
        prev_hash = last["hash"] if last else chain.GENESIS_HASH
        now = timezone.now()
        events = []
        for entry in entries:
            sequence += 1
            fields = _fields(entry, key_id=key_id, sequence=sequence, at=now, ip=ip)
            fields["prev_hash"] = prev_hash
            prev_hash = chain.event_hash(key=key, **fields)
            events.append(AuditEvent(**fields, payload=entry.payload, hash=prev_hash))
        _insert(events)
    return events


# Rows per INSERT statement: within SQLite's limit of bound values (32,766) at 15 a row.
_ROWS_PER_INSERT = 1000


# PostgreSQL: the block's columns as arrays, one parameter each, with their types
_ARRAYS = (
    ("key_id", "text"),
    ("sequence", "bigint"),
    ("occurred_at", "timestamptz"),
    ("actor_id", "bigint"),
    ("actor_label", "text"),
    ("client_id", "bigint"),
    ("action", "text"),
    ("object_type", "text"),
    ("object_id", "text"),
    ("ip", "inet"),
    ("reason", "text"),
    ("payload", "jsonb"),
    ("payload_digest", "text"),
    ("prev_hash", "text"),
    ("hash", "text"),
)


def _insert(events: list[AuditEvent]) -> None:
    """Write the block and give each event its id, as `bulk_create` would (RETURNING)."""
    if connection.vendor == "postgresql":
        _insert_arrays(events)
    else:
        _insert_rows(events)


def _insert_arrays(events: list[AuditEvent]) -> None:
    """One INSERT of the whole block from one array parameter per column (`unnest`):
    psycopg neither builds nor parses a statement with fifteen placeholders an event.
    The payload goes as the JSON text `JSONField` would send."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    columns = ", ".join(name for name, _ in _ARRAYS)
    arrays = ", ".join(f"%s::{kind}[]" for _, kind in _ARRAYS)
    values = [
        [json.dumps(event.payload) for event in events]
        if name == "payload"
        else [getattr(event, name) for event in events]
        for name, _ in _ARRAYS
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays})"
            " RETURNING id, sequence",
            values,
        )
        ids = {sequence: event_id for event_id, sequence in cursor.fetchall()}
    for event in events:
        event.pk = ids[event.sequence]
        event._state.adding, event._state.db = False, connection.alias


def _insert_rows(events: list[AuditEvent]) -> None:
    """Multi-row INSERTs written here rather than by `bulk_create`: for a block of
    hundreds of events, the ORM's compiling of the statement costs several times the
    database's work. Values are prepared by the model's own fields; ids come back by
    RETURNING, as `bulk_create` gives them."""
    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.attname if f.column is None else f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    table = quote(AuditEvent._meta.db_table)
    for start in range(0, len(events), _ROWS_PER_INSERT):
        batch = events[start : start + _ROWS_PER_INSERT]
        values = [
            f.get_db_prep_save(getattr(event, f.attname), connection)
            for event in batch
            for f in fields
        ]
        sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(batch))}"
        with connection.cursor() as cursor:
            cursor.execute(f"{sql} RETURNING {quote('id')}", values)
            ids = [found[0] for found in cursor.fetchall()]
        for event, event_id in zip(batch, ids, strict=True):
            event.pk = event_id
            event._state.adding, event._state.db = False, connection.alias


def _fields(
    entry: Entry, *, key_id: str, sequence: int, at: datetime, ip: str | None
) -> dict[str, Any]:
    """The hashed fields of `entry` as the `sequence`th event, all but its link."""
    return {
        "key_id": key_id,
        "sequence": sequence,
        "occurred_at": at,
        "actor_id": getattr(entry.actor, "pk", entry.actor),
        "actor_label": getattr(entry.actor, "email", "") if entry.actor else "system",
        "client_id": getattr(entry.client, "pk", entry.client),
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": str(entry.object_id),
        "ip": ip,
        "reason": entry.reason,
        "payload_digest": chain.payload_digest(entry.payload),
    }


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


# --- checkpoints ----------------------------------------------------------------------

_CHECKPOINT_HOOKS: list[Callable[[AuditCheckpoint, checkpoints.Checkpoint], None]] = []


def on_client_checkpoint(hook: Callable[[AuditCheckpoint, checkpoints.Checkpoint], None]) -> None:
    """Call `hook(row, checkpoint)` in the transaction that keeps a client's checkpoint
    (the work engine sends it to the client as an outbox event)."""
    if hook not in _CHECKPOINT_HOOKS:
        _CHECKPOINT_HOOKS.append(hook)


def write_checkpoints(*, now: datetime, path: Path | None = None) -> list[checkpoints.Checkpoint]:
    """Sign the chain's head, and each client's latest event where it moved since that
    client's last checkpoint; append them to the checkpoint file, then keep each client's
    copy in the database. Returns what was signed (nothing for an empty chain)."""
    with all_clients_scope():
        head = AuditEvent.objects.order_by("-sequence").first()
        if head is None:
            return []
        signed = [_sign(head, scope="chain", count=head.sequence, now=now)]
        for client_id in Client.objects.order_by("pk").values_list("pk", flat=True):
            latest = _client_head(client_id, up_to=head.sequence)
            if latest is not None:
                count = AuditEvent.objects.filter(
                    client_id=client_id, sequence__lte=latest.sequence
                ).count()
                signed.append(_sign(latest, scope="client", count=count, now=now))
        checkpoints.append(signed, path=path)
        with transaction.atomic():
            for checkpoint in signed[1:]:
                _keep(checkpoint, now=now)
    return signed


def _client_head(client_id: int, *, up_to: int) -> AuditEvent | None:
    """The client's latest event, unless its last checkpoint already pins it."""
    latest = (
        AuditEvent.objects.filter(client_id=client_id, sequence__lte=up_to)
        .order_by("-sequence")
        .first()
    )
    pinned = (
        AuditCheckpoint.objects.filter(client_id=client_id)
        .values_list("sequence", flat=True)
        .first()
    )
    return None if latest is None or latest.sequence == pinned else latest


def _sign(
    event: AuditEvent, *, scope: Literal["chain", "client"], count: int, now: datetime
) -> checkpoints.Checkpoint:
    return checkpoints.sign(
        scope=scope,
        client_id=event.client_id if scope == "client" else None,
        sequence=event.sequence,
        hash=event.hash,
        count=count,
        key_id=event.key_id,
        signed_at=now,
    )


def _keep(checkpoint: checkpoints.Checkpoint, *, now: datetime) -> None:
    """Keep a client's checkpoint for its portal (the chain's own has no client)."""
    if checkpoint.client_id is None:
        raise ValueError("Only a client's checkpoint is kept for its portal.")
    row = AuditCheckpoint.objects.create(
        client_id=checkpoint.client_id,
        sequence=checkpoint.sequence,
        hash=checkpoint.hash,
        count=checkpoint.count,
        signed_at=now,
        document=checkpoint.line(),
    )
    for hook in _CHECKPOINT_HOOKS:
        hook(row, checkpoint)
