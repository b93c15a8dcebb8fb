"""Data keys held in the process: read from the key table once per transaction, never
once per field, and still a rotation, retirement or shredding takes effect at once, in
the process that made it and in the next transaction of every other process."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tercero.platform.security import crypto, keyring, services
from tercero.platform.security.models import DataKey
from tercero.platform.tenancy.scoping import client_scope


def _key_reads(captured: CaptureQueriesContext) -> int:
    return sum("security_datakey" in query["sql"] for query in captured.captured_queries)


def _rotate_elsewhere(client_id: int) -> int:
    """What another process's rotation leaves in the database (this process's cache is
    not told): the old key readable, a new active one. Returns the new version."""
    current = DataKey.objects.filter(client_id=client_id, purpose=DataKey.Purpose.DATA)
    version = max(current.values_list("version", flat=True)) + 1
    current.update(state=DataKey.State.READABLE)
    master_id, wrapped = keyring.wrap(
        keyring.new_key(), context=crypto.key_context(client_id, DataKey.Purpose.DATA, version)
    )
    DataKey.objects.create(
        client_id=client_id,
        purpose=DataKey.Purpose.DATA,
        version=version,
        master_id=master_id,
        wrapped=wrapped,
    )
    return version


def _seal_then_fail(client_id: int) -> None:
    with transaction.atomic():
        crypto.seal(client_id, "read the keys in this transaction")
        raise RuntimeError


def test_a_transaction_reads_the_key_table_once_for_many_fields(tenant_a):
    # protects: intake speed (the issue counted 800 key reads for 100 items)
    client_id = tenant_a.client.pk
    with client_scope(clients=[tenant_a.client]):
        crypto.seal(client_id, "warm")  # creates the keys
        crypto.lookup_hash(client_id, "warm")
        crypto.forget_keys()
        # when
        with CaptureQueriesContext(connection) as captured, transaction.atomic():
            sealed = [crypto.seal(client_id, f"QQ{n:06d}C", kind="national_id") for n in range(50)]
            hashes = [crypto.lookup_hash(client_id, f"QQ{n:06d}C") for n in range(50)]
            opened = [crypto.open_sealed(value) for value in sealed]
    # then
    assert _key_reads(captured) == 1
    assert len(captured.captured_queries) <= 4  # the read, with a savepoint around it
    assert opened == [f"QQ{n:06d}C" for n in range(50)]
    assert len(set(hashes)) == 50


def test_a_batch_takes_the_keys_once_and_seals_without_a_query(tenant_a):
    # protects: intake speed (a batch seals every field with one key read)
    client_id = tenant_a.client.pk
    with client_scope(clients=[tenant_a.client]), transaction.atomic():
        keys = crypto.keys_for(client_id, data=True, index=True)
        with CaptureQueriesContext(connection) as captured:
            sealed = keys.seal("Maria Santos", kind="name")
            digest = keys.lookup_hash("Maria Santos")
        assert captured.captured_queries == []
        assert crypto.open_sealed(sealed) == "Maria Santos"
        assert crypto.masked(sealed) == "M••• S•••"
        assert digest == crypto.lookup_hash(client_id, "maria santos")


def test_keys_read_in_one_clients_scope_do_not_open_in_anothers(tenant_a, tenant_b):
    # protects: tenancy of keys (a warm cache is no way round the client scope)
    with transaction.atomic():
        with client_scope(clients=[tenant_a.client]):
            sealed = crypto.seal(tenant_a.client.pk, "QQ123456C")
            assert crypto.open_sealed(sealed) == "QQ123456C"
        with client_scope(clients=[tenant_b.client]), pytest.raises(crypto.CannotOpen):
            crypto.open_sealed(sealed)


def test_a_value_sealed_right_after_rotation_uses_the_new_key(tenant_a):
    # protects: key rotation takes effect at once in the process that rotates
    client_id = tenant_a.client.pk
    with client_scope(clients=[tenant_a.client]):
        before = crypto.seal(client_id, "QQ123456C")
        key = services.rotate_keys(actor=None, client_id=client_id)
        after = crypto.seal(client_id, "QQ123456C")
        assert crypto.parse(before)[1] == 1
        assert crypto.parse(after)[1] == key.version == 2
        assert crypto.open_sealed(before) == crypto.open_sealed(after) == "QQ123456C"


def test_after_shredding_nothing_opens_though_the_keys_were_warm(tenant_a):
    # protects: crypto-shredding takes effect at once in the process that shreds
    client_id = tenant_a.client.pk
    with client_scope(clients=[tenant_a.client]), transaction.atomic():
        sealed = crypto.seal(client_id, "QQ123456C")
        before = crypto.lookup_hash(client_id, "QQ123456C")
        assert crypto.open_sealed(sealed) == "QQ123456C"
        services.shred_client_keys(actor=None, client_id=client_id, reason="off-boarded")
        with pytest.raises(crypto.CannotOpen):
            crypto.open_sealed(sealed)
        assert crypto.lookup_hash(client_id, "QQ123456C") != before


@pytest.mark.django_db(transaction=True)
def test_another_process_rotation_is_used_by_the_next_transaction(tenant_a):
    # protects: key rotation by another process (web worker, task worker) takes effect
    # at the next transaction here, though this process holds the old key in memory
    client_id = tenant_a.client.pk
    with client_scope(clients=[tenant_a.client]):
        with transaction.atomic():
            assert crypto.parse(crypto.seal(client_id, "warm"))[1] == 1
        with transaction.atomic():
            version = _rotate_elsewhere(client_id)
        # when
        with transaction.atomic():
            sealed = crypto.seal(client_id, "QQ123456C")
        # then
        assert crypto.parse(sealed)[1] == version == 2
        assert crypto.open_sealed(sealed) == "QQ123456C"


@pytest.mark.django_db(transaction=True)
def test_after_another_process_shreds_nothing_opens_here(tenant_a):
    # protects: crypto-shredding by another process takes effect at the next transaction
    # here, though this process holds the keys in memory
    client_id = tenant_a.client.pk
    with client_scope(clients=[tenant_a.client]):
        with transaction.atomic():
            sealed = crypto.seal(client_id, "QQ123456C")
            before = crypto.lookup_hash(client_id, "QQ123456C")
            assert crypto.open_sealed(sealed) == "QQ123456C"
        DataKey.objects.filter(client_id=client_id).delete()  # the other process's shred
        # then: in a transaction, and in a statement of its own
        with transaction.atomic(), pytest.raises(crypto.CannotOpen):
            crypto.open_sealed(sealed)
        with pytest.raises(crypto.CannotOpen):
            crypto.open_sealed(sealed)
        assert crypto.lookup_hash(client_id, "QQ123456C") != before


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_leaves_no_trust_behind(tenant_a):
    # protects: the once-per-transaction read (a rollback ends the transaction too)
    client_id = tenant_a.client.pk
    with client_scope(clients=[tenant_a.client]):
        crypto.seal(client_id, "warm")
        with pytest.raises(RuntimeError):
            _seal_then_fail(client_id)
        DataKey.objects.filter(client_id=client_id).delete()
        with CaptureQueriesContext(connection) as captured, transaction.atomic():
            assert crypto.parse(crypto.seal(client_id, "fresh"))[1] == 1
        assert _key_reads(captured) >= 2  # read again, and the new key created
        assert DataKey.objects.filter(client_id=client_id).count() == 1


@pytest.mark.postgres
def test_the_key_rows_fingerprint_agrees_with_the_database_and_moves_with_a_rotation(
    tenant_a, tenant_b
):
    # protects: the check a batch's statement makes of the keys it sealed with (the same
    # text on both sides while the rows stand; another text after a rotation; nothing
    # outside the client's scope)
    client_id = tenant_a.client.pk

    def in_the_database() -> str:
        with connection.cursor() as cursor:
            cursor.execute(crypto.KEY_ROWS_FINGERPRINT_SQL, [client_id])
            return cursor.fetchone()[0]

    with client_scope(clients=[tenant_a.client]):
        keys = crypto.keys_for(client_id, data=True, index=True)
        assert crypto.key_rows_fingerprint(keys) == in_the_database() != ""
        services.rotate_keys(actor=None, client_id=client_id)
        assert crypto.key_rows_fingerprint(keys) != in_the_database()
        assert crypto.held_keys(client_id) is None  # the rotating process forgot them
        fresh = crypto.keys_for(client_id, data=True, index=True)
        assert crypto.key_rows_fingerprint(fresh) == in_the_database()
    with client_scope(clients=[tenant_b.client]):
        assert in_the_database() == ""
