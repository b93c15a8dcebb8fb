"""The chain takes events in blocks: one lock, one read of the head and one insert per
block, while every event stays keyed and linked, so `verify` still names the one event
that was edited, removed or forged inside a block."""

import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tercero.platform.audit import chain, keys
from tercero.platform.audit.models import AuditEvent
from tercero.platform.audit.services import Entry, record, record_block, write_checkpoints
from tercero.platform.audit.tests.conftest import hashed_fields
from tercero.platform.audit.verify import verify_chain
from tercero.platform.tenancy.scoping import all_clients_scope


def _block(count: int, client, *, first: int = 0) -> list[AuditEvent]:
    return record_block(
        [
            Entry(action="test.thing.happened", client=client, payload={"n": first + number})
            for number in range(count)
        ]
    )


def _verify_output() -> str:
    with pytest.raises(CommandError) as failure:
        call_command("audit", "verify")
    return str(failure.value)


def _stored() -> list[AuditEvent]:
    with all_clients_scope():
        return list(AuditEvent.objects.order_by("sequence"))


def test_a_block_is_appended_in_order_each_event_keyed_and_linked_to_the_one_before(tenant_a):
    # given
    head = record(action="test.thing.happened", client=tenant_a.client)
    key_id, key = keys.active_chain_key()

    # when
    written = _block(100, tenant_a.client)

    # then
    stored = _stored()
    assert [event.sequence for event in stored] == list(range(1, 102))
    assert [event.pk for event in written] == [event.pk for event in stored[1:]]
    previous = head.hash
    for event in stored[1:]:
        assert event.prev_hash == previous
        assert event.key_id == key_id
        assert event.hash == chain.event_hash(key=key, **hashed_fields(event))
        previous = event.hash
    assert [event.payload["n"] for event in stored[1:]] == list(range(100))


def test_a_block_takes_a_constant_number_of_statements(tenant_a):
    # given
    _block(1, tenant_a.client)

    # when
    with CaptureQueriesContext(connection) as small:
        _block(10, tenant_a.client)
    with CaptureQueriesContext(connection) as large:
        _block(1000, tenant_a.client)

    # then: lock, head, insert (SQLite splits a large insert by its variable limit)
    inserts = [q for q in large.captured_queries if q["sql"].startswith("INSERT")]
    assert len(large.captured_queries) - len(inserts) == len(small.captured_queries) - 1
    assert len(inserts) <= 2


def test_editing_one_event_in_the_middle_of_a_block_names_that_event(
    transactional_db, tenant_a, tamper
):
    # given: three blocks of 50
    for first in (0, 50, 100):
        _block(50, tenant_a.client, first=first)

    # when: as the table's owner, one event of the middle block changes its action
    tamper("UPDATE audit_auditevent SET action = 'test.nothing.happened' WHERE sequence = 75")

    # then
    assert "broken at sequence 75" in _verify_output()


def test_editing_one_payload_in_a_block_names_that_event(transactional_db, tenant_a, tamper):
    # given
    _block(50, tenant_a.client)

    # when
    tamper("UPDATE audit_auditevent SET payload = '{\"n\": 999}' WHERE sequence = 31")

    # then
    assert "broken at sequence 31: payload does not match its digest" in _verify_output()


def test_removing_one_event_from_a_block_is_named(transactional_db, tenant_a, tamper):
    # given
    _block(50, tenant_a.client)
    _block(50, tenant_a.client, first=50)

    # when
    tamper("DELETE FROM audit_auditevent WHERE sequence = 60")

    # then
    assert "broken at sequence 60" in _verify_output()


def test_removing_a_whole_block_is_named_where_it_began(transactional_db, tenant_a, tamper):
    # given
    for first in (0, 50, 100):
        _block(50, tenant_a.client, first=first)

    # when
    tamper("DELETE FROM audit_auditevent WHERE sequence BETWEEN 51 AND 100")

    # then
    assert "broken at sequence 51" in _verify_output()


def test_an_event_of_a_block_re_hashed_onwards_without_the_key_is_named(
    transactional_db, tenant_a, rehash
):
    # given
    _block(40, tenant_a.client)
    _block(40, tenant_a.client, first=40)
    write_checkpoints(now=timezone.now())

    # when: an attacker without the chain key rewrites from the middle of a block on
    rehash(57, action="test.nothing.happened", key=b"x" * 32, key_id=keys.active_chain_key()[0])

    # then
    assert "broken at sequence 57" in _verify_output()


def test_a_block_with_one_bad_action_writes_nothing(tenant_a):
    # given
    entries = [Entry(action="test.thing.happened"), Entry(action="Thing Happened")]

    # when / then
    with pytest.raises(ValueError, match="dotted past tense"):
        record_block(entries)
    assert _stored() == []


def test_an_empty_block_writes_nothing(tenant_a):
    assert record_block([]) == []
    assert _stored() == []


def test_events_written_one_at_a_time_and_in_blocks_verify_as_one_chain(tenant_a, capsys):
    # given: the chain as it was written before blocks (one event a transaction), then
    # blocks, then single events again
    for number in range(5):
        record(action="test.thing.happened", client=tenant_a.client, payload={"n": number})
    _block(20, tenant_a.client, first=5)
    record(action="test.thing.happened", client=tenant_a.client, payload={"n": 25})

    # when
    call_command("audit", "verify")

    # then
    assert "Audit chain intact: 26 events verified." in capsys.readouterr().out
    stored = _stored()
    assert len({event.occurred_at for event in stored[5:25]}) == 1  # one block, one moment
    assert [event.payload["n"] for event in stored] == list(range(26))


def test_parallel_block_writers_build_one_unbroken_chain(transactional_db, tenant_a):
    # given
    writers, blocks_each, block_size, errors = 8, 4, 25, []
    start = threading.Barrier(writers)

    def write():
        try:
            start.wait()
            for _ in range(blocks_each):
                _block(block_size, tenant_a.client.pk)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then: each block's events sit together, the chain whole
    assert errors == []
    report = verify_chain()
    assert report.is_intact, report.problem
    assert report.checked == writers * blocks_each * block_size
    stored = _stored()
    assert [event.sequence for event in stored] == list(range(1, len(stored) + 1))
    for start_at in range(0, len(stored), block_size):
        block = stored[start_at : start_at + block_size]
        assert [event.payload["n"] for event in block] == list(range(block_size))
