"""PostgreSQL backend that tells row-level security which clients are in scope.

Before the first statement of every transaction (and whenever the scope changes inside
one) it calls `tercero_enter_scope(clients, proof)`, which checks the proof (an HMAC
under the scope key, bound to this server process) and sets the client list with a
stamp for this transaction only (see `tenancy/rls.py`), so the scope dies with the
transaction and never leaks to the next user of a pooled connection. The call goes in
one pipeline with the statement it precedes, so it costs no round trip of its own: a
pipeline's statements up to its sync run in one transaction, the one BEGIN opened or,
for a statement outside a transaction, PostgreSQL's implicit one. With no scope active
nothing is set, and the policies show no rows.
"""

from collections.abc import Callable
from typing import Any

import psycopg
from django.db import transaction
from django.db.backends.postgresql import base
from psycopg import pq

from tercero.platform.tenancy.scope_key import scope_proof
from tercero.platform.tenancy.scoping import rls_setting

ENTER_SCOPE = "tercero_enter_scope(%s, %s)"
_ENTER = f"SELECT {ENTER_SCOPE}"
# Narrowing needs no proof: an empty list shows nothing.
_LEAVE = "SELECT set_config('tercero.clients', '', true)"
# Pipeline mode needs libpq 14 or later.
PIPELINES = psycopg.Pipeline.is_supported()


def enter_scope_params(raw: psycopg.Connection[Any], wanted: str) -> list[str]:
    """The parameters of ENTER_SCOPE for `wanted` on the psycopg connection `raw`."""
    return [wanted, scope_proof(wanted, backend_pid=raw.info.backend_pid)]


def server_bound(raw: psycopg.Connection[Any]) -> psycopg.Cursor[Any]:
    """A cursor that sends parameters apart from the SQL text, so a proof never shows in
    `pg_stat_activity`, which other sessions of the same role can read."""
    return psycopg.Cursor(raw)


class RowLevelSecurityWrapper:
    """An execute wrapper: sets the transaction-local client list before SQL runs."""

    def __call__(
        self,
        execute: Callable[..., Any],
        sql: str,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        connection = context["connection"]
        wanted = rls_setting()
        raw = connection.connection
        idle = raw.info.transaction_status == pq.TransactionStatus.IDLE
        if wanted is None:
            if idle:  # a new transaction starts with no client set
                connection.tercero_rls_value = None
            elif connection.tercero_rls_value:
                # Leaving a scope inside a transaction must not leave its clients visible.
                return self._scoped(connection, raw, "", execute, sql, params, many, context)
            return execute(sql, params, many, context)
        if idle and connection.get_autocommit() and (many or not PIPELINES):
            # executemany may sync between its rows: one explicit transaction for them all
            with transaction.atomic(using=connection.alias):
                self._apply(connection, raw, wanted)
                return execute(sql, params, many, context)
        if idle or connection.tercero_rls_value != wanted:
            return self._scoped(connection, raw, wanted, execute, sql, params, many, context)
        return execute(sql, params, many, context)

    def _scoped(
        self,
        connection: "DatabaseWrapper",
        raw: psycopg.Connection[Any],
        wanted: str,
        execute: Callable[..., Any],
        sql: str,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        """Set `wanted` and run the statement in one round trip (one pipeline)."""
        if not PIPELINES:
            self._apply(connection, raw, wanted)
            return execute(sql, params, many, context)
        with connection.wrap_database_errors, raw.pipeline():
            self._send(raw, wanted)
            result = execute(sql, params, many, context)
        # outside a transaction the scope ended with the statement's implicit one
        connection.tercero_rls_value = None if connection.get_autocommit() else wanted
        return result

    @classmethod
    def _apply(
        cls, connection: "DatabaseWrapper", raw: psycopg.Connection[Any], wanted: str
    ) -> None:
        with connection.wrap_database_errors:
            cls._send(raw, wanted)
        connection.tercero_rls_value = wanted

    @staticmethod
    def _send(raw: psycopg.Connection[Any], wanted: str) -> None:
        if wanted:
            with server_bound(raw) as cursor:
                cursor.execute(_ENTER, enter_scope_params(raw, wanted))
        else:
            raw.execute(_LEAVE)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tercero_rls_value: str | None = None
        self.execute_wrappers.append(RowLevelSecurityWrapper())
