"""Field-level encryption with AES-256-GCM under per-client data keys.

A sealed value is text, so it fits any column or JSON document:

    enc1:<client id>:<key version>:<mask>:<nonce + ciphertext, base64url>

The mask (what pages show by default, e.g. `•••• 1234`) is made at sealing time, so
showing a value masked never decrypts it. The client id and key version are bound into
the ciphertext as associated data: a value copied onto another client's row does not
open. Opening needs the client's data key, which is client-owned: the caller must be
inside a scope that includes the client, and a shredded client's values never open.

Provider-wide secrets (TOTP seeds, webhook secrets) are sealed under the master key:
`gen1:<master id>:<...>`.
"""

import hashlib
import hmac
import secrets
import threading
import time
import unicodedata

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import IntegrityError, transaction

from tercero.platform.security import keyring
from tercero.platform.security.models import DataKey

PREFIX = "enc1:"
GLOBAL_PREFIX = "gen1:"
CACHE_SECONDS = 60


class CannotOpen(Exception):
    """The value's key is gone (shredded or retired) or the value was tampered with."""


# --- masks ------------------------------------------------------------------------------


def mask(plain: str, kind: str = "") -> str:
    """The default display of a personal value: enough to recognise, not to use."""
    text = str(plain).strip()
    if not text:
        return ""
    digits = [c for c in text if c.isdigit()]
    if kind in ("card", "account", "iban") and len(digits) >= 8:
        return "•••• " + "".join(digits[-4:])
    if kind == "national_id":
        return "•" * max(len(text) - 2, 3) + text[-2:] if len(text) > 6 else "•" * len(text)
    if kind == "date":
        return "••••-••-••"
    if kind == "email" and "@" in text:
        local, _, domain = text.partition("@")
        return f"{local[:1]}•••@{domain[:1]}•••"
    if kind == "name":
        return " ".join(f"{word[:1]}•••" for word in text.split())
    if len(text) <= 4:
        return "•" * len(text)
    return "•" * (len(text) - 2) + text[-2:]


# --- data keys --------------------------------------------------------------------------

_cache: dict[tuple[int, str, int], tuple[float, bytes]] = {}
_cache_lock = threading.Lock()


def forget_keys(client_id: int | None = None) -> None:
    """Drop unwrapped keys from this process (after a shred or a retirement)."""
    with _cache_lock:
        for cache_key in list(_cache):
            if client_id is None or cache_key[0] == client_id:
                del _cache[cache_key]


def key_context(client_id: int, purpose: str, version: int) -> str:
    return f"tercero:{purpose}:{client_id}:{version}"


def _unwrapped(row: DataKey) -> bytes:
    return keyring.unwrap(
        row.master_id, row.wrapped, context=key_context(row.client_id, row.purpose, row.version)
    )


def _create_key(client_id: int, purpose: str, version: int) -> DataKey:
    master_id, wrapped = keyring.wrap(
        keyring.new_key(), context=key_context(client_id, purpose, version)
    )
    try:
        with transaction.atomic():
            return DataKey.objects.create(
                client_id=client_id,
                purpose=purpose,
                version=version,
                master_id=master_id,
                wrapped=wrapped,
            )
    except IntegrityError:  # another process created it first
        return DataKey.objects.get(client_id=client_id, purpose=purpose, version=version)


def _key(client_id: int, purpose: str, version: int | None) -> tuple[int, bytes]:
    """(version, key). version None: the active data key (created on first use)."""
    now = time.monotonic()
    if version is not None:
        with _cache_lock:
            hit = _cache.get((client_id, purpose, version))
        if hit and now - hit[0] < CACHE_SECONDS:
            return version, hit[1]
        row = (
            DataKey.objects.filter(client_id=client_id, purpose=purpose, version=version)
            .exclude(state=DataKey.State.RETIRED)
            .first()
        )
        if row is None:
            raise CannotOpen(f"Key {purpose} v{version} of client {client_id} is not available.")
    else:
        row = (
            DataKey.objects.filter(client_id=client_id, purpose=purpose, state=DataKey.State.ACTIVE)
            .order_by("-version")
            .first()
        )
        if row is None:
            row = _create_key(client_id, purpose, 0 if purpose == DataKey.Purpose.INDEX else 1)
    key = _unwrapped(row)
    with _cache_lock:
        _cache[(client_id, purpose, row.version)] = (now, key)
    return row.version, key


# --- sealing ----------------------------------------------------------------------------


def is_sealed(value) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def seal(client_id: int, plain: str, *, kind: str = "") -> str:
    """Encrypt `plain` for this client under its active data key."""
    version, key = _key(client_id, DataKey.Purpose.DATA, None)
    return _seal_with(client_id, version, key, str(plain), mask(plain, kind))


def _seal_with(client_id: int, version: int, key: bytes, plain: str, shown: str) -> str:
    nonce = secrets.token_bytes(12)
    aad = f"{client_id}:{version}".encode()
    body = AESGCM(key).encrypt(nonce, plain.encode(), aad)
    return f"{PREFIX}{client_id}:{version}:{shown.replace(':', '·')}:{keyring.b64(nonce + body)}"


def parse(sealed: str) -> tuple[int, int, str, str]:
    """(client id, key version, mask, body) of a sealed value."""
    head, _, body = sealed.rpartition(":")
    _, client_id, version, shown = head.split(":", 3)
    return int(client_id), int(version), shown, body


def masked(value) -> str:
    """What a page shows: the stored mask of a sealed value, anything else as given."""
    if is_sealed(value):
        return parse(value)[2]
    return "" if value is None else str(value)


def open_sealed(sealed: str) -> str:
    """Decrypt. The caller's scope must include the value's client."""
    client_id, version, _, body = parse(sealed)
    _, key = _key(client_id, DataKey.Purpose.DATA, version)
    raw = keyring.unb64(body)
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], f"{client_id}:{version}".encode()).decode()
    except InvalidTag:
        raise CannotOpen("The value does not match its key (tampered or misplaced).") from None


def reseal(sealed: str) -> str:
    """The same value under the client's active key (unchanged when already on it)."""
    client_id, version, shown, _ = parse(sealed)
    active, key = _key(client_id, DataKey.Purpose.DATA, None)
    if version == active:
        return sealed
    return _seal_with(client_id, active, key, open_sealed(sealed), shown)


# --- keyed hashes for exact-match lookup -------------------------------------------------


def normalise(value: str) -> str:
    text = unicodedata.normalize("NFKC", str(value)).casefold()
    return "".join(c for c in text if c.isalnum() or c == "@" or c == ".")


def lookup_hash(client_id: int, value: str) -> str:
    """HMAC-SHA-256 of the normalised value under the client's index key: equal values
    give equal hashes within one client, nothing across clients, and without the key
    a low-entropy value (a national id) cannot be guessed back from its hash."""
    _, key = _key(client_id, DataKey.Purpose.INDEX, None)
    return hmac.new(key, normalise(value).encode(), hashlib.sha256).hexdigest()


# --- provider-wide secrets ----------------------------------------------------------------


def seal_secret(plain: str, *, context: str = "secret") -> str:
    master_id = keyring.active_master_id()
    nonce = secrets.token_bytes(12)
    body = AESGCM(keyring.master_keys()[master_id]).encrypt(nonce, plain.encode(), context.encode())
    return f"{GLOBAL_PREFIX}{master_id}:{keyring.b64(nonce + body)}"


def open_secret(sealed: str, *, context: str = "secret") -> str:
    if not sealed.startswith(GLOBAL_PREFIX):
        raise CannotOpen("Not a sealed secret.")
    master_id, _, body = sealed[len(GLOBAL_PREFIX) :].partition(":")
    master = keyring.master_keys().get(master_id)
    if master is None:
        raise CannotOpen(f"Master key {master_id!r} is not configured.")
    raw = keyring.unb64(body)
    try:
        return AESGCM(master).decrypt(raw[:12], raw[12:], context.encode()).decode()
    except InvalidTag:
        raise CannotOpen("The secret does not match its key.") from None


BYTES_PREFIX = b"gen1b:"


def seal_bytes(plain: bytes, *, context: str) -> bytes:
    """Bytes under the master key (e.g. stored API responses that may hold a secret)."""
    master_id = keyring.active_master_id()
    nonce = secrets.token_bytes(12)
    body = AESGCM(keyring.master_keys()[master_id]).encrypt(nonce, plain, context.encode())
    return BYTES_PREFIX + master_id.encode() + b":" + nonce + body


def open_bytes(sealed: bytes, *, context: str) -> bytes:
    if not sealed.startswith(BYTES_PREFIX):
        raise CannotOpen("Not sealed bytes.")
    master_id, _, raw = sealed[len(BYTES_PREFIX) :].partition(b":")
    master = keyring.master_keys().get(master_id.decode())
    if master is None:
        raise CannotOpen(f"Master key {master_id.decode()!r} is not configured.")
    try:
        return AESGCM(master).decrypt(raw[:12], raw[12:], context.encode())
    except InvalidTag:
        raise CannotOpen("The bytes do not match their key.") from None
