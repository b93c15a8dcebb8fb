"""How an audit event is hashed. Pure functions, shared by writing and verifying."""

import hashlib
import json
from datetime import datetime

GENESIS_HASH = "0" * 64


def canonical_json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def payload_digest(payload: dict) -> str:
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def event_hash(
    *,
    sequence: int,
    occurred_at: datetime,
    actor_id: int | None,
    actor_label: str,
    client_id: int | None,
    action: str,
    object_type: str,
    object_id: str,
    ip: str | None,
    reason: str,
    payload_digest: str,
    prev_hash: str,
) -> str:
    fields = {
        "sequence": sequence,
        "occurred_at": occurred_at.isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor_label": actor_label,
        "client_id": client_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "ip": ip,
        "reason": reason,
        "payload_digest": payload_digest,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(fields)).hexdigest()
