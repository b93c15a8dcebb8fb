"""Signed checkpoints of the audit chain, kept outside the database.

A checkpoint pins one event of the chain: its sequence and hash, how many events lead
up to it (all of them, or one client's), and the chain key it was written under. It is
signed with Ed25519 (RFC 8032) over its canonical JSON without `signature`, and appended
as one line to `checkpoints.jsonl` in `AUDIT_CHECKPOINT_DIR` (flushed to disk before
returning). Whoever holds a copy of that file can later prove a rewrite or a truncation
of the chain: `tercero audit verify --checkpoints COPY`.
"""

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from django.conf import settings
from pydantic import BaseModel, ConfigDict, ValidationError

from tercero.platform.audit import chain, keys
from tercero.platform.security.keyring import b64, unb64

FILE_NAME = "checkpoints.jsonl"
# The outbox event that hands a client its own checkpoint; its data is a `Checkpoint`.
CHECKPOINT_SIGNED = "audit.checkpoint.signed"


class Checkpoint(BaseModel):
    """One signed checkpoint: a line of the checkpoint file, and the data of the
    `audit.checkpoint.signed` event sent to a client."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    scope: Literal["chain", "client"]
    client_id: int | None
    sequence: int
    hash: str
    count: int
    key_id: str
    signed_at: str
    signing_key_id: str
    signature: str

    def signed_bytes(self) -> bytes:
        return chain.canonical_json(self.model_dump(exclude={"signature"}))

    def line(self) -> str:
        return chain.canonical_json(self.model_dump()).decode()


def sign(
    *,
    scope: Literal["chain", "client"],
    client_id: int | None,
    sequence: int,
    hash: str,
    count: int,
    key_id: str,
    signed_at: datetime,
) -> Checkpoint:
    """A checkpoint signed with the newest signing key."""
    signing_key_id, private_key = next(iter(keys.signing_keys().items()))
    fields: dict[str, Any] = {
        "scope": scope,
        "client_id": client_id,
        "sequence": sequence,
        "hash": hash,
        "count": count,
        "key_id": key_id,
        "signed_at": signed_at.isoformat(timespec="microseconds"),
        "signing_key_id": signing_key_id,
    }
    signature = private_key.sign(chain.canonical_json(fields))
    return Checkpoint(**fields, signature=b64(signature))


def signature_problem(checkpoint: Checkpoint) -> str:
    """Why the signature does not verify with our public keys, or "" when it does."""
    public_key = keys.public_keys().get(checkpoint.signing_key_id)
    if public_key is None:
        return f"signed with key {checkpoint.signing_key_id!r}, which is not configured"
    try:
        public_key.verify(unb64(checkpoint.signature), checkpoint.signed_bytes())
    except (InvalidSignature, ValueError):
        return "its signature does not verify (checkpoint altered, or not signed by us)"
    return ""


def file_path() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR) / FILE_NAME


def append(checkpoints: Iterable[Checkpoint], *, path: Path | None = None) -> None:
    """Append one line per checkpoint and flush it to disk; never rewrite the file."""
    path = path or file_path()
    text = "".join(checkpoint.line() + "\n" for checkpoint in checkpoints)
    if not text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(descriptor, text.encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@dataclass(frozen=True)
class Line:
    """A line of a checkpoint file: the checkpoint, or why it is not one we signed."""

    number: int
    checkpoint: Checkpoint | None
    problem: str


def read(path: Path) -> Iterator[Line]:
    """Every non-empty line of the file at `path`, its signature checked."""
    with path.open(encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if text.strip():
                yield _parse(number, text)


def _parse(number: int, text: str) -> Line:
    try:
        checkpoint = Checkpoint.model_validate(json.loads(text))
    except (ValueError, ValidationError):
        return Line(number, None, "it is not a checkpoint")
    return Line(number, checkpoint, signature_problem(checkpoint))
