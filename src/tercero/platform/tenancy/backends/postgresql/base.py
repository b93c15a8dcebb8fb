"""PostgreSQL backend that tells row-level security which clients are in scope.

Before the first statement of every transaction (and whenever the scope changes inside
one) it runs `set_config('tercero.clients', ..., true)`, the function form of
`SET LOCAL`, so the setting dies with the transaction and never leaks to the next user
of a pooled connection. A statement outside a transaction is wrapped in one so that the
setting applies to it. With no scope active nothing is set, and the policies show no rows.
"""

from django.db import transaction
from django.db.backends.postgresql import base
from psycopg import pq

from tercero.platform.tenancy.scoping import rls_setting

_SET = "SELECT set_config('tercero.clients', %s, true)"


class RowLevelSecurityWrapper:
    """An execute wrapper: sets the transaction-local client list before SQL runs."""

    def __call__(self, execute, sql, params, many, context):
        connection = context["connection"]
        wanted = rls_setting()
        raw = connection.connection
        idle = raw.info.transaction_status == pq.TransactionStatus.IDLE
        if wanted is None:
            # Leaving a scope inside a transaction must not leave its clients visible.
            if not idle and connection.tercero_rls_value:
                self._apply(connection, raw, "")
            return execute(sql, params, many, context)
        if idle and connection.get_autocommit():
            with transaction.atomic(using=connection.alias):
                self._apply(connection, raw, wanted)
                return execute(sql, params, many, context)
        if idle or connection.tercero_rls_value != wanted:
            self._apply(connection, raw, wanted)
        return execute(sql, params, many, context)

    @staticmethod
    def _apply(connection, raw, wanted: str) -> None:
        raw.execute(_SET, [wanted])
        connection.tercero_rls_value = wanted


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tercero_rls_value: str | None = None
        self.execute_wrappers.append(RowLevelSecurityWrapper())
