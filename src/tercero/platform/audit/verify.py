"""Walk the chain and name the first event that is not what was written."""

from dataclasses import dataclass

from tercero.platform.audit import chain
from tercero.platform.audit.models import AuditEvent


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_sequence: int | None
    problem: str

    @property
    def is_intact(self) -> bool:
        return self.first_broken_sequence is None


def verify_chain(*, batch_size: int = 2000) -> ChainReport:
    """Check sequence continuity, links, payload digests and hashes, in order."""
    expected_sequence, prev_hash, checked = 1, chain.GENESIS_HASH, 0
    for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=batch_size):
        problem = _problem_with(event, expected_sequence, prev_hash)
        if problem:
            broken = min(event.sequence, expected_sequence)
            return ChainReport(checked, broken, problem)
        expected_sequence, prev_hash, checked = event.sequence + 1, event.hash, checked + 1
    return ChainReport(checked, None, "")


def _problem_with(event: AuditEvent, expected_sequence: int, prev_hash: str) -> str:
    if event.sequence != expected_sequence:
        return f"expected sequence {expected_sequence}, found {event.sequence} (missing rows)"
    if event.prev_hash != prev_hash:
        return "link to the previous event does not match (row deleted, reordered or edited)"
    if event.payload_digest != chain.payload_digest(event.payload):
        return "payload does not match its digest (payload edited)"
    recomputed = chain.event_hash(
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
    if recomputed != event.hash:
        return "hash does not match the event's fields (row edited)"
    return ""
