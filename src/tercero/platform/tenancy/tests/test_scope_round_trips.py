"""The client scope costs no round trip of its own on PostgreSQL: it is entered once per
transaction, in one pipeline with the transaction's first statement, and a statement
outside a transaction runs in PostgreSQL's implicit transaction with its scope instead
of inside a BEGIN ... COMMIT the backend wrapped around it."""

from collections.abc import Iterator

import pytest
from django.db import connection, transaction

from tercero.platform.identity.models import Grant
from tercero.platform.tenancy.backends.postgresql.base import RowLevelSecurityWrapper
from tercero.platform.tenancy.scoping import client_scope

pytestmark = pytest.mark.postgres


@pytest.fixture
def entered(monkeypatch) -> list[str]:
    """The client lists the backend entered, in order."""
    seen: list[str] = []
    send = RowLevelSecurityWrapper._send

    def counting(raw, wanted: str) -> None:
        seen.append(wanted)
        send(raw, wanted)

    monkeypatch.setattr(RowLevelSecurityWrapper, "_send", staticmethod(counting))
    return seen


@pytest.fixture
def inner_states() -> Iterator[list[bool]]:
    """For each statement, whether Django held a transaction open around it."""
    states: list[bool] = []

    def observe(execute, sql, params, many, context):
        states.append(connection.in_atomic_block)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(observe):
        yield states


@pytest.mark.django_db(transaction=True)
def test_the_scope_is_entered_once_for_a_transactions_statements(tenant_a, entered):
    # protects: intake speed (one scope per transaction, not per statement)
    with client_scope(clients=[tenant_a.client]), transaction.atomic():
        entered.clear()
        counts = [Grant.objects.filter(client=tenant_a.client).count() for _ in range(5)]
    assert counts == [2] * 5
    assert entered == [str(tenant_a.client.pk)]


@pytest.mark.django_db(transaction=True)
def test_a_statement_outside_a_transaction_is_not_wrapped_in_one(tenant_a, entered, inner_states):
    # protects: intake speed (no BEGIN and COMMIT round trips around a lone statement)
    # and isolation (the scope still applies to it, and only to it)
    with client_scope(clients=[tenant_a.client]):
        entered.clear()
        counts = [Grant.objects.filter(client=tenant_a.client).count() for _ in range(3)]
    assert counts == [2] * 3
    assert inner_states == [False] * 3
    assert entered == [str(tenant_a.client.pk)] * 3
    with connection.cursor() as cursor:  # no scope now: the last statement's ended with it
        cursor.execute("SELECT count(*) FROM identity_grant")
        assert cursor.fetchone()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_a_refused_statement_outside_a_transaction_is_a_database_error(tenant_a):
    # protects: errors raised at the pipeline's end still reach the caller as Django's
    from django.db import DataError

    with client_scope(clients=[tenant_a.client]), pytest.raises(DataError):
        Grant.objects.raw("SELECT 1 / 0 AS id").__iter__().__next__()
    with client_scope(clients=[tenant_a.client]):
        assert Grant.objects.filter(client=tenant_a.client).count() == 2
