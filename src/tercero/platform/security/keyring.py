"""Master keys: they wrap every client's data keys and seal provider-wide secrets.

`MASTER_KEYS` in the environment lists them as `id:base64url(32 bytes)` separated by
commas, newest first; the first wraps new keys, the others stay readable so that keys
wrapped before a master-key rotation still open. Without it (the embedded mode) a key
is generated once into `var/master_keys` with mode 0600.
"""

import base64
import os
import secrets
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_BYTES = 32


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def _parse(spec: str) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        key_id, _, encoded = part.partition(":")
        raw = unb64(encoded.strip())
        if not key_id.isalnum() or len(raw) != KEY_BYTES:
            raise ImproperlyConfigured("MASTER_KEYS entries are id:base64url(32 random bytes).")
        keys[key_id] = raw
    if not keys:
        raise ImproperlyConfigured("MASTER_KEYS names no key.")
    return keys


def _embedded_spec() -> str:
    path = Path(settings.VAR_DIR) / "master_keys"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        spec = f"m{secrets.token_hex(4)}:{b64(new_key())}"
        # Created with 0600 from the start: the key never sits world-readable.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(spec + "\n")
    return path.read_text().strip()


@cache
def master_keys() -> dict[str, bytes]:
    """{id: key}, newest first."""
    return _parse(os.environ.get("MASTER_KEYS") or _embedded_spec())


def active_master_id() -> str:
    return next(iter(master_keys()))


def wrap(key: bytes, *, context: str) -> tuple[str, str]:
    """Seal a data key under the active master key. Returns (master id, wrapped)."""
    master_id = active_master_id()
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(master_keys()[master_id]).encrypt(nonce, key, context.encode())
    return master_id, b64(nonce + sealed)


def unwrap(master_id: str, wrapped: str, *, context: str) -> bytes:
    try:
        master = master_keys()[master_id]
    except KeyError:
        raise ImproperlyConfigured(f"Master key {master_id!r} is not configured.") from None
    raw = unb64(wrapped)
    return AESGCM(master).decrypt(raw[:12], raw[12:], context.encode())
