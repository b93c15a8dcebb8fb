"""Personal data inside work items: what goes into the database and what comes out.

On the way in every string is stripped of card numbers and the work type's personal
fields are sealed under the client's data key (with a keyed hash per field so that a
data subject's items can be found again). A personal field declared as a bank account
(mask kind `account` or `iban`) is sealed whole, not cut first: a US account number of
13-17 digits passes the Luhn check one time in ten, and cut it could not be paid. On the
way out a payload shows only masks; clear values need a live reveal grant.
"""

from collections.abc import Iterable
from typing import Any

from tercero.delivery.work import registry
from tercero.platform.security import crypto
from tercero.platform.security.redact import redact_cards, redact_tree

BANK_ACCOUNT_KINDS = frozenset({"account", "iban"})


def protect(
    *,
    client_id: int,
    work_type: registry.WorkType,
    payload: dict[str, Any],
    keys: crypto.ClientKeys | None = None,
) -> dict[str, Any]:
    """The payload as stored: card numbers cut, personal fields sealed (with `keys`, the
    client's keys a batch took once, or else the keys of the caller's transaction)."""
    clean = redact_tree(payload)
    for name in work_type.personal_fields:
        if work_type.kind_of(name) in BANK_ACCOUNT_KINDS and isinstance(payload.get(name), str):
            clean[name] = payload[name]  # sealed whole below: a bank account, not a card
        value = clean.get(name)
        if value in (None, "") or crypto.is_sealed(value):
            continue
        if keys is None:
            keys = crypto.keys_for(client_id, data=True)
        clean[name] = keys.seal(str(value), kind=work_type.kind_of(name))
    return clean


def lookup_keys(
    *,
    client_id: int,
    work_type: registry.WorkType,
    plain: dict[str, Any],
    keys: crypto.ClientKeys | None = None,
) -> list[str]:
    """Keyed hashes of the personal values (before sealing), for exact-match lookup."""
    values = [plain.get(name) for name in work_type.personal_fields]
    values = [value for value in values if value not in (None, "")]
    if not values:
        return []
    if keys is None:
        keys = crypto.keys_for(client_id, index=True)
    return [keys.lookup_hash(str(value)) for value in values]


def opened(payload: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The named fields in clear (the caller holds a live grant and the client scope)."""
    return {
        name: crypto.open_sealed(payload[name]) if crypto.is_sealed(payload.get(name)) else None
        for name in names
    }


def shown(payload: dict[str, Any], work_type: registry.WorkType | None = None) -> dict[str, Any]:
    """The payload as every page, API response and export shows it: masks only. A
    personal field stored before sealing existed is masked here all the same."""
    personal = set(work_type.personal_fields) if work_type else set()
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if (
            work_type is not None
            and key in personal
            and value not in (None, "")
            and not crypto.is_sealed(value)
        ):
            out[key] = crypto.mask(str(value), work_type.kind_of(key))
        else:
            out[key] = _shown(value)
    return out


def _shown(value: object) -> object:
    if crypto.is_sealed(value):
        return crypto.masked(value)
    if isinstance(value, dict):
        return {key: _shown(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shown(item) for item in value]
    return value


def unsealed_for_edit(
    *, stored: dict[str, Any], incoming: dict[str, Any], names: Iterable[str]
) -> dict[str, Any]:
    """An edit may send a personal field back as it received it (sealed or masked):
    that means "unchanged", so the stored value is opened for validation."""
    merged = dict(incoming)
    for name in names:
        before = stored.get(name)
        if not isinstance(before, str) or not crypto.is_sealed(before):
            continue
        if merged.get(name) in (before, crypto.masked(before)):
            merged[name] = crypto.open_sealed(before)
    return merged


clean_text = redact_cards
