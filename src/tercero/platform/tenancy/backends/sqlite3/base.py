"""SQLite backend with the one SQL function our append-only triggers consult.

`tercero_flush_allowed()` is 0 in every process except a test run that is emptying its
tables between tests; a connection that lacks the function (the sqlite3 shell, another
program) cannot run the triggers' condition at all, so its UPDATE or DELETE fails too.
"""

import sqlite3
from typing import Any

from django.db.backends.sqlite3 import base

from tercero.platform.audit import immutability


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> sqlite3.Connection:
        connection: sqlite3.Connection = super().get_new_connection(conn_params)
        connection.create_function(
            "tercero_flush_allowed", 0, immutability.flush_allowed, deterministic=False
        )
        return connection
