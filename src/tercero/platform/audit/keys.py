"""The audit trail's two keys, neither of them in the database.

`AUDIT_CHAIN_KEYS` (HMAC-SHA256, keys every event's hash) and `AUDIT_SIGNING_KEYS`
(Ed25519 seeds, sign checkpoints of the chain) each list `id:base64url(32 bytes)`
entries separated by commas, newest first: the first keys or signs what is written
now, the others still verify what was written before a rotation. Without them (the
embedded mode) each is generated once into `var/` with mode 0600, as the master keys are.
"""

import os
import secrets
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from tercero.platform.security.keyring import KEY_BYTES, b64, unb64


def parse(spec: str, *, name: str) -> dict[str, bytes]:
    """{id: 32 bytes} from `id:base64url(32 bytes),...`, in the order given."""
    keys: dict[str, bytes] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        key_id, _, encoded = part.partition(":")
        try:
            raw = unb64(encoded.strip())
        except ValueError:
            raw = b""
        if not key_id.isalnum() or len(key_id) > 16 or len(raw) != KEY_BYTES:
            raise ImproperlyConfigured(f"{name} entries are id:base64url(32 random bytes).")
        keys[key_id] = raw
    if not keys:
        raise ImproperlyConfigured(f"{name} names no key.")
    return keys


def _embedded_spec(file_name: str, prefix: str) -> str:
    path = Path(settings.VAR_DIR) / file_name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        spec = f"{prefix}{secrets.token_hex(4)}:{b64(secrets.token_bytes(KEY_BYTES))}"
        try:
            # Created with 0600 from the start: the key never sits world-readable.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return path.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(spec + "\n")
    return path.read_text().strip()


@cache
def chain_keys() -> dict[str, bytes]:
    """{id: HMAC key}, newest first."""
    spec = os.environ.get("AUDIT_CHAIN_KEYS") or _embedded_spec("audit_chain_keys", "c")
    return parse(spec, name="AUDIT_CHAIN_KEYS")


@cache
def active_chain_key() -> tuple[str, bytes]:
    """(id, key) that keys the events written now."""
    return next(iter(chain_keys().items()))


@cache
def signing_keys() -> dict[str, Ed25519PrivateKey]:
    """{id: Ed25519 private key}, newest first."""
    spec = os.environ.get("AUDIT_SIGNING_KEYS") or _embedded_spec("audit_signing_keys", "s")
    return {
        key_id: Ed25519PrivateKey.from_private_bytes(seed)
        for key_id, seed in parse(spec, name="AUDIT_SIGNING_KEYS").items()
    }


def public_keys() -> dict[str, Ed25519PublicKey]:
    return {key_id: key.public_key() for key_id, key in signing_keys().items()}


def public_key_text(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key, base64url, as published."""
    return b64(key.public_bytes(Encoding.Raw, PublicFormat.Raw))
