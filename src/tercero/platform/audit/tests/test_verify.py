"""Tampering with the audit trail in the database is found by `tercero audit verify`."""

import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from tercero.platform.audit.models import AuditEvent
from tercero.platform.audit.services import record
from tercero.platform.audit.verify import verify_chain
from tercero.platform.tenancy.scoping import all_clients_scope


def _write_events(count: int, client) -> None:
    for number in range(count):
        record(action="test.thing.happened", client=client, payload={"n": number})


def _verify_output() -> str:
    with pytest.raises(CommandError) as failure:
        call_command("audit", "verify")
    return str(failure.value)


def test_verify_reports_an_intact_chain(tenant_a, capsys):
    # given
    _write_events(5, tenant_a.client)

    # when
    call_command("audit", "verify")

    # then
    assert "Audit chain intact: 5 events verified." in capsys.readouterr().out


def test_editing_an_event_names_that_event(transactional_db, tenant_a, tamper):
    # given
    _write_events(6, tenant_a.client)

    # when
    tamper("UPDATE audit_auditevent SET action = 'test.nothing.happened' WHERE sequence = 4")

    # then
    assert "broken at sequence 4" in _verify_output()


def test_editing_a_payload_names_that_event(transactional_db, tenant_a, tamper):
    # given
    _write_events(6, tenant_a.client)

    # when
    tamper("UPDATE audit_auditevent SET payload = '{\"n\": 99}' WHERE sequence = 2")

    # then
    assert "broken at sequence 2" in _verify_output()


def test_deleting_an_event_names_the_missing_sequence(transactional_db, tenant_a, tamper):
    # given
    _write_events(6, tenant_a.client)

    # when
    tamper("DELETE FROM audit_auditevent WHERE sequence = 3")

    # then
    assert "broken at sequence 3" in _verify_output()


def test_swapping_two_events_names_the_first_of_them(transactional_db, tenant_a, tamper):
    # given
    _write_events(6, tenant_a.client)

    # when: rows 2 and 5 trade places in the order
    tamper("UPDATE audit_auditevent SET sequence = -1 WHERE sequence = 2")
    tamper("UPDATE audit_auditevent SET sequence = 2 WHERE sequence = 5")
    tamper("UPDATE audit_auditevent SET sequence = 5 WHERE sequence = -1")

    # then
    assert "broken at sequence 2" in _verify_output()


def test_rewriting_hashes_from_a_row_onwards_is_still_found(transactional_db, tenant_a, tamper):
    # given: an attacker edits a row and recomputes its own hash, not its successor's link
    _write_events(4, tenant_a.client)
    with all_clients_scope():
        event = AuditEvent.objects.get(sequence=2)

    # when
    tamper("UPDATE audit_auditevent SET hash = %s WHERE sequence = 2", ["f" * 64])

    # then
    assert event.hash != "f" * 64
    assert "broken at sequence 2" in _verify_output()


def test_the_application_cannot_update_audit_events(tenant_a):
    # given
    _write_events(1, tenant_a.client)

    # when / then: refused for want of the right, with the row in scope
    with all_clients_scope():
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(sequence=1).update(action="test.thing.hidden")
        assert AuditEvent.objects.get(sequence=1).action == "test.thing.happened"


def test_the_application_cannot_delete_audit_events(tenant_a):
    # given
    _write_events(1, tenant_a.client)

    # when / then: refused for want of the right, with the row in scope
    with all_clients_scope():
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(sequence=1).delete()
        assert AuditEvent.objects.count() == 1


def test_model_instances_refuse_to_change(tenant_a):
    # given
    event = record(action="test.thing.happened", client=tenant_a.client)

    # when / then
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


def test_twenty_parallel_writers_build_one_unbroken_chain(transactional_db, tenant_a):
    # given
    writers, events_each, errors = 20, 5, []
    start = threading.Barrier(writers)

    def write():
        try:
            start.wait()
            for number in range(events_each):
                record(
                    action="test.thing.happened", client=tenant_a.client.pk, payload={"n": number}
                )
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

    # then
    assert errors == []
    report = verify_chain()
    assert report.is_intact, report.problem
    assert report.checked == writers * events_each
    with all_clients_scope():
        sequences = list(AuditEvent.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, writers * events_each + 1))


def test_actions_must_be_dotted_past_tenses(tenant_a):
    with pytest.raises(ValueError, match="dotted past tense"):
        record(action="Create Client", client=tenant_a.client)
    assert AuditEvent.objects.count() == 0
