"""How an audit event is hashed. Pure functions, shared by writing and verifying.

An event's hash is an HMAC-SHA256 (RFC 2104) under the chain key named by its `key_id`,
over its fields and the hash of the event before it. Events written before the chain was
keyed carry no key id and a plain SHA-256; `verify` accepts them only ahead of the first
keyed event (see there).

Events are appended in blocks (`services.record_block`: one lock, one read of the head,
one multi-row insert per block; a single event is a block of one). Inside a block each
event is still hashed over the one before it, a running keyed hash over the block, so
`verify` names the exact event that was edited, removed or reordered, and the rows'
format is the one written before blocks: older chains verify as they are, unmigrated.
"""

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def payload_digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def event_hash(
    *,
    key: bytes | None,
    key_id: str,
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
    """HMAC under `key`; with `key` None, the unkeyed hash of events written before keying."""
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
    if key is None:
        return hashlib.sha256(canonical_json(fields)).hexdigest()
    fields["key_id"] = key_id
    return hmac.new(key, canonical_json(fields), hashlib.sha256).hexdigest()
