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

import hmac
import os
import re
import secrets
import threading
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from weakref import WeakKeyDictionary

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import IntegrityError, connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from tercero.platform.security import keyring
from tercero.platform.security.models import DataKey
from tercero.platform.tenancy.scoping import rls_setting

PREFIX = "enc1:"
GLOBAL_PREFIX = "gen1:"


class CannotOpen(Exception):
    """The value's key is gone (shredded or retired) or the value was tampered with."""


# --- masks ------------------------------------------------------------------------------


def mask(plain: str, kind: str = "") -> str:
    """The default display of a personal value: enough to recognise, not to use."""
    text = str(plain).strip()
    if not text:
        return ""
    if kind in ("card", "account", "iban"):
        digits = "".join(filter(str.isdigit, text))
        if len(digits) >= 8:
            return "•••• " + digits[-4:]
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
#
# Unwrapped keys stay in this process, but a transaction trusts them only after it has
# read the client's key rows once (one query per client and transaction, never one per
# field): a rotation, retirement or shredding done by any process is seen by the next
# transaction here, and at once in the process that did it (`forget_keys`). Outside a
# transaction every call reads the rows again.

KeyRow = tuple[int, str, int, str, str]  # id, purpose, version, state, master id


@dataclass(frozen=True)
class ClientKeys:
    """One client's keys as its key rows stood when they were read: the active data key,
    the readable data keys by version, and the index key. Sealing and hashing with it
    cost no query, so a batch takes it once (`keys_for`) and uses it for every field."""

    client_id: int
    fingerprint: tuple[KeyRow, ...]
    readable: Mapping[int, bytes]
    active_version: int | None
    index_key: bytes | None
    unwrapped: Mapping[int, bytes]  # by key row id, so a shredded row's key is never reused

    def seal(self, plain: str, *, kind: str = "") -> str:
        """Encrypt `plain` under the active data key (`keys_for(..., data=True)`)."""
        if self.active_version is None:
            raise CannotOpen(f"Client {self.client_id} has no active data key.")
        return _seal_by(
            self._sealer, self.client_id, self.active_version, str(plain), mask(plain, kind)
        )

    @cached_property
    def _sealer(self) -> AESGCM:
        """The active data key's cipher, built once for the keys' life (an AES key
        schedule per value was a tenth of sealing's cost)."""
        assert self.active_version is not None
        return AESGCM(self.readable[self.active_version])

    def lookup_hash(self, value: str) -> str:
        """The keyed hash of `value` for exact-match lookup (`keys_for(..., index=True)`)."""
        if self.index_key is None:
            raise CannotOpen(f"Client {self.client_id} has no index key.")
        return hmac.digest(self.index_key, normalise(value).encode(), "sha256").hex()

    def batch(self) -> "BatchSealer":
        """A sealer for the many values of one batch (see `BatchSealer`)."""
        return BatchSealer(self)

    def open(self, sealed: str) -> str:
        """Decrypt a value of this client."""
        client_id, version, _, body = parse(sealed)
        key = self.readable.get(version) if client_id == self.client_id else None
        if key is None:
            raise CannotOpen(f"Key data v{version} of client {client_id} is not available.")
        raw = keyring.unb64(body)
        try:
            return (
                AESGCM(key).decrypt(raw[:12], raw[12:], f"{client_id}:{version}".encode()).decode()
            )
        except InvalidTag:
            raise CannotOpen("The value does not match its key (tampered or misplaced).") from None


class BatchSealer:
    """Seals values with one client's keys as `ClientKeys.seal` does, for many values at
    once: the nonces are drawn from the operating system's random source in blocks
    (growing to a few kilobytes) instead of one call a value; each value still gets 96
    bits of its own, never used twice. One batch's, not shared between threads."""

    LARGEST = 12 * 2048

    def __init__(self, keys: ClientKeys) -> None:
        self.keys = keys
        self._pool = b""
        self._at = 0
        self._next = 12 * 8

    def seal(self, plain: str, *, kind: str = "") -> str:
        keys = self.keys
        if keys.active_version is None:
            raise CannotOpen(f"Client {keys.client_id} has no active data key.")
        at = self._at
        if at + 12 > len(self._pool):
            self._pool, at = os.urandom(self._next), 0
            self._next = min(self._next * 4, self.LARGEST)
        self._at = at + 12
        text = str(plain)
        return _seal_by(
            keys._sealer,
            keys.client_id,
            keys.active_version,
            text,
            mask(plain, kind),
            nonce=self._pool[at : at + 12],
        )


_keys: dict[int, ClientKeys] = {}
_keys_lock = threading.Lock()


class _Checked:
    """Left in the connection's on-commit list when a transaction has read a client's key
    rows. Django empties that list when the transaction commits or rolls back, and drops
    the entries of a savepoint rolled back: while the marker is still at its place, the
    caller is in the transaction that read them, in the same client scope."""

    __slots__ = ("position", "scope")

    def __init__(self, position: int, scope: str | None) -> None:
        self.position = position
        self.scope = scope

    def __call__(self) -> None:
        """Nothing to do after the commit: being dropped with it is the point."""

    def still_holds(self, connection: BaseDatabaseWrapper, scope: str | None) -> bool:
        pending = connection.run_on_commit
        return (
            scope == self.scope
            and self.position < len(pending)
            and pending[self.position][1] is self
        )


_checks: WeakKeyDictionary[BaseDatabaseWrapper, dict[int, _Checked]] = WeakKeyDictionary()


def forget_keys(client_id: int | None = None) -> None:
    """Drop unwrapped keys from this process (after a rotation, retirement or shred)."""
    with _keys_lock:
        for cached in list(_keys):
            if client_id is None or cached == client_id:
                del _keys[cached]


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


def _read_keys(client_id: int) -> ClientKeys:
    """The client's keys as its rows stand (one query), unwrapping only the rows this
    process has not unwrapped before."""
    rows = list(DataKey.objects.filter(client_id=client_id).order_by("purpose", "version"))
    fingerprint = tuple((r.pk, r.purpose, r.version, r.state, r.master_id) for r in rows)
    with _keys_lock:
        known = _keys.get(client_id)
    if known is not None and known.fingerprint == fingerprint:
        return known
    before = known.unwrapped if known is not None else {}
    unwrapped: dict[int, bytes] = {}
    readable: dict[int, bytes] = {}
    active_version, index_key = None, None
    for row in rows:
        if row.state == DataKey.State.RETIRED:
            continue
        key = unwrapped[row.pk] = before.get(row.pk) or _unwrapped(row)
        if row.purpose == DataKey.Purpose.INDEX:
            index_key = key
            continue
        readable[row.version] = key
        if row.state == DataKey.State.ACTIVE:
            active_version = row.version
    keys = ClientKeys(client_id, fingerprint, readable, active_version, index_key, unwrapped)
    with _keys_lock:
        _keys[client_id] = keys
    return keys


def _connection() -> BaseDatabaseWrapper:
    return connections[router.db_for_read(DataKey)]


def _checked_keys(client_id: int) -> ClientKeys | None:
    """The cached keys, when this transaction has read the client's key rows already."""
    connection = _connection()
    marker = _checks.get(connection, {}).get(client_id)
    if marker is None or not marker.still_holds(connection, rls_setting()):
        return None
    with _keys_lock:
        return _keys.get(client_id)


def _remember_check(client_id: int) -> None:
    connection = _connection()
    if not connection.in_atomic_block:
        return  # each statement is its own transaction: read the rows at every call
    marker = _Checked(len(connection.run_on_commit), rls_setting())
    transaction.on_commit(marker, using=connection.alias)
    _checks.setdefault(connection, {})[client_id] = marker


def held_keys(client_id: int) -> ClientKeys | None:
    """The keys this process last read for the client, *not* checked against the key
    rows: only for a write that compares `key_rows_fingerprint(keys)` with
    `KEY_ROWS_FINGERPRINT_SQL` in the very statement that stores what they sealed, writes
    nothing when they differ, and is then redone with `keys_for` (after `forget_keys`).
    A rotation or shredding by any process is so seen by the next such statement, at
    no round trip of its own."""
    with _keys_lock:
        return _keys.get(client_id)


def key_rows_fingerprint(keys: ClientKeys) -> str:
    """The key rows `keys` were made from, as `KEY_ROWS_FINGERPRINT_SQL` writes them."""
    return ",".join(":".join(map(str, row)) for row in sorted(keys.fingerprint))


# The client's key rows as they stand, one text (its one parameter: the client's id);
# row-level security applies, so outside the client's scope it is the empty text.
KEY_ROWS_FINGERPRINT_SQL = (
    "SELECT coalesce(string_agg(concat_ws(':', k.id, k.purpose, k.version, k.state,"
    f" k.master_id), ',' ORDER BY k.id), '') FROM {DataKey._meta.db_table} k"
    " WHERE k.client_id = %s"
)


def keys_for(client_id: int, *, data: bool = False, index: bool = False) -> ClientKeys:
    """The client's keys, read from the key table at most once per transaction. `data`
    and `index` create the active data key and the index key when the client has none
    yet. The caller's scope must include the client: outside it no key is readable."""
    keys = _checked_keys(client_id)
    if keys is None:
        keys = _read_keys(client_id)
        _remember_check(client_id)
    created = False
    if data and keys.active_version is None:
        newest = max(
            (row[2] for row in keys.fingerprint if row[1] == DataKey.Purpose.DATA), default=0
        )
        _create_key(client_id, DataKey.Purpose.DATA, newest + 1)
        created = True
    if index and keys.index_key is None:
        _create_key(client_id, DataKey.Purpose.INDEX, 0)
        created = True
    if created:
        keys = _read_keys(client_id)
        _remember_check(client_id)
    return keys


def _key(client_id: int, purpose: str, version: int | None) -> tuple[int, bytes]:
    """(version, key). version None: the active key of `purpose` (created on first use)."""
    if purpose == DataKey.Purpose.INDEX:
        index_key = keys_for(client_id, index=True).index_key
        assert index_key is not None
        return 0, index_key
    keys = keys_for(client_id, data=version is None)
    wanted = keys.active_version if version is None else version
    key = keys.readable.get(wanted) if wanted is not None else None
    if wanted is None or key is None:
        raise CannotOpen(f"Key {purpose} v{version} of client {client_id} is not available.")
    return wanted, key


# --- sealing ----------------------------------------------------------------------------


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def seal(client_id: int, plain: str, *, kind: str = "") -> str:
    """Encrypt `plain` for this client under its active data key."""
    return keys_for(client_id, data=True).seal(plain, kind=kind)


def _seal_with(client_id: int, version: int, key: bytes, plain: str, shown: str) -> str:
    return _seal_by(AESGCM(key), client_id, version, plain, shown)


def _seal_by(
    cipher: AESGCM, client_id: int, version: int, plain: str, shown: str, nonce: bytes = b""
) -> str:
    nonce = nonce or secrets.token_bytes(12)
    aad = f"{client_id}:{version}".encode()
    body = cipher.encrypt(nonce, plain.encode(), aad)
    return f"{PREFIX}{client_id}:{version}:{shown.replace(':', '·')}:{keyring.b64(nonce + body)}"


def parse(sealed: str) -> tuple[int, int, str, str]:
    """(client id, key version, mask, body) of a sealed value."""
    head, _, body = sealed.rpartition(":")
    _, client_id, version, shown = head.split(":", 3)
    return int(client_id), int(version), shown, body


def masked(value: object) -> str:
    """What a page shows: the stored mask of a sealed value, anything else as given."""
    if isinstance(value, str) and is_sealed(value):
        return parse(value)[2]
    return "" if value is None else str(value)


def open_sealed(sealed: str) -> str:
    """Decrypt. The caller's scope must include the value's client."""
    return keys_for(parse(sealed)[0]).open(sealed)


def reseal(sealed: str) -> str:
    """The same value under the client's active key (unchanged when already on it)."""
    client_id, version, shown, _ = parse(sealed)
    keys = keys_for(client_id, data=True)
    active = keys.active_version
    if active is None or version == active:
        return sealed
    return _seal_with(client_id, active, keys.readable[active], keys.open(sealed), shown)


# --- keyed hashes for exact-match lookup -------------------------------------------------


# What `normalise` drops: anything but letters, digits, "@" and "." (a regular
# expression's word characters are exactly `str.isalnum()` and "_").
_NOT_KEPT = re.compile(r"[^\w@.]|_")


def normalise(value: str) -> str:
    """The form a value is hashed in: NFKC, case-folded, letters, digits, "@" and "."."""
    return _NOT_KEPT.sub("", unicodedata.normalize("NFKC", str(value)).casefold())


def lookup_hash(client_id: int, value: str) -> str:
    """HMAC-SHA-256 of the normalised value under the client's index key: equal values
    give equal hashes within one client, nothing across clients, and without the key
    a low-entropy value (a national id) cannot be guessed back from its hash."""
    return keys_for(client_id, index=True).lookup_hash(value)


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
