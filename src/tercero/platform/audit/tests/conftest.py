"""Fixtures for playing an attacker who holds the database but not the keys."""

import pytest
from django.db import connection

from tercero.platform.audit import chain, keys
from tercero.platform.audit.immutability import allow_flush
from tercero.platform.audit.models import AuditEvent
from tercero.platform.tenancy.scoping import all_clients_scope


@pytest.fixture(autouse=True)
def checkpoint_dir(settings, tmp_path):
    """Each test appends its checkpoints to a file of its own."""
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "audit-checkpoints"
    return settings.AUDIT_CHECKPOINT_DIR


@pytest.fixture
def fresh_keys():
    """Keys read again from the environment or var/ (for tests that change them)."""
    _forget_keys()
    yield
    _forget_keys()


def _forget_keys() -> None:
    for cached in (keys.chain_keys, keys.active_chain_key, keys.signing_keys):
        cached.cache_clear()


@pytest.fixture
def tamper(request):
    """Run SQL as an attacker with direct database access, past the append-only guards."""

    def run(sql: str, params=()):
        if connection.vendor == "sqlite":
            allow_flush(True)
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
            allow_flush(False)
            return
        cursor = request.getfixturevalue("owner_cursor")
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET session_replication_role = DEFAULT")

    return run


@pytest.fixture
def rehash(tamper):
    """As an attacker: edit one event's action, then recompute its hash and every later
    event's (and their links) with `key` under `key_id`, using the product's own hashing."""

    def run(sequence: int, *, action: str, key: bytes | None, key_id: str) -> None:
        with all_clients_scope():
            before = AuditEvent.objects.filter(sequence=sequence - 1).first()
            events = list(AuditEvent.objects.filter(sequence__gte=sequence).order_by("sequence"))
        prev_hash = before.hash if before else chain.GENESIS_HASH
        for event in events:
            if event.sequence == sequence:
                event.action = action
            event.key_id, event.prev_hash = key_id, prev_hash
            event.hash = chain.event_hash(key=key, **hashed_fields(event))
            tamper(
                "UPDATE audit_auditevent SET action = %s, key_id = %s, prev_hash = %s, hash = %s "
                "WHERE sequence = %s",
                [event.action, key_id, prev_hash, event.hash, event.sequence],
            )
            prev_hash = event.hash

    return run


def hashed_fields(event: AuditEvent) -> dict:
    """The fields an event's hash covers, as `chain.event_hash` takes them."""
    names = (
        "key_id sequence occurred_at actor_id actor_label client_id action object_type "
        "object_id ip reason payload_digest prev_hash"
    )
    return {name: getattr(event, name) for name in names.split()}
