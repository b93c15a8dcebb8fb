"""The chain is keyed: whoever holds the database but not the chain key can neither
rewrite events (re-hashing all that follows) nor forge new ones unnoticed."""

import hashlib
import hmac
import secrets

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tercero.platform.audit import chain, keys
from tercero.platform.audit.models import AuditEvent
from tercero.platform.audit.services import record, write_checkpoints
from tercero.platform.audit.tests.conftest import hashed_fields
from tercero.platform.audit.verify import verify_chain
from tercero.platform.security.keyring import b64
from tercero.platform.tenancy.scoping import all_clients_scope, client_scope

WRONG_KEY = secrets.token_bytes(32)
# How an attacker without the chain key may try: pass the events off as written before
# keying (no key id, plain SHA-256), or claim the real key id with a key of their own.
ATTACKS = {"as unkeyed": (None, ""), "with a wrong key": (WRONG_KEY, None)}


def _write_events(count: int, client) -> None:
    for number in range(count):
        record(action="test.thing.happened", client=client, payload={"n": number})


def _verify_output(*args: str) -> str:
    with pytest.raises(CommandError) as failure:
        call_command("audit", "verify", *args)
    return str(failure.value)


def _attack(name: str) -> tuple[bytes | None, str]:
    key, key_id = ATTACKS[name]
    return key, keys.active_chain_key()[0] if key_id is None else key_id


def test_an_event_is_an_hmac_under_the_chain_key_it_names(tenant_a):
    # given
    key_id, key = keys.active_chain_key()

    # when
    event = record(action="client.updated", client=tenant_a.client, payload={"a": 1})

    # then
    fields = hashed_fields(event)
    fields["occurred_at"] = event.occurred_at.isoformat(timespec="microseconds")
    expected = hmac.new(key, chain.canonical_json(fields), hashlib.sha256).hexdigest()
    del fields["key_id"]
    unkeyed = hashlib.sha256(chain.canonical_json(fields)).hexdigest()
    assert (event.key_id, event.hash) == (key_id, expected)
    assert event.hash != unkeyed


@pytest.mark.parametrize("attack", ATTACKS)
def test_an_edit_re_hashed_onwards_without_the_key_is_named(
    transactional_db, tenant_a, rehash, attack
):
    # given
    _write_events(6, tenant_a.client)
    key, key_id = _attack(attack)

    # when: the attacker edits event 3 and recomputes 3..6 with the product's own hashing
    rehash(3, action="test.nothing.happened", key=key, key_id=key_id)

    # then
    with all_clients_scope():
        links = (
            AuditEvent.objects.get(sequence=4).prev_hash == AuditEvent.objects.get(sequence=3).hash
        )
    assert links
    assert "Audit chain broken at sequence 3:" in _verify_output()


@pytest.mark.parametrize("attack", ATTACKS)
def test_an_event_forged_through_the_apps_insert_right_is_named(tenant_a, attack):
    # given
    _write_events(4, tenant_a.client)
    with all_clients_scope():
        last = AuditEvent.objects.get(sequence=4)
    key, key_id = _attack(attack)

    # when: the application's role may INSERT; it writes a plausible fifth event
    forged = AuditEvent(
        key_id=key_id,
        sequence=5,
        occurred_at=timezone.now(),
        actor_label="system",
        client_id=tenant_a.client.pk,
        action="client.updated",
        payload={},
        payload_digest=chain.payload_digest({}),
        prev_hash=last.hash,
    )
    forged.hash = chain.event_hash(key=key, **hashed_fields(forged))
    with client_scope(clients=[tenant_a.client]):
        forged.save(force_insert=True)

    # then
    report = verify_chain()
    assert (report.checked, report.first_broken_sequence) == (4, 5)
    assert "Audit chain broken at sequence 5:" in _verify_output()


def test_events_keyed_before_a_rotation_verify_while_the_old_key_is_kept(
    tenant_a, monkeypatch, fresh_keys
):
    # given: two events under the first key
    old = f"old1:{b64(secrets.token_bytes(32))}"
    monkeypatch.setenv("AUDIT_CHAIN_KEYS", old)
    _write_events(2, tenant_a.client)

    # when: a new key goes first, the old one stays after it
    new = f"new1:{b64(secrets.token_bytes(32))}"
    monkeypatch.setenv("AUDIT_CHAIN_KEYS", f"{new},{old}")
    keys.chain_keys.cache_clear()
    keys.active_chain_key.cache_clear()
    _write_events(2, tenant_a.client)

    # then
    with all_clients_scope():
        key_ids = list(AuditEvent.objects.order_by("sequence").values_list("key_id", flat=True))
    assert key_ids == ["old1", "old1", "new1", "new1"]
    assert verify_chain().checked == 4
    monkeypatch.setenv("AUDIT_CHAIN_KEYS", new)
    keys.chain_keys.cache_clear()
    report = verify_chain()
    assert report.first_broken_sequence == 1
    assert report.problem == "written under chain key 'old1', which is not configured"


def _unkeyed_event(sequence: int, prev_hash: str, client) -> AuditEvent:
    """An event as written before the chain was keyed (the rows the migration keeps)."""
    event = AuditEvent(
        key_id="",
        sequence=sequence,
        occurred_at=timezone.now(),
        actor_label="system",
        client_id=client.pk,
        action="client.updated",
        payload={"old": True},
        payload_digest=chain.payload_digest({"old": True}),
        prev_hash=prev_hash,
    )
    event.hash = chain.event_hash(key=None, **hashed_fields(event))
    with client_scope(clients=[client]):
        event.save(force_insert=True)
    return event


def test_events_written_before_keying_verify_ahead_of_the_keyed_ones(tenant_a):
    # given: two events from before the upgrade
    first = _unkeyed_event(1, chain.GENESIS_HASH, tenant_a.client)
    second = _unkeyed_event(2, first.hash, tenant_a.client)

    # when
    third = record(action="client.updated", client=tenant_a.client)

    # then: the first keyed event's HMAC covers the last unkeyed hash
    assert third.prev_hash == second.hash
    report = verify_chain()
    assert (report.is_intact, report.checked) == (True, 3)


def test_an_unkeyed_event_past_a_checkpoint_of_the_unkeyed_chain_is_named(tenant_a):
    # given: the chain before the upgrade, checkpointed
    first = _unkeyed_event(1, chain.GENESIS_HASH, tenant_a.client)
    second = _unkeyed_event(2, first.hash, tenant_a.client)
    write_checkpoints(now=timezone.now())

    # when: someone appends an unkeyed event with the INSERT right
    _unkeyed_event(3, second.hash, tenant_a.client)

    # then
    output = _verify_output()
    assert "Audit chain broken at sequence 3: no chain key, past a checkpoint" in output
