"""Walk the chain and name the first event that is not what was written.

Each event's hash is checked with the chain key it names, and the chain against every
signed checkpoint in the checkpoint file: the pinned event must exist, belong to the
pinned client and carry the pinned hash. Someone who holds the database but not the
keys can then neither rewrite an event (and re-hash what follows), nor forge one, nor
cut off the newest events below a checkpoint, unnoticed.

Events written before the chain was keyed (no key id, a plain SHA-256) are accepted
only ahead of the first keyed event, and never past a checkpoint that pinned one of
them when no checkpoint pins a keyed event: the first keyed event's HMAC covers the
last unkeyed hash, so that prefix cannot change either.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tercero.platform.audit import chain, checkpoints, keys
from tercero.platform.audit.checkpoints import Checkpoint
from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.scoping import all_clients_scope


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_sequence: int | None
    problem: str
    checkpoints: int = 0

    @property
    def is_intact(self) -> bool:
        return self.first_broken_sequence is None


class CheckpointFileError(Exception):
    """A checkpoint file that cannot be trusted: a line is altered or not ours."""


def load_checkpoints(path: Path) -> list[Checkpoint]:
    """Every checkpoint in the file at `path` (none if there is no file yet); raises
    CheckpointFileError naming the first line whose signature does not verify."""
    if not path.exists():
        return []
    found = []
    for line in checkpoints.read(path):
        if line.problem:
            raise CheckpointFileError(f"checkpoint line {line.number}: {line.problem}")
        if line.checkpoint is not None:
            found.append(line.checkpoint)
    return found


@dataclass
class _Walk:
    pins: dict[int, list[Checkpoint]]
    legacy_limit: int | None
    expected_sequence: int = 1
    prev_hash: str = chain.GENESIS_HASH
    keyed_seen: bool = False


def verify_chain(*, pins: Iterable[Checkpoint] = (), batch_size: int = 2000) -> ChainReport:
    """Check continuity, links, digests and keyed hashes in order, then the checkpoints."""
    pins = list(pins)
    walk = _Walk(pins=_by_sequence(pins), legacy_limit=_legacy_limit(pins))
    checked = 0
    with all_clients_scope():  # the one chain runs across every client
        events = AuditEvent.objects.order_by("sequence").iterator(chunk_size=batch_size)
        for event in events:
            problem = _problem_with(event, walk)
            if problem:
                broken = min(event.sequence, walk.expected_sequence)
                return ChainReport(checked, broken, problem, len(pins))
            walk.expected_sequence, walk.prev_hash = event.sequence + 1, event.hash
            walk.keyed_seen = walk.keyed_seen or bool(event.key_id)
            checked += 1
    highest = max((pin.sequence for pin in pins), default=0)
    if highest >= walk.expected_sequence:
        problem = (
            f"the chain ends at sequence {walk.expected_sequence - 1} but a checkpoint signed "
            f"{_pinned_at(walk.pins[highest])} pins sequence {highest} (newest events deleted)"
        )
        return ChainReport(checked, walk.expected_sequence, problem, len(pins))
    return ChainReport(checked, None, "", len(pins))


def _by_sequence(pins: list[Checkpoint]) -> dict[int, list[Checkpoint]]:
    found: dict[int, list[Checkpoint]] = {}
    for pin in pins:
        found.setdefault(pin.sequence, []).append(pin)
    return found


def _legacy_limit(pins: list[Checkpoint]) -> int | None:
    """The last sequence an unkeyed event may have, when checkpoints pin only unkeyed ones."""
    if not pins or any(pin.key_id for pin in pins):
        return None
    return max(pin.sequence for pin in pins)


def _pinned_at(pins: list[Checkpoint]) -> str:
    return min(pin.signed_at for pin in pins)


def _problem_with(event: AuditEvent, walk: _Walk) -> str:
    if event.sequence != walk.expected_sequence:
        return f"expected sequence {walk.expected_sequence}, found {event.sequence} (missing rows)"
    if event.prev_hash != walk.prev_hash:
        return "link to the previous event does not match (row deleted, reordered or edited)"
    if event.payload_digest != chain.payload_digest(event.payload):
        return "payload does not match its digest (payload edited)"
    return _hash_problem(event, walk) or _pin_problem(event, walk.pins.get(event.sequence, ()))


def _hash_problem(event: AuditEvent, walk: _Walk) -> str:
    key = keys.chain_keys().get(event.key_id) if event.key_id else None
    if event.key_id and key is None:
        return f"written under chain key {event.key_id!r}, which is not configured"
    if not event.key_id and walk.keyed_seen:
        return "no chain key, after keyed events (forged without the key)"
    if not event.key_id and walk.legacy_limit is not None and event.sequence > walk.legacy_limit:
        return "no chain key, past a checkpoint of the keyless chain (forged without the key)"
    if _recompute(event, key) != event.hash:
        return "hash does not match the event's fields and chain key (row edited or forged)"
    return ""


def _pin_problem(event: AuditEvent, pins: Iterable[Checkpoint]) -> str:
    for pin in pins:
        if pin.hash != event.hash or pin.key_id != event.key_id:
            return f"differs from the checkpoint signed {pin.signed_at} (rewritten)"
        if pin.scope == "client" and pin.client_id != event.client_id:
            return f"is not client {pin.client_id}'s as signed {pin.signed_at} (rewritten)"
    return ""


def _recompute(event: AuditEvent, key: bytes | None) -> str:
    return chain.event_hash(
        key=key,
        key_id=event.key_id,
        sequence=event.sequence,
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        client_id=event.client_id,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        ip=event.ip,
        reason=event.reason,
        payload_digest=event.payload_digest,
        prev_hash=event.prev_hash,
    )
