"""The scope key: how PostgreSQL tells a client scope set by Tercero from one set by SQL.

The database accepts a transaction's client list only with a proof made under this key
(see `rls.py`), and keeps its copy where the application's role cannot read it, so SQL
run through the application's connection cannot name clients of its own choosing.
`SCOPE_KEY` in the environment holds base64url(32 random bytes); without it (the
embedded mode) a key is generated once into `var/scope_key` with mode 0600.
"""

import hashlib
import hmac
import os
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from tercero.platform.security.keyring import KEY_BYTES, b64, new_key, unb64

# HMAC's block size for SHA-256 (RFC 2104 section 2; FIPS 180-4 section 5.1.2)
_BLOCK_BYTES = 64


def _embedded_key() -> str:
    path = Path(settings.VAR_DIR) / "scope_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created with 0600 from the start: the key never sits world-readable.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(b64(new_key()) + "\n")
    return path.read_text().strip()


@cache
def scope_key() -> bytes:
    try:
        key = unb64((os.environ.get("SCOPE_KEY") or _embedded_key()).strip())
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise ImproperlyConfigured("SCOPE_KEY is base64url(32 random bytes).")
    return key


def scope_proof(clients: str, *, backend_pid: int) -> str:
    """What `tercero_enter_scope` checks before it lets this connection see `clients`:
    HMAC-SHA256 over the client list and the database server process it is meant for."""
    message = f"scope|{clients}|{backend_pid}".encode()
    return hmac.new(scope_key(), message, hashlib.sha256).hexdigest()


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The key XOR ipad and XOR opad (RFC 2104), stored in the database so that its
    built-in sha256() computes HMAC-SHA256 without an extension."""
    block = key.ljust(_BLOCK_BYTES, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)
